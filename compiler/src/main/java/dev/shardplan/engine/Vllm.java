package dev.shardplan.engine;

import dev.shardplan.units.Fmt;
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
 * vLLM: its supported releases, settings, layout and memory accounting. V0 releases (0.6, 0.7)
 * and V1 releases (0.8 on, where the V1 engine is the default) differ in defaults, in how the
 * profile run is sized, and (0.21 on) in subtracting a CUDA-graph estimate from the KV budget.
 */
final class Vllm implements EngineSpec {
    private static final double GIB = 1L << 30;

    /**
     * Supported releases with the commit of each release tag. The tags were read in a fork that
     * carries upstream's release tags (github:CentML/vllm) and cross-checked against
     * vllm-project/vllm-gaudi's "stable commit" pins and other forks (docs/engines.md); the flag
     * sets and defaults of each release were extracted from its parser at that commit
     * (compiler/src/test/resources/launchers/releases/vllm-*.txt).
     */
    private static final List<Release> RELEASES = List.of(
            pinned("0.6.6.post1", "2339d59f9260499599d60599f83978fad1827999", "tag v0.6.6.post1; red-hat-data-services, opendatahub-io and 44ai-labs forks agree"),
            pinned("0.7.3", "ed6e9075d31e32c8548b480a47d1ffb77da1f54c", "tag v0.7.3; three other forks agree"),
            pinned("0.8.5", "ba41cc90e8ef7f236347b2f1599eec2cbb9e1f0d", "tag v0.8.5; red-hat-data-services and 44ai-labs forks agree"),
            pinned("0.9.2", "a5dd03c1ebc5e4f56f3c9d3dc0436e9c582c978f", "tag v0.9.2; 44ai-labs fork agrees"),
            pinned("0.10.2", "01efc7ef781391e744ed08c3292817a773d654e6", "tag v0.10.2; vllm-gaudi pins the same commit"),
            pinned("0.11.0", "b8b302cde434df8c9289a2b465406b47ebab1c2d", "tag v0.11.0 (vllm-gaudi pinned v0.11.0rc6, its parent)"),
            pinned("0.12.0", "4fd9d6a85c00ac0186aa9abbeff73fc2ac6c721e", "tag v0.12.0; vllm-gaudi stable commit"),
            pinned("0.13.0", "72506c98349d6bcd32b4e33eec7b5513453c1502", "tag v0.13.0; vllm-gaudi stable commit"),
            pinned("0.14.1", "d7de043d55d1dd629554467e23874097e1c48993", "tag v0.14.1; vllm-gaudi stable commit"),
            pinned("0.15.1", "1892993bc18e243e2c05841314c5e9c06a80c70d", "tag v0.15.1; vllm-gaudi stable commit"),
            pinned("0.16.0", "89a77b10846fd96273cce78d86d2556ea582d26e", "tag v0.16.0 (vllm-gaudi pinned a commit 5 earlier)"),
            pinned("0.17.1", "95c0f928cdeeaa21c4906e73cee6a156e1b3b995", "tag v0.17.1; vllm-gaudi stable commit"),
            pinned("0.18.1", "a26e8dc7ff2111a005144d775ecf9cebf56c45b2", "tag v0.18.1; vllm-gaudi stable commit"),
            pinned("0.19.1", "b1388b1fbf5aaef47937fabe98931211684666a6", "tag v0.19.1; vllm-gaudi stable commit"),
            pinned("0.20.1", "132765e3560659ff63ebd236203672e991b70e08", "tag v0.20.1 (the newest release whose parser could be read)"));

    private static Release pinned(String v, String commit, String established) {
        return new Release(EngineKind.VLLM, Version.of(v), commit, established, "vllm/vllm-openai:v" + v);
    }

    private final Map<Release, List<Setting>> tables = new LinkedHashMap<>();

    Vllm() {
        for (Release r : RELEASES) tables.put(r, List.copyOf(table(r)));
    }

    @Override public EngineKind kind() { return EngineKind.VLLM; }

    @Override public String title() { return "vLLM"; }

    @Override public List<Release> releases() { return RELEASES; }

    @Override public List<Setting> settings(Release r) { return tables.get(r); }

    @Override public int defaultPort() { return 8000; }

    @Override public boolean refusesShortPool() { return true; }

    /** The V1 engine is the default from 0.8.0 (VLLM_USE_V1 defaults to 1; vllm/envs.py). */
    static boolean v1(Release r) {
        return r.atLeast("0.8.0");
    }

    // ------------------------------------------------------------------ settings

    private static List<Setting> table(Release r) {
        String at = "vLLM " + r.version();
        boolean v1 = v1(r);
        List<Setting> t = new ArrayList<>();
        t.add(Setting.of("max_model_len", Kind.COUNT).role(Role.MAX_MODEL_LEN).range(1, 1e9).flag("--max-model-len")
                .dflt(ctx -> new DefaultRule.Default(ctx.plan().workload().maxLength(), Origin.WORKLOAD,
                        "the workload's max length (vLLM's own default, the model's max_position_embeddings, would size the pool check for contexts the workload never has)"))
                .doc("longest sequence (prompt + output) the server accepts, in tokens")
                .source("vllm ModelConfig.max_model_len").build());
        double util = r.atLeast("0.20.0") ? 0.92 : 0.9;
        t.add(Setting.of("gpu_memory_utilization", Kind.NUMBER).role(Role.MEMORY_FRACTION).above(0, 1).flag("--gpu-memory-utilization")
                .dflt(fixed(util, at + " default"))
                .doc("fraction of the GPU's total memory this instance may use (weights, activations, KV cache)")
                .source(v1 ? "vllm CacheConfig.gpu_memory_utilization (" + util + ", gt 0, le 1)" : "vllm/engine/arg_utils.py EngineArgs.gpu_memory_utilization = 0.90").build());
        // V1 from 0.8.5 to 0.11.0 forces chunked prefill on for generative models: the release has no such choice.
        boolean chunkedChoice = !v1 || r.atLeast("0.12.0");
        if (chunkedChoice) {
            t.add(Setting.of("chunked_prefill", Kind.BOOL).role(Role.CHUNKED_PREFILL)
                    .switches("--enable-chunked-prefill", v1 ? "--no-enable-chunked-prefill" : "--enable-chunked-prefill=False")
                    .dflt(v1 ? fixed(true, at + ": on for generative models")
                            : ctx -> ctx.count("max_model_len") > 32768
                            ? new DefaultRule.Default(true, Origin.DEFAULT, at + ": on when max_model_len > 32768")
                            : new DefaultRule.Default(false, Origin.DEFAULT, at + ": off when max_model_len <= 32768"))
                    .doc("prefill long prompts in chunks of max_num_batched_tokens, batched with decodes")
                    .source(v1 ? "vllm/engine/arg_utils.py (enable_chunked_prefill None -> is_chunked_prefill_supported)"
                            : "vllm/engine/arg_utils.py create_engine_config (use_long_context = max_model_len > 32768)").build());
        }
        t.add(Setting.of("max_num_batched_tokens", Kind.COUNT).role(Role.MAX_BATCHED_TOKENS).range(1, 1e9).flag("--max-num-batched-tokens")
                .dflt(ctx -> batchedTokensDefault(ctx, at))
                .doc("tokens one scheduler step may process; the profile run that sizes the KV pool runs this many")
                .source(v1 ? "vllm/engine/arg_utils.py default batch sizes by usage context and GPU (_set_default_args_v1, get_batch_defaults)"
                        : "vllm/config.py SchedulerConfig.__post_init__").build());
        t.add(Setting.of("max_num_seqs", Kind.COUNT).role(Role.MAX_SEQS).range(1, 1e6).flag("--max-num-seqs")
                .dflt(ctx -> maxSeqsDefault(ctx, at))
                .doc("sequences one engine runs at once")
                .source(v1 ? "vllm/engine/arg_utils.py default batch sizes by GPU (_set_default_args_v1, get_batch_defaults)"
                        : "vllm/engine/arg_utils.py EngineArgs.max_num_seqs (256 in V0)").build());
        t.add(Setting.of("block_size", Kind.COUNT).role(Role.BLOCK_SIZE).range(1, 1024).choices(blockSizes(r)).flag("--block-size")
                .dflt(ctx -> blockDefault(ctx, at))
                .doc("tokens per KV cache block")
                .source("vllm CacheConfig.block_size; vllm/platforms/cuda.py (16 on CUDA; MLA backends force their own)").build());
        t.add(Setting.of("kv_cache_dtype", Kind.CHOICE).role(Role.KV_CACHE_DTYPE).choices(kvDtypes(r)).flag("--kv-cache-dtype")
                .dflt(fixed("auto", at + " default: the model's dtype"))
                .doc("dtype of the KV cache; auto is the model's")
                .source("vllm CacheConfig.cache_dtype").build());
        if (v1) {
            // The V1 sampler sorts the full vocabulary for top-k/top-p unless FlashInfer's kernels are used
            // (or, from 0.17, its Triton kernel for 8 rows or more); it changes the profiled peak (the dummy
            // sampler run) and the sampling time.
            t.add(Setting.of("flashinfer_sampler", Kind.BOOL).env("VLLM_USE_FLASHINFER_SAMPLER")
                    .dflt(r.before("0.12.0")
                            ? fixed(true, at + ": on when FlashInfer is installed, as in the vllm-openai image (VLLM_USE_FLASHINFER_SAMPLER unset)")
                            : fixed(false, at + ": off unless VLLM_USE_FLASHINFER_SAMPLER=1 (opt-in since 0.11.1)"))
                    .doc("top-k/top-p sampling with FlashInfer's kernels instead of PyTorch's sort")
                    .source("vllm/v1/sample/ops/topk_topp_sampler.py TopKTopPSampler.__init__").build());
        }
        t.add(Setting.of("cuda_graphs", Kind.BOOL).role(Role.CUDA_GRAPHS).switches(null, "--enforce-eager")
                .dflt(fixed(true, at + " default: decode runs in CUDA graphs unless --enforce-eager"))
                .doc("capture decode steps in CUDA graphs (false: --enforce-eager)")
                .source("vllm ModelConfig.enforce_eager = False").build());
        t.add(Setting.of("prefix_caching", Kind.BOOL).role(Role.PREFIX_CACHING)
                .switches("--enable-prefix-caching", "--no-enable-prefix-caching")
                .dflt(fixed(v1, v1 ? at + ": on for generative models" : at + ": off in the V0 engine"))
                .doc("reuse the KV blocks of shared prompt prefixes")
                .source(v1 ? "vllm/engine/arg_utils.py (enable_prefix_caching None -> on for generative models)"
                        : "vllm/engine/arg_utils.py EngineArgs.enable_prefix_caching (off in V0)").build());
        recipes(t, r, at);
        return t;
    }

    /**
     * The serving recipes a release has: the EP all-to-all kernels, expert-parallel load balancing,
     * multi-token prediction with the checkpoint's own MTP layers, and KV offload to host memory.
     * Each appears from the first supported release whose parser has it
     * (compiler/src/test/resources/launchers/releases/vllm-*.txt).
     */
    private static void recipes(List<Setting> t, Release r, String at) {
        if (r.atLeast("0.9.0")) {
            Setting.Builder a2a = Setting.of("all2all_backend", Kind.CHOICE).role(Role.ALL2ALL).choices(all2all(r))
                    .dflt(fixed(r.atLeast("0.11.0") ? "allgather_reducescatter" : "naive", at + " default"))
                    .doc("kernels of the expert-parallel all-to-all (the deepep_* ones need DeepEP in the image)");
            if (r.atLeast("0.12.0")) a2a.flag("--all2all-backend").source("vllm/config/parallel.py ParallelConfig.all2all_backend");
            else a2a.env("VLLM_ALL2ALL_BACKEND").source("vllm/envs.py VLLM_ALL2ALL_BACKEND");
            t.add(a2a.build());
            t.add(Setting.of("enable_eplb", Kind.BOOL).role(Role.EPLB).switches("--enable-eplb", null)
                    .dflt(fixed(false, at + " default: off"))
                    .doc("expert-parallel load balancing: re-place experts by their observed load")
                    .source("vllm/config/parallel.py ParallelConfig.enable_eplb").build());
            Setting.Builder red = Setting.of("num_redundant_experts", Kind.COUNT).role(Role.REDUNDANT_EXPERTS).range(0, 4096).zeroOff()
                    .dflt(fixed(0L, at + " default: none"))
                    .doc("redundant expert copies EPLB may place, over all EP ranks");
            if (r.atLeast("0.12.0")) red.json("--eplb-config", "num_redundant_experts", java.util.Map.of())
                    .source("vllm/config/parallel.py EPLBConfig.num_redundant_experts (--eplb-config JSON)");
            else red.flag("--num-redundant-experts").source("vllm/config/parallel.py ParallelConfig.num_redundant_experts");
            t.add(red.build());
            // MTP drafts with the checkpoint's own next-token layers; the method's name changed in 0.11.
            String method = r.atLeast("0.11.0") ? "mtp" : "deepseek_mtp";
            t.add(Setting.of("num_speculative_tokens", Kind.COUNT).role(Role.SPEC_TOKENS).range(0, 16).zeroOff()
                    .json("--speculative-config", "num_speculative_tokens", java.util.Map.of("method", method))
                    .dflt(fixed(0L, at + " default: no speculative decoding"))
                    .doc("tokens the model's MTP layers draft per step (speculative decoding with method " + method + ")")
                    .source("vllm/config/speculative.py SpeculativeConfig (method " + method + ", num_speculative_tokens)").build());
        }
        if (r.atLeast("0.12.0")) {
            t.add(Setting.of("kv_offloading_size", Kind.SIZE).role(Role.KV_OFFLOAD).range(0, 1e15).unit(1L << 30, false).zeroOff()
                    .flag("--kv-offloading-size").with("--kv-offloading-backend", "native")
                    .dflt(fixed(0L, at + " default: no KV offload"))
                    .doc("host memory the KV cache offloads to, summed over the TP ranks of an engine")
                    .source("vllm/config/cache.py CacheConfig.kv_offloading_size (GiB, total over TP ranks) and kv_offloading_backend").build());
        }
    }

    /** --all2all-backend values (VLLM_ALL2ALL_BACKEND before 0.12), from each release's parser or envs.py. */
    private static List<String> all2all(Release r) {
        List<String> out = new ArrayList<>(List.of("naive", "pplx", "deepep_high_throughput", "deepep_low_latency"));
        if (r.atLeast("0.11.0")) out.addAll(List.of("allgather_reducescatter", "flashinfer_all2allv"));
        if (r.atLeast("0.15.0")) out.add("mori");
        if (r.atLeast("0.18.0")) out.addAll(List.of("nixl_ep", "flashinfer_nvlink_two_sided", "flashinfer_nvlink_one_sided"));
        return out;
    }

    /**
     * GPUs vLLM gives its larger defaults: at least 70 GiB, and from 0.9 not an A100 by device name
     * (arg_utils _set_default_args_v1: 0.8.5 tests the memory only).
     */
    private static boolean bigGpu(DefaultContext ctx) {
        return ctx.gpuGib() >= 70 && (ctx.release().before("0.9.0") || !ctx.gpuName().contains("A100"));
    }

    private static DefaultRule.Default batchedTokensDefault(DefaultContext ctx, String at) {
        Release r = ctx.release();
        if (!v1(r)) {
            if (ctx.bool("chunked_prefill"))
                return new DefaultRule.Default(2048L, Origin.DEFAULT, at + ": 2048 with chunked prefill");
            long len = Math.max(ctx.count("max_model_len"), 2048);
            return new DefaultRule.Default(len, Origin.DEFAULT, at + ": max(max_model_len, 2048) without chunked prefill");
        }
        if (r.atLeast("0.12.0") && !ctx.bool("chunked_prefill"))
            return new DefaultRule.Default(ctx.count("max_model_len"), Origin.DEFAULT, at + ": max_model_len with chunked prefill off");
        boolean big = bigGpu(ctx);
        return new DefaultRule.Default(big ? 8192L : 2048L, Origin.DEFAULT,
                at + ": " + (big ? "8192" : "2048") + " for the API server on " + bigText(r, big));
    }

    private static String bigText(Release r, boolean big) {
        if (r.before("0.9.0")) return big ? "GPUs of >= 70 GiB" : "GPUs under 70 GiB";
        return big ? "GPUs of >= 70 GiB other than A100" : "GPUs under 70 GiB or A100";
    }

    private static DefaultRule.Default maxSeqsDefault(DefaultContext ctx, String at) {
        Release r = ctx.release();
        if (!v1(r)) return new DefaultRule.Default(256L, Origin.DEFAULT, at + ": 256 in the V0 engine");
        boolean big = bigGpu(ctx);
        long n = big ? 1024 : 256;
        String why = at + ": " + n + " on " + bigText(r, big);
        // 0.10.x and 0.11.0 cap the default at max_num_batched_tokens (arg_utils _set_default_args_v1).
        if (r.atLeast("0.10.0") && r.before("0.12.0") && ctx.count("max_num_batched_tokens") < n) {
            n = ctx.count("max_num_batched_tokens");
            why += ", capped at max_num_batched_tokens";
        }
        return new DefaultRule.Default(n, Origin.DEFAULT, why);
    }

    /** vLLM's CUDA platform picks FlashMLA (block 64) for MLA on Hopper from 0.7.3 (vllm/platforms/cuda.py). */
    private static DefaultRule.Default blockDefault(DefaultContext ctx, String at) {
        Model m = ctx.plan().model();
        if (m.isMla() && ctx.release().atLeast("0.7.3") && ctx.computeCapability() >= 9.0 && ctx.computeCapability() < 10.0)
            return new DefaultRule.Default(64L, Origin.DEFAULT, at + ": 64 for MLA on Hopper (FlashMLA requires it)");
        return new DefaultRule.Default(16L, Origin.DEFAULT, at + ": 16 on CUDA");
    }

    /** --block-size choices: 8..128 in V0; 1 added in 0.8; 256 in 0.12; a plain integer from 0.18. */
    private static List<String> blockSizes(Release r) {
        if (r.atLeast("0.18.0")) return List.of();
        if (r.atLeast("0.12.0")) return List.of("1", "8", "16", "32", "64", "128", "256");
        if (r.atLeast("0.8.0")) return List.of("1", "8", "16", "32", "64", "128");
        return List.of("8", "16", "32", "64", "128");
    }

    /** --kv-cache-dtype words shardplan can size (fp8 variants, bfloat16 from 0.11, float16 from 0.18). */
    private static List<String> kvDtypes(Release r) {
        List<String> out = new ArrayList<>(List.of("auto"));
        if (r.atLeast("0.18.0")) out.add("float16");
        if (r.atLeast("0.11.0")) out.add("bfloat16");
        out.addAll(List.of("fp8", "fp8_e4m3", "fp8_e5m2"));
        return out;
    }

    @Override
    public DType kvDtype(String word, Model model) {
        return switch (word) {
            case "auto" -> model.kvDtype();
            case "bfloat16" -> DType.BF16;
            case "float16" -> DType.FP16;
            default -> DType.FP8;
        };
    }

    // ------------------------------------------------------------------ engine loop

    /**
     * The serving loop of a release (docs/predictions.md, "Engine loop"), read at the release tags:
     * <ul>
     * <li>async scheduling: off by default before 0.14 (config/scheduler.py {@code async_scheduling:
     * bool = False}); from 0.14 {@code None}, enabled unless incompatible (config/vllm.py
     * __post_init__), except with PP in 0.14 ("Async scheduling is not yet supported with
     * pipeline_parallel_size > 1 and will be disabled"), allowed with PP from 0.15 (#32359). V0 runs
     * scheduling and input preparation before each forward pass.</li>
     * <li>PP: V1 keeps {@code max_concurrent_batches} batches in its queue (v1/engine/core.py
     * step_with_batch_queue): 1 for the multiprocessing executor of 0.8.5 (v1/executor/abstract.py),
     * pp from 0.9 (multiproc_executor.py); the scheduler skips a request that is in flight (scheduler.py
     * "PP>1 and we have already scheduled all prompt tokens but they are not finished yet"), also with
     * async scheduling in 0.15 (scheduler.py "do not schedule another step for the same request while
     * it still has output placeholders for PP"). From 0.16 (#32618) async scheduling reschedules
     * in-flight requests with output placeholders and the first stage receives the sampled tokens from
     * the last by broadcast before it can run (gpu_model_runner.py
     * _pp_receive_prev_sampled_token_ids_to_input_batch), so batches run one after another. V0 gives
     * every stage a virtual engine with its own scheduler (engine/llm_engine.py).</li>
     * <li>CUDA graphs: V0 captures 1, 2, 4 and multiples of 8 up to the smallest at least max_num_seqs
     * (config.py, not VLLM_USE_V1); V1 0.8-0.9 1, 2, 4 and multiples of 8 up to 512
     * ({@code cuda_graph_sizes [512]}); 0.10-0.11 up to min(2 x max_num_seqs, 512) (config/scheduler.py
     * "default set to [min(max_num_seqs * 2, 512)]"); from 0.12 in steps of 8 below 256 and of 16 above
     * (config/vllm.py _set_cudagraph_sizes); every release drops sizes above max_num_batched_tokens and
     * pads a batch to the next size ("If batch size > largest cudagraph_capture_sizes, cudagraph will
     * not be used").</li>
     * <li>sampler: {@link #samplerPath}.</li>
     * <li>lockstep: a MoE model with DP > 1 runs a DPEngineCoreProc per rank, which executes a dummy
     * batch when it has nothing to run so that every rank's MoE collectives meet (v1/engine/core.py
     * run_busy_loop; from 0.14 only MoE models get one: "if data_parallel and
     * vllm_config.model_config.is_moe").</li>
     * </ul>
     */
    @Override
    public EngineLoop loop(EngineConfig cfg, Plan plan) {
        Release r = cfg.release();
        dev.shardplan.model.Parallel p = plan.parallel();
        List<EngineLoop.Fact> f = new ArrayList<>();
        boolean v1 = v1(r);
        int pp = p.pp();
        boolean async;
        if (!v1) {
            async = false;
            f.add(new EngineLoop.Fact("CPU work in series with the GPU (V0 LLMEngine.step schedules and prepares inputs before each forward pass)",
                    "vllm/engine/llm_engine.py LLMEngine.step"));
        } else if (r.before("0.14.0")) {
            async = false;
            f.add(new EngineLoop.Fact("CPU work in series with the GPU (async scheduling off by default)", "vllm/config/scheduler.py SchedulerConfig.async_scheduling = False"));
        } else if (pp > 1 && r.before("0.15.0")) {
            async = false;
            f.add(new EngineLoop.Fact("CPU work in series with the GPU (async scheduling disabled with pipeline_parallel_size > 1)", "vllm/config/vllm.py VllmConfig.__post_init__"));
        } else {
            async = true;
            f.add(new EngineLoop.Fact("CPU work overlaps the GPU (async scheduling on by default)", "vllm/config/vllm.py VllmConfig.__post_init__ (async_scheduling None -> True)"));
        }
        EngineLoop.Pipeline pl = EngineLoop.Pipeline.NONE;
        int mb = 1;
        if (pp > 1) {
            if (!v1) {
                pl = EngineLoop.Pipeline.MICRO_BATCHES;
                mb = pp;
                f.add(new EngineLoop.Fact("pp " + pp + ": one virtual engine per stage, each with its own scheduler", "vllm/engine/llm_engine.py (virtual engines)"));
            } else if (r.before("0.9.0")) {
                pl = EngineLoop.Pipeline.SERIAL;
                f.add(new EngineLoop.Fact("pp " + pp + ": one batch in flight (the multiprocessing executor's max_concurrent_batches is 1)", "vllm/v1/executor/abstract.py Executor.max_concurrent_batches"));
            } else if (async && r.atLeast("0.16.0")) {
                pl = EngineLoop.Pipeline.SERIAL;
                f.add(new EngineLoop.Fact("pp " + pp + ": every running request is in every batch and the first stage waits for the last stage's sampled tokens",
                        "vllm/v1/worker/gpu_model_runner.py _pp_receive_prev_sampled_token_ids_to_input_batch (#32618)"));
            } else {
                pl = EngineLoop.Pipeline.MICRO_BATCHES;
                mb = pp;
                f.add(new EngineLoop.Fact("pp " + pp + ": up to " + pp + " batches in flight; a request in flight waits for its batch",
                        "vllm/v1/executor/multiproc_executor.py max_concurrent_batches; vllm/v1/core/sched/scheduler.py schedule"));
            }
        }
        List<Integer> graphs = List.of();
        if (cfg.cudaGraphs()) {
            int tokens = cfg.maxBatchedTokens();
            int seqs = Math.max(1, cfg.maxSeqs());
            List<Integer> g;
            if (!v1) g = EngineLoop.stepped(Math.min(8192, (seqs + 7) / 8 * 8), 8, Integer.MAX_VALUE, 8);
            else if (r.before("0.10.0")) g = EngineLoop.stepped(512, 8, Integer.MAX_VALUE, 8);
            else if (r.before("0.12.0")) g = EngineLoop.stepped(Math.min(2 * seqs, 512), 8, Integer.MAX_VALUE, 8);
            else g = EngineLoop.stepped(Math.min(2 * seqs, 512), 8, 256, 16);
            List<Integer> capped = new ArrayList<>();
            for (int x : g) if (x <= tokens) capped.add(x);
            graphs = capped;
            f.add(new EngineLoop.Fact("CUDA graphs for decode batches up to " + (graphs.isEmpty() ? 0 : graphs.get(graphs.size() - 1))
                    + ", padded to the next captured size; larger batches run eagerly",
                    v1 ? "vllm/config/vllm.py _set_cudagraph_sizes (config.py before 0.10)" : "vllm/config.py (V0 capture sizes)"));
        } else {
            f.add(new EngineLoop.Fact("no CUDA graphs (--enforce-eager)", "vllm ModelConfig.enforce_eager"));
        }
        long rows = samplerRows(cfg);
        EngineLoop.Sampler sampler = v1 && cfg.get("flashinfer_sampler").bool() ? EngineLoop.Sampler.FLASHINFER
                : r.atLeast("0.17.0") ? EngineLoop.Sampler.TRITON : EngineLoop.Sampler.SORT;
        f.add(new EngineLoop.Fact("top-k/top-p sampling: " + samplerPath(cfg, Math.max(8, rows)) + (sampler == EngineLoop.Sampler.TRITON ? " (the sort below 8 rows)" : ""),
                "vllm/v1/sample/ops/topk_topp_sampler.py TopKTopPSampler, apply_top_k_top_p"));
        boolean lock = v1 && p.dp() > 1 && plan.model().isMoe();
        if (lock) f.add(new EngineLoop.Fact("dp " + p.dp() + " replicas step together (a MoE model's DP ranks run dummy batches to meet in every collective)",
                "vllm/v1/engine/core.py DPEngineCoreProc.run_busy_loop"));
        return new EngineLoop(async, pl, mb, graphs, true, sampler, cfg.prefixCaching(), lock, f);
    }

    // ------------------------------------------------------------------ layout

    /**
     * vLLM distributed/utils.py get_pp_indices (remainder to partitions[-2], [-3], ...);
     * config/model.py get_num_kv_heads (max(1, kv // tp)); parallel_state.py (EP groups are the dp
     * x tp ranks of a stage, all_ranks.transpose(1, 2).reshape(-1, dp*tp)).
     */
    private static final LayoutRules LAYOUT = new LayoutRules(LayoutRules.Remainder.BEFORE_LAST,
            LayoutRules.KvHeadRounding.FLOOR_AT_LEAST_ONE, LayoutRules.MoeGroup.DP_TIMES_TP, LayoutRules.EpOrder.NONE,
            Vllm::expertPadding);

    /**
     * MXFP4 experts are allocated padded for the MoE kernel vLLM picks by compute capability
     * (model_executor/layers/quantization/mxfp4.py get_mxfp4_backend, Mxfp4MoEMethod.create_weights,
     * 0.10-0.20): Marlin below 9.0 and from 11.0 (width to 128, hidden to 256); the Triton kernels on
     * 9.x (width to 64); FlashInfer on 10.x, which the image ships (width and hidden to 256).
     */
    static LayoutRules.Pad expertPadding(Model m, dev.shardplan.model.Gpu gpu) {
        var q = m.quant();
        if (q == null || q.weights() != DType.FP4 || q.groupSize() != 32) return LayoutRules.Pad.NONE;
        String src = "vllm quantization/mxfp4.py create_weights";
        if (!gpu.capabilityKnown())
            return new LayoutRules.Pad(128, 256, "Marlin (compute capability not declared; declare compute_capability on gpu " + gpu.name() + "), " + src);
        double cc = gpu.computeCapability();
        if (cc >= 9.0 && cc < 10.0) return new LayoutRules.Pad(64, 1, "Triton kernels on compute capability 9.x, " + src);
        if (cc >= 10.0 && cc < 11.0) return new LayoutRules.Pad(256, 256, "FlashInfer on compute capability 10.x, " + src);
        return new LayoutRules.Pad(128, 256, "Marlin on compute capability " + cc + ", " + src);
    }

    @Override public LayoutRules layoutRules() { return LAYOUT; }

    // ------------------------------------------------------------------ launch flags

    private static final String ARGS = "vllm/engine/arg_utils.py EngineArgs.add_cli_args";
    private static final String SERVE = "vllm/entrypoints/cli/serve.py";
    private static final String FRONTEND = "vllm/entrypoints/openai/cli_args.py";

    private static final List<LaunchFlag> FLAGS = List.of(
            LaunchFlag.flag("config", "--config", SERVE + " (YAML of long flag names)"),
            LaunchFlag.flag("served_model_name", "--served-model-name", ARGS),
            LaunchFlag.flag("tensor_parallel_size", "--tensor-parallel-size", ARGS),
            LaunchFlag.flag("pipeline_parallel_size", "--pipeline-parallel-size", ARGS),
            LaunchFlag.flag("data_parallel_size", "--data-parallel-size", ARGS).since("0.8.0"),
            LaunchFlag.flag("data_parallel_size_local", "--data-parallel-size-local", ARGS).since("0.9.0"),
            LaunchFlag.flag("data_parallel_start_rank", "--data-parallel-start-rank", ARGS).since("0.9.0"),
            LaunchFlag.flag("data_parallel_address", "--data-parallel-address", ARGS).since("0.9.0"),
            LaunchFlag.flag("data_parallel_rpc_port", "--data-parallel-rpc-port", ARGS).since("0.9.0"),
            LaunchFlag.flag("enable_expert_parallel", "--enable-expert-parallel", ARGS).since("0.8.0"),
            LaunchFlag.flag("distributed_executor_backend", "--distributed-executor-backend", ARGS),
            LaunchFlag.flag("nnodes", "--nnodes", "vllm/config/parallel.py ParallelConfig.nnodes").since("0.12.0"),
            LaunchFlag.flag("node_rank", "--node-rank", "vllm/config/parallel.py ParallelConfig.node_rank").since("0.12.0"),
            LaunchFlag.flag("master_addr", "--master-addr", "vllm/config/parallel.py ParallelConfig.master_addr").since("0.12.0"),
            LaunchFlag.flag("master_port", "--master-port", "vllm/config/parallel.py ParallelConfig.master_port").since("0.12.0"),
            LaunchFlag.flag("headless", "--headless", SERVE).since("0.9.0"),
            // JSON of KVTransferConfig (vllm/config.py at v0.9.2, vllm/config/kv_transfer.py at v0.20.1);
            // present from 0.6.6, but the NIXL connector a pool plan names needs 0.9.2 (KvConnectors).
            LaunchFlag.flag("kv_transfer_config", "--kv-transfer-config", ARGS),
            LaunchFlag.flag("enable_reasoning", "--enable-reasoning", ARGS).since("0.7.0").until("0.10.0"),
            LaunchFlag.flag("reasoning_parser", "--reasoning-parser", ARGS).since("0.7.0"),
            LaunchFlag.flag("enable_auto_tool_choice", "--enable-auto-tool-choice", FRONTEND),
            LaunchFlag.flag("tool_call_parser", "--tool-call-parser", FRONTEND),
            LaunchFlag.flag("host", "--host", FRONTEND),
            LaunchFlag.flag("port", "--port", FRONTEND));

    @Override public List<LaunchFlag> launchFlags() { return FLAGS; }

    /** shardplan's parser names -> vLLM's registered reasoning parsers, from the first supported release that has each. */
    private static final ParserTable PARSERS = ParserTable.of(
            "deepseek_r1", "deepseek_r1", "0.7.0",
            "granite", "granite", "0.8.0",
            "qwen3", "qwen3", "0.9.0",
            "glm45", "glm45", "0.10.0",
            "hunyuan_a13b", "hunyuan_a13b", "0.10.0",
            "mistral", "mistral", "0.10.0",
            "gpt_oss", "openai_gptoss", "0.10.0",
            "step3", "step3", "0.10.0",
            "kimi_k2", "kimi_k2", "0.12.0");

    @Override
    public Optional<String> reasoningParser(Release r, String parser) {
        return PARSERS.lookup(r, parser);
    }

    /**
     * shardplan's tool-call formats -> vLLM's --tool-call-parser names, from the first supported
     * release whose parser lists each (launchers/releases/vllm-*.txt): hermes is Qwen's format.
     */
    private static final ParserTable TOOLS = ParserTable.of(
            "llama3_json", "llama3_json", "0.6.6",
            "hermes", "hermes", "0.6.6",
            "mistral", "mistral", "0.6.6",
            "granite", "granite", "0.6.6",
            "deepseek_v3", "deepseek_v3", "0.9.0",
            "kimi_k2", "kimi_k2", "0.10.0",
            "glm45", "glm45", "0.10.0",
            "qwen3_coder", "qwen3_coder", "0.10.0",
            "gpt_oss", "openai", "0.10.0");

    @Override
    public Optional<String> toolParser(Release r, String parser) {
        return TOOLS.lookup(r, parser);
    }

    @Override
    public List<String> toolParsers(Release r) {
        return TOOLS.names(r);
    }

    /**
     * /health answers 200 while the engine core is alive and 503 once it is dead
     * (vllm/entrypoints/serve/instrumentator/health.py; the API server binds only after the
     * engine is up, so it also tells readiness). /dev/shm: vLLM's Kubernetes guides size the
     * memory-backed volume at 15 GiB for multi-GPU pods (docs/deployment/frameworks/lws.md).
     */
    private static final Serving SERVING = new Serving("/health", "/health", 15L << 30,
            "vllm/entrypoints/serve/instrumentator/health.py; docs/deployment/k8s.md and frameworks/lws.md (dshm sizeLimit 15Gi)");

    @Override
    public Serving serving(Release r) {
        return SERVING;
    }

    /** --kv-offloading-size is the total over an engine's TP ranks (CacheConfig.kv_offloading_size). */
    @Override
    public int limitRanks(Role role, dev.shardplan.model.Parallel p) {
        return role == Role.KV_OFFLOAD ? p.tp() : 1;
    }

    @Override
    public String limitSource(Role role) {
        if (role == Role.KV_OFFLOAD) return "vLLM's --kv-offloading-size is the total over the TP ranks of an engine (vllm/config/cache.py)";
        return "each vLLM data-parallel rank runs its own engine core and scheduler (vllm/v1/engine/core.py DPEngineCoreProc), which applies "
                + (role == Role.MAX_SEQS ? "max_num_seqs" : "max_num_batched_tokens") + " as given";
    }

    @Override
    public List<String> reasoningParsers(Release r) {
        return PARSERS.names(r);
    }

    // ------------------------------------------------------------------ memory

    @Override
    public KvGroups kvGroups(EngineConfig cfg, Model m) {
        return KvGroups.hybrid(m, cfg.maxBatchedTokens());
    }

    /** vLLM's DeepSeek sparse-attention cache format: 512 fp8 latent + 4 fp32 scales + 64 bf16 rope values per token. */
    static final int FP8_DS_MLA_BYTES = 656;

    /**
     * KV bytes per token and layer on a rank (docs/memory-model.md §4). DeepSeek sparse attention
     * (index_topk) caches the latent as fp8_ds_mla, 656 B, whenever kv_cache_dtype is auto or an
     * fp8 (vllm model_executor/models/config.py DeepseekV32ForCausalLM.verify_and_update_config;
     * kv_cache_interface.py MLAAttentionSpec), plus the indexer's key cache, index_head_dim fp8
     * values and one fp32 scale per 128, stored as uint8 whatever the dtype (deepseek_v2.py
     * DeepseekV32IndexerCache). Dense MLA with fp8 is plain fp8: 576 B.
     */
    @Override
    public KvBytes kvBytes(EngineConfig cfg, Model m, int tp) {
        DType kvd = cfg.kvDtype();
        if (m.isMla() && m.mla().sparse()) {
            int ih = m.mla().indexHeadDim();
            long indexer = ih + ih / 128 * 4L;
            boolean dsMla = kvd == DType.FP8 || cfg.kvCacheDtype().equals("auto");
            long latent = dsMla ? FP8_DS_MLA_BYTES : (long) Math.ceil(m.mla().cachedPerToken() * kvd.bytes());
            return new KvBytes(latent + indexer,
                    (dsMla ? "fp8_ds_mla 656" : "(kv_lora_rank + qk_rope_head_dim) x dtype") + " + indexer keys (index_head_dim + index_head_dim/128 x 4)",
                    (dsMla ? "656" : "(" + m.mla().kvLoraRank() + " + " + m.mla().qkRopeHeadDim() + ") x " + Fmt.plain(kvd.bytes()))
                            + " + (" + ih + " + " + ih / 128 * 4 + ") = " + (latent + indexer),
                    "DeepSeek sparse attention (index_topk " + m.mla().indexTopK() + "): vllm models/config.py DeepseekV32ForCausalLM turns "
                            + "auto and fp8 into fp8_ds_mla (kv_cache_interface.py MLAAttentionSpec: block_size x 656); "
                            + "deepseek_v2.py DeepseekV32IndexerCache");
        }
        return Shapes.kvBytes(m, tp, kvd, LAYOUT.kvHeads(), "kv heads per rank = max(1, kv // tp) (vllm config/model.py get_num_kv_heads)");
    }

    /**
     * How a release's profiler counts memory that is not torch's (vllm utils memory_profiling and
     * the workers' determine_available_memory). The three accountings differ in what they see.
     */
    enum Accounting {
        /** 0.6.6-0.7.x V0 and 0.9.1-0.10 V1: the increase since a snapshot taken after CUDA init, before distributed init. */
        SNAPSHOT_BEFORE_DIST("increase since the worker's snapshot, taken before distributed init (NCCL and all-reduce buffers counted)"),
        /**
         * 0.8.x and 0.9.0 V1: device memory in use minus torch's at the end of profiling (v0.9.0
         * v1/worker/gpu_worker.py determine_available_memory: mem_get_info total - free - torch's
         * allocated): the CUDA context and any other process on the device count too. The 0.9.2
         * table stands for 0.9.x, so a 0.9.0 start-up is judged on the 0.8.5 table.
         */
        USED_MINUS_TORCH("memory in use minus torch's at the end of the profile run (the CUDA context counted)"),
        /** 0.11 on: the snapshot is taken after distributed init. */
        SNAPSHOT_AFTER_DIST("increase since the worker's snapshot, taken after distributed init");

        final String text;

        Accounting(String text) {
            this.text = text;
        }
    }

    static Accounting accounting(Release r) {
        if (r.atLeast("0.11.0")) return Accounting.SNAPSHOT_AFTER_DIST;
        if (r.atLeast("0.8.0") && r.before("0.9.0")) return Accounting.USED_MINUS_TORCH;
        return Accounting.SNAPSHOT_BEFORE_DIST;
    }

    static final long MIB = 1L << 20;
    /**
     * Non-torch memory every worker adds while profiling (cuBLAS/cuDNN workspaces, the attention
     * backend's buffers): 0.07-0.11 GiB logged on single GPUs by 0.7.2, 0.7.3 and 0.10.2, and 0.02-0.17
     * GiB left over in the other single-GPU start-ups of src/test/resources/engine/startup-logs.json;
     * 0.23 GiB logged by 0.6.6.post1.
     */
    static final long NON_TORCH_BASE = 90 * MIB, NON_TORCH_BASE_066 = 230 * MIB;
    /** The CUDA context and module images, counted only by {@link Accounting#USED_MINUS_TORCH}: 0.35 GiB logged on an RTX 3090 by the same accounting (vllm#10517), less the base. */
    static final long CUDA_CONTEXT = 300 * MIB;
    /** NCCL channel buffers of a TP/EP communicator over PCIe (few channels): 0.12-0.17 GiB logged on A100 TP2 without P2P (vLLM 0.10.1). */
    static final long NCCL_BUFFERS = 150 * MIB;
    /**
     * NCCL over NVLink opens many more channels, each with its own buffers: 1.54 GiB logged at TP2
     * on 40 GB A100s (vLLM 0.7.2; the card's links are not stated in that case).
     */
    static final long NCCL_NVLINK = 1450 * MIB;
    /** A pipeline stage's point-to-point NCCL buffers. */
    static final long NCCL_P2P = 50 * MIB;
    /**
     * NCCL with NVLink SHARP (NVLS: compute capability >= 9.0 GPUs behind NVSwitch) maps multicast
     * buffers for each communicator: 2.1 GiB (TP4) and 2.4 GiB (TP8) logged on H100 HGX (vLLM 0.10.0).
     */
    static final long NCCL_NVLS = 2200 * MIB;
    /**
     * The part of it a snapshot taken after distributed init still sees (0.11 on): 0.68 GiB logged
     * on H100 TP2 (vLLM 0.12.0).
     */
    static final long NCCL_NVLS_AFTER_INIT = 680 * MIB;

    /**
     * Bytes per logit element alive at the sampler's peak during the profile run's dummy sampling
     * (top-k and top-p both set for every row, v1/worker/gpu_model_runner.py _dummy_sampler_run).
     * Sorting path (apply_top_k_top_p_pytorch; the V0 sampler too): the bf16 logits (2), their fp32
     * copy (4) and, inside torch.sort, the int64 iota (8), the sorted values (4) and indices (8)
     * and the radix sort's scratch for both (12): 38 B. FlashInfer (top_k_top_p_sampling_from_logits)
     * and, from 0.17, the Triton top-k/top-p kernel for 8 rows or more: logits (2), fp32 copy (4),
     * the probabilities (4) and the exponential draws (4): 14 B. Checked against the start-up logs:
     * the remainder of single-GPU start-ups is 38-40 B per element on the sorting path and 14 on
     * the others.
     */
    static final int SAMPLER_BYTES_SORT = 38, SAMPLER_BYTES_FUSED = 14;

    /**
     * Whether a rank's NCCL communicator uses NVLink SHARP: Hopper or newer behind NVSwitch (a group
     * that spans nodes uses it inside each node, NCCL's NVLS+Tree).
     */
    static boolean nvls(Plan plan, int groupSize) {
        var node = plan.cluster().node();
        return groupSize > 1 && node.fabric() == dev.shardplan.model.Fabric.NVSWITCH && plan.cluster().gpu().capabilityAtLeast(9.0);
    }

    /** Whether the group's GPUs talk over NVLink inside their node (an NVSwitch node, or an NVLink island that holds the group). */
    static boolean nvlink(Plan plan, int groupSize) {
        var node = plan.cluster().node();
        if (groupSize <= 1) return false;
        return node.fabric() == dev.shardplan.model.Fabric.NVSWITCH
                || (node.fabric() == dev.shardplan.model.Fabric.NVLINK_ISLAND && groupSize <= node.islandSize());
    }

    /** NCCL's share of the non-torch figure for a TP/EP group of {@code group} ranks under an accounting. */
    static long nccl(Accounting acc, Plan plan, int group) {
        if (nvls(plan, group)) return acc == Accounting.SNAPSHOT_AFTER_DIST ? NCCL_NVLS_AFTER_INIT : NCCL_NVLS;
        if (nvlink(plan, group) && acc != Accounting.SNAPSHOT_AFTER_DIST) return NCCL_NVLINK;
        return NCCL_BUFFERS;
    }

    static String ncclText(Accounting acc, Plan plan, int group) {
        if (nvls(plan, group)) return "NCCL with NVLink SHARP " + nccl(acc, plan, group) / MIB + " MiB";
        if (nvlink(plan, group) && acc != Accounting.SNAPSHOT_AFTER_DIST) return "NCCL over NVLink " + NCCL_NVLINK / MIB + " MiB";
        return "NCCL buffers " + NCCL_BUFFERS / MIB + " MiB";
    }

    static long nonTorch(EngineConfig cfg, Plan plan, RankLayout layout) {
        Double t = plan.tuning().get("non_torch_gib");
        if (t != null) return (long) (t * GIB);
        Accounting acc = accounting(cfg.release());
        long nt = base(cfg.release()) + (acc == Accounting.USED_MINUS_TORCH ? CUDA_CONTEXT : 0);
        int group = Math.max(layout.tp(), layout.moeGroupSize());
        if (group > 1) nt += nccl(acc, plan, group);
        else if (layout.pp() > 1) nt += NCCL_P2P;
        return nt;
    }

    /**
     * VLLM_MOE_DP_CHUNK_SIZE (vllm/envs.py, 256): the tokens a DP rank dispatches per MoE chunk,
     * FusedMoEConfig.max_num_tokens, which sizes DeepEP's low-latency buffer (num_max_dispatch_tokens_per_rank).
     */
    static final long MOE_DP_CHUNK = 256;
    /**
     * DeepEP's NVLink buffer, and its RDMA buffer in high-throughput mode across nodes: 1 GiB
     * (VLLM_DEEPEP_BUFFER_SIZE_MB = 1024 in vllm/envs.py; a literal 1024 x 1024 x 1024 in
     * distributed/device_communicators/all2all.py before that variable existed).
     */
    static final long DEEPEP_BUFFER = 1L << 30;

    /** The all-to-all backend's buffers on each rank, with their derivation (bytes 0 when the plan uses none). */
    record A2aBuffers(long bytes, Derivation derivation) {}

    /**
     * The DeepEP buffers of an EP rank. vLLM runs the all-to-all backend only when its MoE layers
     * use all2all kernels (FusedMoEParallelConfig.use_all2all_kernels: dp > 1 and expert
     * parallelism), and creates the Buffer while loading the model (the prepare/finalize of each
     * FusedMoE, DeepEP{HT,LL}All2AllManager._make_all2all_kwargs), before the profile run, so
     * it is non-torch memory taken from the KV pool. High throughput: NVLink buffer 1 GiB, RDMA 1
     * GiB only when the EP group spans nodes. Low latency: NVLink buffer 1 GiB, RDMA
     * get_low_latency_rdma_size_hint(256 tokens, hidden, ep ranks, routed + redundant experts).
     */
    static A2aBuffers a2aBuffers(EngineConfig cfg, Plan plan, RankLayout layout) {
        Model m = plan.model();
        var backend = cfg.role(Role.ALL2ALL);
        if (m.moe() == null || backend.isEmpty() || layout.epSize() <= 1 || layout.dp() <= 1) return new A2aBuffers(0, null);
        String word = backend.get().word();
        boolean ll = word.equals("deepep_low_latency"), ht = word.equals("deepep_high_throughput");
        if (!ll && !ht) return new A2aBuffers(0, null);
        long experts = m.moe().experts() + cfg.spec().redundantExperts(cfg, m);
        long rdma;
        String how;
        if (ll) {
            rdma = DeepEp.lowLatencyBytes(MOE_DP_CHUNK, m.hidden(), experts);
            how = "low-latency RDMA buffer for " + MOE_DP_CHUNK + " tokens x " + experts + " experts, hidden " + m.hidden();
        } else {
            boolean internode = epSpansNodes(layout);
            rdma = internode ? DEEPEP_BUFFER : 0;
            how = internode ? "RDMA buffer 1 GiB (the EP group spans nodes)" : "no RDMA buffer (the EP group is inside one node)";
        }
        long bytes = DeepEp.allocated(DEEPEP_BUFFER, rdma);
        return new A2aBuffers(bytes, new Derivation("all-to-all buffers",
                "DeepEP " + (ll ? "low-latency" : "high-throughput") + " Buffer: NVLink buffer 1 GiB + workspace 32 MiB + " + how,
                String.format(Locale.ROOT, "%d + %d + %d = %d B (%s)", DEEPEP_BUFFER, DeepEp.WORKSPACE, rdma, bytes, gib(bytes)),
                "vllm all2all_backend " + word + ": distributed/device_communicators/all2all.py _make_all2all_kwargs (VLLM_DEEPEP_BUFFER_SIZE_MB, "
                        + "VLLM_MOE_DP_CHUNK_SIZE); DeepEP " + DeepEp.RELEASE + " csrc/config.hpp, csrc/deep_ep.cpp"));
    }

    /**
     * vLLM runs its all-to-all kernels only with data parallelism: FusedMoEParallelConfig.use_all2all_kernels
     * is {@code dp_size > 1 and use_ep} (vllm/model_executor/layers/fused_moe/config.py, every release
     * pinned here; newer main adds prefill context parallelism and sequence-parallel MoE, which plans
     * cannot express). With dp 1 and EP, make() turns the TP group into the EP group (ep_size =
     * tp_size, tp_size = 1): each rank routes the whole batch to its own experts and FusedMoE's
     * output is reduced by tensor_model_parallel_all_reduce (reduce_results with ep_size > 1).
     */
    @Override
    public boolean epAllToAll(EngineConfig cfg, dev.shardplan.model.Parallel p) {
        return p.ep() > 1 && p.dp() > 1;
    }

    /**
     * vLLM's DeepEP prepare/finalize quantize a 128 x 128 block-FP8 model's activations before the
     * dispatch (deepep_ll_prepare_finalize use_fp8_dispatch; deepep_ht_prepare_finalize quantizes
     * first for block quantization), when the all-to-all kernels run (dp > 1 with EP).
     */
    @Override
    public EpMessage epMessage(EngineConfig cfg, Model m, dev.shardplan.model.Parallel p) {
        var backend = cfg.role(Role.ALL2ALL);
        if (backend.isPresent() && backend.get().word().startsWith("deepep_") && p.dp() > 1 && EpMessage.fp8Blocks(m)) {
            return EpMessage.deepEpFp8(m, "vllm " + backend.get().word() + " prepare/finalize, FP8 dispatch of a block-quantised model");
        }
        return EpMessage.bf16(m);
    }

    /** Whether some EP group's ranks sit on more than one node (vLLM All2AllManagerBase.internode). */
    static boolean epSpansNodes(RankLayout layout) {
        for (var g : layout.groups(dev.shardplan.layout.GroupKind.EP)) {
            int node = Integer.MIN_VALUE;
            for (int rk : g.ranks()) {
                int n = layout.rank(rk).node();
                if (node == Integer.MIN_VALUE) node = n;
                else if (n != node) return true;
            }
        }
        return false;
    }

    static long base(Release r) {
        return r.before("0.7.0") ? NON_TORCH_BASE_066 : NON_TORCH_BASE;
    }

    static String nonTorchText(EngineConfig cfg, Plan plan, RankLayout layout) {
        Accounting acc = accounting(cfg.release());
        List<String> parts = new ArrayList<>();
        parts.add("workspaces " + base(cfg.release()) / MIB + " MiB");
        if (acc == Accounting.USED_MINUS_TORCH) parts.add("CUDA context 300 MiB");
        int group = Math.max(layout.tp(), layout.moeGroupSize());
        if (group > 1) parts.add(ncclText(acc, plan, group));
        else if (layout.pp() > 1) parts.add("NCCL point-to-point 50 MiB");
        return String.join(" + ", parts) + " (" + cfg.release().label() + ": " + acc.text + ")";
    }

    /**
     * CUDA-graph memory taken from the KV budget: none in the supported releases (graphs are
     * captured after the KV cache is allocated, from the headroom that gpu_memory_utilization
     * leaves); vLLM subtracts an estimate only from 0.21 (vllm-project/vllm#30515), a release
     * whose tables shardplan does not have yet.
     */
    static long cudaGraph(EngineConfig cfg, Plan plan) {
        Double t = plan.tuning().get("cuda_graph_gib");
        return t != null ? (long) (t * GIB) : 0;
    }

    /** The forward pass of the profile run: max_num_batched_tokens tokens through the widest layer of the shard. */
    static long forward(EngineConfig cfg, Plan plan, RankLayout layout, Shard s) {
        return (long) Math.ceil((double) cfg.maxBatchedTokens() * Shapes.forwardPerToken(plan.model(), s, layout.tp())
                * Sharding.baseBytes(plan.model()));
    }

    /** The dummy sampler run on the last stage: one row of full-vocabulary logits per sequence. */
    static long sampler(EngineConfig cfg, Plan plan, Shard s) {
        if (!s.lmHead()) return 0;
        long rows = samplerRows(cfg);
        return rows * (long) plan.model().vocab() * samplerBytes(cfg, rows);
    }

    static long samplerRows(EngineConfig cfg) {
        return Math.min(cfg.maxSeqs(), cfg.maxBatchedTokens());
    }

    /** FlashInfer when enabled; from 0.17 the Triton kernel for 8 rows or more (topk_topp_sampler.apply_top_k_top_p); else the sort. */
    static int samplerBytes(EngineConfig cfg, long rows) {
        boolean fi = v1(cfg.release()) && cfg.get("flashinfer_sampler").bool();
        if (fi || (cfg.release().atLeast("0.17.0") && rows >= 8)) return SAMPLER_BYTES_FUSED;
        return SAMPLER_BYTES_SORT;
    }

    static String samplerPath(EngineConfig cfg, long rows) {
        if (v1(cfg.release()) && cfg.get("flashinfer_sampler").bool()) return "FlashInfer top-k/top-p";
        if (cfg.release().atLeast("0.17.0") && rows >= 8) return "Triton top-k/top-p";
        return "sort-based top-k/top-p";
    }

    /**
     * The V0 engine's profile run samples in the same step as its forward pass: start-ups peak at
     * the forward pass plus max_num_seqs x vocab x B on the rank that samples. 0.7.x: 17 B (0.63 GiB
     * over the forward pass at 8,192 and 32,768 tokens, TP1 and TP2, Qwen2.5-14B); 0.6.6.post1: 32 B
     * (1.16 GiB, Qwen2.5-1.5B); src/test/resources/engine/startup-logs.json.
     */
    static final int SAMPLER_BYTES_V0 = 17, SAMPLER_BYTES_V0_066 = 32;

    static int samplerBytesV0(Release r) {
        return r.before("0.7.0") ? SAMPLER_BYTES_V0_066 : SAMPLER_BYTES_V0;
    }

    /** Peak activation of the profile run: V1 the larger of the forward pass and the sampler warm-up; V0 see {@link #SAMPLER_BYTES_V0}. */
    static long activation(EngineConfig cfg, Plan plan, RankLayout layout, Shard s) {
        Double t = plan.tuning().get("activation_reserve_gib");
        if (t != null) return (long) (t * GIB);
        if (!v1(cfg.release())) return forward(cfg, plan, layout, s) + samplerV0(cfg, plan, s);
        return Math.max(forward(cfg, plan, layout, s), sampler(cfg, plan, s));
    }

    static long samplerV0(EngineConfig cfg, Plan plan, Shard s) {
        if (!s.lmHead()) return 0;
        return samplerRows(cfg) * (long) plan.model().vocab() * samplerBytesV0(cfg.release());
    }

    @Override
    public MemoryBudget budget(EngineConfig cfg, Plan plan, RankLayout layout, Rank r) {
        Model m = plan.model();
        Shard s = r.shard();
        long total = plan.cluster().gpu().memory();
        // A drafter's MTP layers add their weights and their KV to the last stage (Shapes.mtpWeights).
        int mtp = Shapes.mtpLayers(cfg, plan, s);
        long mtpWeights = mtp * Shapes.mtpWeights(plan, r, layout.tp());
        // What loading allocates beyond the parameters counts as weights in vLLM's budget (LoadAllocation).
        LayoutRules.Pad pad = plan.model().moe() == null ? LayoutRules.Pad.NONE : expertPadding(m, plan.cluster().gpu());
        long rope = LoadAllocation.ropeCache(m), rounding = LoadAllocation.roundingWaste(m, s, pad.width(), pad.hidden());
        Eplb.Extra eplb = Eplb.of(cfg, plan, layout, r);
        long weights = s.weights().total() + mtpWeights + rope + rounding + eplb.bytes();
        long fwd = forward(cfg, plan, layout, s), smp = sampler(cfg, plan, s);
        long act = activation(cfg, plan, layout, s);
        A2aBuffers a2a = a2aBuffers(cfg, plan, layout);
        long nonTorch = nonTorch(cfg, plan, layout) + (plan.tuning().get("non_torch_gib") == null ? a2a.bytes() : 0);
        long graph = cudaGraph(cfg, plan);
        int layers = s.layers().size() + mtp;
        int block = cfg.blockSize();
        KvBytes kvb = kvBytes(cfg, m, layout.tp());
        long page = block * kvb.bytes();
        KvGroups groups = kvGroups(cfg, m);
        int groupLayers = groups.layersPerGroupOn(m, s.layers().start(), s.layers().end()) + (groups.hybrid() ? 0 : mtp);
        double fraction = cfg.memoryFraction();
        long usable = (long) Math.floor(fraction * total);
        long pool = usable - weights - act - nonTorch - graph;
        long blocks = pool > 0 && page > 0 && groupLayers > 0 ? pool / page / groupLayers : 0;
        String rel = cfg.release().label();
        List<Derivation> d = new ArrayList<>();
        d.add(new Derivation("kv bytes/token/layer", kvb.formula(), kvb.numbers(), kvb.source()));
        d.add(new Derivation("weights", "sum of this rank's shard (attention + ffn + experts + shared + router + norms + embedding + lm head)",
                String.format(Locale.ROOT, "%d B (%s; scales %d B; rotary cache %d B; allocator rounding %d B)", weights, gib(weights),
                        s.weights().scales(), rope, rounding),
                "vLLM loads only its shard: column/row-parallel linears, vocab-parallel embedding, PPMissingLayer"
                        + padNote(plan) + "; the rotary cos/sin cache and the caching allocator's 2 MiB rounding of big tensors count too"
                        + " (torch allocated bytes across load_model: DeviceMemoryProfiler)"));
        if (eplb.derivation() != null) d.add(eplb.derivation());
        if (mtp > 0) d.add(new Derivation("mtp drafter", mtp + " MTP layer(s): one decoder layer sharded like this rank's + eh_proj (2h x h) + 2 norms; embedding and LM head shared with the model",
                mtpWeights + " B (" + gib(mtpWeights) + "), and " + mtp + " more layer(s) of KV per token",
                "speculative decoding with the checkpoint's next-token layers (num_nextn_predict_layers)"));
        if (v1(cfg.release())) {
            d.add(new Derivation("activation", "max(forward: max_num_batched_tokens x widest live elements per token x dtype"
                            + (s.lmHead() ? "; sampler: min(max_num_seqs, max_num_batched_tokens) x vocab x " + samplerBytes(cfg, samplerRows(cfg))
                            + " B, " + samplerPath(cfg, samplerRows(cfg)) : "") + ")",
                    String.format(Locale.ROOT, "max(%d, %d) = %d B (%s)", fwd, smp, act, gib(act)),
                    rel + " profile run: gpu_model_runner _dummy_run at max_num_batched_tokens, then _dummy_sampler_run (top-k/top-p of fp32 logits)"));
        } else {
            long v0 = samplerV0(cfg, plan, s);
            d.add(new Derivation("activation", "forward: max_num_batched_tokens x widest live elements per token x dtype"
                            + (v0 > 0 ? " + sampler: max_num_seqs x vocab x " + samplerBytesV0(cfg.release()) + " B" : ""),
                    String.format(Locale.ROOT, "%d + %d = %d B (%s)", fwd, v0, act, gib(act)),
                    rel + " V0 profile run: model_runner profile_run, one step of max_num_seqs sequences sharing max_num_batched_tokens"));
        }
        if (a2a.bytes() > 0) d.add(a2a.derivation());
        d.add(new Derivation("non-torch", nonTorchText(cfg, plan, layout) + (a2a.bytes() > 0 ? " + all-to-all buffers" : ""),
                nonTorch + " B (" + gib(nonTorch) + ")", "vllm memory_profiling non_torch_increase (utils); docs/memory-model.md"));
        d.add(new Derivation("requested", "gpu_memory_utilization x total",
                String.format(Locale.ROOT, "%.3f x %d = %d", fraction, total, usable), "vllm worker init_device: requested_memory"));
        d.add(new Derivation("cuda graphs", "none subtracted: graphs are captured after the KV cache is allocated (an estimate is subtracted only from vLLM 0.21)",
                graph + " B", "vllm v1/worker/gpu_worker.py compile_or_warm_up_model after initialize_cache; vllm-project/vllm#30515"));
        d.add(new Derivation("kv pool", "requested - weights - activation - non-torch - cuda graphs",
                usable + " - " + weights + " - " + act + " - " + nonTorch + " - " + graph + " = " + pool,
                "vllm " + (v1(cfg.release()) ? "v1/worker/gpu_worker.py" : "worker/worker.py") + " determine_available_memory"));
        if (groups.hybrid()) {
            d.add(new Derivation("kv blocks", "pool // page_size // layers per kv cache group; the " + groups.count() + " groups ("
                            + groups.fullGroups() + " full, " + groups.slidingGroups() + " sliding window, " + groups.groupSize()
                            + " layers each) share the blocks",
                    pool + " // " + page + " // " + groupLayers + " = " + blocks,
                    "vllm v1/core/kv_cache_utils.py _get_kv_cache_groups_uniform_page_size, get_kv_cache_config_from_groups"));
        } else {
            d.add(new Derivation("kv blocks", "pool // page_size // num_layers, page_size = block_size x kv bytes/token/layer",
                    pool + " // " + page + " // " + layers + " = " + blocks, "vllm v1/core/kv_cache_utils.py get_num_blocks"));
        }
        return new MemoryBudget(r.pp(), EngineKind.VLLM, total, fraction, usable, s.weights(), weights, act, nonTorch, graph,
                pool, layers, block, page, kvb.bytes() * layers, Math.max(0, blocks), 0, 0, d);
    }

    static String padNote(Plan plan) {
        if (plan.model().moe() == null) return "";
        LayoutRules.Pad p = expertPadding(plan.model(), plan.cluster().gpu());
        return p.none() ? "" : "; experts allocated with the width rounded up to " + p.width() + (p.hidden() > 1 ? " and hidden to " + p.hidden() : "")
                + " (" + p.why() + ")";
    }

    @Override
    public String usableText(MemoryBudget b) {
        return String.format(Locale.ROOT, "%s vllm may use (gpu_memory_utilization %.2f x %s)", gib(b.usable()), b.fraction(), gib(b.total()));
    }
}
