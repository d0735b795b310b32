package dev.shardplan.lsp;

import dev.shardplan.api.Frontend;
import dev.shardplan.ast.Nodes.Decl;
import dev.shardplan.ast.Nodes.Entry;
import dev.shardplan.ast.Nodes.Seq;
import dev.shardplan.ast.Nodes.Value;
import dev.shardplan.diag.Diagnostics;
import dev.shardplan.resolve.Module;
import org.eclipse.lsp4j.DocumentSymbol;
import org.eclipse.lsp4j.Location;
import org.eclipse.lsp4j.Range;
import org.eclipse.lsp4j.SymbolKind;
import org.eclipse.lsp4j.WorkspaceSymbol;
import org.eclipse.lsp4j.jsonrpc.messages.Either;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** Go to definition, find references, document and workspace symbols. */
final class Navigation {
    private Navigation() {}

    /** Workspace scans stop here, so a huge folder cannot stall the server. */
    static final int MAX_FILES = 2000;

    static List<Location> definition(Snapshot s, int offset) {
        if (s.module() == null) return List.of();
        Ast.Hit hit = Ast.at(s.module().ast(), offset);
        if (hit instanceof Ast.NameHit h) {
            Snapshot.Located l = s.lookup(h.use().name().text(), h.use().key());
            return l == null ? List.of() : location(l);
        }
        if (hit instanceof Ast.DeclHit h) return location(new Snapshot.Located(h.decl(), s.views().get(s.id())));
        if (hit instanceof Ast.ImportHit h) {
            for (Module dep : s.module().imports()) {
                if (!Diagnostics2Lsp.matches(s, h.imp(), dep)) continue;
                Snapshot.View v = s.views().get(dep.id());
                if (v != null && v.uri() != null) return List.of(new Location(v.uri(), new Range(v.text().position(0), v.text().position(0))));
            }
        }
        return List.of();
    }

    private static List<Location> location(Snapshot.Located l) {
        if (l == null || l.view() == null || l.view().uri() == null) return List.of();
        return List.of(new Location(l.view().uri(), l.view().text().range(l.decl().name().span())));
    }

    /** The declaration under the cursor, or the one the name under the cursor refers to. */
    static Snapshot.Located target(Snapshot s, int offset) {
        if (s.module() == null) return null;
        Ast.Hit hit = Ast.at(s.module().ast(), offset);
        if (hit instanceof Ast.NameHit h) return s.lookup(h.use().name().text(), h.use().key());
        if (hit instanceof Ast.DeclHit h) return new Snapshot.Located(h.decl(), s.views().get(s.id()));
        return null;
    }

    /**
     * Every use of the declaration under the cursor in the workspace (its folders' plan files and
     * the open documents) and the std library they import: each module's names are looked up in
     * that module's own scope, so a name only counts where it means this declaration.
     */
    static List<Location> references(Session session, Snapshot s, int offset, boolean withDeclaration) {
        Snapshot.Located target = target(s, offset);
        if (target == null) return List.of();
        String targetModule = target.view().id();
        List<Location> out = new ArrayList<>();
        LinkedHashSet<String> seen = new LinkedHashSet<>();
        for (Snapshot m : workspace(session, s)) {
            if (!seen.add(m.id())) continue;
            Snapshot.View v = m.views().get(m.id());
            if (v == null || v.uri() == null || m.module() == null) continue;
            if (withDeclaration && m.id().equals(targetModule)) {
                out.add(new Location(v.uri(), v.text().range(target.decl().name().span())));
            }
            for (Ast.NameUse u : Ast.names(m.module().ast())) {
                if (!u.name().text().equals(target.name())) continue;
                Snapshot.Located l = m.lookup(u.name().text(), u.key());
                if (l != null && l.kind().equals(target.kind()) && l.view().id().equals(targetModule)) {
                    out.add(new Location(v.uri(), v.text().range(u.name().span())));
                }
            }
        }
        return out;
    }

    /**
     * A scope-only snapshot (no analyses) of every module in the workspace: the plan files under the
     * folders (at most {@link #MAX_FILES}), the open documents and everything they import.
     */
    static List<Snapshot> workspace(Session session, Snapshot current) {
        Map<Path, String> overlay = session.overlay();
        List<Path> files = new ArrayList<>();
        List<Path> roots = !session.roots().isEmpty() ? session.roots() : current != null ? List.of(current.root()) : List.of();
        Diagnostics ignored = new Diagnostics();
        for (Path p : Frontend.expand(roots, ignored)) {
            if (files.size() >= MAX_FILES) break;
            files.add(p);
        }
        for (Path p : overlay.keySet()) if (!files.contains(p)) files.add(p);
        List<Snapshot> out = new ArrayList<>();
        // One load per project root, as a check of that root would read its files.
        Map<Path, List<Path>> byRoot = new LinkedHashMap<>();
        for (Path f : files) byRoot.computeIfAbsent(session.rootOf(f), r -> new ArrayList<>()).add(f);
        Map<String, Boolean> done = new LinkedHashMap<>();
        for (Map.Entry<Path, List<Path>> e : byRoot.entrySet()) {
            Path root = e.getKey();
            Map<Path, Module> loaded;
            try {
                loaded = Frontend.load(root, e.getValue(), overlay);
            } catch (RuntimeException | StackOverflowError x) {
                continue;
            }
            for (Module m : loaded.values()) {
                for (Snapshot.View v : session.views(m, overlay).values()) {
                    // Each module once, with the views of its own imports as its scope.
                    if (done.putIfAbsent(root + "|" + v.id(), true) != null) continue;
                    Map<String, Snapshot.View> own = session.views(v.module(), overlay);
                    Doc d = new Doc(v.uri() == null ? "" : v.uri(), v.module().path(), 0, v.text().text());
                    out.add(new Snapshot(d, root, v.id(), null, v.module(), own, 0, 0));
                }
            }
        }
        return out;
    }

    static List<Either<org.eclipse.lsp4j.SymbolInformation, DocumentSymbol>> documentSymbols(Snapshot s) {
        List<Either<org.eclipse.lsp4j.SymbolInformation, DocumentSymbol>> out = new ArrayList<>();
        if (s.module() == null) return out;
        TextIndex t = s.text();
        for (Decl d : s.module().ast().decls()) {
            DocumentSymbol ds = new DocumentSymbol(d.name().text(), kind(d.kind().text()), t.range(d.span()), t.range(d.name().span()),
                    d.kind().text());
            if (d.body() != null) ds.setChildren(entries(t, d.body().entries()));
            out.add(Either.forRight(ds));
        }
        return out;
    }

    private static List<DocumentSymbol> entries(TextIndex t, List<Entry> es) {
        List<DocumentSymbol> out = new ArrayList<>();
        for (Entry e : es) {
            DocumentSymbol ds = new DocumentSymbol(e.key().text(), e.body() != null ? SymbolKind.Object : SymbolKind.Field,
                    t.range(e.span().to(e.body() != null ? e.body().span() : e.span())), t.range(e.key().span()), summary(e));
            if (e.body() != null) ds.setChildren(entries(t, e.body().entries()));
            out.add(ds);
        }
        return out;
    }

    private static String summary(Entry e) {
        List<String> parts = new ArrayList<>();
        for (Seq s : e.values()) {
            List<String> items = new ArrayList<>();
            for (Value v : s.items()) {
                if (v instanceof dev.shardplan.ast.Nodes.Name n) items.add(n.text());
                else if (v instanceof dev.shardplan.ast.Nodes.Quantity q) items.add(q.text() + (q.unit() == null ? "" : " " + q.unit()));
                else if (v instanceof dev.shardplan.ast.Nodes.Str str) items.add("\"" + str.value() + "\"");
                else if (v instanceof dev.shardplan.ast.Nodes.Times) items.add("x");
                else if (v instanceof dev.shardplan.ast.Nodes.Op o) items.add(o.text());
                else items.add("…");
            }
            parts.add(String.join(" ", items));
        }
        return String.join(", ", parts);
    }

    static SymbolKind kind(String declKind) {
        return switch (declKind) {
            case "plan" -> SymbolKind.Module;
            case "search" -> SymbolKind.Function;
            case "model" -> SymbolKind.Class;
            case "cluster", "node", "gpu" -> SymbolKind.Struct;
            case "workload" -> SymbolKind.Event;
            default -> SymbolKind.Object;
        };
    }

    /** Declarations of the workspace and the std library whose name contains the query (case-insensitive). */
    static List<WorkspaceSymbol> workspaceSymbols(Session session, Snapshot any, String query) {
        String q = query == null ? "" : query.toLowerCase(Locale.ROOT);
        List<WorkspaceSymbol> out = new ArrayList<>();
        LinkedHashSet<String> seen = new LinkedHashSet<>();
        for (Snapshot m : workspace(session, any)) {
            Snapshot.View v = m.views().get(m.id());
            if (v == null || v.uri() == null || m.module() == null) continue;
            for (Decl d : m.module().ast().decls()) {
                if (!d.name().text().toLowerCase(Locale.ROOT).contains(q)) continue;
                if (!seen.add(v.uri() + "#" + d.kind().text() + " " + d.name().text())) continue;
                WorkspaceSymbol ws = new WorkspaceSymbol(d.name().text(), kind(d.kind().text()),
                        Either.forLeft(new Location(v.uri(), v.text().range(d.name().span()))), m.id());
                out.add(ws);
                if (out.size() >= 500) return out;
            }
        }
        return out;
    }
}
