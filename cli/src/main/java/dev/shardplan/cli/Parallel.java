package dev.shardplan.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.function.IntConsumer;

/** Independent work over a list on a few threads, results in the list's order. */
final class Parallel {
    private Parallel() {}

    /** {@code f} of every item, on up to {@code jobs} threads; {@code done} hears the count as items finish. */
    static <T, R> List<R> map(List<T> items, int jobs, Function<T, R> f, IntConsumer done) {
        List<R> out = new ArrayList<>(items.size());
        for (int i = 0; i < items.size(); i++) out.add(null);
        AtomicInteger finished = new AtomicInteger();
        int threads = Math.max(1, Math.min(jobs, items.size()));
        if (threads == 1) {
            for (int i = 0; i < items.size(); i++) {
                out.set(i, f.apply(items.get(i)));
                done.accept(finished.incrementAndGet());
            }
            return out;
        }
        var pool = Executors.newFixedThreadPool(threads, r -> {
            Thread t = new Thread(r, "shardplan-worker");
            t.setDaemon(true);
            return t;
        });
        try {
            List<Future<R>> fs = new ArrayList<>();
            for (T t : items) {
                fs.add(pool.submit(() -> {
                    R r = f.apply(t);
                    done.accept(finished.incrementAndGet());
                    return r;
                }));
            }
            for (int i = 0; i < fs.size(); i++) out.set(i, fs.get(i).get());
            return out;
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException re) throw re;
            if (e.getCause() instanceof Error er) throw er;
            throw new IllegalStateException(e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        } finally {
            pool.shutdownNow();
        }
    }
}
