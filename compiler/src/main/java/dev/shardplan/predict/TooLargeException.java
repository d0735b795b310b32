package dev.shardplan.predict;

import dev.shardplan.diag.Diagnostic;

/** Work that would not fit in this JVM's heap, refused before it starts; {@link #diagnostic()} says why (SP0904). */
public final class TooLargeException extends RuntimeException {
    private final transient Diagnostic diagnostic;

    public TooLargeException(Diagnostic d) {
        super(d.message());
        this.diagnostic = d;
    }

    public Diagnostic diagnostic() {
        return diagnostic;
    }
}
