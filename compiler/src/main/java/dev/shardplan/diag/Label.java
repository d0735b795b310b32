package dev.shardplan.diag;

/** A secondary span with a short message, e.g. "block opened here". */
public record Label(Span span, String message) {}
