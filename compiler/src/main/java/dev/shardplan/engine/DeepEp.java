package dev.shardplan.engine;

/**
 * DeepEP's buffer sizes, the memory an expert-parallel all-to-all on DeepEP registers on every EP
 * rank besides the model and the KV cache. The one home of DeepEP's formulas, read in
 * deepseek-ai/DeepEP at tag v1.2.1 (9af0e0d0e74f3577af1979c9b9e1ac2cad0104ee), csrc/config.hpp.
 */
public final class DeepEp {
    private DeepEp() {}

    public static final String RELEASE = "v1.2.1";
    /** csrc/kernels/configs.cuh NUM_BUFFER_ALIGNMENT_BYTES. */
    static final long ALIGNMENT = 128;
    /** csrc/kernels/configs.cuh NUM_WORKSPACE_BYTES: the workspace every Buffer cudaMallocs in its constructor. */
    public static final long WORKSPACE = 32L << 20;

    /**
     * What one Buffer takes on its GPU (csrc/deep_ep.cpp Buffer::Buffer): the NVLink buffer of
     * {@code nvl} bytes (cudaMalloc, only when positive), the 32 MiB workspace, and the RDMA buffer
     * of {@code rdma} bytes (nvshmem_align on the symmetric heap, only when positive). The NVLink
     * buffer's barrier signals and peer pointers (under 200 B) are not counted.
     */
    public static long allocated(long nvl, long rdma) {
        return Math.max(0, nvl) + WORKSPACE + Math.max(0, rdma);
    }

    /**
     * The low-latency (decode) mode's RDMA buffer, get_low_latency_rdma_size_hint: two (odd/even)
     * send, receive and signalling buffers. A dispatch message is a control int4 and the token in
     * bf16 (or fp8 with one fp32 scale per 128 channels, whichever is larger); a combine message the
     * token in bf16 with a bf16x2 min/max per 128 channels. The send buffer holds the larger of
     * the rank's dispatched tokens and its combine messages for every expert; the receive buffer
     * every expert's tokens from this rank's peers.
     *
     * @param tokensPerRank num_max_dispatch_tokens_per_rank, the engine's cap on one rank's tokens in a step
     * @param hidden the model's hidden size
     * @param experts the experts the dispatch addresses (routed experts, plus redundant copies where the engine places them)
     */
    public static long lowLatencyBytes(long tokensPerRank, long hidden, long experts) {
        long scales = hidden / 128;
        long dispatchMsg = 16 + Math.max(hidden * 2, hidden + scales * 4);
        long combineMsg = scales * 4 + hidden * 2;
        long send = Math.max(tokensPerRank * dispatchMsg, experts * tokensPerRank * combineMsg);
        long recv = Math.max(experts * tokensPerRank * dispatchMsg, experts * tokensPerRank * combineMsg);
        long signal = align(experts * 4, 128);
        long total = 2 * send + 2 * recv + 2 * signal;
        // ((n + A) / A) * A: one alignment unit more when n is already aligned, as the C++ does.
        return ((total + ALIGNMENT) / ALIGNMENT) * ALIGNMENT;
    }

    /** deep_ep/buffer.py Buffer.num_sms: the SMs the normal (high-throughput) kernels use unless set_num_sms changes it. */
    public static final int NUM_SMS = 20;
    /** csrc/kernels/configs.cuh NUM_MAX_NVL_PEERS: ranks per NVLink group (a node). */
    static final int NVL_PEERS = 8;
    /** csrc/kernels/internode.cu get_source_meta_bytes: sizeof(SourceMeta), two ints. */
    static final long SOURCE_META = 8;

    /**
     * A normal-mode kernel configuration (csrc/config.hpp Config): SMs and the NVLink and RDMA
     * chunk sizes in tokens; the constructor rounds the RDMA receive chunk up to a multiple of the send chunk.
     */
    public record Config(int sms, int nvlSend, int nvlRecv, int rdmaSend, int rdmaRecv) {
        static Config of(int sms, int nvlSend, int nvlRecv, int rdmaSend, int rdmaRecv) {
            return new Config(sms, nvlSend, nvlRecv, rdmaSend, (int) align(rdmaRecv, rdmaSend));
        }

        /** get_nvl_buffer_size_hint. */
        public long nvlBytes(long hiddenBytes, int ranks) {
            long rdmaRanks = Math.max(ranks / NVL_PEERS, 1), nvlRanks = Math.min(ranks, NVL_PEERS), ch = sms / 2;
            long recv = ch * nvlRanks * nvlRecv;
            long n = ch * nvlRanks * (2 * rdmaRanks + 3) * 4 + recv * hiddenBytes + recv * SOURCE_META
                    + recv * 128 * 8 + recv * 128 * 4 + recv * 128 * 4;
            return align(n, 128);
        }

        /** get_rdma_buffer_size_hint: none inside one NVLink group. */
        public long rdmaBytes(long hiddenBytes, int ranks) {
            if (ranks <= NVL_PEERS) return 0;
            long rdmaRanks = ranks / NVL_PEERS, ch = sms / 2;
            long recv = ch * rdmaRanks * rdmaRecv;
            long n = ch * rdmaRanks * (NVL_PEERS * 2 + 2) * 2 * 4 + recv * hiddenBytes * 2 + recv * SOURCE_META * 2
                    + recv * 128 * 8 * 2 + recv * 128 * 4 * 2 + recv * 128 * 4 * 2 + recv * 16 * 2;
            return align(n, 128);
        }
    }

    /** deep_ep/buffer.py Buffer.get_dispatch_config at v1.2.1, by EP ranks. */
    static final java.util.Map<Integer, Config> DISPATCH = java.util.Map.of(
            2, Config.of(NUM_SMS, 24, 256, 6, 128), 4, Config.of(NUM_SMS, 6, 256, 6, 128), 8, Config.of(NUM_SMS, 6, 256, 6, 128),
            16, Config.of(NUM_SMS, 36, 288, 20, 128), 24, Config.of(NUM_SMS, 8, 288, 32, 128), 32, Config.of(NUM_SMS, 32, 288, 32, 128),
            64, Config.of(NUM_SMS, 20, 288, 28, 128), 128, Config.of(NUM_SMS, 20, 560, 32, 128), 144, Config.of(NUM_SMS, 32, 720, 12, 128),
            160, Config.of(NUM_SMS, 28, 720, 12, 128));
    /** deep_ep/buffer.py Buffer.get_combine_config at v1.2.1, by EP ranks. */
    static final java.util.Map<Integer, Config> COMBINE = java.util.Map.of(
            2, Config.of(NUM_SMS, 10, 256, 6, 128), 4, Config.of(NUM_SMS, 9, 256, 6, 128), 8, Config.of(NUM_SMS, 4, 256, 6, 128),
            16, Config.of(NUM_SMS, 4, 288, 12, 128), 24, Config.of(NUM_SMS, 1, 288, 8, 128), 32, Config.of(NUM_SMS, 1, 288, 8, 128),
            64, Config.of(NUM_SMS, 1, 288, 20, 128), 128, Config.of(NUM_SMS, 1, 560, 12, 128), 144, Config.of(NUM_SMS, 2, 720, 8, 128),
            160, Config.of(NUM_SMS, 2, 720, 8, 128));

    /**
     * The normal mode's NVLink and RDMA buffers for {@code ranks} EP ranks as SGLang sizes them
     * (the larger of the recommended dispatch and combine configurations' hints); null for a rank
     * count DeepEP has no recommended configuration for (buffer.py asserts).
     */
    public static long[] normalBytes(long hiddenBytes, int ranks) {
        Config d = DISPATCH.get(ranks), c = COMBINE.get(ranks);
        if (d == null || c == null) return null;
        return new long[] {Math.max(d.nvlBytes(hiddenBytes, ranks), c.nvlBytes(hiddenBytes, ranks)),
                Math.max(d.rdmaBytes(hiddenBytes, ranks), c.rdmaBytes(hiddenBytes, ranks))};
    }

    private static long align(long a, long b) {
        return (a + b - 1) / b * b;
    }
}
