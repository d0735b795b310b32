package dev.shardplan.predict;

import dev.shardplan.model.DType;
import dev.shardplan.model.Slo;

import java.util.List;
import java.util.Map;

/** A small search over the study's 8B model on one 8×H200 node: four GPUs, two max_num_seqs values. */
public final class SmallSearch {
    private SmallSearch() {}

    public static SearchSpace space() {
        var w = Study.reasoning(200);
        return new SearchSpace("r8b", Study.distill8b(), Study.hgxH200(), w, Study.vllm(256),
                List.of(new Slo("tpot", 50, "<", 0.060, dev.shardplan.diag.Span.NONE)), SearchSpace.Objective.THROUGHPUT,
                4, true, List.of(), List.of(), List.of(1), List.of(), List.of(64, 256), List.of(DType.BF16), Map.of(),
                dev.shardplan.diag.Span.NONE, StdProfiles.profile("H200_SXM", dev.shardplan.model.EngineKind.VLLM));
    }
}
