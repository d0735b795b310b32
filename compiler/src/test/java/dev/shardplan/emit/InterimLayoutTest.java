package dev.shardplan.emit;

import dev.shardplan.emit.InterimLayout.Layout;
import dev.shardplan.emit.InterimLayout.Range;
import dev.shardplan.emit.InterimLayout.Rank;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The interim rank layout against values derived by hand from docs/plan-ir.md and vLLM's rules. */
class InterimLayoutTest {
    static Map<String, EmitInput> plans;

    @BeforeAll
    static void load() {
        plans = EmitTesting.byName(EmitTesting.load(EmitTesting.FIXTURES, "layout"));
    }

    static Layout layout(String name) {
        return InterimLayout.of(plans.get(name).plan());
    }

    @Test
    void rankOrderAndGroupsFollowPlanIr() {
        Layout l = layout("qwen32b_dp4_tp2");
        // global = dp * (pp * tp) + pp * tp + tp
        Rank r5 = l.ranks().get(5);
        assertEquals(List.of(5, 0, 5, 2, 0, 1), List.of(r5.rank(), r5.node(), r5.localGpu(), r5.dp(), r5.pp(), r5.tp()));
        assertEquals(List.of(List.of(0, 1), List.of(2, 3), List.of(4, 5), List.of(6, 7)), l.groups().get("tp"));
        assertEquals(List.of(List.of(0, 2, 4, 6), List.of(1, 3, 5, 7)), l.groups().get("dp"));
        assertEquals(l.groups().get("tp"), l.groups().get("ep"), "without EP the experts' group is the TP group");
        assertEquals(8, l.groups().get("pp").size());
        // 40 heads / 2, 8 KV heads / 2, FFN 27648 / 2; vocab 152064 is a multiple of 64, / 2 = 76032.
        assertEquals(new Range(20, 40), r5.qHeads());
        assertEquals(new Range(4, 8), r5.kvHeads());
        assertEquals(new Range(13824, 27648), r5.ffn());
        assertEquals(new Range(76032, 152064), r5.vocab());
        assertEquals(new Range(0, 64), r5.layers());
    }

    @Test
    void memoryOfAFullReplica() {
        Rank r = layout("llama8b_dp8").ranks().get(3);
        // Llama-3.1-8B: 8,030,261,248 parameters (models.json, computed from config) × 2 bytes.
        assertEquals(16_060_522_496L, r.memory().weights());
        // H200: CUDA's 139.80 GiB = 150,109,106,995 B; × 0.90 = 135,098,196,295; minus weights.
        assertEquals(150_109_106_995L, r.memory().total());
        assertEquals(119_037_673_799L, r.memory().kvPool());
        // KV per token: 32 layers × 2 (K, V) × 8 heads × 128 × 2 B = 131,072 B; a 16-token block 2,097,152 B.
        assertEquals(56_761L, r.memory().kvBlocks());
        assertEquals(908_176L, r.memory().kvTokens());
    }

    @Test
    void pipelineStagesSplitLayersTheWayVllmDoes() {
        Layout l = layout("r1_pp4_tp2");
        // 61 layers / 4 = 15 rest 1; vLLM gives the extra layer to the stage before the last: 15, 15, 16, 15.
        assertEquals(new Range(0, 15), l.ranks().get(0).layers());
        assertEquals(new Range(15, 30), l.ranks().get(2).layers());
        assertEquals(new Range(30, 46), l.ranks().get(4).layers());
        assertEquals(new Range(46, 61), l.ranks().get(7).layers());
        // Embedding on stage 0 and LM head on the last stage; middle stages hold no vocabulary.
        // 129,280 = 2,020 × 64, / 2 = 64,640.
        assertEquals(new Range(64640, 129280), l.ranks().get(1).vocab());
        assertEquals(new Range(0, 0), l.ranks().get(3).vocab());
        assertEquals(new Range(64640, 129280), l.ranks().get(7).vocab());
        assertEquals(256, l.ranks().get(0).experts().size(), "TP-sharded experts: every rank holds a slice of all 256");
    }

    @Test
    void expertParallelSplitsExpertsOverTheDpTimesTpRanks() {
        Layout l = layout("r1_dp8_ep8");
        assertEquals(List.of(List.of(0, 1, 2, 3, 4, 5, 6, 7)), l.groups().get("ep"));
        Rank r3 = l.ranks().get(3);
        assertEquals(3, r3.ep());
        assertEquals(32, r3.experts().size());
        assertEquals(96, r3.experts().get(0));
        assertEquals(127, r3.experts().get(31));
    }
}
