package dev.shardplan.predict;

import dev.shardplan.model.Model;

/** Quick look at the study's numbers (a main). */
public final class StudyProbe {
    public static void main(String[] args) {
        var w = Study.reasoning(2000);
        Model[] ms = {Study.distill8b(), Catalog.qwen14b(), Catalog.qwen32b(), Study.distill70b()};
        int[][] pars = {{8, 1, 1}, {4, 2, 1}, {2, 4, 1}, {1, 8, 1}, {1, 4, 2}, {2, 2, 2}, {1, 2, 4}, {1, 1, 8}};
        for (Model m : ms) {
            for (int[] p : pars) {
                long t = System.nanoTime();
                var plan = Study.plan("x", m, w, p[0], p[1], p[2], 1024);
                var pr = Predictor.simulate(plan, 1);
                double s = (System.nanoTime() - t) / 1e9;
                if (!pr.simulated()) { System.out.printf("%s dp%d tp%d pp%d: %s%n", m.name(), p[0], p[1], p[2], pr.inputs().reason()); continue; }
                var r = pr.result();
                System.out.printf("%s dp%d tp%d pp%d: %.0f tok/s, kv %d tok/replica, preempt %d, run %.0f, tpot %.1f ms, finish %.0f s (%.2fs)%n",
                        m.name(), p[0], p[1], p[2], r.outputThroughput(), pr.scheduler().kvTokens(), r.preemptions(), r.meanRunning(),
                        r.tpot().p50() * 1e3, r.makespan(), s);
            }
        }
    }
}
