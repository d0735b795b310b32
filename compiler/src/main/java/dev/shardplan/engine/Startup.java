package dev.shardplan.engine;

/**
 * How long a server may take from the start of its container to serving, which a startup probe
 * must allow: reading the rank's weights from the model cache, then the engine's start-up work
 * (memory profiling, torch.compile, CUDA-graph capture). The figures are measured, from the
 * logged start-ups in src/test/resources/engine/startup-logs.json:
 *
 * <ul>
 *   <li>weights are read at 0.11 GiB/s per rank at the slowest (Llama-3.1-8B, 15.0 GiB in 132 s,
 *       vLLM 0.11.0 on an L4; most reads are much faster, e.g. 15.4 GiB in 15 s on H100 TP4);
 *       reads slower than {@link #DOWNLOAD_RATE} were downloads from the Hub (a 7-17 GiB shard
 *       in 168-1219 s), which the generated deployment does before the engine starts;</li>
 *   <li>CUDA-graph capture took up to 189 s (the same start-up); compilation and profiling add
 *       minutes of their own on large models.</li>
 * </ul>
 *
 * The budget doubles the slowest read (many pods read one shared cache at once) and allows ten
 * minutes for the rest. StartupBudgetTest holds it above every logged start-up.
 */
public final class Startup {
    private Startup() {}

    /** The slowest cached read measured, per rank (bytes per second). */
    public static final double LOAD_RATE = 0.11 * (1L << 30);
    /** Reads slower than this (bytes per second per rank) were downloads, not cache reads. */
    public static final double DOWNLOAD_RATE = 50e6;
    /** Engine start-up after the weights: profiling, compilation, CUDA-graph capture (seconds). */
    public static final long INIT_SECONDS = 600;

    /** Seconds the startup probe allows for a rank that loads {@code bytesPerRank} of weights. */
    public static long budgetSeconds(long bytesPerRank) {
        return (long) Math.ceil(2 * bytesPerRank / LOAD_RATE) + INIT_SECONDS;
    }

    /** The budget in words, for generated comments. */
    public static String explain(long bytesPerRank) {
        return String.format(java.util.Locale.ROOT, "2 x %.1f GiB per rank at %.2f GiB/s + %d s of engine start-up = %d s",
                bytesPerRank / (double) (1L << 30), LOAD_RATE / (1L << 30), INIT_SECONDS, budgetSeconds(bytesPerRank));
    }
}
