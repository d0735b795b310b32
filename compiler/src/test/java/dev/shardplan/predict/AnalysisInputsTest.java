package dev.shardplan.predict;

import dev.shardplan.analysis.Analyzer;
import dev.shardplan.api.Frontend;
import dev.shardplan.api.FrontendResult;
import dev.shardplan.model.Plan;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The predictions' inputs come from the analysis: fit, KV blocks of a replica, collective costs per group. */
class AnalysisInputsTest {
    @TempDir
    Path dir;

    Plan plan(String model, String parallel) throws IOException {
        Path f = dir.resolve("p.plan");
        Files.writeString(f, """
                import "std:nodes"
                import "std:models"
                import "std:workloads"
                cluster one { nodes 1 x HGX_H200 }
                plan p {
                  model %s
                  cluster one
                  workload natural_reasoning
                  parallel { %s }
                  engine vllm { gpu_memory_utilization 0.90; max_num_seqs 256 }
                }
                """.formatted(model, parallel));
        FrontendResult r = Frontend.check(dir, List.of(f));
        assertFalse(r.hasErrors(), r.diagnostics().toString());
        return r.plans().get(0);
    }

    @Test
    void kvBlocksAndFitAreTheAnalysis() throws IOException {
        Plan p = plan("deepseek_r1_distill_qwen_32b", "dp 4; tp 2");
        var a = Analyzer.analyze(p);
        PlanInputs in = AnalysisInputs.of(a, Predictor.efficiency(p));
        assertTrue(in.fits());
        assertEquals(a.kv().blocks(), in.kvBlocksPerReplica());
        // the replica's blocks are the smaller of its two workers' pools (vLLM's clamp)
        assertEquals(Math.min(a.memory(0).kvBlocks(), a.memory(1).kvBlocks()), in.kvBlocksPerReplica());
    }

    @Test
    void tpAllReduceUsesTheGroupsNvSwitchBandwidthAndLatency() throws IOException {
        Plan p = plan("deepseek_r1_distill_qwen_32b", "dp 4; tp 2");
        PlanInputs in = dev.shardplan.api.Predictions.inputs().apply(p);
        // by hand: a TP pair on NVSwitch, each GPU's 450 GB/s link carries one flow per direction;
        // call = collective_latency_us (std:efficiency vllm) + 2 µs scale-up latency (cluster default);
        // ring all-reduce of T tokens (T·5120·2 B) over 2 ranks moves 2·(1/2) of it at 450 GB/s · link_efficiency
        Efficiency e = Predictor.efficiency(p);
        double tokens = 1000, msg = tokens * 5120 * 2;
        double one = e.collectiveLatencyUs() * 1e-6 + 2e-6 + 1.0 * msg / (450e9 * e.linkEfficiency());
        // two per layer of the stage (64 layers), no all-to-all for a dense model
        assertEquals(2 * 64 * one, in.comm().stageSeconds(tokens), 1e-12);
        assertEquals(1, in.comm().kinds().size());
        assertEquals(0.0, in.comm().sendSeconds(tokens));
    }

    @Test
    void aPlanWhoseWeightsDoNotFitIsNotSimulated() throws IOException {
        Plan p = plan("deepseek_r1_distill_llama_70b", "dp 8");
        PlanInputs in = dev.shardplan.api.Predictions.inputs().apply(p);
        assertFalse(in.fits());
        assertTrue(in.reason().startsWith("weights do not fit: rank 0 has"), in.reason());
        // the full analysis reports the same cause as an error
        assertTrue(Analyzer.analyze(p).diagnostics().stream().anyMatch(d -> d.isError() && d.code().id().equals("SP0401")));
        assertFalse(dev.shardplan.api.Predictions.simulate(p, 1).simulated());
    }
}
