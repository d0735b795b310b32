package dev.shardplan.units;

/** The physical dimension of a quantity; values are held in the base unit named here. */
public enum Dimension {
    BYTES("bytes", "B, KB, MB, GB, TB, KiB, MiB, GiB, TiB"),
    BANDWIDTH("bytes per second", "GB/s, TB/s, GiB/s, Gb/s, Tb/s"),
    FLOPS("floating-point operations per second", "TFLOPS, PFLOPS"),
    TIME("seconds", "us, ms, s, min"),
    TOKENS("tokens", "tokens (with k or M suffixes, e.g. 32k tokens)"),
    RATE("requests per second", "req/s"),
    TOKEN_RATE("tokens per second", "tokens/s"),
    RATIO("a plain number", "no unit (or %)"),
    FREQUENCY("hertz", "GHz"),
    POWER("watts", "W");

    private final String base;
    private final String examples;

    Dimension(String base, String examples) {
        this.base = base;
        this.examples = examples;
    }

    public String base() { return base; }

    /** Units a user may write for this dimension, for help lines. */
    public String examples() { return examples; }

    public String describe() {
        return switch (this) {
            case BYTES -> "a size";
            case BANDWIDTH -> "a bandwidth";
            case FLOPS -> "a compute rate";
            case TIME -> "a duration";
            case TOKENS -> "a token count";
            case RATE -> "a request rate";
            case TOKEN_RATE -> "a token rate";
            case RATIO -> "a plain number";
            case FREQUENCY -> "a frequency";
            case POWER -> "a power";
        };
    }
}
