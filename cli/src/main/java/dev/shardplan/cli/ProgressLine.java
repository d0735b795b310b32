package dev.shardplan.cli;

import java.io.PrintWriter;
import java.util.Locale;

/**
 * One status line on stderr that rewrites itself while long work runs (search, simulate of many
 * plans, compile), and is erased when the work ends. It shows only on a terminal: piped, redirected,
 * on a dumb terminal or with {@code --quiet}, nothing is written, so output stays what scripts read.
 * Redraws are throttled to {@link #INTERVAL_NANOS}; calls may come from any thread.
 */
final class ProgressLine implements AutoCloseable {
    static final long INTERVAL_NANOS = 100_000_000L;

    private final PrintWriter err;
    private final boolean on;
    private final int width;
    private final java.util.function.LongSupplier clock;
    private long last = Long.MIN_VALUE;
    private boolean drawn;

    ProgressLine(PrintWriter err, boolean on, int width, java.util.function.LongSupplier clock) {
        this.err = err;
        this.on = on;
        this.width = Math.max(20, width);
        this.clock = clock;
    }

    /** A line that shows when stderr is an interactive terminal and {@code quiet} is not set. */
    static ProgressLine of(PrintWriter err, boolean quiet) {
        return new ProgressLine(err, !quiet && interactive(), columns(), System::nanoTime);
    }

    static boolean interactive() {
        return System.console() != null && !"dumb".equals(System.getenv("TERM"));
    }

    private static int columns() {
        try {
            String c = System.getenv("COLUMNS");
            return c == null ? 80 : Integer.parseInt(c.trim());
        } catch (NumberFormatException e) {
            return 80;
        }
    }

    boolean enabled() {
        return on;
    }

    /** Shows {@code text}, unless the line was redrawn less than an interval ago. */
    synchronized void show(String text) {
        Activity.set(text);
        if (!on) return;
        long now = clock.getAsLong();
        if (drawn && now - last < INTERVAL_NANOS) return;
        last = now;
        draw(text);
    }

    /**
     * Redraws {@code text.get()} now and then every interval until closed, for work that reports
     * stages rather than counts (a stage of a compile can take many seconds: the line shows its
     * clock running).
     */
    void tick(java.util.function.Supplier<String> text) {
        if (!on || ticker != null) return;
        ticker = new Thread(() -> {
            try {
                while (!Thread.currentThread().isInterrupted()) {
                    draw(text.get());
                    Thread.sleep(INTERVAL_NANOS / 1_000_000);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "shardplan-progress");
        ticker.setDaemon(true);
        ticker.start();
    }

    private Thread ticker;

    private synchronized void draw(String text) {
        if (closed) return;
        String t = text.length() >= width ? text.substring(0, width - 2) + "…" : text;
        err.print("\r" + t + "\u001b[K");
        err.flush();
        drawn = true;
    }

    private boolean closed;

    /** Erases the line. */
    @Override
    public void close() {
        Thread t = ticker;
        if (t != null) {
            t.interrupt();
            try {
                t.join(1000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        synchronized (this) {
            closed = true;
            if (!drawn) return;
            err.print("\r\u001b[K");
            err.flush();
            drawn = false;
        }
    }

    /** "12 s", "3 min 20 s": a duration for an ETA. */
    static String duration(double seconds) {
        if (Double.isNaN(seconds) || Double.isInfinite(seconds)) return "?";
        long s = Math.round(seconds);
        if (s < 60) return s + " s";
        return String.format(Locale.ROOT, "%d min %02d s", s / 60, s % 60);
    }
}
