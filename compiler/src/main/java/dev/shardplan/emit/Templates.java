package dev.shardplan.emit;

import com.github.mustachejava.DefaultMustacheFactory;
import com.github.mustachejava.Mustache;
import com.github.mustachejava.MustacheException;
import com.github.mustachejava.reflect.Guard;
import com.github.mustachejava.reflect.MissingWrapper;
import com.github.mustachejava.reflect.ReflectionObjectHandler;

import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Mustache templates under dev/shardplan/emit/templates, rendered from view-model records.
 * HTML escaping is off (values are quoted for their format by the view model), and a name the
 * view model does not have fails the render instead of printing nothing.
 */
public final class Templates {
    static final String ROOT = "dev/shardplan/emit/templates";

    /** Thrown when a template names a value its view model lacks. */
    public static final class MissingValueException extends RuntimeException {
        public MissingValueException(String template, String name) {
            super("template " + template + " refers to '" + name + "', which its view model does not have");
        }
    }

    private static final Templates SHARED = new Templates();

    private final Factory factory = new Factory();
    private final Map<String, Mustache> compiled = new ConcurrentHashMap<>();

    /** The templates shipped with shardplan; compiled templates are cached and immutable. */
    public static Templates shared() {
        return SHARED;
    }

    /** Renders {@code name} (a path under the templates folder, e.g. "shell/node.sh.mustache"). */
    public String render(String name, Object view) {
        Mustache m = compiled.computeIfAbsent(name, factory::compile);
        StringWriter w = new StringWriter();
        try {
            m.execute(w, view).flush();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (MustacheException e) {
            Throwable c = e;
            while (c != null) {
                if (c instanceof MissingValueException mv) throw mv;
                c = c.getCause();
            }
            throw e;
        }
        return w.toString();
    }

    /** Compiles a template from a string (tests use it to check the missing-value guard). */
    public String renderInline(String templateName, String template, Object view) {
        Mustache m = factory.compile(new java.io.StringReader(template), templateName);
        StringWriter w = new StringWriter();
        try {
            m.execute(w, view).flush();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (MustacheException e) {
            Throwable c = e;
            while (c != null) {
                if (c instanceof MissingValueException mv) throw mv;
                c = c.getCause();
            }
            throw e;
        }
        return w.toString();
    }

    private static final class Factory extends DefaultMustacheFactory {
        Factory() {
            super(ROOT);
            setObjectHandler(new StrictObjectHandler());
        }

        @Override
        public void encode(String value, Writer writer) {
            try {
                writer.write(value);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    /** Reflection lookup that refuses names found in no scope. */
    private static final class StrictObjectHandler extends ReflectionObjectHandler {
        @Override
        protected MissingWrapper createMissingWrapper(String name, List<Guard> guards) {
            throw new MissingValueException("?", name);
        }

        @Override
        public String stringify(Object object) {
            if (object == null) throw new IllegalStateException("a view-model value is null");
            return super.stringify(object);
        }
    }
}
