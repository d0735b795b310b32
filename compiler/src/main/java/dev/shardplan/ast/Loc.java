package dev.shardplan.ast;

import dev.shardplan.diag.Span;

/**
 * Where a node came from. Every Loc equals every other, so that AST records compare by
 * structure only and tests can build expected trees without positions.
 */
public record Loc(Span span) {
    public static final Loc NONE = new Loc(Span.NONE);

    @Override
    public boolean equals(Object o) {
        return o instanceof Loc;
    }

    @Override
    public int hashCode() {
        return 0;
    }

    @Override
    public String toString() {
        return span.toString();
    }
}
