package dev.shardplan.diag;

import java.util.Objects;

/**
 * A finding the user has reviewed and accepts: {@code allow SP0403 "reason"} in a plan or a
 * search, or an entry of a build's project-wide list (span {@link Span#NONE}). It covers the
 * diagnostics of its code that are not errors; an error is never suppressed, so an {@code allow}
 * of an error code is refused where it is written (SP0213).
 */
public record Suppression(Code code, String reason, Span span) {
    public Suppression {
        Objects.requireNonNull(code, "code");
        Objects.requireNonNull(reason, "reason");
        span = span == null ? Span.NONE : span;
    }

    /** Whether this suppression hides {@code d}: the same code, and not an error. */
    public boolean covers(Diagnostic d) {
        return d.code().id().equals(code.id()) && !d.isError();
    }

    /** A code by id ({@code SP0403}, any case) or by name ({@code capacity-trap}); null when none is registered. */
    public static Code codeOf(String text) {
        Code c = Codes.byId(text);
        if (c != null) return c;
        for (Code x : Codes.all()) if (x.name().equals(text.toLowerCase(java.util.Locale.ROOT))) return x;
        return null;
    }

    /**
     * A project-wide suppression (a build's configured list), checked like an {@code allow} in a
     * plan: the code must be registered and not an error, and the reason must say something.
     *
     * @throws IllegalArgumentException with the message to show, when it is not acceptable
     */
    public static Suppression project(String code, String reason) {
        Code c = code == null ? null : codeOf(code.strip());
        if (c == null) throw new IllegalArgumentException("unknown diagnostic code `" + code + "`; `shardplan explain --list` lists the codes");
        if (c.severity() == Severity.ERROR) {
            throw new IllegalArgumentException(c.id() + " (" + c.name() + ") is an error and cannot be suppressed; only warnings and notes can");
        }
        if (reason == null || reason.isBlank()) throw new IllegalArgumentException("the suppression of " + c.id() + " needs a reason");
        return new Suppression(c, reason.strip(), Span.NONE);
    }

    /** Where it was written: "input.plan:14:3", or "the project's suppressions" for a build-wide one. */
    public String where() {
        return span.isNone() ? "the project's suppressions" : span.toString();
    }
}
