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

    private static long align(long a, long b) {
        return (a + b - 1) / b * b;
    }
}
