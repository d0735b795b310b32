package dev.shardplan.ast;

/** A name as written. */
public record Ident(String text, Loc loc) {
    public dev.shardplan.diag.Span span() { return loc.span(); }
}
