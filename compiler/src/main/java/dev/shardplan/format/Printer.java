package dev.shardplan.format;

import dev.shardplan.ast.Nodes.Arg;
import dev.shardplan.ast.Nodes.Body;
import dev.shardplan.ast.Nodes.Call;
import dev.shardplan.ast.Nodes.Decl;
import dev.shardplan.ast.Nodes.Entry;
import dev.shardplan.ast.Nodes.Import;
import dev.shardplan.ast.Nodes.ListV;
import dev.shardplan.ast.Nodes.Name;
import dev.shardplan.ast.Nodes.Op;
import dev.shardplan.ast.Nodes.Quantity;
import dev.shardplan.ast.Nodes.Seq;
import dev.shardplan.ast.Nodes.SourceFile;
import dev.shardplan.ast.Nodes.Str;
import dev.shardplan.ast.Nodes.Times;
import dev.shardplan.ast.Nodes.Value;

import java.util.ArrayList;
import java.util.List;

/**
 * Writes an AST back as plan source in the syntax of docs/language.md, then lays it out with the
 * {@link Formatter}: the one way the compiler writes {@code .plan} text (search --emit, and any
 * rewrite of a plan). Values are printed as written ({@link Quantity#text()} keeps the literal).
 */
public final class Printer {
    private Printer() {}

    /** A whole file: imports, then declarations separated by blank lines; formatted. */
    public static String print(SourceFile f, List<String> headerComments) {
        StringBuilder sb = new StringBuilder();
        for (String c : headerComments) sb.append("// ").append(c.replace('\n', ' ')).append('\n');
        for (Import i : f.imports()) sb.append("import ").append(quote(i.path())).append('\n');
        for (Decl d : f.decls()) {
            if (sb.length() > 0) sb.append('\n');
            sb.append(decl(d)).append('\n');
        }
        return Formatter.format(sb.toString());
    }

    static String decl(Decl d) {
        StringBuilder sb = new StringBuilder(d.kind().text()).append(' ').append(d.name().text());
        if (d.from() != null) sb.append(" from ").append(d.from().source().text()).append(' ').append(quote(d.from().path().value()));
        sb.append(' ').append(body(d.body(), true));
        return sb.toString();
    }

    static String body(Body b, boolean multiline) {
        if (b == null || b.entries().isEmpty()) return "{ }";
        List<String> es = new ArrayList<>();
        for (Entry e : b.entries()) es.add(entry(e));
        if (multiline) return "{\n" + String.join("\n", es) + "\n}";
        return "{ " + String.join("; ", es) + " }";
    }

    /** One entry: key, values, and a nested block on one line. */
    public static String entry(Entry e) {
        StringBuilder sb = new StringBuilder(e.key().text());
        List<String> seqs = new ArrayList<>();
        for (Seq s : e.values()) seqs.add(seq(s));
        if (!seqs.isEmpty()) sb.append(' ').append(String.join(", ", seqs));
        if (e.body() != null) sb.append(' ').append(body(e.body(), false));
        return sb.toString();
    }

    static String seq(Seq s) {
        List<String> vs = new ArrayList<>();
        for (Value v : s.items()) vs.add(value(v));
        return String.join(" ", vs);
    }

    static String value(Value v) {
        if (v instanceof Quantity q) return q.unit() == null || q.unit().isEmpty() ? q.text() : q.text() + " " + q.unit();
        if (v instanceof Str s) return quote(s.value());
        if (v instanceof Name n) return n.text();
        if (v instanceof Op o) return o.text();
        if (v instanceof Times) return "x";
        if (v instanceof ListV l) {
            List<String> items = new ArrayList<>();
            for (Seq s : l.items()) items.add(seq(s));
            return "[" + String.join(", ", items) + "]";
        }
        Call c = (Call) v;
        List<String> args = new ArrayList<>();
        for (Arg a : c.args()) args.add((a.name() == null ? "" : a.name().text() + " ") + value(a.value()));
        return c.name().text() + "(" + String.join(", ", args) + ")" + (c.unit() == null || c.unit().isEmpty() ? "" : " " + c.unit());
    }

    /** A string literal with the language's escapes. */
    public static String quote(String s) {
        StringBuilder sb = new StringBuilder("\"");
        for (char ch : s.toCharArray()) {
            switch (ch) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\t' -> sb.append("\\t");
                case '\r' -> sb.append("\\r");
                default -> sb.append(ch);
            }
        }
        return sb.append('"').toString();
    }
}
