package dev.shardplan.engine;

import dev.shardplan.layout.LayoutRules;
import dev.shardplan.layout.Rank;
import dev.shardplan.layout.RankLayout;
import dev.shardplan.layout.Shard;
import dev.shardplan.layout.Sharding;
import dev.shardplan.model.DType;
import dev.shardplan.model.Derivation;
import dev.shardplan.model.EngineKind;
import dev.shardplan.model.Model;
import dev.shardplan.model.Plan;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

import static dev.shardplan.engine.DefaultRule.fixed;
import static dev.shardplan.engine.Shapes.gib;

/**
 * TensorRT-LLM with its PyTorch backend (trtllm-serve, the LLM API): supported releases,
 * settings, layout and memory accounting. The KV pool is a fraction of what is free after the
 * weights and a profiling forward pass (_torch/pyexecutor/_util.py KvCacheCreator).
 */
final class Trtllm implements EngineSpec {
    private static final double GIB = 1L << 30;

    /**
     * Supported releases. Neither release's parser could be read here (the repository is over the
     * fetch limit and the search index stores no release commit): 1.2.1's commit is known from its
     * versioned docs' source links, 1.0.0's is not. Flags and LLM-API keys follow a main-branch
     * snapshot of tensorrt_llm/commands/serve.py (docs/engines.md says what is verified).
     */
    private static final List<Release> RELEASES = List.of(
            new Release(EngineKind.TRTLLM, Version.of("1.0.0"), null,
                    "not established: no 1.0.0 source could be read; flags follow the main-branch snapshot 00209af1",
                    "nvcr.io/nvidia/tensorrt-llm/release:1.0.0"),
            new Release(EngineKind.TRTLLM, Version.of("1.2.1"), "376f7e1bd8ed543f75014309e3fd4b237e9b0e73",
                    "the 1.2.1 docs (nvidia.github.io/TensorRT-LLM/1.2.1) link their sources at this commit; its files could not be read",
                    "nvcr.io/nvidia/tensorrt-llm/release:1.2.1"));

    private final Map<Release, List<Setting>> tables = new LinkedHashMap<>();

    Trtllm() {
        for (Release r : RELEASES) tables.put(r, List.copyOf(table(r)));
    }

    @Override public EngineKind kind() { return EngineKind.TRTLLM; }

    @Override public String title() { return "TensorRT-LLM"; }

    @Override public List<Release> releases() { return RELEASES; }

    @Override public List<Setting> settings(Release r) { return tables.get(r); }

    @Override public int defaultPort() { return 8000; }

    @Override public boolean refusesShortPool() { return false; }

    /** SchedulerConfig.capacity_scheduler_policy defaults to GUARANTEED_NO_EVICT (tensorrt_llm/llmapi/llm_args.py). */
    @Override public boolean reservesWholeSequence() { return true; }

    private static List<Setting> table(Release r) {
        String at = "TensorRT-LLM " + r.version();
        List<Setting> t = new ArrayList<>();
        t.add(Setting.of("max_seq_len", Kind.COUNT).role(Role.MAX_MODEL_LEN).range(1, 1e9).flag("--max_seq_len").configKey("max_seq_len")
                .dflt(ctx -> new DefaultRule.Default(ctx.plan().workload().maxLength(), Origin.WORKLOAD,
                        "the workload's max length (TensorRT-LLM's own default is the model's max_position_embeddings)"))
                .doc("longest sequence (prompt + output) the server accepts, in tokens")
                .source("tensorrt_llm/llmapi/llm_args.py BaseLlmArgs.max_seq_len").build());
        t.add(Setting.of("free_gpu_memory_fraction", Kind.NUMBER).role(Role.MEMORY_FRACTION).above(0, 1)
                .flag("--kv_cache_free_gpu_memory_fraction").configKey("kv_cache_config.free_gpu_memory_fraction")
                .dflt(fixed(0.9, at + " default"))
                .doc("fraction of the memory free after weights and activations given to the KV cache")
                .source("tensorrt_llm/llmapi/llm_args.py KvCacheConfig.free_gpu_memory_fraction (0.9); commands/serve.py").build());
        t.add(Setting.of("max_batch_size", Kind.COUNT).role(Role.MAX_SEQS).range(1, 1e6).flag("--max_batch_size").configKey("max_batch_size")
                .dflt(fixed(2048L, at + " default (trtllm-serve --max_batch_size)"))
                .doc("requests one executor runs at once")
                .source("tensorrt_llm/commands/serve.py --max_batch_size (BuildConfig.max_batch_size = 2048)").build());
        t.add(Setting.of("max_num_tokens", Kind.COUNT).role(Role.MAX_BATCHED_TOKENS).range(1, 1e9).flag("--max_num_tokens").configKey("max_num_tokens")
                .dflt(fixed(8192L, at + " default (trtllm-serve --max_num_tokens)"))
                .doc("tokens one executor step may process")
                .source("tensorrt_llm/commands/serve.py --max_num_tokens (BuildConfig.max_num_tokens = 8192)").build());
        t.add(Setting.of("tokens_per_block", Kind.COUNT).role(Role.BLOCK_SIZE).range(1, 4096).configKey("kv_cache_config.tokens_per_block")
                .dflt(fixed(32L, at + " default"))
                .doc("tokens per KV cache block")
                .source("tensorrt_llm/llmapi/llm_args.py KvCacheConfig.tokens_per_block = 32").build());
        t.add(Setting.of("kv_cache_dtype", Kind.CHOICE).role(Role.KV_CACHE_DTYPE).choices(List.of("auto", "fp8", "nvfp4"))
                .configKey("kv_cache_config.dtype").dflt(fixed("auto", at + " default: the checkpoint's"))
                .doc("dtype of the KV cache; auto is the checkpoint's")
                .source("tensorrt_llm/llmapi/llm_args.py KvCacheConfig.dtype").build());
        t.add(Setting.of("cuda_graphs", Kind.BOOL).role(Role.CUDA_GRAPHS).configObject("cuda_graph_config")
                .dflt(fixed(true, at + " default: CUDA graphs for decode batches"))
                .doc("capture decode steps in CUDA graphs (false: cuda_graph_config null)")
                .source("tensorrt_llm/llmapi/llm_args.py TorchLlmArgs.cuda_graph_config").build());
        t.add(Setting.of("chunked_prefill", Kind.BOOL).role(Role.CHUNKED_PREFILL).switches("--enable_chunked_prefill", null).configKey("enable_chunked_prefill")
                .dflt(fixed(false, at + " default: off"))
                .doc("prefill long prompts in chunks of max_num_tokens")
                .source("tensorrt_llm/llmapi/llm_args.py BaseLlmArgs.enable_chunked_prefill = False").build());
        t.add(Setting.of("prefix_caching", Kind.BOOL).role(Role.PREFIX_CACHING).configKey("kv_cache_config.enable_block_reuse")
                .dflt(fixed(true, at + " default: KV block reuse on"))
                .doc("reuse KV blocks of shared prefixes (kv_cache_config.enable_block_reuse)")
                .source("tensorrt_llm/llmapi/llm_args.py KvCacheConfig.enable_block_reuse = True").build());
        recipes(t, r, at);
        return t;
    }

    /**
     * Serving recipes as LLM-API keys (tensorrt_llm/llmapi/llm_args.py: MoeConfig.backend and its
     * load_balancer's num_slots, the MTP speculative_config, KvCacheConfig.host_cache_size in
     * bytes); shardplan/reference launchers.md §3.2. Like the other keys they follow the main
     * branch: no release's llm_args.py could be read (docs/engines.md).
     */
    private static void recipes(List<Setting> t, Release r, String at) {
        String api = "tensorrt_llm/llmapi/llm_args.py";
        t.add(Setting.of("moe_backend", Kind.CHOICE).role(Role.ALL2ALL).choices(List.of("CUTLASS", "TRTLLM", "WIDEEP", "DEEPGEMM"))
                .configKey("moe_config.backend").dflt(fixed("CUTLASS", at + " default MoE kernels"))
                .doc("MoE kernels; WIDEEP is the expert-parallel all-to-all of wide EP")
                .source(api + " MoeConfig.backend").build());
        t.add(Setting.of("eplb_slots", Kind.COUNT).role(Role.REDUNDANT_EXPERTS).range(0, 1 << 16).zeroOff()
                .configKey("moe_config.load_balancer.num_slots").dflt(fixed(0L, at + " default: no load balancer"))
                .doc("expert slots of the EP load balancer (routed experts + redundant copies); 0: off")
                .source(api + " MoeConfig.load_balancer (MoeLoadBalancerConfig.num_slots)").build());
        t.add(Setting.of("mtp_layers", Kind.COUNT).role(Role.SPEC_TOKENS).range(0, 16).zeroOff()
                .configKey("speculative_config.num_nextn_predict_layers").json(null, "num_nextn_predict_layers",
                        java.util.Map.of("decoding_type", "MTP"))
                .dflt(fixed(0L, at + " default: no speculative decoding"))
                .doc("draft tokens per step from the checkpoint's MTP layers (speculative_config decoding_type MTP)")
                .source(api + " MTPDecodingConfig (decoding_type MTP, num_nextn_predict_layers)").build());
        t.add(Setting.of("host_cache_size", Kind.SIZE).role(Role.KV_OFFLOAD).range(0, 1e15).unit(1, true).zeroOff()
                .configKey("kv_cache_config.host_cache_size").dflt(fixed(0L, at + " default: no host KV tier"))
                .doc("host memory of the KV cache's secondary (offload) pool, per rank")
                .source(api + " KvCacheConfig.host_cache_size (bytes)").build());
    }

    /** num_slots is experts + copies (MoeLoadBalancerConfig); 0 is no load balancer. */
    @Override
    public long redundantExperts(EngineConfig cfg, Model model) {
        if (model.moe() == null) return 0;
        long slots = cfg.role(Role.REDUNDANT_EXPERTS).map(Effective::count).orElse(0L);
        return slots == 0 ? 0 : Math.max(0, slots - model.moe().experts());
    }

    @Override
    public DType kvDtype(String word, Model model) {
        return switch (word) {
            case "auto" -> model.kvDtype();
            case "nvfp4" -> DType.FP4;
            default -> DType.FP8;
        };
    }

    /**
     * tensorrt_llm/mapping.py: pp_layers splits with torch.tensor_split (remainder to the first
     * stages); attention caches ceil(kv / tp) heads; moe_ep_rank = tp_rank % moe_ep_size (EP groups
     * contiguous); with attention DP the MoE group is the dp x tp ranks (tp_size counts them all).
     */
    private static final LayoutRules LAYOUT = new LayoutRules(LayoutRules.Remainder.FIRST,
            LayoutRules.KvHeadRounding.CEIL, LayoutRules.MoeGroup.TP_OR_ATTENTION_DP, LayoutRules.EpOrder.EP_MINOR);

    @Override public LayoutRules layoutRules() { return LAYOUT; }

    private static final String SERVE = "tensorrt_llm/commands/serve.py (trtllm-serve click options, main-branch snapshot 00209af1)";

    private static final List<LaunchFlag> FLAGS = List.of(
            LaunchFlag.flag("config", "--extra_llm_api_options", SERVE),
            LaunchFlag.flag("backend", "--backend", SERVE),
            LaunchFlag.flag("tp_size", "--tp_size", SERVE),
            LaunchFlag.flag("pp_size", "--pp_size", SERVE),
            LaunchFlag.flag("ep_size", "--ep_size", SERVE),
            LaunchFlag.flag("reasoning_parser", "--reasoning_parser", SERVE),
            LaunchFlag.flag("tool_call_parser", "--tool_parser", SERVE),
            LaunchFlag.flag("host", "--host", SERVE),
            LaunchFlag.flag("port", "--port", SERVE));

    @Override public List<LaunchFlag> launchFlags() { return FLAGS; }

    /**
     * shardplan's parser names -> TensorRT-LLM's (ReasoningParserFactory names of the main-branch CLI
     * reference, tests/unittest/api_stability/references/trtllm_serve_cli.yaml; no release's
     * registry could be read, see docs/engines.md).
     */
    private static final ParserTable PARSERS = ParserTable.of(
            "deepseek_r1", "deepseek-r1", "1.0.0",
            "qwen3", "qwen3", "1.0.0",
            "kimi_k2", "kimi_k2", "1.0.0",
            // gpt-oss's harmony format is parsed by the server itself, reasoning and tool calls alike
            // (tensorrt_llm/serve/openai_server.py: use_harmony for model_type gpt_oss): no flag.
            "gpt_oss", "", "1.0.0");

    @Override
    public Optional<String> reasoningParser(Release r, String parser) {
        return PARSERS.lookup(r, parser);
    }

    /**
     * shardplan's tool-call formats -> TensorRT-LLM's --tool_parser names (ToolParserFactory in
     * tensorrt_llm/serve/tool_parser/; its first versions registered only qwen3, the DeepSeek and
     * Kimi parsers came later; no release's registry could be read, so 1.0.0 gets the first and
     * 1.2.1 the later set). Llama and Mistral formats have no parser; gpt-oss's harmony format is
     * handled by the server itself (an empty spelling: nothing to pass, nothing missing).
     */
    private static final ParserTable TOOLS = ParserTable.of(
            "hermes", "qwen3", "1.0.0",
            "qwen3_coder", "qwen3_coder", "1.2.0",
            "deepseek_v3", "deepseek_v3", "1.2.0",
            "kimi_k2", "kimi_k2", "1.2.0",
            "gpt_oss", "", "1.0.0");

    @Override
    public Optional<String> toolParser(Release r, String parser) {
        return TOOLS.lookup(r, parser);
    }

    @Override
    public List<String> toolParsers(Release r) {
        return TOOLS.names(r);
    }

    /**
     * /health answers 503 when the executor is unhealthy and /health_generate generates one token
     * (tensorrt_llm/serve/openai_server.py register_routes). /dev/shm: 10 GiB, as the other
     * engines' Kubernetes examples (TensorRT-LLM's own LWS example leaves it unsized).
     */
    private static final Serving SERVING = new Serving("/health", "/health", 10L << 30,
            "tensorrt_llm/serve/openai_server.py (/health, /health_generate)");

    @Override
    public Serving serving(Release r) {
        return SERVING;
    }

    @Override
    public String limitSource(Role role) {
        return "each TensorRT-LLM rank runs its own executor; with attention DP every rank schedules up to the limit itself (llm_args.py max_batch_size, max_num_tokens)";
    }

    @Override
    public List<String> reasoningParsers(Release r) {
        return PARSERS.names(r);
    }

    /**
     * TensorRT-LLM's fused MoE replaces its allgather/reducescatter with an all-to-all only under
     * attention DP: enable_alltoall requires mapping.enable_attention_dp (and moe_ep_size > top_k,
     * MNNVL or DeepEP; tensorrt_llm/_torch/modules/fused_moe/fused_moe_cutlass.py,
     * fused_moe_wide_ep.py select_alltoall_method_type). With attention TP every rank holds the
     * whole batch, its moe_ep_size slice of experts computes it, and reducescatter_or_allreduce
     * sums the output with the TP all-reduce.
     */
    @Override
    public boolean epAllToAll(EngineConfig cfg, dev.shardplan.model.Parallel p) {
        return p.ep() > 1 && p.dpAttention() && p.dp() > 1;
    }

    @Override
    public KvBytes kvBytes(EngineConfig cfg, Model m, int tp) {
        return Shapes.kvBytes(m, tp, cfg.kvDtype(), LAYOUT.kvHeads(), "kv heads per rank = ceil(kv / tp) (TensorRT-LLM attention)");
    }

    @Override
    public KvGroups kvGroups(EngineConfig cfg, Model m) {
        return KvGroups.uniform(m.layers());
    }

    /**
     * What the PyTorch backend's profiling leaves in use beside the weights and its activation
     * peak, less the small KV cache it profiles with (which it frees): 2.51 GiB on H200 with
     * Llama-3-8B (1.2.0rc4) and 1.31 GiB on a 47 GiB card with TinyLlama (1.1.0), both from the
     * logged "outside torch" and "inside torch" figures (src/test/resources/engine/startup-logs.json);
     * the mean of the two.
     */
    static final long NON_TORCH_SINGLE = 1950L << 20;

    /** The single-GPU figure plus NCCL's buffers as vLLM's start-ups measure them (NVLink SHARP or not). */
    static long nonTorch(Plan plan, RankLayout layout) {
        int group = Math.max(layout.tp(), layout.moeGroupSize());
        if (group > 1) return NON_TORCH_SINGLE + (Vllm.nvls(plan, group) ? Vllm.NCCL_NVLS : Vllm.NCCL_BUFFERS);
        return NON_TORCH_SINGLE + (layout.pp() > 1 ? Vllm.NCCL_P2P : 0);
    }

    @Override
    public MemoryBudget budget(EngineConfig cfg, Plan plan, RankLayout layout, Rank r) {
        Model m = plan.model();
        Shard s = r.shard();
        long total = plan.cluster().gpu().memory();
        // A drafter's MTP layers add their weights and their KV to the last stage (Shapes.mtpWeights).
        int mtp = Shapes.mtpLayers(cfg, plan, s);
        long mtpWeights = mtp * Shapes.mtpWeights(plan, r, layout.tp());
        Eplb.Extra eplb = Eplb.of(cfg, plan, layout, r);
        long weights = s.weights().total() + mtpWeights + eplb.bytes();
        Double at = plan.tuning().get("activation_reserve_gib");
        long act = at != null ? (long) (at * GIB) : activation(cfg, plan, layout, s);
        Double nt = plan.tuning().get("non_torch_gib");
        long nonTorch = nt != null ? (long) (nt * GIB) : nonTorch(plan, layout);
        double fraction = cfg.memoryFraction();
        long free = total - weights - act - nonTorch;
        long pool = (long) Math.floor(fraction * free);
        KvBytes kvb = kvBytes(cfg, m, layout.tp());
        int layers = s.layers().size() + mtp;
        long perToken = kvb.bytes() * layers;
        int block = cfg.blockSize();
        long tokens = pool > 0 && perToken > 0 ? pool / perToken : 0;
        long blocks = tokens / block;
        List<Derivation> d = new ArrayList<>();
        d.add(new Derivation("kv bytes/token/layer", kvb.formula(), kvb.numbers(), kvb.source()));
        d.add(new Derivation("weights", "sum of this rank's shard", weights + " B (" + gib(weights) + ")", "TensorRT-LLM loads only its shard"));
        if (eplb.derivation() != null) d.add(eplb.derivation());
        if (mtp > 0) d.add(new Derivation("mtp drafter", mtp + " MTP layer(s): one decoder layer sharded like this rank's + eh_proj (2h x h) + 2 norms; embedding and LM head shared with the model",
                mtpWeights + " B (" + gib(mtpWeights) + "), and " + mtp + " more layer(s) of KV per token",
                "speculative decoding with the checkpoint's next-token layers (num_nextn_predict_layers)"));
        d.add(new Derivation("activation", "max_num_tokens x widest live elements per token x dtype (+ fp32 logits of the last stage)",
                act + " B (" + gib(act) + ")", "tensorrt_llm _torch/pyexecutor/_util.py: profiling forward pass at max_num_tokens"));
        d.add(new Derivation("kv pool", "free_gpu_memory_fraction x (total - weights - activation - other)",
                String.format(Locale.ROOT, "%.3f x (%d - %d - %d - %d) = %d", fraction, total, weights, act, nonTorch, pool),
                "tensorrt_llm _torch/pyexecutor/_util.py KvCacheCreator (estimate_max_kv_cache_tokens)"));
        d.add(new Derivation("kv blocks", "pool // (kv bytes/token x layers) // tokens_per_block",
                pool + " // " + perToken + " // " + block + " = " + blocks, "TensorRT-LLM KVCacheManager"));
        return new MemoryBudget(r.pp(), EngineKind.TRTLLM, total, fraction, total, s.weights(), weights, act, nonTorch, 0, pool,
                layers, block, block * kvb.bytes(), perToken, Math.max(0, blocks), 0, 0, d);
    }

    /** The profiling forward pass at max_num_tokens, plus the last stage's fp32 logits for max_batch_size rows. */
    static long activation(EngineConfig cfg, Plan plan, RankLayout layout, Shard s) {
        long fwd = (long) Math.ceil((double) cfg.maxBatchedTokens() * Shapes.forwardPerToken(plan.model(), s, layout.tp())
                * Sharding.baseBytes(plan.model()));
        long logits = s.lmHead() ? Math.min(cfg.maxSeqs(), cfg.maxBatchedTokens()) * (long) plan.model().vocab() * 4L : 0;
        return fwd + logits;
    }

    /**
     * The serving loop (docs/predictions.md, "Engine loop"). The PyTorch executor's overlap scheduler
     * is on by default (docs/source/features/overlap-scheduler.md, "Enabled by default",
     * {@code disable_overlap_scheduler}); with PP the executor rotates pp_size micro-batches
     * (_torch/pyexecutor/py_executor.py _executor_loop_pp, which does not overlap); CUDA graphs
     * capture 1-31, 32, 64 and 128 without padding, so another batch size runs eagerly
     * (llmapi/llm_args.py CudaGraphConfig: max_batch_size 0 -> 128, enable_padding False,
     * _generate_cuda_graph_batch_sizes); block reuse. The sampler's kernels were not read: they are
     * taken at FlashInfer's cost. Attention DP runs the ranks' batches together.
     */
    @Override
    public EngineLoop loop(EngineConfig cfg, Plan plan) {
        var p = plan.parallel();
        List<EngineLoop.Fact> f = new ArrayList<>();
        boolean pp = p.pp() > 1;
        f.add(new EngineLoop.Fact(pp ? "CPU work in series with the GPU (the PP executor loop does not overlap)" : "CPU work overlaps the GPU (overlap scheduler on by default)",
                pp ? "tensorrt_llm/_torch/pyexecutor/py_executor.py _executor_loop_pp" : "docs/source/features/overlap-scheduler.md"));
        if (pp) f.add(new EngineLoop.Fact("pp " + p.pp() + ": " + p.pp() + " micro-batches rotate through the stages", "tensorrt_llm/_torch/pyexecutor/py_executor.py _executor_loop_pp"));
        List<Integer> graphs = new ArrayList<>();
        if (cfg.cudaGraphs()) {
            for (int s = 1; s <= 32; s++) graphs.add(s);
            graphs.add(64);
            graphs.add(128);
            f.add(new EngineLoop.Fact("CUDA graphs for decode batches of 1-32, 64 and 128 (no padding); other sizes run eagerly",
                    "tensorrt_llm/llmapi/llm_args.py CudaGraphConfig._generate_cuda_graph_batch_sizes"));
        }
        f.add(new EngineLoop.Fact("top-k/top-p sampling: not read; taken at FlashInfer's cost", "not established"));
        boolean lock = p.dpAttention() && p.dp() > 1;
        if (lock) f.add(new EngineLoop.Fact("dp " + p.dp() + " attention-DP ranks run each batch together", "tensorrt_llm llm_args enable_attention_dp"));
        return new EngineLoop(!pp, pp ? EngineLoop.Pipeline.MICRO_BATCHES : EngineLoop.Pipeline.NONE, pp ? p.pp() : 1,
                graphs, false, EngineLoop.Sampler.FLASHINFER, cfg.prefixCaching(), lock, f);
    }

    @Override
    public String usableText(MemoryBudget b) {
        return gib(b.total()) + " of the gpu";
    }
}
