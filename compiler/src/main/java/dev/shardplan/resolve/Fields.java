package dev.shardplan.resolve;

import dev.shardplan.units.Fmt;
import dev.shardplan.ast.Nodes.*;
import dev.shardplan.diag.Codes;
import dev.shardplan.diag.Diagnostic;
import dev.shardplan.diag.Fix;
import dev.shardplan.diag.Diagnostics;
import dev.shardplan.diag.Span;
import dev.shardplan.units.Dimension;
import dev.shardplan.units.Units;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Typed access to the entries of one body, against a fixed set of known keys. Reports unknown
 * keys (with a "did you mean"), duplicates, missing required fields, wrong types and units.
 * Every getter returns null (or the given default) after reporting, so resolution continues and
 * the user sees every independent mistake once.
 */
final class Fields {
    private final String what;
    private final Span owner;
    private final Diagnostics diags;
    private final Map<String, Entry> entries = new LinkedHashMap<>();
    private final Set<String> known;
    /** Known keys that a misspelt entry was reported as "did you mean"; not reported missing again. */
    private final Set<String> suggested = new java.util.HashSet<>();

    Fields(String what, Span owner, Body body, Set<String> known, Diagnostics diags) {
        this.what = what;
        this.owner = owner;
        this.diags = diags;
        this.known = known;
        if (body == null) return;
        for (Entry e : body.entries()) {
            String k = e.key().text();
            if (!known.contains(k)) {
                String near = Names.nearest(k, known);
                if (near != null) suggested.add(near);
                diags.add(Diagnostic.of(Codes.UNKNOWN_FIELD, e.key().span(), "unknown field `" + k + "` in " + what)
                        .help(near != null ? "did you mean `" + near + "`?" : "known fields: " + String.join(", ", new TreeSet<>(known)))
                        .fix(Fix.rename(e.key().span(), near)).build());
                continue;
            }
            Entry prev = entries.putIfAbsent(k, e);
            if (prev != null) {
                diags.add(Diagnostic.of(Codes.DUPLICATE_FIELD, e.key().span(), "field `" + k + "` is given twice in " + what)
                        .label(prev.key().span(), "first given here")
                        .help("remove one of them").build());
            }
        }
    }

    /** A body checked against a declaration kind's or block's table of fields. */
    Fields(String what, Span owner, Body body, FieldTable table, Diagnostics diags) {
        this(what, owner, body, table.names(), diags);
    }

    /** Was {@code key} offered as the "did you mean" of a misspelt entry? */
    boolean suggested(String key) {
        return suggested.contains(key);
    }

    boolean has(String key) {
        return entries.containsKey(key);
    }

    Entry entry(String key) {
        return entries.get(key);
    }

    Span span(String key) {
        Entry e = entries.get(key);
        return e == null ? owner : e.span();
    }

    /** The span of every known field the body gives, by key, in the body's order. */
    Map<String, Span> spans() {
        Map<String, Span> out = new LinkedHashMap<>();
        for (var e : entries.entrySet()) out.put(e.getKey(), e.getValue().span());
        return out;
    }

    Entry require(String key, String example) {
        Entry e = entries.get(key);
        if (e == null && !suggested.contains(key)) {
            diags.add(Diagnostic.of(Codes.MISSING_FIELD, owner, "missing field `" + key + "` in " + what)
                    .help("add `" + example + "`").build());
        }
        return e;
    }

    /** The single value of an entry; reports lists, sequences and nested bodies. */
    Value single(Entry e) {
        if (e.values().size() != 1 || e.values().get(0).items().size() != 1) {
            String got = e.values().isEmpty() ? "nothing" : "several values";
            diags.add(Diagnostic.of(Codes.TYPE_MISMATCH, e.span(), "`" + e.key().text() + "` takes one value, found " + got)
                    .help(e.values().isEmpty() ? "write `" + e.key().text() + " <value>`" : "write a single value").build());
            return null;
        }
        return e.values().get(0).items().get(0);
    }

    void noBody(Entry e) {
        if (e.body() != null) {
            diags.add(Diagnostic.of(Codes.TYPE_MISMATCH, e.body().span(), "`" + e.key().text() + "` does not take a block")
                    .help("remove the `{ ... }` block").build());
        }
    }

    // ---- getters by the field's declaration (its table row: type, range, required, example) ----

    boolean has(Field f) {
        return has(f.name());
    }

    Span span(Field f) {
        return span(f.name());
    }

    /** The entry of a field; a required one that is missing is reported. */
    Entry entry(Field f) {
        return f.required() ? require(f.name(), f.example()) : entries.get(f.name());
    }

    Long integer(Field f) {
        return integer(f.name(), (long) f.min(), (long) f.max(), f.required(), f.example());
    }

    Double number(Field f) {
        return number(f.name(), f.min(), f.max(), f.required(), f.example());
    }

    Double quantity(Field f) {
        return quantity(f.name(), f.dimension(), f.min(), f.max(), f.required(), f.example());
    }

    /** The field's value, or its table default when it is absent or wrong (reported). */
    long integerOr(Field f) {
        Long v = integer(f);
        return v == null ? (long) defaultOf(f) : v;
    }

    double numberOr(Field f) {
        Double v = number(f);
        return v == null ? defaultOf(f) : v;
    }

    double quantityOr(Field f) {
        Double v = quantity(f);
        return v == null ? defaultOf(f) : v;
    }

    private static double defaultOf(Field f) {
        if (Double.isNaN(f.value())) throw new IllegalStateException(f.context() + "." + f.name() + " has no default in its table");
        return f.value();
    }

    String word(Field f) {
        return word(f.name(), Set.copyOf(f.choices()), f.required(), f.example());
    }

    Boolean bool(Field f) {
        return bool(f.name(), f.required());
    }

    String string(Field f) {
        return string(f.name(), f.required(), f.example());
    }

    List<String> strings(Field f) {
        return strings(f.name());
    }

    Name name(Field f) {
        return name(f.name(), f.required(), f.example());
    }

    List<Name> names(Field f) {
        return names(f.name());
    }

    List<Integer> integers(Field f) {
        return integers(f.name(), (long) f.min(), (long) f.max());
    }

    // ---- typed getters ----

    Long integer(String key, Schema.Bound b, boolean required, String example) {
        return integer(key, b.minLong(), b.maxLong(), required, example);
    }

    Long integer(Value v, String key, Schema.Bound b) {
        return integer(v, key, b.minLong(), b.maxLong());
    }

    Double number(String key, Schema.Bound b, boolean required, String example) {
        return number(key, b.min(), b.max(), required, example);
    }

    Double quantity(String key, Dimension dim, Schema.Bound b, boolean required, String example) {
        return quantity(key, dim, b.min(), b.max(), required, example);
    }

    Double quantity(Quantity q, String unit, String key, Dimension dim, Schema.Bound b) {
        return quantity(q, unit, key, dim, b.min(), b.max());
    }

    Long integer(String key, long min, long max, boolean required, String example) {
        Entry e = required ? require(key, example) : entries.get(key);
        if (e == null) return null;
        noBody(e);
        Value v = single(e);
        return v == null ? null : integer(v, key, min, max);
    }

    Long integer(Value v, String key, long min, long max) {
        if (!(v instanceof Quantity q)) {
            typeError(v, key, "a whole number");
            return null;
        }
        if (q.unit() != null && !q.unit().equals("tokens") && !q.unit().equals("token")) {
            diags.add(Diagnostic.of(Codes.UNIT_MISMATCH, q.span(), "`" + key + "` is a plain count, not a quantity in " + q.unit())
                    .help("write `" + key + " " + q.text() + "`").build());
            return null;
        }
        BigDecimal b = q.value();
        if (b.stripTrailingZeros().scale() > 0) {
            diags.add(Diagnostic.of(Codes.TYPE_MISMATCH, q.span(), "`" + key + "` must be a whole number, found " + q.text())
                    .help("write a whole number").build());
            return null;
        }
        if (b.compareTo(BigDecimal.valueOf(min)) < 0 || b.compareTo(BigDecimal.valueOf(max)) > 0) {
            diags.add(Diagnostic.of(Codes.OUT_OF_RANGE, q.span(), "`" + key + "` is " + q.text() + ", outside " + min + ".." + max)
                    .help("use a value between " + min + " and " + max).build());
            return null;
        }
        return b.longValueExact();
    }

    Double number(String key, double min, double max, boolean required, String example) {
        Entry e = required ? require(key, example) : entries.get(key);
        if (e == null) return null;
        noBody(e);
        Value v = single(e);
        if (v == null) return null;
        if (!(v instanceof Quantity q)) {
            typeError(v, key, "a number");
            return null;
        }
        double d;
        if (q.unit() == null) d = q.value().doubleValue();
        else if (q.unit().equals("%")) d = q.value().doubleValue() / 100.0;
        else {
            diags.add(Diagnostic.of(Codes.UNIT_MISMATCH, q.span(), "`" + key + "` is a plain number, not a quantity in " + q.unit())
                    .help("remove the unit").build());
            return null;
        }
        return range(q, key, d, min, max, "");
    }

    /** A quantity of the given dimension, in base units (bytes, B/s, FLOP/s, s, tokens). */
    Double quantity(String key, Dimension dim, double min, double max, boolean required, String example) {
        Entry e = required ? require(key, example) : entries.get(key);
        if (e == null) return null;
        noBody(e);
        Value v = single(e);
        return v == null ? null : quantity(v, key, dim, min, max);
    }

    Double quantity(Value v, String key, Dimension dim, double min, double max) {
        if (!(v instanceof Quantity q)) {
            typeError(v, key, dim.describe() + " (" + dim.examples() + ")");
            return null;
        }
        return quantity(q, q.unit(), key, dim, min, max);
    }

    Double quantity(Quantity q, String unit, String key, Dimension dim, double min, double max) {
        if (unit == null) {
            diags.add(Diagnostic.of(Codes.MISSING_UNIT, q.span(), "`" + key + "` needs a unit: " + q.text() + " what?")
                    .help("write " + dim.describe() + " with a unit, e.g. `" + q.text() + " " + firstUnit(dim) + "` (units: " + dim.examples() + ")").build());
            return null;
        }
        Units.Unit u = Units.lookup(unit);
        if (u == null || u.dimension() != dim) {
            String got = u == null ? "an unknown unit `" + unit + "`" : u.dimension().describe() + " (`" + unit + "`)";
            diags.add(Diagnostic.of(Codes.UNIT_MISMATCH, q.span(), "`" + key + "` is " + dim.describe() + ", found " + got)
                    .help("use one of: " + dim.examples()).build());
            return null;
        }
        double d = q.value().multiply(u.factor()).doubleValue();
        return range(q, key, d, min, max, " " + dim.base());
    }

    private static String firstUnit(Dimension d) {
        String ex = d.examples();
        int sp = ex.indexOf(',');
        String f = sp < 0 ? ex : ex.substring(0, sp);
        return f.contains(" (") ? f.substring(0, f.indexOf(" (")) : f;
    }

    private Double range(Quantity q, String key, double d, double min, double max, String unit) {
        if (!(d >= min && d <= max) || Double.isNaN(d) || Double.isInfinite(d)) {
            diags.add(Diagnostic.of(Codes.OUT_OF_RANGE, q.span(), "`" + key + "` is " + q.text() + (q.unit() == null ? "" : " " + q.unit())
                            + ", outside the allowed range")
                    .note("allowed: " + Fmt.plain(min) + " to " + Fmt.plain(max) + unit)
                    .help("use a value in range").build());
            return null;
        }
        return d;
    }

    /** A bare word from a fixed set (e.g. `gqa`, `vllm`). */
    String word(String key, Set<String> options, boolean required, String example) {
        Entry e = required ? require(key, example) : entries.get(key);
        if (e == null) return null;
        if (e.values().isEmpty()) {
            diags.add(Diagnostic.of(Codes.TYPE_MISMATCH, e.span(), "`" + key + "` needs a value")
                    .help("one of: " + String.join(", ", new TreeSet<>(options))).build());
            return null;
        }
        Value v = e.values().get(0).items().get(0);
        return word(v, key, options);
    }

    String word(Value v, String key, Set<String> options) {
        if (!(v instanceof Name n)) {
            typeError(v, key, "one of " + String.join(", ", new TreeSet<>(options)));
            return null;
        }
        if (!options.contains(n.text())) {
            String near = Names.nearest(n.text(), options);
            diags.add(Diagnostic.of(Codes.BAD_ENUM, n.span(), "`" + n.text() + "` is not a valid `" + key + "`")
                    .help((near != null ? "did you mean `" + near + "`? " : "") + "allowed: " + String.join(", ", new TreeSet<>(options)))
                    .fix(Fix.rename(n.span(), near)).build());
            return null;
        }
        return n.text();
    }

    Boolean bool(String key, boolean required) {
        Entry e = required ? require(key, key + " true") : entries.get(key);
        if (e == null) return null;
        noBody(e);
        if (e.values().isEmpty()) return true; // a bare flag: `tied_embeddings`
        Value v = single(e);
        if (v == null) return null;
        String w = word(v, key, Set.of("true", "false"));
        return w == null ? null : w.equals("true");
    }

    String string(String key, boolean required, String example) {
        Entry e = required ? require(key, example) : entries.get(key);
        if (e == null) return null;
        noBody(e);
        Value v = single(e);
        if (v == null) return null;
        if (!(v instanceof Str s)) {
            typeError(v, key, "a string in double quotes");
            return null;
        }
        return s.value();
    }

    List<String> strings(String key) {
        Entry e = entries.get(key);
        List<String> out = new ArrayList<>();
        if (e == null) return out;
        noBody(e);
        for (Seq s : e.values()) {
            for (Value v : s.items()) {
                if (v instanceof Str str) out.add(str.value());
                else typeError(v, key, "strings in double quotes");
            }
        }
        return out;
    }

    /** A reference to another declaration: a bare name. */
    Name name(String key, boolean required, String example) {
        Entry e = required ? require(key, example) : entries.get(key);
        if (e == null) return null;
        noBody(e);
        Value v = single(e);
        if (v == null) return null;
        if (!(v instanceof Name n)) {
            typeError(v, key, "a name");
            return null;
        }
        return n;
    }

    /** Comma-separated whole numbers (or a [list]). */
    List<Integer> integers(String key, long min, long max) {
        Entry e = entries.get(key);
        List<Integer> out = new ArrayList<>();
        if (e == null) return out;
        noBody(e);
        List<Seq> seqs = e.values();
        if (seqs.size() == 1 && seqs.get(0).items().size() == 1 && seqs.get(0).items().get(0) instanceof ListV l) seqs = l.items();
        for (Seq s : seqs) {
            for (Value v : s.items()) {
                Long i = integer(v, key, min, max);
                if (i != null) out.add(i.intValue());
            }
        }
        return out;
    }

    /** Names listed with commas, e.g. `emit vllm, sglang`. */
    List<Name> names(String key) {
        Entry e = entries.get(key);
        List<Name> out = new ArrayList<>();
        if (e == null) return out;
        noBody(e);
        for (Seq s : e.values()) {
            for (Value v : s.items()) {
                if (v instanceof Name n) out.add(n);
                else typeError(v, key, "names separated by commas");
            }
        }
        return out;
    }

    void typeError(Value v, String key, String expected) {
        if (v == null) return;
        diags.add(Diagnostic.of(Codes.TYPE_MISMATCH, v.span(), "`" + key + "` expects " + expected + ", found " + describe(v))
                .help("write " + expected).build());
    }

    static String describe(Value v) {
        if (v instanceof Quantity q) return "the number " + q.text() + (q.unit() == null ? "" : " " + q.unit());
        if (v instanceof Str s) return "a string";
        if (v instanceof Name n) return "the name `" + n.text() + "`";
        if (v instanceof Call c) return "a call `" + c.name().text() + "(...)`";
        if (v instanceof ListV) return "a list";
        if (v instanceof Op o) return "`" + o.text() + "`";
        return "`x`";
    }
}
