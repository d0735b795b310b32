package dev.shardplan.diag;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/** A mutable collector used inside one phase; phases hand out sorted immutable lists. */
public final class Diagnostics {
    private final List<Diagnostic> items = new ArrayList<>();

    public Diagnostic add(Diagnostic d) {
        items.add(d);
        return d;
    }

    public Diagnostic error(Code code, Span span, String message, String help) {
        return add(Diagnostic.of(code, span, message).severity(Severity.ERROR).help(help).build());
    }

    public void addAll(List<Diagnostic> ds) {
        items.addAll(ds);
    }

    public boolean hasErrors() {
        for (Diagnostic d : items) if (d.isError()) return true;
        return false;
    }

    public int size() {
        return items.size();
    }

    /** Sorted by file, position, code; duplicates removed. */
    public List<Diagnostic> sorted() {
        return sort(items);
    }

    public static List<Diagnostic> sort(List<Diagnostic> ds) {
        List<Diagnostic> copy = new ArrayList<>(new java.util.LinkedHashSet<>(ds));
        Collections.sort(copy);
        return List.copyOf(copy);
    }
}
