package dev.shardplan.predict;

import dev.shardplan.diag.Span;
import dev.shardplan.model.Cluster;
import dev.shardplan.model.DType;
import dev.shardplan.model.EngineBlock;
import dev.shardplan.model.EngineKind;
import dev.shardplan.model.Fabric;
import dev.shardplan.model.LengthDist;
import dev.shardplan.model.Model;
import dev.shardplan.model.NodeType;
import dev.shardplan.model.Parallel;
import dev.shardplan.model.Plan;
import dev.shardplan.model.Stats;
import dev.shardplan.model.Workload;

import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Plan records in the shape of the reasoning study (plans/study/*.plan, which StudyTest compiles),
 * for tests and benchmarks that vary them in code: one 8×H200 node, vLLM, ~100-token prompts and
 * outputs of which about 45% exceed 5,000 tokens.
 */
final class Study {
    private Study() {}

    static Cluster hgxH200() {
        NodeType node = new NodeType("hgx_h200", Catalog.h200(), 8, Fabric.NVSWITCH, 8, 450e9, 8, 50e9, 64e9, Span.NONE);
        return new Cluster("hgx_h200", node, 1, 1, "infiniband", 3e-6, 10e-6, Span.NONE);
    }

    /** Output lengths: lognormal, median 4,500 tokens, P(> 5,000) = 0.45, capped at 32k. */
    static Workload reasoning(int requests) {
        double sigma = Math.log(5000.0 / 4500.0) / Stats.probit(0.55);
        return new Workload("natural_reasoning", requests, 0, 0, new LengthDist.LogNormal(100, 0.6),
                new LengthDist.LogNormal(4500, sigma), 32768, Span.NONE);
    }

    /** Fixed-length batch for the cliff: {@code n} requests of 100 prompt and {@code out} output tokens. */
    static Workload fixed(int n, int out) {
        return new Workload("batch_" + n + "_" + out, n, 0, 0, new LengthDist.Fixed(100), new LengthDist.Fixed(out),
                Math.max(2048, 100 + out), Span.NONE);
    }

    static EngineBlock vllm(int maxSeqs) {
        return new EngineBlock(EngineKind.VLLM, null, Map.of("gpu_memory_utilization", 0.90, "max_num_seqs", (long) maxSeqs,
                "max_num_batched_tokens", 8192L, "block_size", 16L, "prefix_caching", false));
    }

    static Plan plan(String name, Model m, Workload w, int dp, int tp, int pp, int maxSeqs) {
        int ep = m.isMoe() ? dp * tp : 1;
        return new Plan(name, "plans/study/" + name + ".plan", m, hgxH200(), w,
                new Parallel(dp, tp, pp, ep, false, List.of(), List.of()), vllm(maxSeqs), List.of(), Set.of(), null,
                Map.of(), dev.shardplan.resolve.StdLibrary.efficiency("H200_SXM", EngineKind.VLLM), Map.of(), Span.NONE);
    }

    static Model distill8b() {
        return Catalog.dense("deepseek_r1_distill_llama_8b", 32, 4096, 32, 8, 14336, 128256, false, null, DType.BF16);
    }

    static Model distill70b() {
        return Catalog.dense("deepseek_r1_distill_llama_70b", 80, 8192, 64, 8, 28672, 128256, false, null, DType.BF16);
    }

    static Model llama405bFp8() {
        return Catalog.dense("llama_3_1_405b_fp8", 126, 16384, 128, 8, 53248, 128256, false, Catalog.modelOptFp8(), DType.BF16);
    }
}
