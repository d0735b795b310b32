package dev.shardplan.ast;

import dev.shardplan.diag.Span;

import java.math.BigDecimal;
import java.util.List;

/** The AST of a plan file: immutable records; spans live in {@link Loc}s, outside equality. */
public final class Nodes {
    private Nodes() {}

    public record SourceFile(String path, List<Import> imports, List<Decl> decls, Loc loc) {
        public SourceFile { imports = List.copyOf(imports); decls = List.copyOf(decls); }
    }

    public record Import(String path, Loc loc) {
        public Span span() { return loc.span(); }
    }

    /** {@code kind name [from source "path"] { entries }}. */
    public record Decl(Ident kind, Ident name, From from, Body body, Loc loc) {
        public Span span() { return loc.span(); }
    }

    public record From(Ident source, Str path, Loc loc) {}

    public record Body(List<Entry> entries, Loc loc) {
        public Body { entries = List.copyOf(entries); }
        public Span span() { return loc.span(); }
    }

    /** {@code key values... [{ body }]}; values is a comma-separated list of sequences. */
    public record Entry(Ident key, List<Seq> values, Body body, Loc loc) {
        public Entry { values = List.copyOf(values); }
        public Span span() { return loc.span(); }
    }

    /** Values written next to each other, e.g. {@code 8 x H200_SXM} or {@code p99 < 5 s}. */
    public record Seq(List<Value> items, Loc loc) {
        public Seq { items = List.copyOf(items); }
        public Span span() { return loc.span(); }
    }

    public sealed interface Value permits Quantity, Str, Name, Call, ListV, Op, Times {
        Loc loc();
        default Span span() { return loc().span(); }
    }

    /**
     * A number with an optional unit. {@code value} is exact, with the k/M suffix applied;
     * {@code text} is the literal as written (for the formatter).
     */
    public record Quantity(BigDecimal value, String text, String unit, Loc loc) implements Value {}

    public record Str(String value, Loc loc) implements Value {}

    public record Name(String text, Loc loc) implements Value {}

    /** {@code name(args) [unit]}, e.g. {@code lognormal(median 100, p95 400) tokens}. */
    public record Call(Ident name, List<Arg> args, String unit, Loc loc) implements Value {
        public Call { args = List.copyOf(args); }
    }

    /** {@code [name] value} inside a call. */
    public record Arg(Ident name, Value value, Loc loc) {}

    public record ListV(List<Seq> items, Loc loc) implements Value {
        public ListV { items = List.copyOf(items); }
    }

    /** A comparison operator, as in {@code ttft p99 < 5 s}. */
    public record Op(String text, Loc loc) implements Value {}

    /** The {@code x} in {@code 8 x H200_SXM}. */
    public record Times(Loc loc) implements Value {}
}
