package dev.shardplan.emit;

import dev.shardplan.api.Frontend;
import dev.shardplan.model.Plan;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The benchmark of docs/benchmarks.md, "Emit (issue 4)" (a main, not a test: no timed assertions
 * in tests). Compiles every plan in plans/ in-process: front end (parse, import, resolve), the
 * launcher checks, rendering of plan.json and every target, and the atomic write into a temporary
 * folder (the same folder each round, as a build does, and a fresh one each round). Twenty
 * warm-up rounds, then the median of 21 rounds, divided by the number of plans.
 * Run from the project root:
 * java -cp compiler/target/classes:compiler/target/test-classes:&lt;dependency jars&gt; dev.shardplan.emit.EmitBenchmark
 */
public final class EmitBenchmark {
    public static void main(String[] args) throws IOException {
        Path root = Path.of(args.length > 0 ? args[0] : ".").toAbsolutePath().normalize();
        Path out = Files.createTempDirectory("shardplan-bench");
        int plans = round(root, out);
        for (int i = 0; i < 20; i++) round(root, out);
        double[] front = new double[21], all = new double[21];
        for (int i = 0; i < all.length; i++) {
            long a = System.nanoTime();
            List<EmitInput> ins = load(root);
            long b = System.nanoTime();
            Emit.Result r = Emit.compile(ins, out, Set.of());
            long c = System.nanoTime();
            if (!r.ok()) throw new IllegalStateException(r.diagnostics().toString());
            front[i] = (b - a) / 1e6;
            all[i] = (c - a) / 1e6;
        }
        double[] fresh = new double[21];
        for (int i = 0; i < fresh.length; i++) {
            Path dir = out.resolve("fresh" + i);
            long a = System.nanoTime();
            Emit.Result r = Emit.compile(load(root), dir, Set.of());
            fresh[i] = (System.nanoTime() - a) / 1e6;
            if (!r.ok()) throw new IllegalStateException(r.diagnostics().toString());
        }
        Arrays.sort(front);
        Arrays.sort(all);
        Arrays.sort(fresh);
        System.out.printf(Locale.ROOT, "%d plans; per plan: recompile into the same folder (front end + emit + write) median %.2f ms "
                        + "(min %.2f, max %.2f); front end alone %.2f ms; into a fresh folder median %.2f ms (min %.2f, max %.2f)%n",
                plans, all[10] / plans, all[0] / plans, all[20] / plans, front[10] / plans,
                fresh[10] / plans, fresh[0] / plans, fresh[20] / plans);
        OutputWriter.deleteTree(out);
    }

    static List<EmitInput> load(Path root) {
        var fr = Frontend.check(root, List.of(root.resolve("plans")));
        List<EmitInput> ins = new ArrayList<>();
        for (Plan p : fr.plans()) ins.add(EmitInput.of(p));
        return ins;
    }

    static int round(Path root, Path out) {
        List<EmitInput> ins = load(root);
        Emit.Result r = Emit.compile(ins, out, Set.of());
        if (!r.ok()) throw new IllegalStateException(r.diagnostics().toString());
        return ins.size();
    }
}
