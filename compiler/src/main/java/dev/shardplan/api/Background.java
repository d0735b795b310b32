package dev.shardplan.api;

import dev.shardplan.diag.Deadline;

import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.FutureTask;

/**
 * Work a check starts on worker threads and waits for in its own order: the analyses of its plans
 * and the simulations that weigh their fixes ({@link Advice}). The plans are independent, so a
 * plan's result does not depend on which thread computed it, or when; whoever waits for a task
 * that no worker has started runs it itself, so a check never waits on a busy pool. The workers
 * are one fewer than the processors (the checking thread is the other), at least one, daemons.
 */
final class Background {
    private Background() {}

    private static volatile ExecutorService workers;

    /** A task a worker may have started; {@link #join} runs it on the calling thread when none has. */
    static final class Task<T> extends FutureTask<T> {
        Task(Callable<T> work) {
            super(work);
        }

        /** The task's result, computed here if no worker has started it; its exception, rethrown. */
        T join() {
            run(); // does nothing when it ran, or runs on a worker
            try {
                return get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for a plan's analysis", e);
            } catch (ExecutionException e) {
                if (e.getCause() instanceof RuntimeException r) throw r;
                if (e.getCause() instanceof Error r) throw r;
                throw new IllegalStateException(e.getCause());
            }
        }
    }

    /** {@code work} as a task, handed to a worker when {@code parallel} (under the caller's time limit), else run by {@link Task#join}. */
    static <T> Task<T> start(boolean parallel, Callable<T> work) {
        Task<T> t = new Task<>(work);
        if (parallel) {
            Object limit = Deadline.current();
            workers().execute(() -> Deadline.under(limit, t));
        }
        return t;
    }

    private static ExecutorService workers() {
        ExecutorService w = workers;
        if (w == null) {
            synchronized (Background.class) {
                if (workers == null) {
                    int n = Math.max(1, Runtime.getRuntime().availableProcessors() - 1);
                    workers = Executors.newFixedThreadPool(n, r -> {
                        Thread t = new Thread(r, "shardplan-check");
                        t.setDaemon(true);
                        return t;
                    });
                }
                w = workers;
            }
        }
        return w;
    }
}
