package dev.shardplan.diag;

/**
 * A region of a source file: 1-based line and column of its first and last character, plus
 * character offsets [start, end). Spans are deliberately excluded from AST equality.
 */
public record Span(String file, int line, int column, int endLine, int endColumn, int start, int end)
        implements Comparable<Span> {

    /** A span for things that have no source (built-in values, command-line input). */
    public static final Span NONE = new Span("<none>", 0, 0, 0, 0, 0, 0);

    public static Span of(String file, int line, int column, int endLine, int endColumn, int start, int end) {
        return new Span(file, line, column, endLine, endColumn, start, end);
    }

    public boolean isNone() {
        return line == 0;
    }

    /** The smallest span covering this one and {@code other} (same file assumed). */
    public Span to(Span other) {
        if (isNone()) return other;
        if (other.isNone()) return this;
        Span a = this.start <= other.start ? this : other;
        Span b = this.end >= other.end ? this : other;
        return new Span(file, a.line, a.column, b.endLine, b.endColumn, a.start, b.end);
    }

    @Override
    public int compareTo(Span o) {
        int c = file.compareTo(o.file);
        if (c != 0) return c;
        c = Integer.compare(start, o.start);
        if (c != 0) return c;
        return Integer.compare(end, o.end);
    }

    @Override
    public String toString() {
        return file + ":" + line + ":" + column;
    }
}
