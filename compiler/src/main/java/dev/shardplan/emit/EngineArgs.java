package dev.shardplan.emit;

import dev.shardplan.emit.Command.Arg;
import dev.shardplan.emit.Command.Val;
import dev.shardplan.engine.EngineConfig;
import dev.shardplan.engine.Effective;
import dev.shardplan.engine.Engines;
import dev.shardplan.engine.Kind;
import dev.shardplan.engine.Origin;
import dev.shardplan.engine.Setting;
import dev.shardplan.model.EngineBlock;
import dev.shardplan.model.EngineKind;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The engine configuration a launch target runs with, and its settings spelt as that engine's
 * launcher takes them. A target of the plan's own engine runs the plan's configuration: it writes
 * what the plan set and what the workload needs (the context length), and names in a comment the
 * release defaults the prediction relies on. A target of another engine ("emit sglang" from an
 * `engine vllm` plan) runs that engine's newest release with nothing of the plan's engine block:
 * no engine's value is ever translated into another's launcher.
 */
record EngineArgs(EngineConfig cfg, boolean foreign, EngineKind planEngine) {
    static EngineArgs of(EmitInput in, EngineKind target) {
        if (in.engine().kind() == target) return new EngineArgs(in.engine(), false, target);
        EngineConfig other = Engines.configure(in.plan().withEngine(EngineBlock.defaults(target)));
        return new EngineArgs(other, true, in.engine().kind());
    }

    /** The structural flag of {@code key} as this release spells it. */
    String flag(String key) {
        return cfg.spec().flag(cfg.release(), key);
    }

    boolean hasFlag(String key) {
        return cfg.spec().hasFlag(cfg.release(), key);
    }

    /** Launcher arguments of the settings the plan wrote or the workload implies, in table order (CLI flags only). */
    List<Arg> settings() {
        List<Arg> out = new ArrayList<>();
        for (Effective e : cfg.values()) {
            if (!written(e) || e.setting().flag() == null && e.setting().flagOff() == null) continue;
            Arg a = arg(e.setting(), e.value());
            if (a != null) out.add(a);
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
        return new Arg(s.flag(), Val.lit(value));
    }

    /** A value as the launcher reads it. */
    static String text(Object v) {
        return String.valueOf(v);
    }

    /**
     * Comment lines naming what the launch leaves to the release: for the plan's own engine, each
     * default the prediction assumes with its rule; for another engine, that the plan's settings
     * are not carried over.
     */
    List<String> comments() {
        List<String> out = new ArrayList<>();
        String rel = cfg.release().label();
        if (foreign) {
            out.add("The plan's engine is " + planEngine.id() + "; its engine settings and shardplan's memory and KV figures are for "
                    + planEngine.id() + " and are not carried over.");
            out.add("This starts " + rel + " (image " + cfg.release().image() + ") with its own defaults: it sizes its own KV pool.");
            return out;
        }
        List<String> defaults = new ArrayList<>();
        for (Effective e : cfg.values()) {
            if (written(e)) continue;
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
                : s.env() != null ? s.env() : s.name();
        if (s.env() != null && s.kind() == Kind.BOOL) return s.env() + "=" + (e.bool() ? "1" : "0");
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
