package dev.shardplan.model;

import java.util.Map;
import java.util.TreeMap;

/**
 * The plan's {@code engine} block exactly as written: which engine, the release it names (null:
 * the newest supported), and the settings it sets, by the engine's own names, with values typed
 * by the engine's table (Double, Long, Boolean or String). Defaults are not filled in here: the
 * engine package computes effective values from the release's own rules.
 */
public record EngineBlock(EngineKind kind, String version, Map<String, Object> settings) {
    public EngineBlock {
        settings = java.util.Collections.unmodifiableMap(new TreeMap<>(settings));
    }

    /** An engine block with nothing set: every value is the newest release's default. */
    public static EngineBlock defaults(EngineKind kind) {
        return new EngineBlock(kind, null, Map.of());
    }

    public boolean has(String setting) {
        return settings.containsKey(setting);
    }

    /** This block with {@code setting} set to {@code value} (a plan variant). */
    public EngineBlock with(String setting, Object value) {
        Map<String, Object> m = new TreeMap<>(settings);
        m.put(setting, value);
        return new EngineBlock(kind, version, m);
    }

    /** This block without {@code setting} (back to the release's default). */
    public EngineBlock without(String setting) {
        Map<String, Object> m = new TreeMap<>(settings);
        m.remove(setting);
        return new EngineBlock(kind, version, m);
    }

    public EngineBlock withVersion(String v) {
        return new EngineBlock(kind, v, settings);
    }
}
