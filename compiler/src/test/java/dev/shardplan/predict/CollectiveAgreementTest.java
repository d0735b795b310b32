package dev.shardplan.predict;

import dev.shardplan.analysis.Analyzer;
import dev.shardplan.analysis.Collective;
import dev.shardplan.analysis.Fixtures;
import dev.shardplan.analysis.GroupCost;
import dev.shardplan.analysis.PlanAnalysis;
import dev.shardplan.layout.GroupKind;
import dev.shardplan.model.Plan;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code explain} (the analysis' decode step) and {@code simulate} (the step-time model the
 * simulator steps with) give every collective the same time for the same batch (issue 12, item 6:
 * they once disagreed ~10x on an EP all-to-all because the model scaled the message by ep/tp).
 */
class CollectiveAgreementTest {
    static Plan plan(String cluster, String model, String parallel) {
        return Fixtures.plan("cluster c { " + cluster + " }\nplan p { model " + model + "; cluster c; workload natural_reasoning\n"
                + "  parallel { " + parallel + " }\n  engine vllm { gpu_memory_utilization 0.9 }\n}\n", "p");
    }

    static final String[][] CASES = {
            {"nodes 1 x HGX_H100", "llama_3_1_70b", "tp 8"},
            {"nodes 2 x HGX_H100", "llama_3_1_70b", "tp 8; pp 2"},
            {"nodes 1 x HGX_H200", "deepseek_r1", "tp 2; pp 4"},
            {"nodes 2 x HGX_H200", "deepseek_r1", "dp 16; ep 16; dp_attention true"},
            {"nodes 1 x HGX_H200", "deepseek_r1", "dp 8; ep 8; dp_attention true"},
            {"nodes 1 x HGX_H200", "deepseek_r1", "dp 2; tp 4; ep 8"},
            {"nodes 1 x HGX_H100", "qwen3_30b_a3b", "dp 2; tp 4"},
            // dp 1 with EP: vLLM runs no all-to-all kernels, both sides price the TP all-reduce alone
            {"nodes 1 x HGX_H200", "deepseek_r1", "tp 8; ep 8"},
            {"nodes 1 x HGX_H100", "qwen3_30b_a3b", "tp 8; ep 8"},
    };

    @Test
    void explainAndTheStepModelAgreeOnEveryCollective() {
        for (String[] c : CASES) {
            PlanAnalysis a = Analyzer.analyze(plan(c[0], c[1], c[2]));
            Plan p = a.plan();
            PlanInputs in = AnalysisInputs.of(a, Predictor.efficiency(p));
            RankLoad load = RankLoad.of(p.model(), p.parallel(), in.engine().kvDtype(), in.layout());
            RooflineStepTime m = Predictor.model(p, in, Predictor.efficiency(p), load);
            long batch = a.interconnect().decodeBatch();
            var b = m.breakdown((int) batch, batch * a.interconnect().decodeContext(), 0, 0, 0);
            int pp = a.layout().pp();
            double perStage = 0, sends = 0;
            for (Collective col : a.interconnect().decode()) {
                if (col.group() == GroupKind.PP) sends += col.seconds();
                else perStage += col.seconds();
                // every kind explain shows is one the model steps with, at the same time
                var k = in.comm().kinds().stream().filter(x -> x.name().equals(col.name())).findFirst().orElseThrow();
                int count = k.perStage() ? k.count() * pp : k.count();
                assertEquals(col.seconds(), count * k.one(batch), 1e-12 + 1e-9 * col.seconds(), c[2] + " " + col.name());
            }
            String what = c[1] + " " + c[2];
            assertEquals(perStage, pp * b.collectives(), 1e-12 + 1e-9 * perStage, what + ": collectives of all stages");
            assertEquals(sends, (pp - 1) * b.send(), 1e-12 + 1e-9 * Math.max(sends, 1e-9), what + ": stage sends");
            assertEquals(pp > 1, sends > 0, what);
            assertTrue(perStage > 0 || a.layout().tp() == 1 && a.layout().epSize() == 1, what);
            // the model steps with no kind explain does not show
            for (var k : in.comm().kinds())
                assertTrue(a.interconnect().decode().stream().anyMatch(col -> col.name().equals(k.name())), what + ": " + k.name());
            if (a.layout().epSize() > 1 && p.parallel().dp() == 1)
                assertTrue(in.comm().kinds().stream().noneMatch(k -> k.group() == GroupKind.EP), what + ": no EP all-to-all with dp 1");
        }
    }

    @Test
    void anEpAllToAllCarriesEachRanksOwnTokensToTheirTopKExperts() {
        // DeepSeek-R1 dp16 ep16 over two H200 nodes (attention DP): each rank dispatches its own
        // replica's tokens, B x top_k(8) x hidden(7168) x 2 B, and gets as much back in the combine,
        // 2 x 58 MoE layers; no ep/tp scaling of what a rank sends.
        PlanAnalysis a = Analyzer.analyze(plan("nodes 2 x HGX_H200", "deepseek_r1", "dp 16; ep 16; dp_attention true"));
        long batch = a.interconnect().decodeBatch();
        Collective ep = a.interconnect().decode().stream().filter(x -> x.group() == GroupKind.EP).findFirst().orElseThrow();
        GroupCost g = a.interconnect().groups().stream().filter(x -> x.kind() == GroupKind.EP).findFirst().orElseThrow();
        Plan p = a.plan();
        Efficiency eff = Predictor.efficiency(p);
        double msg = batch * 8.0 * 7168 * 2;
        double one = eff.collectiveLatencyUs() * 1e-6 + g.latency() + 15.0 / 16 * msg / (g.bandwidth() * eff.linkEfficiency());
        assertEquals(116, ep.count());
        assertEquals((long) msg, ep.messageBytes());
        assertEquals(116 * one, ep.seconds(), 1e-9);
        PlanInputs in = AnalysisInputs.of(a, eff);
        RooflineStepTime m = Predictor.model(p, in, eff, RankLoad.of(p.model(), p.parallel(), in.engine().kvDtype(), in.layout()));
        assertEquals(116 * one, m.breakdown((int) batch, 0, 0, 0, 0).collectives(), 1e-9);
        // with tp 2 inside each attention replica a rank sends half of its replica's tokens
        PlanAnalysis t = Analyzer.analyze(plan("nodes 2 x HGX_H200", "deepseek_r1", "dp 8; tp 2; ep 16"));
        Collective et = t.interconnect().decode().stream().filter(x -> x.group() == GroupKind.EP).findFirst().orElseThrow();
        assertEquals((long) Math.ceil(t.interconnect().decodeBatch() * 8.0 * 7168 * 2 / 2), et.messageBytes());
    }
}
