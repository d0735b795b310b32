package dev.shardplan.engine;

import dev.shardplan.units.Fmt;
import java.util.List;

/**
 * One setting of one engine release, declared once: its name in the plan (the engine's own name),
 * its type and accepted values, the role it plays for the analyses, how the launcher spells it,
 * how the release picks its default, a doc line, and the engine source it was read from.
 *
 * <p>Spelling: a number, count or choice is written {@code flag value}; a boolean writes
 * {@code flag} when true and {@code flagOff} when false (either may be null: nothing is written).
 * {@code configKey} is the key path in the engine's options file where it has one
 * (TensorRT-LLM's LLM-API YAML); vLLM's --config YAML keys are its flags without the dashes. A
 * boolean whose key names a nested config object ({@code configObject}) is written as that object
 * with its defaults ({@code {}}) when true and {@code null} when false. {@code env}: an
 * environment variable that carries the setting instead of a flag (a boolean as 1 or 0).
 *
 * <p>Recipes need three more spellings. A {@link Kind#SIZE} is held in bytes and written in
 * {@code unitBytes}-byte units ({@code wholeUnits}: rounded up to a whole number). {@code jsonFlag}:
 * the setting is one key ({@code jsonKey}) of a JSON object passed to that flag, together with the
 * other settings of the same flag and the fixed entries {@code jsonFixed} (vLLM's
 * --speculative-config, --eplb-config); in an options file, {@code jsonFixed} are the siblings
 * written beside the {@code configKey} (TensorRT-LLM's speculative_config.decoding_type). {@code with}: launcher words written beside the setting whenever
 * it is written (a backend switch that the size needs). {@code zeroOff}: a count or size of 0
 * means the feature is off and writes nothing.
 */
public record Setting(String name, Kind kind, Role role, double min, double max, boolean minExclusive,
                      List<String> choices, String flag, String flagOff, String configKey, boolean configObject,
                      String env, DefaultRule dflt, String doc, String source, double unitBytes, boolean wholeUnits,
                      String jsonFlag, String jsonKey, java.util.Map<String, Object> jsonFixed, List<String> with,
                      boolean zeroOff) {
    public Setting {
        choices = choices == null ? List.of() : List.copyOf(choices);
        jsonFixed = jsonFixed == null ? java.util.Map.of() : java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(jsonFixed));
        with = with == null ? List.of() : List.copyOf(with);
    }

    /** Whether {@code value} turns the feature off, so that the launcher is given nothing. */
    public boolean off(Object value) {
        return zeroOff && value instanceof Number n && n.doubleValue() == 0;
    }

    /** A size in the launcher's unit: whole units rounded up, else up to 3 decimals. */
    public Object inUnits(Object value) {
        double u = ((Number) value).doubleValue() / unitBytes;
        if (wholeUnits) return (long) Math.ceil(u - 1e-9);
        return Math.round(u * 1000) / 1000.0;
    }

    /** Starts a declaration; {@link Builder#build()} ends it. */
    public static Builder of(String name, Kind kind) {
        return new Builder(name, kind);
    }

    /** Whether {@code v} is in range ({@link Kind#NUMBER}, {@link Kind#COUNT}). */
    public boolean inRange(double v) {
        return (minExclusive ? v > min : v >= min) && v <= max;
    }

    /** "(0, 1]", "1 to 1000000": the accepted range as a user reads it. */
    public String rangeText() {
        if (kind == Kind.COUNT) return Fmt.plain(min) + " to " + Fmt.plain(max);
        if (kind == Kind.SIZE) return Fmt.plain(min / (1L << 30)) + " to " + Fmt.plain(max / (1L << 30)) + " GiB";
        return (minExclusive ? "(" : "[") + Fmt.plain(min) + ", " + Fmt.plain(max) + "]";
    }

    public static final class Builder {
        private final String name;
        private final Kind kind;
        private Role role;
        private double min = Double.NEGATIVE_INFINITY, max = Double.POSITIVE_INFINITY;
        private boolean minExclusive;
        private List<String> choices = List.of();
        private String flag, flagOff, configKey, doc = "", source = "";
        private boolean configObject;
        private String env;
        private DefaultRule dflt;
        private double unitBytes;
        private boolean wholeUnits, zeroOff;
        private String jsonFlag, jsonKey;
        private java.util.Map<String, Object> jsonFixed;
        private List<String> with;

        private Builder(String name, Kind kind) {
            this.name = name;
            this.kind = kind;
        }

        public Builder role(Role r) { this.role = r; return this; }

        public Builder range(double lo, double hi) { this.min = lo; this.max = hi; return this; }

        /** The lower bound is excluded: (lo, hi]. */
        public Builder above(double lo, double hi) { this.min = lo; this.max = hi; this.minExclusive = true; return this; }

        public Builder choices(List<String> c) { this.choices = c; return this; }

        public Builder flag(String f) { this.flag = f; return this; }

        /** A boolean's flags: {@code on} written for true, {@code off} for false (null: nothing). */
        public Builder switches(String on, String off) { this.flag = on; this.flagOff = off; return this; }

        public Builder configKey(String k) { this.configKey = k; return this; }

        /** A boolean written as a nested config object: {@code {}} (its defaults) when true, null when false. */
        public Builder configObject(String k) { this.configKey = k; this.configObject = true; return this; }

        /** The setting is carried by an environment variable (booleans as 1/0). */
        public Builder env(String var) { this.env = var; return this; }

        public Builder dflt(DefaultRule r) { this.dflt = r; return this; }

        public Builder doc(String d) { this.doc = d; return this; }

        /** A size written in units of {@code bytes} bytes (whole units when {@code whole}). */
        public Builder unit(double bytes, boolean whole) { this.unitBytes = bytes; this.wholeUnits = whole; return this; }

        /** The setting is key {@code key} of the JSON object passed to {@code flag}, beside {@code fixed}. */
        public Builder json(String flag, String key, java.util.Map<String, Object> fixed) {
            this.jsonFlag = flag; this.jsonKey = key; this.jsonFixed = fixed; return this;
        }

        /** Launcher words written beside the setting whenever it is written. */
        public Builder with(String... words) { this.with = List.of(words); return this; }

        /** 0 means off: nothing is written. */
        public Builder zeroOff() { this.zeroOff = true; return this; }

        public Builder source(String s) { this.source = s; return this; }

        public Setting build() {
            if (dflt == null) throw new IllegalStateException("setting " + name + " declares no default rule");
            if (kind == Kind.SIZE && unitBytes <= 0) throw new IllegalStateException("size setting " + name + " declares no unit");
            return new Setting(name, kind, role, min, max, minExclusive, choices, flag, flagOff, configKey, configObject, env, dflt, doc, source,
                    unitBytes, wholeUnits, jsonFlag, jsonKey, jsonFixed, with, zeroOff);
        }
    }
}
