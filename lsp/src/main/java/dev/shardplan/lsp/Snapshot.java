package dev.shardplan.lsp;

import dev.shardplan.api.CheckResult;
import dev.shardplan.ast.Nodes.Decl;
import dev.shardplan.resolve.Module;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One document as the compiler saw it at one edit: the check (null for a std file), the module
 * graph with each module's text, and the declarations visible in the document.
 */
record Snapshot(Doc doc, Path root, String id, CheckResult check, Module module, Map<String, View> views,
                long generation, long nanos) {

    /** One module of the graph: where it lives (uri null when it has no file) and its text. */
    record View(String id, String uri, TextIndex text, Module module, boolean readOnly) {}

    /** A declaration and the module that declares it. */
    record Located(Decl decl, View view) {
        String kind() { return decl.kind().text(); }
        String name() { return decl.name().text(); }
    }

    TextIndex text() {
        return views.containsKey(id) ? views.get(id).text() : new TextIndex(doc.text());
    }

    boolean readOnly() {
        return check == null;
    }

    /** Declarations visible in the document: its own, then its imports' (transitively), each name once per kind. */
    List<Located> scope() {
        List<Located> out = new ArrayList<>();
        if (module == null) return out;
        Map<String, Boolean> seen = new LinkedHashMap<>();
        Set<Module> done = Collections.newSetFromMap(new IdentityHashMap<>());
        List<Module> order = new ArrayList<>();
        // Depth-first in import order, as the resolver collects a scope.
        collect(module, order, done);
        for (Module m : order) {
            View v = views.get(m.id());
            if (v == null) continue;
            for (Decl d : m.ast().decls()) {
                if (seen.putIfAbsent(d.kind().text() + " " + d.name().text(), true) == null) out.add(new Located(d, v));
            }
        }
        return out;
    }

    private static void collect(Module m, List<Module> out, Set<Module> seen) {
        if (!seen.add(m)) return;
        out.add(m);
        for (Module i : m.imports()) collect(i, out, seen);
    }

    /**
     * The declaration a name written under entry {@code key} refers to: one of that name, preferring
     * the kind the key names ({@code model}, {@code cluster}; {@code gpus} and {@code nodes} name
     * gpus and nodes); null when nothing visible has the name.
     */
    Located lookup(String name, String key) {
        Located any = null;
        for (Located l : scope()) {
            if (!l.name().equals(name)) continue;
            if (l.kind().equals(key) || (l.kind() + "s").equals(key)) return l;
            if (any == null) any = l;
        }
        return any;
    }
}
