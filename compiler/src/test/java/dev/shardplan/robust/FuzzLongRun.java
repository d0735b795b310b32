package dev.shardplan.robust;

import java.util.SplittableRandom;

/**
 * The long run of the fuzzing suite, outside the test runner so that it can be split over
 * processes: {@code java -Dshardplan.fuzz.cpu=5 -Dshardplan.fuzz.hang=120 -cp ... dev.shardplan.robust.FuzzLongRun CASES SEED}
 * runs CASES cases of FuzzTest's three properties in turn (generated projects, mutated real
 * plans, mutated Hugging Face configs) from SEED, and prints a progress line every 5,000 cases
 * and a summary: cases, crashes (any exception or failed invariant), hangs (past the CPU limit, or the wall-clock one)
 * and internal errors, each failure with the seed that reproduces it. docs/robustness.md records
 * a run. Exit status 0 when nothing failed.
 */
public final class FuzzLongRun {
    private FuzzLongRun() {}

    public static void main(String[] args) {
        long cases = Long.parseLong(args[0]);
        long seed = Long.parseLong(args[1]);
        SplittableRandom seeds = new SplittableRandom(seed);
        FuzzTest t = new FuzzTest();
        long failures = 0, hangs = 0, internal = 0;
        long slowestCpu = -1, slowestSeed = 0;
        int slowestKind = 0;
        long start = System.nanoTime();
        for (long i = 0; i < cases; i++) {
            long s = seeds.nextLong();
            int kind = (int) (i % 3);
            try {
                switch (kind) {
                    case 0 -> t.generatedProjectsKeepTheInvariants(s);
                    case 1 -> t.mutatedRealPlansKeepTheInvariants((int) Math.floorMod(s, (long) FuzzTest.CORPUS.size()), s);
                    default -> {
                        var names = new java.util.ArrayList<>(FuzzTest.HF.keySet());
                        t.mutatedHuggingFaceConfigsKeepTheInvariants(names.get((int) Math.floorMod(s, (long) names.size())), s);
                    }
                }
                if (Fuzz.lastCpuNanos > slowestCpu) {
                    slowestCpu = Fuzz.lastCpuNanos;
                    slowestSeed = s;
                    slowestKind = kind;
                }
            } catch (Throwable e) {
                failures++;
                String msg = String.valueOf(e.getMessage());
                if (msg.contains("hang limit")) hangs++;
                if (msg.contains("internal error")) internal++;
                System.out.println("FAIL kind=" + kind + " seed=" + s + ": " + e);
            }
            if ((i + 1) % 5_000 == 0) {
                System.out.printf(java.util.Locale.ROOT, "progress %d cases in %.0f s: %s (kind=%d seed=%d); %d failures%n", i + 1,
                        (System.nanoTime() - start) / 1e9, Fuzz.stats(), slowestKind, slowestSeed, failures);
            }
        }
        System.out.printf(java.util.Locale.ROOT, "summary: %s; %d failures (%d hangs past %d s %s, %d internal errors) in %.0f s%n",
                Fuzz.stats(), failures, hangs, Fuzz.CPU_LIMIT_NANOS > 0 ? Fuzz.CPU_LIMIT_NANOS / 1_000_000_000L : Fuzz.HANG.toSeconds(),
                Fuzz.CPU_LIMIT_NANOS > 0 ? "of CPU" : "wall", internal, (System.nanoTime() - start) / 1e9);
        System.exit(failures == 0 ? 0 : 1);
    }
}
