package dev.shardplan.bench;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * A fixed computation that does not change with shardplan's code: sort a million pseudo-random
 * doubles and sum their square roots (branchy integer work, memory traffic and floating point,
 * like the compiler's). docs/benchmarks.md divides every benchmark by it, so that figures from two
 * machines, or from one machine under different load, can be compared.
 */
@State(Scope.Benchmark)
public class Reference {
    @Benchmark
    public double reference() {
        return compute();
    }

    static double compute() {
        SplittableRandom r = new SplittableRandom(20260101L);
        double[] v = new double[1 << 20];
        for (int i = 0; i < v.length; i++) v[i] = r.nextDouble();
        Arrays.sort(v);
        double s = 0;
        for (double x : v) s += Math.sqrt(x);
        return s;
    }
}
