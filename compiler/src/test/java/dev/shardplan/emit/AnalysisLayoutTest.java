package dev.shardplan.emit;

import dev.shardplan.analysis.Analyzer;
import dev.shardplan.analysis.PlanAnalysis;
import dev.shardplan.engine.MemoryBudget;
import dev.shardplan.layout.Group;
import dev.shardplan.layout.GroupKind;
import dev.shardplan.layout.Rank;
import dev.shardplan.model.Plan;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The analysis stage's rank layout, which the emitters read, agrees with the interim one on where
 * ranks run and what they hold for dense plans, and its memory budget is the analysis' (activation,
 * CUDA graphs included).
 */
class AnalysisLayoutTest {
    @Test
    void denseLayoutsAgreeWithTheInterimOne() {
        for (String name : List.of("qwen32b_dp4_tp2", "llama8b_dp8")) {
            Plan plan = EmitTesting.byName(EmitTesting.load(EmitTesting.FIXTURES, "layout")).get(name).plan();
            InterimLayout.Layout b = InterimLayout.of(plan);
            PlanAnalysis a = Analyzer.analyze(plan);
            Map<String, List<List<Integer>>> groups = new LinkedHashMap<>();
            for (GroupKind k : GroupKind.values()) {
                List<List<Integer>> gs = new ArrayList<>();
                for (Group g : a.layout().groups(k)) gs.add(g.ranks());
                groups.put(k.id(), gs);
            }
            if (groups.get("ep").isEmpty()) groups.put("ep", groups.get("tp"));
            assertEquals(b.groups(), groups, name);
            for (int i = 0; i < b.ranks().size(); i++) {
                Rank x = a.layout().ranks().get(i);
                InterimLayout.Rank y = b.ranks().get(i);
                var s = x.shard();
                assertEquals(List.of(y.rank(), y.node(), y.localGpu(), y.dp(), y.pp(), y.tp(), y.ep()),
                        List.of(x.rank(), x.node(), x.localGpu(), x.dp(), x.pp(), x.tp(), x.ep()), name + " rank " + i);
                assertEquals(List.of(y.layers(), y.qHeads(), y.kvHeads(), y.ffn(), y.vocab()),
                        List.of(range(s.layers()), range(s.qHeads()), range(s.kvHeads()), range(s.ffn()), range(s.vocab())), name + " rank " + i);
                MemoryBudget m = a.memory(x.rank());
                assertEquals(y.memory().total(), m.total());
                assertTrue(Math.abs(m.weights() - y.memory().weights()) < 0.01 * y.memory().weights(),
                        name + " weights within 1%: " + m.weights() + " vs " + y.memory().weights());
                assertTrue(m.activation() > 0, "the analysis budgets activation memory");
                assertEquals(dev.shardplan.engine.Engines.configure(plan).blockSize(), m.blockSize());
            }
        }
    }

    private static InterimLayout.Range range(dev.shardplan.layout.Range r) {
        return new InterimLayout.Range(r.start(), r.end());
    }
}
