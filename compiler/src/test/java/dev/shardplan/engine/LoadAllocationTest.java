package dev.shardplan.engine;

import org.junit.jupiter.api.Test;

import static dev.shardplan.engine.LoadAllocation.MIB;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** The caching allocator's rounding as vLLM's weights figure sees it (LoadAllocation; docs/memory-model.md §4). */
class LoadAllocationTest {
    @Test
    void smallRequestsShareSegmentsAndCountExactly() {
        assertEquals(0, LoadAllocation.waste(8 * MIB));            // from a 20 MiB kLargeBuffer segment, split
        assertEquals(0, LoadAllocation.waste(10 * MIB - 512));
    }

    @Test
    void bigRequestsKeepARemainderOfAtMostOneMib() {
        assertEquals(0, LoadAllocation.waste(48 * MIB));           // a whole number of 2 MiB
        assertEquals(MIB, LoadAllocation.waste(135 * MIB));        // Qwen2.5-14B down_proj: segment 136 MiB, 1 MiB not split
        assertEquals(MIB / 2, LoadAllocation.waste(31 * MIB + MIB / 2));   // Qwen2-7B qkv_proj 31.5 MiB
        assertEquals(0, LoadAllocation.waste(24 * MIB + MIB / 2)); // Qwen2-7B o_proj: 1.5 MiB remains, split off
        assertEquals(MIB / 8, LoadAllocation.waste(741 * MIB + 7 * MIB / 8));
    }

    @Test
    void qwen2_7b_matchesItsLoggedLoad() {
        // vLLM 0.10.1.1 logged "Model loading took 14.2488 GiB" for Qwen2-7B-Instruct (dennislee22/vLLM-benchmarking);
        // the parameters are 14.1852 GiB. Per layer: qkv 31.5 MiB (0.5), o 24.5 (0), gate_up 259 (1), down 129.5 (0.5);
        // embedding and LM head 1,039.5 MiB (0.5 each); rope cache 32,768 x 128 x 2 B = 8 MiB: 65 MiB, logged 65.1.
        long perLayer = LoadAllocation.waste(4608L * 3584 * 2) + LoadAllocation.waste(3584L * 3584 * 2)
                + LoadAllocation.waste(37888L * 3584 * 2) + LoadAllocation.waste(3584L * 18944 * 2);
        long head = 2 * LoadAllocation.waste(152064L * 3584 * 2);
        assertEquals(2 * MIB, perLayer);
        assertEquals(57 * MIB, 28 * perLayer + head);
    }
}
