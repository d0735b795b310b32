package dev.shardplan.emit;

import dev.shardplan.engine.MemoryBudget;
import dev.shardplan.analysis.PlanAnalysis;
import dev.shardplan.layout.Group;
import dev.shardplan.layout.GroupKind;
import dev.shardplan.layout.RankLayout;
import dev.shardplan.model.Plan;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The emitters' {@link Layout} from the analysis stage: its rank layout (engine rank order, PP
 * split, shards, EP groups) and each rank's memory budget as the plan's engine accounts for it.
 */
public final class AnalysisLayout {
    private AnalysisLayout() {}

    public static Layout of(Plan plan, PlanAnalysis a) {
        RankLayout rl = a.layout();
        List<Layout.Rank> ranks = new ArrayList<>(rl.worldSize());
        for (dev.shardplan.layout.Rank r : rl.ranks()) {
            int node = Math.max(0, r.node());
            String host = plan.deploy() != null && node < plan.deploy().hosts().size()
                    ? plan.deploy().hosts().get(node) : "node" + node;
            var s = r.shard();
            List<Integer> experts = new ArrayList<>(s.experts().size());
            for (int e = s.experts().start(); e < s.experts().end(); e++) experts.add(e);
            MemoryBudget m = a.memory(r.rank());
            Layout.Memory mem = new Layout.Memory(m.total(), m.weights(), m.activation(), m.nonTorch(), m.cudaGraph(),
                    m.kvPool(), m.kvBlocks(), m.kvBlocks() * m.blockSize());
            ranks.add(new Layout.Rank(r.rank(), node, Math.max(0, r.localGpu()), host, r.dp(), r.pp(), r.tp(), r.ep(),
                    range(s.layers()), range(s.qHeads()), range(s.kvHeads()), range(s.ffn()), experts, range(s.expertFfn()),
                    range(s.sharedFfn()), range(s.vocab()), mem));
        }
        Map<String, List<List<Integer>>> groups = new LinkedHashMap<>();
        for (GroupKind k : GroupKind.values()) {
            List<List<Integer>> gs = new ArrayList<>();
            for (Group g : rl.groups(k)) gs.add(g.ranks());
            groups.put(k.id(), gs);
        }
        // plan-ir.md: without expert parallelism the ranks that share a MoE layer's experts are the TP group.
        if (groups.get("ep").isEmpty()) groups.put("ep", groups.get("tp"));
        return new Layout(plan.cluster().node().gpus(), ranks, groups);
    }

    private static Layout.Range range(dev.shardplan.layout.Range r) {
        return new Layout.Range(r.start(), r.end());
    }
}
