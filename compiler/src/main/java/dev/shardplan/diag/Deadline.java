package dev.shardplan.diag;

import java.time.Duration;
import java.util.function.Supplier;

/**
 * A time limit on the work of one call, checked cooperatively where work can grow with the input
 * (per file, per plan, every few thousand steps of a simulation or candidates of a search). A
 * thread cannot be stopped from outside without leaving state half-changed, so the work stops
 * itself: {@link #check} throws {@link Exceeded}, which the API turns into SP0904 on the input it
 * was working on. Without a limit (the default) {@link #check} costs one thread-local read.
 */
public final class Deadline {
    private Deadline() {}

    private static final ThreadLocal<long[]> LIMIT = new ThreadLocal<>();

    /** The time limit ran out; {@code seconds} is the limit. */
    public static final class Exceeded extends RuntimeException {
        private final long seconds;

        Exceeded(long seconds) {
            super("the time limit of " + seconds + " s ran out", null, false, false);
            this.seconds = seconds;
        }

        public long seconds() {
            return seconds;
        }
    }

    /** Runs {@code work} with a time limit (null or zero: none), restoring any outer limit afterwards. */
    public static <T> T within(Duration limit, Supplier<T> work) {
        long[] outer = LIMIT.get();
        if (limit != null && !limit.isZero() && !limit.isNegative()) {
            long end = System.nanoTime() + limit.toNanos();
            // an inner limit never extends an outer one
            if (outer == null || end - outer[0] < 0) LIMIT.set(new long[] {end, Math.max(1, limit.toSeconds())});
        }
        try {
            return work.get();
        } finally {
            if (outer == null) LIMIT.remove();
            else LIMIT.set(outer);
        }
    }

    /** The current thread's limit, to hand to worker threads with {@link #under} (null: none). */
    public static Object current() {
        return LIMIT.get();
    }

    /** Runs {@code work} under a limit taken from another thread with {@link #current}. */
    public static void under(Object limit, Runnable work) {
        long[] outer = LIMIT.get();
        if (limit != null) LIMIT.set((long[]) limit);
        try {
            work.run();
        } finally {
            if (outer == null) LIMIT.remove();
            else LIMIT.set(outer);
        }
    }

    /** Throws {@link Exceeded} when the current limit has passed. */
    public static void check() {
        long[] l = LIMIT.get();
        if (l != null && System.nanoTime() - l[0] > 0) throw new Exceeded(l[1]);
    }

    /**
     * The resource diagnostic for work on {@code what} (e.g. "plan `p`", "file `a.plan`") that
     * ran out of time or memory; {@code e} is an {@link Exceeded} or an {@link OutOfMemoryError}.
     */
    public static Diagnostic resource(Span at, String what, Throwable e) {
        if (e instanceof Exceeded x) {
            return Diagnostic.of(Codes.RESOURCE_LIMIT, at, what + " was not finished: the time limit of " + x.seconds() + " s ran out")
                    .note("the work grows with the input; nothing was written")
                    .help("raise the limit (--time-limit), or reduce what the input asks for (requests, search ranges, cluster size)").build();
        }
        long max = Runtime.getRuntime().maxMemory() >> 20;
        return Diagnostic.of(Codes.RESOURCE_LIMIT, at, what + " needs more memory than the " + max + " MiB the JVM may use")
                .note("the work grows with the input; nothing was written")
                .help("give the JVM more heap (SHARDPLAN_JAVA_OPTS=-Xmx8g ./shardplan ...; Maven: MAVEN_OPTS=-Xmx8g), or reduce what the input asks for").build();
    }
}
