package dev.shardplan.emit;

import dev.shardplan.analysis.Analyzer;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The analysis-backed layout agrees with the interim one on where ranks run and what they hold
 * for dense plans, and carries the analysis' memory budget (activation, CUDA graphs included).
 */
class AnalysisLayoutTest {
    @Test
    void denseLayoutsAgreeWithTheInterimOne() {
        for (String name : List.of("qwen32b_dp4_tp2", "llama8b_dp8")) {
            EmitInput interim = InterimLayout.input(EmitTesting.byName(EmitTesting.load(EmitTesting.FIXTURES, "layout")).get(name).plan());
            Layout a = AnalysisLayout.of(interim.plan(), Analyzer.analyze(interim.plan()));
            Layout b = interim.layout();
            assertEquals(b.groups(), a.groups(), name);
            for (int i = 0; i < b.ranks().size(); i++) {
                Layout.Rank x = a.ranks().get(i), y = b.ranks().get(i);
                assertEquals(List.of(y.rank(), y.node(), y.localGpu(), y.dp(), y.pp(), y.tp(), y.ep()),
                        List.of(x.rank(), x.node(), x.localGpu(), x.dp(), x.pp(), x.tp(), x.ep()), name + " rank " + i);
                assertEquals(List.of(y.layers(), y.qHeads(), y.kvHeads(), y.ffn(), y.vocab()),
                        List.of(x.layers(), x.qHeads(), x.kvHeads(), x.ffn(), x.vocab()), name + " rank " + i);
                assertEquals(y.memory().total(), x.memory().total());
                assertTrue(Math.abs(x.memory().weights() - y.memory().weights()) < 0.01 * y.memory().weights(),
                        name + " weights within 1%: " + x.memory().weights() + " vs " + y.memory().weights());
                assertTrue(x.memory().activation() > 0, "the analysis budgets activation memory");
                assertEquals(x.memory().kvBlocks() * dev.shardplan.engine.Engines.configure(interim.plan()).blockSize(), x.memory().kvTokens());
            }
        }
    }
}
