package dev.shardplan.lsp;

import dev.shardplan.ast.Nodes.Import;
import dev.shardplan.diag.Diagnostic;
import dev.shardplan.diag.Label;
import dev.shardplan.diag.Severity;
import dev.shardplan.resolve.Module;
import org.eclipse.lsp4j.DiagnosticRelatedInformation;
import org.eclipse.lsp4j.DiagnosticSeverity;
import org.eclipse.lsp4j.Location;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The compiler's diagnostics as LSP diagnostics of one document: the same code, message, notes and
 * help as {@code shardplan check}; labels become related information. Errors inside an imported
 * file are shown once on the import that brings it in, so a broken import is never silent.
 */
final class Diagnostics2Lsp {
    private Diagnostics2Lsp() {}

    static final String SOURCE = "shardplan";

    static List<org.eclipse.lsp4j.Diagnostic> of(Snapshot s) {
        List<org.eclipse.lsp4j.Diagnostic> out = new ArrayList<>();
        if (s.check() == null) return out;
        Map<Import, List<Diagnostic>> viaImport = new LinkedHashMap<>();
        for (Diagnostic d : s.check().diagnostics()) {
            if (d.span().isNone() || d.span().file().equals(s.id())) {
                out.add(one(s, d));
            } else if (d.isError()) {
                Import imp = importOf(s, d.span().file());
                if (imp != null) viaImport.computeIfAbsent(imp, k -> new ArrayList<>()).add(d);
            }
        }
        for (Map.Entry<Import, List<Diagnostic>> e : viaImport.entrySet()) {
            Diagnostic first = e.getValue().get(0);
            org.eclipse.lsp4j.Diagnostic l = new org.eclipse.lsp4j.Diagnostic(s.text().range(e.getKey().span()),
                    "imported file has " + e.getValue().size() + " error" + (e.getValue().size() == 1 ? "" : "s") + "; the first: "
                            + first.span() + ": error[" + first.code().id() + "]: " + first.message(),
                    DiagnosticSeverity.Error, SOURCE, first.code().id());
            Snapshot.View v = s.views().get(first.span().file());
            if (v != null && v.uri() != null) {
                l.setRelatedInformation(List.of(new DiagnosticRelatedInformation(new Location(v.uri(), v.text().range(first.span())),
                        first.message())));
            }
            out.add(l);
        }
        return out;
    }

    static org.eclipse.lsp4j.Diagnostic one(Snapshot s, Diagnostic d) {
        StringBuilder msg = new StringBuilder(d.message());
        for (String n : d.notes()) msg.append("\nnote: ").append(n);
        if (!d.help().isEmpty()) msg.append("\nhelp: ").append(d.help());
        org.eclipse.lsp4j.Diagnostic l = new org.eclipse.lsp4j.Diagnostic(s.text().range(d.span()), msg.toString(),
                severity(d.severity()), SOURCE, d.code().id());
        List<DiagnosticRelatedInformation> rel = new ArrayList<>();
        for (Label lab : d.labels()) {
            Snapshot.View v = s.views().get(lab.span().file());
            if (v == null || v.uri() == null) continue;
            rel.add(new DiagnosticRelatedInformation(new Location(v.uri(), v.text().range(lab.span())), lab.message()));
        }
        if (!rel.isEmpty()) l.setRelatedInformation(rel);
        return l;
    }

    static DiagnosticSeverity severity(Severity s) {
        return switch (s) {
            case ERROR -> DiagnosticSeverity.Error;
            case WARNING -> DiagnosticSeverity.Warning;
            case NOTE -> DiagnosticSeverity.Information;
        };
    }

    /** The import of the document through which file {@code id} is read, or null. */
    static Import importOf(Snapshot s, String id) {
        Module m = s.module();
        if (m == null) return null;
        for (Import imp : m.ast().imports()) {
            for (Module dep : m.imports()) {
                if (!reaches(dep, id)) continue;
                if (matches(s, imp, dep)) return imp;
            }
        }
        return m.ast().imports().isEmpty() ? null : m.ast().imports().get(0);
    }

    /** Whether {@code imp} is the import that loaded {@code dep}: a std id, or the file beside the document. */
    static boolean matches(Snapshot s, Import imp, Module dep) {
        if (dep.path() == null) return dep.id().equals(imp.path());
        try {
            return s.doc().path().getParent().resolve(imp.path()).normalize().equals(dep.path());
        } catch (RuntimeException e) {
            return false;
        }
    }

    private static boolean reaches(Module from, String id) {
        Deque<Module> todo = new ArrayDeque<>(List.of(from));
        Set<Module> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        while (!todo.isEmpty()) {
            Module x = todo.pop();
            if (!seen.add(x)) continue;
            if (x.id().equals(id)) return true;
            todo.addAll(x.imports());
        }
        return false;
    }
}
