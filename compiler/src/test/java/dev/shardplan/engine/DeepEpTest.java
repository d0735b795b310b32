package dev.shardplan.engine;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** DeepEP's low-latency buffer against figures derived by hand from csrc/config.hpp (v1.2.1). */
class DeepEpTest {
    @Test
    void deepSeekR1LowLatencyBufferPerRank() {
        // hidden 7168, 256 routed experts, 128 tokens per rank (SGLang's and DeepEP's examples' cap):
        // scales 7168/128 = 56; dispatch message 16 + max(14,336, 7,168 + 224) = 14,352 B;
        // combine message 56 x 4 + 14,336 = 14,560 B.
        // send = max(128 x 14,352, 256 x 128 x 14,560 = 477,102,080); recv = max(256 x 128 x 14,352 = 470,286,336, 477,102,080);
        // signalling 256 x 4 = 1,024 B (128-aligned); total 2 x 477,102,080 x 2 + 2 x 1,024 = 1,908,410,368,
        // rounded up one 128-byte unit: 1,908,410,496 B (1.78 GiB on every EP rank).
        assertEquals(1_908_410_496L, DeepEp.lowLatencyBytes(128, 7168, 256));
    }

    @Test
    void theBufferGrowsWithTheExpertsItAddresses() {
        // 32 redundant copies (EPLB) are 288 experts: 288 x 128 x 14,560 = 536,739,840 per buffer;
        // 4 x 536,739,840 + 2 x align(1,152, 128) = 2,146,961,664, + 128.
        assertEquals(2_146_961_664L + 128, DeepEp.lowLatencyBytes(128, 7168, 288));
        // A small model's dispatch message is its bf16 token (2 x 2,048 = 4,096 > 2,048 + 64): Qwen3-30B-A3B, 128 experts.
        long dispatch = 16 + 4096, combine = 16 * 4 + 4096;
        long buf = Math.max(128L * 128 * dispatch, 128L * 128 * combine);
        assertEquals(4 * buf + 2 * 512 + 128, DeepEp.lowLatencyBytes(128, 2048, 128));
    }

    @Test
    void normalModeBuffersOfSixteenRanks() {
        // DeepEP v1.2.1's recommended configurations for 16 ranks, 20 SMs (10 channels), bf16 tokens
        // of hidden 7,168 (14,336 B); 2 RDMA ranks of 8 NVLink peers each.
        // NVLink (dispatch and combine both receive 288-token chunks): 10 x 8 x 288 = 23,040 slots;
        // 10 x 8 x (2 x 2 + 3) x 4 = 2,240 + 23,040 x (14,336 + 8 + 128 x 8 + 128 x 4 + 128 x 4) = 377,671,680;
        // 377,673,920 rounded up to 128: 377,673,984 B.
        // RDMA: dispatch receives align(128, 20) = 140-token chunks (combine align(128, 12) = 132, smaller):
        // 10 x 2 x 140 = 2,800 slots; 10 x 2 x 18 x 2 x 4 = 2,880 + 2,800 x 2 x (14,336 + 8 + 1,024 + 512 + 512 + 16)
        // = 2,880 + 89,084,800 = 91,887,680, rounded up: 91,887,744 B.
        long[] b = DeepEp.normalBytes(2 * 7168, 16);
        assertEquals(377_673_984L, b[0]);
        assertEquals(91_887_744L, b[1]);
        // Inside one node there is no RDMA buffer, and 12 ranks have no recommended configuration.
        assertEquals(0, DeepEp.normalBytes(2 * 7168, 8)[1]);
        assertEquals(null, DeepEp.normalBytes(2 * 7168, 12));
    }
}
