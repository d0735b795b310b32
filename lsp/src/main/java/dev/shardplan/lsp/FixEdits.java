package dev.shardplan.lsp;

import dev.shardplan.ast.Nodes.Body;
import dev.shardplan.ast.Nodes.Decl;
import dev.shardplan.ast.Nodes.Entry;
import dev.shardplan.ast.Nodes.SourceFile;
import dev.shardplan.diag.Fix;
import dev.shardplan.diag.Span;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * A diagnostic's {@link Fix} as edits of the file's text, found through its AST: a misspelt name
 * replaced; a plan field's values replaced, a missing field added to its block, a removed field
 * deleted. Offsets are the compiler's (code points); null when the fix cannot be placed.
 */
final class FixEdits {
    private FixEdits() {}

    /** Replace {@code [start, end)} by {@code text}. */
    record Edit(int start, int end, String text) {}

    static List<Edit> of(Fix fix, SourceFile ast, String text) {
        if (fix instanceof Fix.Replace r) return List.of(new Edit(r.span().start(), r.span().end(), r.text()));
        if (fix instanceof Fix.SetFields f) return setFields(f, ast, text);
        return null;
    }

    private static List<Edit> setFields(Fix.SetFields f, SourceFile ast, String text) {
        Decl plan = null;
        for (Decl d : ast.decls()) if (d.kind().text().equals("plan") && d.name().text().equals(f.plan())) plan = d;
        if (plan == null || plan.body() == null) return null;
        List<Edit> out = new ArrayList<>();
        for (Map.Entry<String, String> e : f.fields().entrySet()) {
            String[] path = e.getKey().split("\\.", 2);
            if (path.length != 2) return null;
            Entry block = find(plan.body(), path[0]);
            if (block == null) {
                // Only a parallel block can be written from nothing: an engine block needs its engine.
                if (e.getValue() == null) continue;
                if (!path[0].equals("parallel")) return null;
                List<Entry> es = plan.body().entries();
                int at = es.isEmpty() ? plan.body().span().start() + 1 : es.get(es.size() - 1).span().end();
                out.add(new Edit(at, at, "\n  parallel { " + path[1] + " " + e.getValue() + " }"));
                continue;
            }
            if (block.body() == null) return null;
            Entry field = find(block.body(), path[1]);
            if (field == null) {
                if (e.getValue() == null) continue;
                out.add(insert(block.body(), path[1] + " " + e.getValue(), text));
            } else if (e.getValue() == null) {
                out.add(delete(field, text));
            } else {
                if (field.values().isEmpty()) {
                    int at = field.key().span().end();
                    out.add(new Edit(at, at, " " + e.getValue()));
                } else {
                    int a = field.values().get(0).span().start();
                    int b = field.values().get(field.values().size() - 1).span().end();
                    out.add(new Edit(a, b, e.getValue()));
                }
            }
        }
        out.sort(Comparator.comparingInt(Edit::start));
        return out;
    }

    private static Entry find(Body b, String key) {
        for (Entry e : b.entries()) if (e.key().text().equals(key)) return e;
        return null;
    }

    /** After the block's last entry: on its line in a one-line block, on a line of its own otherwise. */
    private static Edit insert(Body b, String entry, String text) {
        Span s = b.span();
        List<Entry> es = b.entries();
        if (es.isEmpty()) return new Edit(s.start() + 1, s.start() + 1, " " + entry + " ");
        Entry last = es.get(es.size() - 1);
        int end = last.span().end();
        String between = cpSubstring(text, s.start(), s.end());
        if (!between.contains("\n")) return new Edit(end, end, "; " + entry);
        String indent = indentOf(text, last.span().start());
        return new Edit(end, end, "\n" + indent + entry);
    }

    /** The entry and the separator after it; a whole line when the entry is alone on it. */
    private static Edit delete(Entry e, String text) {
        int a = e.span().start(), b = e.span().end();
        String after = cpSubstring(text, b, Math.min(cpLength(text), b + 200));
        int i = 0;
        while (i < after.length() && (after.charAt(i) == ' ' || after.charAt(i) == '\t')) i++;
        if (i < after.length() && after.charAt(i) == ';') {
            int j = i + 1;
            while (j < after.length() && (after.charAt(j) == ' ' || after.charAt(j) == '\t')) j++;
            return new Edit(a, b + j, "");
        }
        // The last entry of a one-line block: take the separator before it instead.
        String head = cpSubstring(text, Math.max(0, a - 200), a);
        int k = head.length() - 1;
        while (k >= 0 && (head.charAt(k) == ' ' || head.charAt(k) == '\t')) k--;
        if (k >= 0 && head.charAt(k) == ';') return new Edit(a - head.codePointCount(k, head.length()), b, "");
        String lineBefore = indentOf(text, a);
        boolean aloneBefore = lineBefore.length() == columnOf(text, a);
        if (aloneBefore && (i == after.length() || after.charAt(i) == '\n')) {
            int start = a - lineBefore.length();
            return new Edit(start, b + i + (i < after.length() ? 1 : 0), "");
        }
        return new Edit(a, b, "");
    }

    /** The whitespace that starts the line holding offset {@code at}. */
    private static String indentOf(String text, int at) {
        int cu = cuOf(text, at);
        int ls = text.lastIndexOf('\n', Math.max(0, cu - 1)) + 1;
        if (cu == 0) ls = 0;
        int i = ls;
        while (i < text.length() && (text.charAt(i) == ' ' || text.charAt(i) == '\t')) i++;
        return text.substring(ls, i);
    }

    private static int columnOf(String text, int at) {
        int cu = cuOf(text, at);
        int ls = cu == 0 ? 0 : text.lastIndexOf('\n', cu - 1) + 1;
        return cu - ls;
    }

    /** The text with the edits applied (offsets in code points). */
    static String apply(String text, List<Edit> edits) {
        List<Edit> es = new ArrayList<>(edits);
        es.sort(Comparator.comparingInt(Edit::start).reversed());
        StringBuilder sb = new StringBuilder(text);
        for (Edit e : es) sb.replace(cuOf(text, e.start()), cuOf(text, e.end()), e.text());
        return sb.toString();
    }

    private static int cuOf(String text, int cp) {
        int bom = text.startsWith("\uFEFF") ? 1 : 0;
        int n = text.codePointCount(0, text.length());
        return text.offsetByCodePoints(0, Math.max(0, Math.min(cp + bom, n)));
    }

    private static int cpLength(String text) {
        return text.codePointCount(0, text.length()) - (text.startsWith("\uFEFF") ? 1 : 0);
    }

    private static String cpSubstring(String text, int a, int b) {
        return text.substring(cuOf(text, a), cuOf(text, Math.max(a, b)));
    }
}
