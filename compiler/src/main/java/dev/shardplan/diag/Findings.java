package dev.shardplan.diag;

import java.util.ArrayList;
import java.util.List;

/**
 * Diagnostics split by suppressions: those still reported (errors always among them) and those
 * an {@code allow} hides. Both lists are sorted and free of repeats.
 */
public record Findings(List<Diagnostic> reported, List<Suppressed> suppressed) {
    public static final Findings NONE = new Findings(List.of(), List.of());

    public Findings {
        reported = Diagnostics.sort(reported);
        List<Suppressed> s = new ArrayList<>(new java.util.LinkedHashSet<>(suppressed));
        java.util.Collections.sort(s);
        suppressed = List.copyOf(s);
    }

    /** Splits {@code ds}: a diagnostic is suppressed by the first suppression that covers it. */
    public static Findings split(List<Diagnostic> ds, List<Suppression> allows) {
        if (allows.isEmpty()) return new Findings(ds, List.of());
        List<Diagnostic> kept = new ArrayList<>();
        List<Suppressed> hidden = new ArrayList<>();
        for (Diagnostic d : ds) {
            Suppression by = null;
            for (Suppression s : allows) {
                if (s.covers(d)) {
                    by = s;
                    break;
                }
            }
            if (by == null) kept.add(d);
            else hidden.add(new Suppressed(d, by));
        }
        return new Findings(kept, hidden);
    }

    /** Both parts of this and {@code o}. */
    public Findings plus(Findings o) {
        List<Diagnostic> r = new ArrayList<>(reported);
        r.addAll(o.reported);
        List<Suppressed> s = new ArrayList<>(suppressed);
        s.addAll(o.suppressed);
        return new Findings(r, s);
    }
}
