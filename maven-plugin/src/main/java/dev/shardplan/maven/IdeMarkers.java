package dev.shardplan.maven;

import dev.shardplan.api.Message;
import dev.shardplan.diag.Severity;
import org.sonatype.plexus.build.incremental.BuildContext;
import org.sonatype.plexus.build.incremental.DefaultBuildContext;

import java.io.File;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Diagnostics as IDE markers through the build context (m2e shows them on the plan file's line).
 * On the command line the context is plexus' default one, which would only log each message a
 * second time, so nothing is sent to it there.
 */
final class IdeMarkers {
    private IdeMarkers() {}

    /** {@code file:line:col: rest}: the location of a message line ({@code HumanRenderer.oneLine}). */
    private static final Pattern LOCATED = Pattern.compile("^(.+?):(\\d+):(\\d+): (.*)$", Pattern.DOTALL);

    /** Whether this context shows markers (an IDE's), rather than logging like the default one. */
    static boolean shown(BuildContext c) {
        return c != null && !(c instanceof DefaultBuildContext);
    }

    /** A message's file, line, column and text; file null when the message has no location. */
    record Marker(String file, int line, int column, String text, int severity) {}

    static Marker of(Message m) {
        String text = m.line();
        String file = null;
        int line = 1, col = 1;
        Matcher x = LOCATED.matcher(text);
        if (x.matches()) {
            file = x.group(1);
            line = Integer.parseInt(x.group(2));
            col = Integer.parseInt(x.group(3));
            text = x.group(4);
        }
        if (!m.details().isEmpty()) text = text + "\n" + String.join("\n", m.details());
        int sev = m.severity() == Severity.ERROR ? BuildContext.SEVERITY_ERROR : BuildContext.SEVERITY_WARNING;
        return new Marker(file, line, col, text, sev);
    }

    /**
     * Replaces the markers of the last build of this goal with those of {@code messages}. Files
     * are relative to {@code root} unless absolute; messages without a file mark {@code fallback}.
     * Notes are not markers.
     */
    static void update(BuildContext c, String key, Path root, Path fallback, List<Message> messages) {
        if (!shown(c)) return;
        Object last = c.getValue(key);
        if (last instanceof Set<?> files) {
            for (Object f : files) c.removeMessages(new File(f.toString()));
        }
        c.removeMessages(fallback.toFile());
        Set<String> marked = new TreeSet<>();
        List<Marker> ms = new ArrayList<>();
        for (Message m : messages) if (m.severity() != Severity.NOTE && !m.isSuppressed()) ms.add(of(m));
        for (Marker m : ms) {
            File f = m.file() == null ? fallback.toFile() : root.resolve(m.file()).toFile();
            if (marked.add(f.getPath())) c.removeMessages(f);
            c.addMessage(f, m.line(), m.column(), m.text(), m.severity(), null);
        }
        c.setValue(key, marked);
    }
}
