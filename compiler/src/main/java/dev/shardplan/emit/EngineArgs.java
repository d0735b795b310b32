package dev.shardplan.emit;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.shardplan.emit.Command.Arg;
import dev.shardplan.emit.Command.Val;
import dev.shardplan.engine.EngineConfig;
import dev.shardplan.engine.Effective;
import dev.shardplan.engine.Kind;
import dev.shardplan.engine.Origin;
import dev.shardplan.engine.Setting;
import dev.shardplan.engine.Translation;
import dev.shardplan.model.EngineKind;
import dev.shardplan.model.Plan;

import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.WeakHashMap;

/**
 * The engine configuration a launch target runs with, and its settings spelt as that engine's
 * launcher takes them. A target of the plan's own engine runs the plan's configuration: it writes
 * what the plan set and what the workload needs (the context length), and names in a comment the
 * release defaults the prediction relies on. A target of another engine ("emit sglang" from an
 * `engine vllm` plan) runs that engine's newest release with the plan's settings carried by
 * meaning ({@link Translation}): limits converted to the target's counting, the memory fraction
 * to the one that leaves the same KV pool, and what has no meaning there named as not carried.
 */
record EngineArgs(EngineConfig cfg, boolean foreign, EngineKind planEngine, List<Translation.Note> carried,
                  List<Translation.Note> notCarried) {
    /** Carrying a configuration sizes KV pools; one plan is carried once per target engine. */
    private static final Map<Plan, Map<EngineKind, EngineArgs>> CARRIED = Collections.synchronizedMap(new WeakHashMap<>());

    static EngineArgs of(EmitInput in, EngineKind target) {
        if (in.engine().kind() == target) return new EngineArgs(in.engine(), false, target, List.of(), List.of());
        Map<EngineKind, EngineArgs> m = CARRIED.computeIfAbsent(in.plan(), p -> Collections.synchronizedMap(new EnumMap<>(EngineKind.class)));
        return m.computeIfAbsent(target, t -> {
            Translation.Carried c = Translation.carry(in.engine(), in.plan(), t);
            return new EngineArgs(c.config(), true, in.engine().kind(), c.carried(), c.notCarried());
        });
    }

    /** The structural flag of {@code key} as this release spells it. */
    String flag(String key) {
        return cfg.spec().flag(cfg.release(), key);
    }

    boolean hasFlag(String key) {
        return cfg.spec().hasFlag(cfg.release(), key);
    }

    /**
     * Launcher arguments of the settings the plan wrote or the workload implies, in table order
     * (CLI flags only): a size in the launcher's unit, the settings of one JSON flag gathered
     * into one object after the first of them, and the words a setting needs beside it.
     */
    List<Arg> settings() {
        List<Arg> out = new ArrayList<>();
        Map<String, ObjectNode> json = new LinkedHashMap<>();
        for (Effective e : cfg.values()) {
            Setting s = e.setting();
            if (!written(e) || s.off(e.value())) continue;
            if (s.jsonFlag() != null) {
                ObjectNode o = json.get(s.jsonFlag());
                if (o == null) {
                    o = JsonNodeFactory.instance.objectNode();
                    json.put(s.jsonFlag(), o);
                    out.add(new Arg(s.jsonFlag(), null));
                }
                for (var f : s.jsonFixed().entrySet()) o.putPOJO(f.getKey(), f.getValue());
                o.putPOJO(s.jsonKey(), e.value());
                continue;
            }
            if (s.flag() == null && s.flagOff() == null) continue;
            Arg a = arg(s, e.value());
            if (a != null) out.add(a);
            if (a != null) out.addAll(with(s));
        }
        // JSON flags take their object as one value, written where the flag first appeared.
        for (int i = 0; i < out.size(); i++) {
            Arg a = out.get(i);
            if (a.value() == null && json.containsKey(a.flag())) out.set(i, new Arg(a.flag(), Val.lit(jsonText(json.get(a.flag())))));
        }
        return out;
    }

    /** A JSON object as the engines' argument parsers read it: compact, keys in declaration order. */
    static String jsonText(ObjectNode o) {
        return o.toString();
    }

    /** The words a setting needs beside it, as arguments: "--flag value" pairs and switches. */
    static List<Arg> with(Setting s) {
        List<Arg> out = new ArrayList<>();
        List<String> w = s.with();
        for (int i = 0; i < w.size(); i++) {
            if (i + 1 < w.size() && !w.get(i + 1).startsWith("--")) {
                out.add(new Arg(w.get(i), Val.lit(w.get(i + 1))));
                i++;
            } else out.add(new Arg(w.get(i), null));
        }
        return out;
    }

    /** Environment variables of the settings the plan wrote that an engine reads from its environment. */
    List<String[]> env() {
        List<String[]> out = new ArrayList<>();
        for (Effective e : cfg.values()) {
            if (!written(e) || e.setting().env() == null) continue;
            Object v = e.value();
            out.add(new String[] {e.setting().env(), v instanceof Boolean b ? (b ? "1" : "0") : String.valueOf(v)});
        }
        return out;
    }

    /** Whether a setting is written to the launcher: set in the plan, or derived from the workload. */
    static boolean written(Effective e) {
        return e.origin() == Origin.PLAN || e.origin() == Origin.WORKLOAD;
    }

    /** One setting's CLI argument; null when the value writes nothing (a boolean left at its flagless side). */
    static Arg arg(Setting s, Object value) {
        if (s.kind() == Kind.BOOL) {
            String f = (Boolean) value ? s.flag() : s.flagOff();
            if (f == null) return null;
            int eq = f.indexOf('=');
            return eq < 0 ? new Arg(f, null) : new Arg(f.substring(0, eq), Val.lit(f.substring(eq + 1)));
        }
        if (s.flag() == null) return null;
        return new Arg(s.flag(), Val.lit(s.kind() == Kind.SIZE ? s.inUnits(value) : value));
    }

    /** A value as the launcher reads it. */
    static String text(Object v) {
        return String.valueOf(v);
    }

    /**
     * Comment lines naming what the launch leaves to the release: for the plan's own engine, each
     * default the prediction assumes with its rule; for another engine, how each of the plan's
     * settings was carried over and which were not.
     */
    List<String> comments() {
        List<String> out = new ArrayList<>();
        String rel = cfg.release().label();
        if (foreign) {
            out.add("The plan's engine is " + planEngine.id() + "; shardplan's memory and KV figures are for " + planEngine.id() + ".");
            out.add("This starts " + rel + " (image " + cfg.release().image() + ") with the plan's settings carried by meaning:");
            if (carried.isEmpty()) out.add("  (the plan sets nothing " + cfg.spec().title() + " has a counterpart for)");
            for (Translation.Note n : carried) out.add("  " + n.setting() + " " + text(n.value()) + ": " + n.how());
            for (Translation.Note n : notCarried) out.add("  not carried: " + n.setting() + " " + text(n.value()) + " (" + n.how() + ")");
            return out;
        }
        List<String> defaults = new ArrayList<>();
        for (Effective e : cfg.values()) {
            Setting s = e.setting();
            // Recipes left off and engine-only knobs with no bearing on the figures are not worth a line.
            if (written(e) || s.role() != null && s.role().recipe() || s.role() == null && s.env() == null) continue;
            defaults.add(spelling(e) + " (" + e.why() + ")");
        }
        if (!defaults.isEmpty()) {
            out.add("Left to " + rel + "'s defaults, which the prediction assumes (the image pins the release):");
            for (String d : defaults) out.add("  " + d);
        }
        return out;
    }

    /** "--max-num-seqs 1024", "no --enforce-eager": how a setting's effective value reads on the launcher. */
    static String spelling(Effective e) {
        Setting s = e.setting();
        String name = s.flag() != null ? s.flag() : s.flagOff() != null ? s.flagOff() : s.configKey() != null ? s.configKey()
                : s.env() != null ? s.env() : s.jsonFlag() != null ? s.jsonFlag() + " " + s.jsonKey() : s.name();
        if (s.env() != null && s.kind() == Kind.BOOL) return s.env() + "=" + (e.bool() ? "1" : "0");
        if (s.env() != null) return s.env() + "=" + e.value();
        if (e.origin() == Origin.STARTUP) return name + " (decided at start-up)";
        if (s.kind() == Kind.BOOL) {
            boolean v = e.bool();
            String f = v ? s.flag() : s.flagOff();
            if (f != null) return f;
            String other = v ? s.flagOff() : s.flag();
            if (other != null) return "no " + other;
            return s.name() + " " + v;
        }
        return name + " " + text(e.value()).toLowerCase(Locale.ROOT);
    }
}
