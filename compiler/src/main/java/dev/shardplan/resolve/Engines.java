package dev.shardplan.resolve;

import dev.shardplan.ast.Nodes.*;
import dev.shardplan.diag.Codes;
import dev.shardplan.diag.Diagnostic;
import dev.shardplan.diag.Fix;
import dev.shardplan.diag.Diagnostics;
import dev.shardplan.diag.Span;
import dev.shardplan.engine.EngineSpec;
import dev.shardplan.engine.Kind;
import dev.shardplan.engine.Release;
import dev.shardplan.engine.Role;
import dev.shardplan.engine.Setting;
import dev.shardplan.model.EngineBlock;
import dev.shardplan.model.EngineKind;
import dev.shardplan.units.Dimension;

import java.math.BigDecimal;
import java.util.*;

/**
 * The `engine` block. Each engine is configured with its own vocabulary (vLLM's
 * gpu_memory_utilization, SGLang's mem_fraction_static, TensorRT-LLM's free_gpu_memory_fraction),
 * checked against the table of the release the block names (or the newest supported one). The
 * block is kept exactly as written: defaults are the engine package's business, not the resolver's.
 */
final class Engines {
    private Engines() {}

    private static final String VERSION = "version";

    static Set<String> kinds() {
        Set<String> out = new TreeSet<>();
        for (EngineKind k : EngineKind.values()) out.add(k.id());
        return out;
    }

    /** The engine whose newest release has a setting of this name, for "this is SGLang's name" hints. */
    private static EngineSpec owner(String key, EngineKind except) {
        for (EngineSpec s : dev.shardplan.engine.Engines.all()) {
            if (s.kind() == except) continue;
            for (Release r : s.releases()) if (s.setting(r, key).isPresent()) return s;
        }
        return null;
    }

    static EngineBlock engine(Fields f, Map<String, Span> spans, Diagnostics diags, boolean required) {
        Entry e = required ? f.require("engine", "engine vllm { gpu_memory_utilization 0.9 }") : f.entry("engine");
        if (e == null) return required ? null : EngineBlock.defaults(EngineKind.VLLM);
        if (e.values().isEmpty()) {
            diags.add(Diagnostic.of(Codes.MISSING_FIELD, e.span(), "`engine` needs the engine's name")
                    .help("write `engine vllm { ... }` (or sglang, trtllm)").build());
            return null;
        }
        String w = f.word(e.values().get(0).items().get(0), "engine", kinds());
        if (w == null) return null;
        EngineKind kind = EngineKind.valueOf(w.toUpperCase(Locale.ROOT));
        EngineSpec spec = dev.shardplan.engine.Engines.spec(kind);
        spans.put("engine", e.span());
        Body body = e.body();
        List<Entry> entries = body == null ? List.of() : body.entries();

        // The release first: it decides which settings and values the rest of the block may use.
        Release release = spec.newest();
        String version = null;
        boolean ok = true;
        for (Entry be : entries) {
            if (!be.key().text().equals(VERSION)) continue;
            spans.put("engine.version", be.span());
            Value v = be.values().size() == 1 && be.values().get(0).items().size() == 1 ? be.values().get(0).items().get(0) : null;
            if (!(v instanceof Str s)) {
                diags.add(Diagnostic.of(Codes.TYPE_MISMATCH, be.span(), "`version` takes the release number as a string")
                        .help("write `version \"" + spec.newest().version() + "\"`").build());
                ok = false;
                continue;
            }
            Optional<Release> r = spec.release(s.value());
            if (r.isEmpty()) {
                diags.add(Diagnostic.of(Codes.UNSUPPORTED_RELEASE, v.span(), spec.title() + " release `" + s.value() + "` is not supported")
                        .note("supported " + spec.title() + " releases: " + releaseList(spec) + " (each with its settings, defaults, flags and memory accounting)")
                        .help(nearestHelp(spec, s.value())).build());
                ok = false;
                continue;
            }
            release = r.get();
            version = s.value().strip().replaceFirst("^v", "");
        }

        Map<String, Object> values = new TreeMap<>();
        Set<String> seen = new HashSet<>();
        for (Entry be : entries) {
            String k = be.key().text();
            if (k.equals(VERSION)) {
                if (!seen.add(k)) duplicate(be, diags);
                continue;
            }
            Optional<Setting> s = spec.setting(release, k);
            if (s.isEmpty()) {
                unknown(be, spec, release, diags);
                ok = false;
                continue;
            }
            if (!seen.add(k)) {
                duplicate(be, diags);
                ok = false;
                continue;
            }
            spans.put("engine." + k, be.span());
            Object v = value(be, s.get(), release, diags);
            if (v == null) ok = false;
            else values.put(k, v);
        }
        if (body == null && !e.values().isEmpty() && e.values().size() > 1) {
            diags.add(Diagnostic.of(Codes.TYPE_MISMATCH, e.span(), "`engine` takes the engine's name and a block")
                    .help("write `engine " + kind.id() + " { ... }`").build());
            ok = false;
        }
        return ok ? new EngineBlock(kind, version, values) : null;
    }

    private static void duplicate(Entry be, Diagnostics diags) {
        diags.add(Diagnostic.of(Codes.DUPLICATE_FIELD, be.key().span(), "field `" + be.key().text() + "` is given twice in the engine block")
                .help("remove one of them").build());
    }

    private static String releaseList(EngineSpec spec) {
        List<String> out = new ArrayList<>();
        for (Release r : spec.releases()) out.add(r.version().toString());
        return String.join(", ", out);
    }

    private static String nearestHelp(EngineSpec spec, String asked) {
        dev.shardplan.engine.Version v = dev.shardplan.engine.Version.parse(asked);
        Release pick = spec.newest();
        if (v != null) {
            for (Release r : spec.releases()) if (r.version().compareTo(v) <= 0) pick = r;
            if (spec.releases().get(0).version().compareTo(v) > 0) pick = spec.releases().get(0);
        }
        return "use `version \"" + pick.version() + "\"`" + (pick == spec.newest() ? "" : " (the nearest supported release)")
                + ", or leave `version` out for the newest, " + spec.newest().version();
    }

    private static void unknown(Entry be, EngineSpec spec, Release release, Diagnostics diags) {
        String k = be.key().text();
        Optional<String> in = spec.releasesWith(k);
        if (in.isPresent()) {
            diags.add(Diagnostic.of(Codes.NOT_IN_RELEASE, be.key().span(), spec.title() + " " + release.version() + " has no setting `" + k + "`")
                    .note("`" + k + "` exists in " + spec.title() + " " + in.get())
                    .help("name one of those releases with `version`, or remove the setting").build());
            return;
        }
        EngineSpec o = owner(k, spec.kind());
        if (o != null) {
            diags.add(Diagnostic.of(Codes.UNKNOWN_FIELD, be.key().span(), "`" + k + "` is a " + o.kind().id() + " setting, not a " + spec.kind().id() + " one")
                    .help(translate(k, o, spec, release)).build());
            return;
        }
        Set<String> known = new TreeSet<>();
        for (Setting s : spec.settings(release)) known.add(s.name());
        known.add(VERSION);
        String near = Names.nearest(k, known);
        diags.add(Diagnostic.of(Codes.UNKNOWN_FIELD, be.key().span(), "unknown field `" + k + "` in engine " + spec.kind().id())
                .help(near != null ? "did you mean `" + near + "`?" : "known fields: " + String.join(", ", known))
                .fix(Fix.rename(be.key().span(), near)).build());
    }

    /** The other engine's name for the same role, with what differs in meaning. */
    private static String translate(String k, EngineSpec from, EngineSpec to, Release release) {
        Role role = null;
        for (Release r : from.releases()) {
            Optional<Setting> s = from.setting(r, k);
            if (s.isPresent()) role = s.get().role();
        }
        if (role == null) return "remove it; " + to.kind().id() + " has no such setting";
        Optional<Setting> t = to.setting(release, role);
        if (t.isEmpty()) return "remove it; " + to.kind().id() + " has no such setting";
        String meaning = role == Role.MEMORY_FRACTION ? " (" + t.get().doc() + ")" : "";
        return "for " + to.kind().id() + " write `" + t.get().name() + "`" + meaning;
    }

    /** The entry's value checked against the setting's type, range and the release's accepted values. */
    private static Object value(Entry be, Setting s, Release release, Diagnostics diags) {
        String k = s.name();
        if (be.body() != null) {
            diags.add(Diagnostic.of(Codes.TYPE_MISMATCH, be.body().span(), "`" + k + "` does not take a block").help("remove the `{ ... }` block").build());
            return null;
        }
        if (s.kind() == Kind.BOOL && be.values().isEmpty()) return Boolean.TRUE;
        if (be.values().size() != 1 || be.values().get(0).items().size() != 1) {
            diags.add(Diagnostic.of(Codes.TYPE_MISMATCH, be.span(), "`" + k + "` takes one value")
                    .help("write `" + k + " " + example(s) + "`").build());
            return null;
        }
        Value v = be.values().get(0).items().get(0);
        switch (s.kind()) {
            case BOOL -> {
                if (v instanceof Name n && (n.text().equals("true") || n.text().equals("false"))) return n.text().equals("true");
                return mismatch(v, s, "true or false", diags);
            }
            case CHOICE -> {
                if (!(v instanceof Name n)) return mismatch(v, s, "one of " + String.join(", ", s.choices()), diags);
                if (!s.choices().contains(n.text())) {
                    String near = Names.nearest(n.text(), new TreeSet<>(s.choices()));
                    diags.add(Diagnostic.of(Codes.NOT_IN_RELEASE, n.span(), "`" + n.text() + "` is not a `" + k + "` of " + release.label())
                            .note(release.label() + " accepts " + String.join(", ", s.choices()) + " (" + s.source() + ")")
                            .help((near != null ? "did you mean `" + near + "`? " : "") + "use one of the accepted values")
                            .fix(Fix.rename(n.span(), near)).build());
                    return null;
                }
                return n.text();
            }
            case NUMBER -> {
                if (v instanceof Quantity q && q.unit() != null && !q.unit().equals("%")) {
                    diags.add(Diagnostic.of(Codes.UNIT_MISMATCH, q.span(), "`" + s.name() + "` is a plain number, not a quantity in " + q.unit())
                            .note("the engine reads `" + s.name() + "` as a bare number; " + s.source())
                            .help("remove the unit, e.g. `" + s.name() + " " + example(s) + "`").build());
                    return null;
                }
                if (!(v instanceof Quantity q)) return mismatch(v, s, "a number", diags);
                double d = q.value().doubleValue() / (q.unit() == null ? 1 : 100.0);
                if (!s.inRange(d)) return range(q, s, release, diags);
                return d;
            }
            case SIZE -> {
                if (!(v instanceof Quantity q) || q.unit() == null) return mismatch(v, s, "an amount of memory (GiB, GB, TiB)", diags);
                dev.shardplan.units.Units.Unit u = dev.shardplan.units.Units.lookup(q.unit());
                if (u == null || u.dimension() != Dimension.BYTES) return mismatch(v, s, "an amount of memory (GiB, GB, TiB)", diags);
                double d = q.value().multiply(u.factor()).doubleValue();
                if (!s.inRange(d)) return range(q, s, release, diags);
                return (long) d;
            }
            case COUNT -> {
                if (!(v instanceof Quantity q)) return mismatch(v, s, "a whole number", diags);
                BigDecimal b = q.value();
                if (q.unit() != null) {
                    dev.shardplan.units.Units.Unit u = dev.shardplan.units.Units.lookup(q.unit());
                    if (u == null || u.dimension() != Dimension.TOKENS) return mismatch(v, s, "a whole number (or tokens)", diags);
                    b = b.multiply(u.factor());
                }
                if (b.stripTrailingZeros().scale() > 0) return mismatch(v, s, "a whole number", diags);
                double d = b.doubleValue();
                if (!s.inRange(d)) return range(q, s, release, diags);
                long n = b.longValue();
                if (!s.choices().isEmpty() && !s.choices().contains(String.valueOf(n))) {
                    diags.add(Diagnostic.of(Codes.NOT_IN_RELEASE, q.span(), "`" + k + "` " + n + " is not accepted by " + release.label())
                            .note(release.label() + " accepts " + String.join(", ", s.choices()) + " (" + s.source() + ")")
                            .help("use one of the accepted values").build());
                    return null;
                }
                return n;
            }
        }
        return null;
    }

    private static Object mismatch(Value v, Setting s, String expected, Diagnostics diags) {
        diags.add(Diagnostic.of(Codes.TYPE_MISMATCH, v.span(), "`" + s.name() + "` expects " + expected + ", found " + Fields.describe(v))
                .help("write `" + s.name() + " " + example(s) + "`").build());
        return null;
    }

    private static Object range(Quantity q, Setting s, Release release, Diagnostics diags) {
        diags.add(Diagnostic.of(Codes.OUT_OF_RANGE, q.span(), "`" + s.name() + "` is " + q.text() + (q.unit() == null ? "" : " " + q.unit())
                        + ", outside what " + release.label() + " accepts")
                .note("allowed: " + s.rangeText() + " (" + s.source() + ")")
                .help("use a value in range").build());
        return null;
    }

    private static String example(Setting s) {
        return switch (s.kind()) {
            case BOOL -> "true";
            case CHOICE -> s.choices().isEmpty() ? "auto" : s.choices().get(0);
            case NUMBER -> "0.9";
            case COUNT -> s.choices().isEmpty() ? "256" : s.choices().get(Math.min(2, s.choices().size() - 1));
            case SIZE -> "64 GiB";
        };
    }


    /** One field per tuning key, with the key's bound (Schema.TUNING; the same rule as an efficiency profile's). */
    static Field[] tuningKeys(String doc) {
        return Schema.TUNING.values().stream()
                .map(b -> Field.number(b.field(), b).example(b.field() + " " + dev.shardplan.units.Fmt.plain(b.max())).doc(doc))
                .sorted(java.util.Comparator.comparing(Field::name)).toArray(Field[]::new);
    }

    static final FieldTable TUNING = FieldTable.of("plan.tuning",
            tuningKeys("Overrides one constant of the step-time or memory model (docs/predictions.md)."));

    /** Per-plan overrides of the prediction and memory constants: `tuning { hbm_efficiency 0.8 }`. */
    static Map<String, Double> tuning(Fields f, Diagnostics diags) {
        Entry e = f.entry("tuning");
        Map<String, Double> out = new TreeMap<>();
        if (e == null) return out;
        if (e.body() == null) {
            diags.add(Diagnostic.of(Codes.TYPE_MISMATCH, e.span(), "`tuning` takes a block").help("write `tuning { hbm_efficiency 0.8 }`").build());
            return out;
        }
        // The bounds are those every later stage enforces (Efficiency, the memory model): a value
        // check accepts is one simulate and compile accept too.
        Fields tf = new Fields("tuning", e.span(), e.body(), TUNING, diags);
        for (Field k : GpuResolver.sorted(TUNING)) {
            Double v = tf.number(k);
            if (v != null) out.put(k.name(), v);
        }
        return out;
    }
}
