package dev.shardplan.lsp;

import dev.shardplan.ast.Ident;
import dev.shardplan.ast.Nodes.*;
import dev.shardplan.diag.Span;

import java.util.ArrayList;
import java.util.List;

/** Finding things in a file's AST by offset: what the cursor is on, and which block it is in. */
final class Ast {
    private Ast() {}

    /** A name written as a value, under the entry {@code key}, inside declaration {@code decl}. */
    record NameUse(Name name, String key, Decl decl) {}

    /** What the cursor is on. */
    sealed interface Hit permits DeclHit, KeyHit, NameHit, ImportHit, ValueHit {}

    /** A declaration's kind or name. */
    record DeclHit(Decl decl) implements Hit {}

    /** An entry's key; {@code path} holds the enclosing entries, outermost first, then the entry. */
    record KeyHit(Decl decl, List<Entry> path) implements Hit {
        Entry entry() { return path.get(path.size() - 1); }
    }

    record NameHit(NameUse use) implements Hit {}

    record ImportHit(Import imp) implements Hit {}

    /** Some other value (a number, a string), inside entry path {@code path}. */
    record ValueHit(Decl decl, List<Entry> path, Value value) implements Hit {}

    /** The declaration and entries whose blocks enclose an offset (decl null at top level). */
    record Context(Decl decl, List<Entry> path) {
        /** "plan", "plan.parallel", "model.moe": the key of the field list that applies. */
        String key() {
            if (decl == null) return "";
            StringBuilder sb = new StringBuilder(decl.kind().text());
            for (Entry e : path) sb.append('.').append(e.key().text());
            return sb.toString();
        }
    }

    static boolean contains(Span s, int offset) {
        return s != null && !s.isNone() && s.start() <= offset && offset <= s.end();
    }

    /** Every name written as a value in the file. */
    static List<NameUse> names(SourceFile f) {
        List<NameUse> out = new ArrayList<>();
        for (Decl d : f.decls()) if (d.body() != null) names(d, d.body(), out);
        return out;
    }

    private static void names(Decl d, Body b, List<NameUse> out) {
        for (Entry e : b.entries()) {
            for (Seq s : e.values()) for (Value v : s.items()) names(d, e.key().text(), v, out);
            if (e.body() != null) names(d, e.body(), out);
        }
    }

    private static void names(Decl d, String key, Value v, List<NameUse> out) {
        if (v instanceof Name n) out.add(new NameUse(n, key, d));
        else if (v instanceof Call c) for (Arg a : c.args()) names(d, key, a.value(), out);
        else if (v instanceof ListV l) for (Seq s : l.items()) for (Value x : s.items()) names(d, key, x, out);
    }

    static Hit at(SourceFile f, int offset) {
        for (Import i : f.imports()) if (contains(i.span(), offset)) return new ImportHit(i);
        for (Decl d : f.decls()) {
            if (on(d.kind(), offset) || on(d.name(), offset)) return new DeclHit(d);
            if (d.body() == null || !contains(d.span(), offset)) continue;
            Hit h = at(d, d.body(), new ArrayList<>(), offset);
            if (h != null) return h;
        }
        return null;
    }

    private static Hit at(Decl d, Body b, List<Entry> path, int offset) {
        for (Entry e : b.entries()) {
            if (!contains(e.span(), offset) && (e.body() == null || !contains(e.body().span(), offset))) continue;
            List<Entry> p = new ArrayList<>(path);
            p.add(e);
            if (on(e.key(), offset)) return new KeyHit(d, List.copyOf(p));
            for (Seq s : e.values()) {
                for (Value v : s.items()) {
                    Hit h = value(d, e.key().text(), p, v, offset);
                    if (h != null) return h;
                }
            }
            if (e.body() != null) {
                Hit h = at(d, e.body(), p, offset);
                if (h != null) return h;
            }
        }
        return null;
    }

    private static Hit value(Decl d, String key, List<Entry> path, Value v, int offset) {
        if (!contains(v.span(), offset)) return null;
        if (v instanceof Name n) return new NameHit(new NameUse(n, key, d));
        if (v instanceof Call c) {
            for (Arg a : c.args()) {
                Hit h = value(d, key, path, a.value(), offset);
                if (h != null) return h;
            }
        }
        if (v instanceof ListV l) {
            for (Seq s : l.items()) for (Value x : s.items()) {
                Hit h = value(d, key, path, x, offset);
                if (h != null) return h;
            }
        }
        return new ValueHit(d, List.copyOf(path), v);
    }

    private static boolean on(Ident i, int offset) {
        return i != null && contains(i.span(), offset);
    }

    /** The innermost blocks around an offset: strictly inside their braces. */
    static Context context(SourceFile f, int offset) {
        for (Decl d : f.decls()) {
            if (d.body() == null || !inside(d.body().span(), offset)) continue;
            List<Entry> path = new ArrayList<>();
            Body b = d.body();
            outer:
            while (true) {
                for (Entry e : b.entries()) {
                    if (e.body() != null && inside(e.body().span(), offset)) {
                        path.add(e);
                        b = e.body();
                        continue outer;
                    }
                }
                break;
            }
            return new Context(d, List.copyOf(path));
        }
        return new Context(null, List.of());
    }

    private static boolean inside(Span s, int offset) {
        return s != null && !s.isNone() && s.start() < offset && offset < s.end();
    }
}
