package dev.shardplan.resolve;

import dev.shardplan.units.Dimension;
import dev.shardplan.units.Fmt;

import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * One field of the language, declared once in its declaration kind's {@link FieldTable}: what the
 * resolver reads ({@link Fields} takes its type, range, whether it is required and the example its
 * "missing field" help shows from here), what docs/language.md's reference tables and the
 * language server's hover and completion say about it, and where the formatter puts it.
 *
 * @param context   the declaration kind, or a block inside one: {@code plan}, {@code plan.parallel}
 * @param name      the key as the language spells it; {@code *} for a block of free keys (tuning)
 * @param type      how its value is written
 * @param dimension the physical dimension of a {@link Type#QUANTITY} (null otherwise)
 * @param unit      the unit docs and hover name (e.g. "GiB"); "" for none
 * @param min       the lowest value accepted (counts, numbers and quantities, in base units)
 * @param max       the highest value accepted
 * @param choices   the words accepted, for {@link Type#WORD}; the syntax, for {@link Type#OTHER}
 * @param required  whether a declaration must give it
 * @param fallback  what an absent field means, in words ("1", "engine default"); "" for required
 *                  fields and fields whose absence is simply "none"
 * @param value     the value an absent count, number or quantity has (base units); NaN for none
 * @param example   an entry that gives it, for help lines: {@code requests 2000}
 * @param doc       one line for docs and hover
 */
public record Field(String context, String name, Type type, Dimension dimension, String unit, double min, double max,
                    List<String> choices, boolean required, String fallback, double value, String example, String doc) {

    /** How a field's value is written. */
    public enum Type {
        /** A whole number, no unit: {@code tp 8}. */
        COUNT("count"),
        /** A plain number (or a percentage): {@code norm_eps 1e-5}. */
        NUMBER("number"),
        /** A number with a unit of its dimension: {@code memory 80 GiB}. */
        QUANTITY("quantity"),
        /** One word of a fixed set: {@code network infiniband}. */
        WORD("word"),
        /** {@code true}, {@code false}, or the bare key for true. */
        FLAG("true/false"),
        /** A string in double quotes. */
        STRING("string"),
        /** Strings separated by commas. */
        STRINGS("list of strings"),
        /** Whole numbers separated by commas. */
        COUNTS("list of counts"),
        /** The name of another declaration. */
        NAME("name"),
        /** Names separated by commas. */
        NAMES("list of names"),
        /** A block of fields of its own ({@code context.name}). */
        BLOCK("block"),
        /** A syntax of its own, read by its own code (e.g. {@code 8 x H100_SXM}, a length distribution). */
        OTHER("");

        private final String words;

        Type(String words) {
            this.words = words;
        }

        public String words() {
            return words;
        }
    }

    public Field {
        choices = List.copyOf(choices);
        if (example == null || example.isEmpty()) example = name;
    }

    // ---------------------------------------------------------------- factories

    public static Field count(String name, Schema.Bound b) {
        return count(name, b.minLong(), b.maxLong());
    }

    public static Field count(String name, long min, long max) {
        return new Field("", name, Type.COUNT, null, "", min, max, List.of(), false, "", Double.NaN, name + " " + min, "");
    }

    public static Field counts(String name, Schema.Bound b) {
        return new Field("", name, Type.COUNTS, null, "", b.minLong(), b.maxLong(), List.of(), false, "", Double.NaN, name + " " + b.minLong(), "");
    }

    public static Field number(String name, Schema.Bound b) {
        return number(name, b.min(), b.max());
    }

    public static Field number(String name, double min, double max) {
        return new Field("", name, Type.NUMBER, null, "", min, max, List.of(), false, "", Double.NaN, name + " " + Fmt.plain(min), "");
    }

    /** A quantity of {@code dim}, between {@code min} and {@code max} base units; {@code unit} is the one docs show. */
    public static Field quantity(String name, Dimension dim, String unit, double min, double max) {
        return new Field("", name, Type.QUANTITY, dim, unit, min, max, List.of(), false, "", Double.NaN, name + " 1 " + unit, "");
    }

    /** A length in tokens within {@code b}, written with its unit: {@code max_position 128k tokens}. */
    public static Field tokens(String name, Schema.Bound b) {
        return quantity(name, Dimension.TOKENS, "tokens", b.min(), b.max());
    }

    public static Field word(String name, String... choices) {
        return new Field("", name, Type.WORD, null, "", 0, 0, List.of(choices), false, "", Double.NaN, name + " " + choices[0], "");
    }

    public static Field word(String name, Set<String> choices) {
        return word(name, new TreeSet<>(choices).toArray(new String[0]));
    }

    public static Field flag(String name) {
        return new Field("", name, Type.FLAG, null, "", 0, 0, List.of("true", "false"), false, "false", Double.NaN, name + " true", "");
    }

    public static Field string(String name) {
        return new Field("", name, Type.STRING, null, "", 0, 0, List.of(), false, "", Double.NaN, name + " \"...\"", "");
    }

    public static Field strings(String name) {
        return new Field("", name, Type.STRINGS, null, "", 0, 0, List.of(), false, "", Double.NaN, name + " \"...\"", "");
    }

    /** A reference to a declaration of {@code kind}. */
    public static Field ref(String name, String kind) {
        return new Field("", name, Type.NAME, null, kind, 0, 0, List.of(), false, "", Double.NaN, name + " my_" + kind, "");
    }

    public static Field refs(String name, String kind) {
        return new Field("", name, Type.NAMES, null, kind, 0, 0, List.of(), false, "", Double.NaN, name + " my_" + kind, "");
    }

    public static Field block(String name) {
        return new Field("", name, Type.BLOCK, null, "", 0, 0, List.of(), false, "", Double.NaN, name + " { }", "");
    }

    /** A field with a syntax of its own, described in {@code syntax} (e.g. "count x gpu"). */
    public static Field other(String name, String syntax) {
        return new Field("", name, Type.OTHER, null, "", 0, 0, List.of(syntax), false, "", Double.NaN, name, "");
    }

    // ---------------------------------------------------------------- withers

    /** Required, with the entry its "missing field" help suggests. */
    public Field required(String example) {
        return new Field(context, name, type, dimension, unit, min, max, choices, true, "", Double.NaN, example, doc);
    }

    /** Optional; {@code fallback} says what its absence means ("1", "engine default"). */
    public Field fallback(String fallback) {
        return new Field(context, name, type, dimension, unit, min, max, choices, false, fallback, value, example, doc);
    }

    /** Optional, and {@code v} (base units) when absent: the one place the default is written. */
    public Field byDefault(double v) {
        return byDefault(v, "");
    }

    /** As {@link #byDefault(double)}, with what the default means ("1: Poisson arrivals"). */
    public Field byDefault(double v, String meaning) {
        String text = (type == Type.QUANTITY ? human(v, dimension) : Fmt.plain(v)) + (meaning.isEmpty() ? "" : ": " + meaning);
        return new Field(context, name, type, dimension, unit, min, max, choices, false, text, v, example, doc);
    }

    public Field example(String example) {
        return new Field(context, name, type, dimension, unit, min, max, choices, required, fallback, value, example, doc);
    }

    public Field unit(String unit) {
        return new Field(context, name, type, dimension, unit, min, max, choices, required, fallback, value, example, doc);
    }

    public Field doc(String doc) {
        return new Field(context, name, type, dimension, unit, min, max, choices, required, fallback, value, example, doc);
    }

    Field in(String context) {
        return new Field(context, name, type, dimension, unit, min, max, choices, required, fallback, value, example, doc);
    }

    // ---------------------------------------------------------------- for docs and tools

    /** The field's path in a resolved plan's spans: its context below the declaration kind, then its name ("parallel.tp"). */
    public String path() {
        int dot = context.indexOf('.');
        return dot < 0 ? name : context.substring(dot + 1) + "." + name;
    }

    /** "count", "quantity (GiB)", "name of a model", "word". */
    public String typeText() {
        return switch (type) {
            case QUANTITY -> dimension.describe().replaceFirst("^an? ", "") + (unit.isEmpty() ? "" : " (" + unit + ")");
            case NAME -> unit;
            case NAMES -> "list of " + unit + "s";
            case OTHER -> choices.get(0);
            default -> type.words() + (unit.isEmpty() ? "" : " (" + unit + ")");
        };
    }

    /** The accepted values: "1..4096", "1 GB to 10 TB", "nvidia, amd, intel"; "" where any value of the type goes. */
    public String rangeText() {
        return switch (type) {
            case COUNT, COUNTS -> (long) min + ".." + (long) max + (type == Type.COUNTS ? " each" : "");
            case NUMBER -> Fmt.plain(min) + " to " + Fmt.plain(max);
            case QUANTITY -> human(min, dimension) + " to " + human(max, dimension);
            case WORD -> String.join(", ", choices);
            default -> "";
        };
    }

    /** "required", or what its absence means. */
    public String presence() {
        if (required) return "required";
        return fallback.isEmpty() ? "optional" : "optional, default " + fallback;
    }

    private static final String[][] SCALES = {
            {"B", "1", "KB", "1e3", "MB", "1e6", "GB", "1e9", "TB", "1e12", "PB", "1e15"},
            {"B/s", "1", "MB/s", "1e6", "GB/s", "1e9", "TB/s", "1e12"},
            {"FLOPS", "1", "GFLOPS", "1e9", "TFLOPS", "1e12", "PFLOPS", "1e15"},
            {"s", "1", "ms", "1e-3", "us", "1e-6", "ns", "1e-9"},
    };

    /** A base-unit value in the largest unit of its dimension it is at least one of: 1e9 bytes is "1 GB". */
    static String human(double v, Dimension d) {
        String[] scale = switch (d) {
            case BYTES -> SCALES[0];
            case BANDWIDTH -> SCALES[1];
            case FLOPS -> SCALES[2];
            case TIME -> SCALES[3];
            default -> null;
        };
        if (scale == null || v == 0) return Fmt.plain(v) + (d == Dimension.TOKENS ? " tokens" : d == Dimension.RATE ? " req/s" : "");
        String best = null;
        double f = 0;
        for (int i = 0; i < scale.length; i += 2) {
            double k = Double.parseDouble(scale[i + 1]);
            if (k <= v && k > f) {
                best = scale[i];
                f = k;
            }
        }
        if (best == null) return Fmt.plain(v) + " " + scale[0];
        // in decimal: 5e-6 s is 5 us, not 5.000000000000001
        double scaled = java.math.BigDecimal.valueOf(v).divide(java.math.BigDecimal.valueOf(f), java.math.MathContext.DECIMAL64).doubleValue();
        return Fmt.plain(scaled) + " " + best;
    }
}
