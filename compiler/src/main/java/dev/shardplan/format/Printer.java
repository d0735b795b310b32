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

    /**
     * Where a key goes among its siblings: its rank in the field table of its context (a
     * declaration kind, {@code plan}, or a block in one, {@code plan.parallel}); the language's
     * schema lives above this package, so the caller that has it passes it in. Keys of equal rank
     * keep their order.
     */
    @FunctionalInterface
    public interface FieldOrder {
        int rank(String context, String key);

        /** The entries' own order. */
        FieldOrder AS_GIVEN = (context, key) -> 0;
    }

    /** A whole file: imports, then declarations separated by blank lines; formatted. */
    public static String print(SourceFile f, List<String> headerComments) {
        return print(f, headerComments, FieldOrder.AS_GIVEN);
    }

    /** A whole file with each body's entries in {@code order}; formatted. */
    public static String print(SourceFile f, List<String> headerComments, FieldOrder order) {
        StringBuilder sb = new StringBuilder();
        for (String c : headerComments) sb.append("// ").append(c.replace('\n', ' ')).append('\n');
        for (Import i : f.imports()) sb.append("import ").append(quote(i.path())).append('\n');
        for (Decl d : f.decls()) {
            if (sb.length() > 0) sb.append('\n');
            sb.append(decl(d, order)).append('\n');
        }
        return Formatter.format(sb.toString());
    }

    static String decl(Decl d, FieldOrder order) {
        StringBuilder sb = new StringBuilder(d.kind().text()).append(' ').append(d.name().text());
        if (d.from() != null) sb.append(" from ").append(d.from().source().text()).append(' ').append(quote(d.from().path().value()));
        sb.append(' ').append(body(d.body(), true, d.kind().text(), order));
        return sb.toString();
    }

    static String body(Body b, boolean multiline, String context, FieldOrder order) {
        if (b == null || b.entries().isEmpty()) return "{ }";
        List<Entry> sorted = new ArrayList<>(b.entries());
        sorted.sort(java.util.Comparator.comparingInt(e -> order.rank(context, e.key().text())));
        List<String> es = new ArrayList<>();
        for (Entry e : sorted) es.add(entry(e, context + "." + e.key().text(), order));
        if (multiline) return "{\n" + String.join("\n", es) + "\n}";
        return "{ " + String.join("; ", es) + " }";
    }

    /** One entry: key, values, and a nested block on one line. */
    public static String entry(Entry e) {
        return entry(e, e.key().text(), FieldOrder.AS_GIVEN);
    }

    static String entry(Entry e, String context, FieldOrder order) {
        StringBuilder sb = new StringBuilder(e.key().text());
        List<String> seqs = new ArrayList<>();
        for (Seq s : e.values()) seqs.add(seq(s));
        if (!seqs.isEmpty()) sb.append(' ').append(String.join(", ", seqs));
        if (e.body() != null) sb.append(' ').append(body(e.body(), false, context, order));
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
