package dev.shardplan.robust;

import dev.shardplan.analysis.PlanAnalysis;
import dev.shardplan.api.CheckResult;
import dev.shardplan.api.Compiler;
import dev.shardplan.diag.Diagnostic;
import dev.shardplan.diag.HumanRenderer;
import dev.shardplan.diag.JsonRenderer;
import dev.shardplan.emit.Emit;
import dev.shardplan.emit.EmitInput;
import dev.shardplan.emit.OutputFile;
import dev.shardplan.model.Plan;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The invariants every fuzz case must keep, whatever the input: the whole front end and the
 * analyses finish within the hang limit, nothing throws, no diagnostic is an internal error
 * (SP0901), every diagnostic renders (human and JSON), and a plan that check passes renders
 * every target it emits without an error and with finite numbers only in plan.json (what check
 * passes, compile writes). The hang limit is {@code -Dshardplan.fuzz.hang=SECONDS} (default 30:
 * it detects hangs on a loaded CI machine; the documented long run uses 5).
 */
final class Fuzz {
    private Fuzz() {}

    static final Duration HANG = Duration.ofSeconds(Long.getLong("shardplan.fuzz.hang", 30));

    /**
     * A limit on the CPU time of one case ({@code -Dshardplan.fuzz.cpu=SECONDS}; 0: none). On a
     * machine shared with other work a case's wall time says more about the machine than about
     * the compiler, so the long run judges hangs by the case thread's CPU time, with a wall-clock
     * limit far above it only to stop a case that never ends.
     */
    static final long CPU_LIMIT_NANOS = Duration.ofSeconds(Long.getLong("shardplan.fuzz.cpu", 0)).toNanos();

    static final AtomicLong CASES = new AtomicLong(), CLEAN = new AtomicLong(), EMITTED = new AtomicLong(), MAX_NANOS = new AtomicLong(),
            MAX_CPU_NANOS = new AtomicLong();

    private static final java.lang.management.ThreadMXBean THREADS = java.lang.management.ManagementFactory.getThreadMXBean();

    /** A fresh project folder holding {@code files} (relative path → text). */
    static Path project(Map<String, String> files) {
        try {
            Path root = Files.createTempDirectory("shardplan-fuzz");
            for (var e : files.entrySet()) {
                Path p = root.resolve(e.getKey());
                Files.createDirectories(p.getParent());
                Files.writeString(p, e.getValue(), StandardCharsets.UTF_8);
            }
            return root;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static void delete(Path root) {
        try (Stream<Path> s = Files.walk(root)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Writes the files, checks {@code input} and asserts the invariants. */
    static CheckResult survives(Map<String, String> files, String input) {
        Path root = project(files);
        try {
            return survives(root, root.resolve(input));
        } finally {
            delete(root);
        }
    }

    static CheckResult survives(Path root, Path input) {
        long t0 = System.nanoTime();
        long[] cpu = new long[1];
        CheckResult r = assertTimeoutPreemptively(HANG, () -> {
            long c0 = javaThreadsCpu();
            CheckResult res = Compiler.check(root, List.of(input));
            invariants(res);
            cpu[0] = javaThreadsCpu() - c0;
            return res;
        }, () -> "a case ran past the hang limit of " + HANG.toSeconds() + " s: " + input);
        lastCpuNanos = cpu[0];
        long ns = System.nanoTime() - t0;
        MAX_NANOS.accumulateAndGet(ns, Math::max);
        MAX_CPU_NANOS.accumulateAndGet(cpu[0], Math::max);
        if (CPU_LIMIT_NANOS > 0 && cpu[0] > CPU_LIMIT_NANOS) {
            fail(String.format(java.util.Locale.ROOT, "a case ran past the hang limit of %d s of CPU (%.1f s): %s",
                    CPU_LIMIT_NANOS / 1_000_000_000L, cpu[0] / 1e9, input));
        }
        CASES.incrementAndGet();
        return r;
    }

    /** The CPU time of the last case that finished (for the long run, which knows its seed). */
    static volatile long lastCpuNanos;

    /**
     * The CPU time used so far by every live Java thread: a case's work includes what check hands
     * to its worker threads (api/Background), not only the case's own thread. The JIT and GC
     * threads are not Java threads, so they are not counted.
     */
    static long javaThreadsCpu() {
        long sum = 0;
        for (long id : THREADS.getAllThreadIds()) {
            long t = THREADS.getThreadCpuTime(id);
            if (t > 0) sum += t;
        }
        return sum;
    }

    static void invariants(CheckResult res) {
        for (Diagnostic d : res.diagnostics()) {
            assertFalse(d.code().id().equals("SP0901"), () -> "internal error: " + d);
            assertFalse(d.code().id().equals("SP0904"), () -> "resource limit hit: " + d);
        }
        new HumanRenderer(res.sources(), false).render(res.diagnostics());
        JsonRenderer.render(res.diagnostics());
        if (res.hasErrors()) return;
        CLEAN.incrementAndGet();
        List<EmitInput> ins = new ArrayList<>();
        for (Plan p : res.plans()) {
            PlanAnalysis a = res.analyses().get(p.name());
            if (a != null) ins.add(EmitInput.of(p, a));
        }
        if (ins.isEmpty()) return;
        Emit.Rendered r = Emit.standard().render(ins, Set.of());
        for (Diagnostic d : r.diagnostics()) {
            if (d.isError()) fail("check passed but compile would fail: " + d);
        }
        for (var e : r.plans().entrySet()) {
            for (OutputFile f : e.getValue()) {
                if (!f.path().equals("plan.json")) continue;
                assertTrue(!f.content().contains("Infinity") && !f.content().contains("NaN"),
                        () -> e.getKey() + "/plan.json holds a non-finite number");
            }
        }
        EMITTED.incrementAndGet();
    }

    static String stats() {
        return String.format(java.util.Locale.ROOT, "%d cases, %d clean, %d rendered, slowest %.2f s (wall), %.2f s (CPU)",
                CASES.get(), CLEAN.get(), EMITTED.get(), MAX_NANOS.get() / 1e9, MAX_CPU_NANOS.get() / 1e9);
    }
}
