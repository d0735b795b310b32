package dev.shardplan.engine;

import dev.shardplan.layout.Shard;
import dev.shardplan.model.Model;
import dev.shardplan.model.Moe;
import dev.shardplan.model.RopeScaling;

/**
 * What loading a vLLM shard allocates beyond its parameters, as vLLM measures it: "Model loading
 * took X GiB" and the weights term of the KV budget are the growth of torch.cuda's allocated
 * bytes across load_model (utils DeviceMemoryProfiler -> platforms/cuda.py
 * get_current_memory_usage: max_memory_allocated after reset_peak_memory_stats), so they hold
 * two things the parameter count does not:
 *
 * <ul>
 * <li><b>the rotary cos/sin cache</b>, a buffer of max_position x rotary_dim in the model dtype,
 * one per model (layers/rotary_embedding get_rope caches it); YaRN's and DeepSeek's scaled
 * ropes tabulate original_max_position x factor positions;</li>
 * <li><b>the caching allocator's rounding</b> (PyTorch c10/cuda/CUDACachingAllocator.cpp): a
 * request of 10 MiB or more (kMinLargeAlloc) gets a segment rounded up to 2 MiB (kRoundLarge),
 * and the block is split only if more than 1 MiB (kSmallSize) would remain; otherwise the whole
 * segment is the block, and allocated_bytes counts the block's size. A 135 MiB down_proj (Qwen2.5-14B)
 * thus counts 136 MiB.</li>
 * </ul>
 *
 * Checked against the logged "Model loading took" of the start-up set: Llama-3.1-8B 14.9889 GiB
 * (14.9575 of parameters + a 32 MiB rope cache; no tensor wastes), Qwen2-7B 14.2488 (+65.1 MiB,
 * modelled 65.0), Qwen2.5-3B 5.7916 (+44.6, modelled 44.5), Qwen2.5-14B 27.5681 (+58 MiB,
 * modelled 58). Requests under 10 MiB share 20 MiB segments (kLargeBuffer) and are taken as
 * exact, as are the small scale tensors of quantised checkpoints; MLA attention's several
 * projections are not itemised.
 */
final class LoadAllocation {
    private LoadAllocation() {}

    static final long MIB = 1L << 20;
    /** kMinLargeAlloc, kRoundLarge and kSmallSize of PyTorch's CUDA caching allocator. */
    static final long MIN_LARGE_ALLOC = 10 * MIB, ROUND_LARGE = 2 * MIB, SMALL_SIZE = MIB;

    /** Bytes a single allocation of {@code bytes} adds to allocated_bytes beyond itself. */
    static long waste(long bytes) {
        if (bytes < MIN_LARGE_ALLOC) return 0;
        long rounded = (bytes + 511) / 512 * 512;
        long segment = (rounded + ROUND_LARGE - 1) / ROUND_LARGE * ROUND_LARGE;
        long remaining = segment - rounded;
        return (rounded - bytes) + (remaining > SMALL_SIZE ? 0 : remaining);
    }

    /** The rotary cache: positions tabulated x rotary dimension x the model dtype, once per model. */
    static long ropeCache(Model m) {
        long positions = m.maxPosition();
        RopeScaling rs = m.ropeScaling();
        if (rs != null && rs.kind() == RopeScaling.Kind.YARN && rs.originalMaxPosition() > 0)
            positions = (long) (rs.originalMaxPosition() * rs.factor());
        long dim = m.isMla() ? m.mla().qkRopeHeadDim() : m.headDim();
        if (positions <= 0 || dim <= 0) return 0;
        return (long) Math.ceil(positions * dim * m.dtype().bytes());
    }

    private static double wbytes(Model m, String part) {
        return m.quant() != null && m.quant().covers(part, m.dtype()) ? m.quant().weights().bytes() : m.dtype().bytes();
    }

    private static long tensor(double elements, double bytesPer) {
        return waste((long) Math.ceil(elements * bytesPer));
    }

    /** The rounding waste of a rank's shard: its big tensors, as vLLM allocates them (fused qkv and gate_up, one w13 and one w2 per MoE layer). */
    static long roundingWaste(Model m, Shard s, int paddedWidth, int paddedHidden) {
        long h = m.hidden();
        int n = s.layers().size();
        long total = 0;
        if (!m.isMla()) {
            long d = m.headDim();
            double a = wbytes(m, "attention");
            long q = (long) s.qHeads().size() * d, kv = (long) s.kvHeads().size() * d;
            // kv heads replicated over tp ranks: the rank holds the whole head
            total += n * (tensor((double) (q + 2 * kv) * h, a) + tensor((double) h * q, a));
        }
        int ffnW = s.ffn().size();
        if (s.denseLayers() > 0 && ffnW > 0) {
            double f = wbytes(m, "dense_ffn");
            total += s.denseLayers() * (tensor(2.0 * ffnW * h, f) + tensor((double) h * ffnW, f));
        }
        Moe moe = m.moe();
        if (moe != null && s.moeLayers() > 0) {
            int local = s.experts().size(), w = s.expertFfn().size();
            if (local > 0 && w > 0) {
                double e = wbytes(m, "experts");
                long pw = paddedWidth > 1 ? (w + paddedWidth - 1L) / paddedWidth * paddedWidth : w;
                long ph = paddedHidden > 1 ? (h + paddedHidden - 1) / paddedHidden * paddedHidden : h;
                total += s.moeLayers() * (tensor((double) local * 2 * pw * ph, e) + tensor((double) local * ph * pw, e));
            }
            int sw = s.sharedFfn().size();
            if (sw > 0) {
                double sh = wbytes(m, "shared_experts");
                total += s.moeLayers() * (tensor(2.0 * sw * h, sh) + tensor((double) h * sw, sh));
            }
        }
        double base = m.dtype().bytes();
        long rows = s.vocab().size();
        if (s.embedding()) total += tensor((double) rows * h, base);
        if (s.lmHead() && !(m.tiedEmbeddings() && s.embedding())) total += tensor((double) rows * h, base);
        return total;
    }
}
