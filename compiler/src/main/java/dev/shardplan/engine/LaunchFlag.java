package dev.shardplan.engine;

/**
 * A launcher flag that is not a plan setting (degrees, multi-node wiring, the API address), keyed
 * by a stable name, with the releases that accept it: from {@code since} (inclusive) to
 * {@code until} (exclusive; null: still accepted), and the parser it was read from.
 */
public record LaunchFlag(String key, String spelling, String since, String until, String source) {
    public boolean in(Release r) {
        return (since == null || r.atLeast(since)) && (until == null || r.before(until));
    }

    static LaunchFlag flag(String key, String spelling, String source) {
        return new LaunchFlag(key, spelling, null, null, source);
    }

    LaunchFlag since(String v) {
        return new LaunchFlag(key, spelling, v, until, source);
    }

    LaunchFlag until(String v) {
        return new LaunchFlag(key, spelling, since, v, source);
    }
}
