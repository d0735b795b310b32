package dev.shardplan.analysis;

import dev.shardplan.layout.Rank;
import dev.shardplan.layout.RankLayout;
import dev.shardplan.layout.Shard;
import dev.shardplan.layout.Sharding;
import dev.shardplan.model.DType;
import dev.shardplan.model.Engine;
import dev.shardplan.model.EngineKind;
import dev.shardplan.model.Model;
import dev.shardplan.model.Plan;
import dev.shardplan.model.Workload;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Per-rank memory the way each engine accounts for it (docs/memory-model.md, formulas.md §4, §7).
 *
 * <ul>
 * <li>vLLM (v1/worker/gpu_worker.py determine_available_memory; utils/mem_utils.py memory_profiling):
 *     kv = util x total - weights - torch peak (profile_run at max_num_batched_tokens) - non-torch
 *     - CUDA-graph estimate; num_blocks = kv // page_size // num_layers (v1/core/kv_cache_utils.py
 *     get_num_blocks), page_size = block_size x kv_heads x (head_size + head_size_v) x dtype
 *     (v1/kv_cache_interface.py).</li>
 * <li>SGLang (model_runner profile_max_num_token): kv = mem_fraction_static x total - weights -
 *     non-torch at load; tokens = kv // cell_size, cell = kv_heads x head_dim x layers x 2 x dtype.</li>
 * <li>TRT-LLM (pyexecutor _util.py estimate_max_kv_cache_tokens): kv = free_gpu_memory_fraction x
 *     (total - weights - activations - other).</li>
 * </ul>
 */
public final class MemoryModel {
    private static final double GIB = 1024.0 * 1024 * 1024;
    /** Non-torch memory with no communicator (CUDA context, cuBLAS workspace): ~0.25 GiB on H100 (formulas.md pitfalls). */
    public static final long NON_TORCH_SINGLE = (long) (0.25 * GIB);
    /** Non-torch memory once NCCL and custom all-reduce buffers exist (TP or PP >= 2): ~2 GiB on H100 (formulas.md pitfalls). */
    public static final long NON_TORCH_DISTRIBUTED = (long) (2.0 * GIB);
    /** vLLM CUDA-graph memory when graphs are captured: ~1.3 GB (vllm-project/vllm#21489). */
    public static final long CUDA_GRAPH = 1_300_000_000L;
    /** max_num_batched_tokens when the engine leaves it open (vLLM API server default on >=70 GiB GPUs). */
    public static final int DEFAULT_BATCHED_TOKENS = 8192;

    private MemoryModel() {}

    /** Budgets of every rank (ranks with identical shards share one computation). */
    public static List<MemoryBudget> budgets(Plan plan, RankLayout layout) {
        Map<String, MemoryBudget> cache = new HashMap<>();
        List<MemoryBudget> out = new ArrayList<>(layout.worldSize());
        for (Rank r : layout.ranks()) {
            Shard s = r.shard();
            String key = r.pp() + ":" + s.weights().total() + ":" + s.lmHead();
            out.add(cache.computeIfAbsent(key, k -> budget(plan, layout, r)));
        }
        return out;
    }

    static double tuning(Plan plan, String key, double dflt) {
        Double v = plan.tuning().get(key);
        return v == null ? dflt : v;
    }

    /** Peak activation of profile_run at max_num_batched_tokens, in bytes (see docs/memory-model.md). */
    public static long activation(Plan plan, RankLayout layout, Shard s) {
        Double t = plan.tuning().get("activation_reserve_gib");
        if (t != null) return (long) (t * GIB);
        Model m = plan.model();
        Engine e = plan.engine();
        long tokens = e.maxNumBatchedTokens() > 0 ? e.maxNumBatchedTokens() : DEFAULT_BATCHED_TOKENS;
        int tp = layout.tp();
        long h = m.hidden();
        double b = Sharding.baseBytes(m);
        // Live tensors per token at the widest point of a layer: residual + normed input + the
        // layer's widest intermediates (attention: qkv + output; dense MLP: gate_up + activation;
        // fused MoE: intermediate_cache1..3 of the top-k copies).
        long attn = 2 * h + (m.isMla() ? (long) s.qHeads().size() * (m.mla().qkNopeHeadDim() + 2L * m.mla().qkRopeHeadDim() + m.mla().vHeadDim())
                : (long) (2 * s.qHeads().size() + 2 * Math.max(1, s.kvHeads().size())) * m.headDim());
        long dense = s.denseLayers() > 0 ? 2 * h + 3L * m.ffn() / tp : 0;
        long moe = 0;
        if (m.moe() != null && s.moeLayers() > 0) {
            moe = 2 * h + (long) m.moe().topK() * (3L * s.expertFfn().size() + h);
        }
        long perToken = Math.max(attn, Math.max(dense, moe));
        long act = (long) Math.ceil(tokens * perToken * b);
        if (s.lmHead()) {
            // The sampler's dummy run: fp32 logits over the full vocabulary for max_num_seqs requests
            // (vLLM gpu_model_runner _dummy_sampler_run).
            act += (long) Math.max(1, e.maxNumSeqs()) * m.vocab() * 4L;
        }
        return act;
    }

    public static long nonTorch(Plan plan, RankLayout layout) {
        Double t = plan.tuning().get("non_torch_gib");
        if (t != null) return (long) (t * GIB);
        return layout.tp() * layout.pp() > 1 || layout.moeGroupSize() > 1 ? NON_TORCH_DISTRIBUTED : NON_TORCH_SINGLE;
    }

    public static long cudaGraph(Plan plan) {
        Double t = plan.tuning().get("cuda_graph_gib");
        if (t != null) return (long) (t * GIB);
        Engine e = plan.engine();
        if (e.kind() != EngineKind.VLLM || !e.cudaGraphs()) return 0;
        // vLLM subtracts its CUDA-graph estimate from the KV budget by default since v0.21.
        if (versionBelow(e.version(), 0, 21)) return 0;
        return CUDA_GRAPH;
    }

    static boolean versionBelow(String v, int major, int minor) {
        if (v == null || v.isBlank()) return false;
        String[] p = v.replaceFirst("^v", "").split("[.]");
        try {
            int a = Integer.parseInt(p[0]);
            int b = p.length > 1 ? Integer.parseInt(p[1].replaceAll("[^0-9].*", "")) : 0;
            return a < major || (a == major && b < minor);
        } catch (NumberFormatException ex) {
            return false;
        }
    }

    /** SGLang's default mem_fraction_static (server_args _handle_gpu_memory_settings), for a fraction left at 0. */
    public static double sglangFraction(Plan plan, RankLayout layout) {
        double gpuMb = plan.cluster().gpu().memory() / 1e6;
        Engine e = plan.engine();
        int chunk = e.maxNumBatchedTokens() > 0 ? e.maxNumBatchedTokens() : DEFAULT_BATCHED_TOKENS;
        int graphBs = layout.tp() < 4 ? 256 : 512;
        double reserved = 512 + Math.max(chunk, 2048) * 1.5 + graphBs * 2 + layout.tp() * layout.pp() / 8.0 * 1024;
        if (gpuMb > 60_000) reserved = Math.max(reserved, 10_000);
        return Math.round((gpuMb - reserved) / gpuMb * 1000) / 1000.0;
    }

    static MemoryBudget budget(Plan plan, RankLayout layout, Rank r) {
        Model m = plan.model();
        Engine e = plan.engine();
        Shard s = r.shard();
        long total = plan.cluster().gpu().memory();
        long weights = s.weights().total();
        long act = activation(plan, layout, s);
        long nonTorch = nonTorch(plan, layout);
        long graph = cudaGraph(plan);
        int layers = s.layers().size();
        int block = e.blockSize() > 0 ? e.blockSize() : defaultBlock(e.kind());
        KvBytes kvb = kvBytes(plan, layout.tp());
        long perTokenLayer = kvb.bytes();
        long page = block * perTokenLayer;
        long perToken = perTokenLayer * layers;
        // vLLM divides a worker's pool by the layers of its largest KV cache group: all its layers
        // for a uniform model, one group's share for a hybrid (sliding-window) model.
        KvGroups groups = KvGroups.of(plan);
        int groupLayers = groups.layersPerGroupOn(m, s.layers().start(), s.layers().end());
        List<Derivation> d = new ArrayList<>();
        d.add(new Derivation("kv bytes/token/layer", kvb.formula(), kvb.numbers(), kvb.source()));
        d.add(new Derivation("weights", "sum of this rank's shard (attention + ffn + experts + shared + router + norms + embedding + lm head)",
                String.format(Locale.ROOT, "%d B (%.2f GiB; scales %d B)", weights, weights / GIB, s.weights().scales()),
                "vLLM loads only its shard: column/row-parallel linears, vocab-parallel embedding, PPMissingLayer"));
        d.add(new Derivation("activation", "max_num_batched_tokens x widest live tensors per token x dtype (+ max_num_seqs x vocab x 4 for the sampler on the last stage)",
                String.format(Locale.ROOT, "%d B (%.2f GiB)", act, act / GIB), "vLLM profile_run (gpu_model_runner _dummy_run, _dummy_sampler_run)"));
        d.add(new Derivation("non-torch", layout.tp() * layout.pp() > 1 ? "NCCL + custom all-reduce buffers (~2 GiB)" : "CUDA context and cuBLAS (~0.25 GiB)",
                String.format(Locale.ROOT, "%d B", nonTorch), "vllm utils/mem_utils.py memory_profiling non_torch_increase; docs/memory-model.md (non-torch memory)"));
        long usable, pool, blocks;
        double fraction = e.memoryFraction();
        switch (e.kind()) {
            case SGLANG -> {
                if (fraction <= 0) fraction = sglangFraction(plan, layout);
                usable = (long) Math.floor(fraction * total);
                pool = usable - weights - nonTorch;
                long tokens = pool > 0 && perToken > 0 ? pool / perToken : 0;
                blocks = tokens / block;
                d.add(new Derivation("kv pool", "mem_fraction_static x total - weights - non-torch",
                        String.format(Locale.ROOT, "%.3f x %d - %d - %d = %d", fraction, total, weights, nonTorch, pool),
                        "sglang model_runner.py profile_max_num_token (rest_memory = available - total x (1 - fraction))"));
                d.add(new Derivation("kv tokens", "pool // (cell_size = kv bytes/token/layer x layers), in pages of page_size",
                        pool + " // " + perToken + " = " + tokens + " -> " + blocks + " pages of " + block,
                        "sglang profile_max_num_token"));
            }
            case TRTLLM -> {
                if (fraction <= 0) fraction = 0.9;
                usable = total;
                long free = total - weights - act - nonTorch;
                pool = (long) Math.floor(fraction * free);
                long tokens = pool > 0 && perToken > 0 ? pool / perToken : 0;
                blocks = tokens / block;
                d.add(new Derivation("kv pool", "free_gpu_memory_fraction x (total - weights - activation - other)",
                        String.format(Locale.ROOT, "%.3f x (%d - %d - %d - %d) = %d", fraction, total, weights, act, nonTorch, pool),
                        "tensorrt_llm _torch/pyexecutor/_util.py estimate_max_kv_cache_tokens"));
                d.add(new Derivation("kv blocks", "pool // (kv bytes/token x layers) // tokens_per_block",
                        pool + " // " + perToken + " // " + block + " = " + blocks, "TRT-LLM KVCacheManager"));
            }
            default -> {
                if (fraction <= 0) fraction = 0.9;
                usable = (long) Math.floor(fraction * total);
                pool = usable - weights - act - nonTorch - graph;
                blocks = pool > 0 && page > 0 && groupLayers > 0 ? pool / page / groupLayers : 0;
                d.add(new Derivation("requested", "gpu_memory_utilization x total",
                        String.format(Locale.ROOT, "%.3f x %d = %d", fraction, total, usable), "vllm v1/worker/gpu_worker.py init_device"));
                d.add(new Derivation("cuda graphs", "CUDA-graph memory estimate subtracted from the KV budget",
                        graph + " B", "vllm-project/vllm#30515 (default since v0.21); size from #21489"));
                d.add(new Derivation("kv pool", "requested - weights - activation - non-torch - cuda graphs",
                        usable + " - " + weights + " - " + act + " - " + nonTorch + " - " + graph + " = " + pool,
                        "vllm gpu_worker.py determine_available_memory"));
                if (groups.hybrid()) {
                    d.add(new Derivation("kv blocks", "pool // page_size // layers per kv cache group; the "
                                    + groups.count() + " groups (" + groups.fullGroups() + " full, " + groups.slidingGroups()
                                    + " sliding window, " + groups.groupSize() + " layers each) share the blocks",
                            pool + " // " + page + " // " + groupLayers + " = " + blocks,
                            "vllm v1/core/kv_cache_utils.py _get_kv_cache_groups_uniform_page_size, get_kv_cache_config_from_groups"));
                } else {
                    d.add(new Derivation("kv blocks", "pool // page_size // num_layers, page_size = block_size x kv bytes/token/layer",
                            pool + " // " + page + " // " + layers + " = " + blocks, "vllm v1/core/kv_cache_utils.py get_num_blocks"));
                }
            }
        }
        return new MemoryBudget(r.pp(), e.kind(), total, fraction, usable, s.weights(), weights, act, nonTorch,
                e.kind() == EngineKind.VLLM ? graph : 0, pool, layers, block, page, perToken, Math.max(0, blocks), d);
    }

    /** KV bytes of one token in one layer on one rank, with how they were found. */
    record KvBytes(long bytes, String formula, String numbers, String source) {}

    /** vLLM's DeepSeek sparse-attention cache format: 512 fp8 latent + 4 fp32 scales + 64 bf16 rope values per token. */
    public static final int FP8_DS_MLA_BYTES = 656;

    /**
     * KV bytes per token and layer on a rank (formulas.md §4.2): full attention kv_heads_per_rank x
     * (head_dim + head_dim_v) x dtype; MLA (kv_lora_rank + qk_rope_head_dim) x dtype, the same on
     * every rank. DeepSeek sparse attention on vLLM (index_topk) caches the latent as fp8_ds_mla,
     * 656 B, whenever kv_cache_dtype is auto or fp8 (vllm model_executor/models/config.py
     * DeepseekV32ForCausalLM.verify_and_update_config; kv_cache_interface.py MLAAttentionSpec), and
     * adds the indexer's key cache, index_head_dim fp8 values + one fp32 scale per 128, stored as
     * uint8 whatever the dtype (deepseek_v2.py Indexer, DeepseekV32IndexerCache). Dense MLA models
     * (DeepSeek-V3/R1, Kimi-K2) with fp8 use plain fp8: 576 B.
     */
    static KvBytes kvBytes(Plan plan, int tp) {
        Model m = plan.model();
        Engine e = plan.engine();
        DType kvd = plan.kvDtype() != null ? plan.kvDtype() : m.dtype();
        if (m.isMla() && m.mla().sparse() && e.kind() == EngineKind.VLLM) {
            int ih = m.mla().indexHeadDim();
            long indexer = ih + ih / 128 * 4L;
            boolean dsMla = e.kvDtype() == null || e.kvDtype() == DType.FP8;
            long latent = dsMla ? FP8_DS_MLA_BYTES : (long) Math.ceil(m.mla().cachedPerToken() * kvd.bytes());
            return new KvBytes(latent + indexer,
                    (dsMla ? "fp8_ds_mla 656" : "(kv_lora_rank + qk_rope_head_dim) x dtype") + " + indexer keys (index_head_dim + index_head_dim/128 x 4)",
                    (dsMla ? "656" : "(" + m.mla().kvLoraRank() + " + " + m.mla().qkRopeHeadDim() + ") x " + fmt(kvd.bytes()))
                            + " + (" + ih + " + " + ih / 128 * 4 + ") = " + (latent + indexer),
                    "DeepSeek sparse attention (index_topk " + m.mla().indexTopK() + "): vllm models/config.py DeepseekV32ForCausalLM turns "
                            + "auto and fp8 into fp8_ds_mla (kv_cache_interface.py MLAAttentionSpec: block_size x 656); "
                            + "deepseek_v2.py DeepseekV32IndexerCache");
        }
        long elems = Sharding.kvElementsPerTokenPerLayer(m, tp, e.kind());
        long bytes = (long) Math.ceil(elems * kvd.bytes());
        if (m.isMla()) {
            return new KvBytes(bytes, "(kv_lora_rank + qk_rope_head_dim) x dtype",
                    "(" + m.mla().kvLoraRank() + " + " + m.mla().qkRopeHeadDim() + ") x " + fmt(kvd.bytes()) + " = " + bytes,
                    "MLA caches kv_lora_rank + qk_rope_head_dim per token on every rank (vllm v1/kv_cache_interface.py MLAAttentionSpec)");
        }
        return new KvBytes(bytes, "kv_heads_per_rank x (head_dim + head_dim_v) x dtype",
                Sharding.kvHeadsCached(m, tp, e.kind()) + " x 2 x " + m.headDim() + " x " + fmt(kvd.bytes()) + " = " + bytes,
                "kv heads per rank = max(1, kv // tp) (vllm config/model.py get_num_kv_heads; TRT-LLM: ceil)");
    }

    static int defaultBlock(EngineKind k) {
        return switch (k) {
            case VLLM -> 16;
            case SGLANG -> 1;
            case TRTLLM -> 32;
        };
    }

    /** Clamps to the smallest worker and counts sequences at the workload's lengths. */
    public static KvCapacity capacity(Plan plan, RankLayout layout, List<MemoryBudget> budgets) {
        long min = Long.MAX_VALUE;
        int limiting = 0;
        for (int i = 0; i < budgets.size(); i++) {
            if (budgets.get(i).kvBlocks() < min) {
                min = budgets.get(i).kvBlocks();
                limiting = i;
            }
        }
        if (budgets.isEmpty()) min = 0;
        MemoryBudget lim = budgets.isEmpty() ? null : budgets.get(limiting);
        int block = lim == null ? 16 : lim.blockSize();
        KvGroups groups = KvGroups.of(plan);
        // vLLM logs num_blocks // groups x block_size tokens ("GPU KV cache size", kv_cache_utils.py _report_kv_cache_config).
        long tokens = min / groups.count() * block;
        Workload w = plan.workload();
        long maxLen = Math.min(w.maxLength(), plan.maxModelLen() > 0 ? plan.maxModelLen() : w.maxLength());
        List<SeqCapacity> at = new ArrayList<>();
        at.add(seq("p50", w.lengthAt(0.5), min, block, groups));
        at.add(seq("p95", w.lengthAt(0.95), min, block, groups));
        at.add(seq("max", maxLen, min, block, groups));
        return new KvCapacity(min, block, tokens, lim == null ? 0 : lim.kvBytesPerToken(), limiting, at, layout.dp(),
                tokens * layout.dp(), groups);
    }

    static SeqCapacity seq(String label, long length, long blocks, int block, KvGroups groups) {
        long per = groups.blocksPerSeq(length, block);
        return new SeqCapacity(label, length, per, blocks / per);
    }

    static String fmt(double d) {
        return d == Math.rint(d) ? String.valueOf((long) d) : String.valueOf(d);
    }
}
