package dev.shardplan.diag;

/** A diagnostic that a {@link Suppression} hides, kept so that outputs can say what was accepted and why. */
public record Suppressed(Diagnostic diagnostic, Suppression by) implements Comparable<Suppressed> {
    @Override
    public int compareTo(Suppressed o) {
        return diagnostic.compareTo(o.diagnostic);
    }
}
