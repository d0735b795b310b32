package dev.shardplan.engine;

import dev.shardplan.layout.LayoutRules;
import dev.shardplan.layout.Rank;
import dev.shardplan.layout.RankLayout;
import dev.shardplan.layout.Shard;
import dev.shardplan.model.DType;
import dev.shardplan.model.Derivation;
import dev.shardplan.model.EngineKind;
import dev.shardplan.model.Model;
import dev.shardplan.model.Parallel;
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
 * SGLang (python/sglang/srt): its supported releases, settings, layout and memory accounting.
 * SGLang sizes its KV pool from what is free, not from the device total: after distributed init
 * it measures free memory T; after loading weights it keeps {@code mem_fraction_static x T} for
 * weights and KV and leaves the rest to activations and CUDA graphs (model_runner.py
 * profile_max_num_token: rest = available - T x (1 - mem_fraction_static)).
 */
final class Sglang implements EngineSpec {
    private static final double GIB = 1L << 30;

    /**
     * Supported releases with the commit of each release tag, read in github:bytedance-iaas/sglang,
     * a fork carrying upstream's tags; python/sglang/version.py at the commit names the release up
     * to 0.5.6.post2 (later releases derive it from the tag). Images: lmsysorg/sglang publishes
     * per-CUDA tags; cu124 for 0.4.6, cu126 up to 0.5.13, cu129 up to 0.5.19 (SGLang install docs).
     */
    private static final List<Release> RELEASES = List.of(
            pinned("0.4.6.post5", "7e257cd666c0d639626487987ea8e590da1e9395", "version.py 0.4.6.post5 at the tag commit", "cu124"),
            pinned("0.4.10.post2", "8cd344586e09669432d35c678b7cc208c0a6f47e", "version.py 0.4.10.post2 at the tag commit", "cu126"),
            pinned("0.5.6.post2", "5c8bd8b51b53b9b39eb1edec582ee43b21002106", "version.py 0.5.6.post2 at the tag commit", "cu126"),
            pinned("0.5.10", "1519acf37c23f2189adb93f57ca9cd2db1bebf18", "tag v0.5.10 (the version comes from the tag, setuptools-scm)", "cu126"),
            pinned("0.5.18", "71de97b264b04dcd514cf904003028aefe9775c8", "tag v0.5.18 on the release/v0.5.18 branch (the newest release whose parser could be read)", "cu129"));

    private static Release pinned(String v, String commit, String established, String cuda) {
        return new Release(EngineKind.SGLANG, Version.of(v), commit, established, "lmsysorg/sglang:v" + v + "-" + cuda);
    }

    private final Map<Release, List<Setting>> tables = new LinkedHashMap<>();

    Sglang() {
        for (Release r : RELEASES) tables.put(r, List.copyOf(table(r)));
    }

    @Override public EngineKind kind() { return EngineKind.SGLANG; }

    @Override public String title() { return "SGLang"; }

    @Override public List<Release> releases() { return RELEASES; }

    @Override public List<Setting> settings(Release r) { return tables.get(r); }

    @Override public int defaultPort() { return 30000; }

    /**
     * SGLang's scheduler: max_running_requests (divided over the DP ranks with DP attention), or,
     * unset, max_total_num_tokens // 2 capped by the request pool, whose size is
     * min(max(tokens / context_length x 512, 2048), 4096) (managers/scheduler.py, model_runner.py
     * init_memory_pool).
     */
    @Override
    public long runningCap(EngineConfig cfg, long kvTokens, Parallel p) {
        int dp = p.dpAttention() && p.dp() > 1 ? p.dp() : 1;
        long pool = Math.min(Math.max(kvTokens * 512 / Math.max(1, cfg.maxModelLen()), 2048), 4096);
        long set = cfg.maxSeqs();
        long cap = set > 0 ? set / dp : kvTokens / 2;
        return Math.max(1, Math.min(cap, pool));
    }

    /** With chunked prefill off (-1) a prefill batch is bounded by max_prefill_tokens, 16384 (server_args.py). */
    @Override
    public long prefillTokens(EngineConfig cfg) {
        return cfg.maxBatchedTokens() > 0 ? cfg.maxBatchedTokens() : 16384;
    }

    /** SGLang starts with a pool shorter than the context length and caps requests at start-up instead. */
    @Override public boolean refusesShortPool() { return false; }

    /**
     * How a release picks mem_fraction_static: 0.4.6 from tp x pp alone; 0.4.10 from a reserve per
     * GPU class; 0.5 from a reserve that follows chunked_prefill_size and the CUDA-graph batch.
     */
    enum Heuristic { TP_TABLE, GPU_CLASS, RESERVE }

    static Heuristic heuristic(Release r) {
        if (r.before("0.4.10")) return Heuristic.TP_TABLE;
        if (r.before("0.5.0")) return Heuristic.GPU_CLASS;
        return Heuristic.RESERVE;
    }

    private static List<Setting> table(Release r) {
        String at = "SGLang " + r.version();
        List<Setting> t = new ArrayList<>();
        t.add(Setting.of("context_length", Kind.COUNT).role(Role.MAX_MODEL_LEN).range(1, 1e9).flag("--context-length")
                .dflt(ctx -> new DefaultRule.Default(ctx.plan().workload().maxLength(), Origin.WORKLOAD,
                        "the workload's max length (SGLang's own default is the model's context length)"))
                .doc("longest sequence (prompt + output) the server accepts, in tokens")
                .source("python/sglang/srt/server_args.py ServerArgs.context_length").build());
        t.add(Setting.of("chunked_prefill_size", Kind.COUNT).role(Role.MAX_BATCHED_TOKENS).range(-1, 1e9).flag("--chunked-prefill-size")
                .dflt(ctx -> chunkDefault(ctx, at))
                .doc("tokens of one prefill chunk; -1 turns chunked prefill off")
                .source("python/sglang/srt/server_args.py __post_init__ (chunked_prefill_size by GPU memory)").build());
        t.add(Setting.of("mem_fraction_static", Kind.NUMBER).role(Role.MEMORY_FRACTION).above(0, 1).flag("--mem-fraction-static")
                .dflt(ctx -> fractionDefault(ctx, at))
                .doc("fraction of the memory free after start-up kept for weights and the KV pool; the rest is left to activations and CUDA graphs")
                .source(switch (heuristic(r)) {
                    case TP_TABLE -> "python/sglang/srt/server_args.py __post_init__ (mem_fraction_static by tp x pp)";
                    case GPU_CLASS -> "python/sglang/srt/server_args.py __post_init__ (reserved memory per GPU class)";
                    case RESERVE -> "python/sglang/srt/server_args.py _handle_gpu_memory_settings (reserved memory heuristic)";
                }).build());
        t.add(Setting.of("max_running_requests", Kind.COUNT).role(Role.MAX_SEQS).range(1, 1e6).flag("--max-running-requests")
                .dflt(DefaultRule.startup(0L, at + ": derived at start-up from the KV pool (max_total_num_tokens // 2, at most the request pool)"))
                .doc("requests the scheduler runs at once, over all its DP ranks")
                .source("python/sglang/srt/managers/scheduler.py (max_running_requests = max_total_num_tokens // 2 when unset)").build());
        t.add(Setting.of("page_size", Kind.COUNT).role(Role.BLOCK_SIZE).range(1, 4096).flag("--page-size")
                .dflt(fixed(1L, at + " default: 1-token pages"))
                .doc("tokens per KV page")
                .source("python/sglang/srt/server_args.py ServerArgs.page_size = 1").build());
        t.add(Setting.of("kv_cache_dtype", Kind.CHOICE).role(Role.KV_CACHE_DTYPE)
                .choices(r.atLeast("0.5.0") ? List.of("auto", "fp8_e4m3", "fp8_e5m2", "bf16", "bfloat16") : List.of("auto", "fp8_e4m3", "fp8_e5m2"))
                .flag("--kv-cache-dtype").dflt(fixed("auto", at + " default: the model's dtype"))
                .doc("dtype of the KV cache; auto is the model's")
                .source("python/sglang/srt/server_args.py --kv-cache-dtype choices").build());
        t.add(Setting.of("cuda_graphs", Kind.BOOL).role(Role.CUDA_GRAPHS).switches(null, "--disable-cuda-graph")
                .dflt(fixed(true, at + " default: CUDA graphs on unless --disable-cuda-graph"))
                .doc("capture decode steps in CUDA graphs (false: --disable-cuda-graph)")
                .source("python/sglang/srt/server_args.py ServerArgs.disable_cuda_graph = False").build());
        t.add(Setting.of("prefix_caching", Kind.BOOL).role(Role.PREFIX_CACHING).switches(null, "--disable-radix-cache")
                .dflt(fixed(true, at + " default: the radix cache is on unless --disable-radix-cache"))
                .doc("share KV of common prefixes in the radix cache (false: --disable-radix-cache)")
                .source("python/sglang/srt/server_args.py ServerArgs.disable_radix_cache = False").build());
        recipes(t, r, at);
        return t;
    }

    /**
     * Serving recipes (python/sglang/srt/server_args.py of each release; flag sets in
     * launchers/releases/sglang-*.txt): the EP all-to-all kernels, EPLB, MTP drafting (NEXTN, which
     * SGLang runs as EAGLE over the checkpoint's next-token layers; with top-k 1 it sets the draft
     * tokens to steps + 1 itself) and the hierarchical cache in host memory.
     */
    private static void recipes(List<Setting> t, Release r, String at) {
        String args = "python/sglang/srt/server_args.py";
        if (r.atLeast("0.4.10")) {
            List<String> a2a = r.atLeast("0.5.18") ? List.of("none", "deepep", "mooncake", "nixl", "mori", "ascend_fuseep", "flashinfer", "megamoe", "pplx", "ascend_tp")
                    : r.atLeast("0.5.10") ? List.of("none", "deepep", "mooncake", "nixl", "mori", "ascend_fuseep", "flashinfer")
                    : r.atLeast("0.5.0") ? List.of("none", "deepep", "mooncake", "ascend_fuseep") : List.of("deepep");
            t.add(Setting.of("moe_a2a_backend", Kind.CHOICE).role(Role.ALL2ALL).choices(a2a).flag("--moe-a2a-backend")
                    .dflt(fixed("none", at + " default: the all-reduce/all-gather dispatch"))
                    .doc("kernels of the expert-parallel all-to-all (deepep needs DeepEP in the image)")
                    .source(args + " --moe-a2a-backend").build());
        }
        t.add(Setting.of("deepep_mode", Kind.CHOICE).choices(List.of("normal", "low_latency", "auto")).flag("--deepep-mode")
                .dflt(fixed("auto", at + " default")).doc("DeepEP kernels: normal (prefill), low_latency (decode) or auto")
                .source(args + " --deepep-mode").build());
        t.add(Setting.of("enable_eplb", Kind.BOOL).role(Role.EPLB).switches("--enable-eplb", null)
                .dflt(fixed(false, at + " default: off")).doc("expert-parallel load balancing")
                .source(args + " --enable-eplb").build());
        t.add(Setting.of("ep_num_redundant_experts", Kind.COUNT).role(Role.REDUNDANT_EXPERTS).range(0, 4096).zeroOff().flag("--ep-num-redundant-experts")
                .dflt(fixed(0L, at + " default: none")).doc("redundant expert copies EPLB may place")
                .source(args + " ServerArgs.ep_num_redundant_experts = 0").build());
        t.add(Setting.of("speculative_num_steps", Kind.COUNT).role(Role.SPEC_TOKENS).range(0, 16).zeroOff().flag("--speculative-num-steps")
                .with("--speculative-algorithm", "NEXTN", "--speculative-eagle-topk", "1")
                .dflt(fixed(0L, at + " default: no speculative decoding"))
                .doc("tokens the model's next-token (MTP) layers draft per step (--speculative-algorithm NEXTN, top-k 1)")
                .source(args + " (NEXTN shares EAGLE's implementation; top-k 1 sets speculative_num_draft_tokens = steps + 1)").build());
        t.add(Setting.of("hicache_size", Kind.SIZE).role(Role.KV_OFFLOAD).range(0, 1e15).unit(1e9, true).zeroOff()
                .flag("--hicache-size").with("--enable-hierarchical-cache")
                .dflt(fixed(0L, at + " default: no host KV tier"))
                .doc("host memory of the hierarchical KV cache, per rank")
                .source(args + " --hicache-size (GB per worker); mem_cache host pool: size = hicache_size x 1e9 // bytes per token").build());
    }

    /** GPU memory in MiB as SGLang's get_device_memory_capacity reads it: nvidia-smi's memory.total. */
    static double gpuMib(DefaultContext ctx) {
        return ctx.plan().cluster().gpu().smiMemory() / (double) (1 << 20);
    }

    private static DefaultRule.Default chunkDefault(DefaultContext ctx, String at) {
        double mib = gpuMib(ctx);
        long c;
        String why;
        switch (heuristic(ctx.release())) {
            case TP_TABLE -> {
                c = mib < 25_000 ? 2048 : 8192;
                why = c + (mib < 25_000 ? " on GPUs under 25,000 MiB" : " on GPUs of 25,000 MiB or more");
            }
            case GPU_CLASS -> {
                c = mib < 35 * 1024 ? 2048 : mib < 160 * 1024 ? 8192 : 16384;
                why = c + " for a " + Math.round(mib) + " MiB GPU (2048 under 35 GiB, 8192 under 160 GiB, else 16384)";
            }
            default -> {
                c = mib < 35 * 1024 ? 2048 : mib < 60 * 1024 ? 4096 : mib < 160 * 1024 ? 8192 : 16384;
                why = c + " for a " + Math.round(mib) + " MiB GPU (2048 under 35 GiB, 4096 under 60, 8192 under 160, else 16384)";
            }
        }
        // 0.4.6 divides the chunk over the DP ranks with DP attention (server_args.py __post_init__).
        Parallel p = ctx.plan().parallel();
        if (heuristic(ctx.release()) == Heuristic.TP_TABLE && p.dpAttention() && p.dp() > 1) {
            c = c / p.dp();
            why += ", divided by dp " + p.dp() + " with dp attention";
        }
        return new DefaultRule.Default(c, Origin.DEFAULT, at + ": " + why);
    }

    /** cuda_graph_max_bs as 0.5 releases pick it by GPU class and tp (server_args.py _handle_gpu_memory_settings). */
    static int graphMaxBs(double mib, int tp) {
        if (mib < 20 * 1024) return 8;
        if (mib < 35 * 1024) return tp < 4 ? 24 : 80;
        if (mib < 60 * 1024) return tp < 4 ? 32 : 160;
        if (mib < 160 * 1024) return tp < 4 ? 256 : 512;
        return 512;
    }

    /**
     * Piecewise CUDA graphs of 0.5.10 on (off with PP, DP attention, speculative decoding): their
     * non-torch reserve is 8 MiB per captured size up to the chunk, 1.5 GiB with an MLA backend
     * (server_args.py _generate_piecewise_cuda_graph_tokens, _handle_gpu_memory_settings).
     */
    static double piecewiseReserveMib(DefaultContext ctx, long chunk) {
        Parallel p = ctx.plan().parallel();
        if (p.pp() > 1 || p.dpAttention() && p.dp() > 1) return 0;
        if (ctx.plan().model().isMla()) return 1.5 * 1024;
        long max = chunk;
        int n = 0;
        int[][] ranges = {{4, 32, 4}, {48, 256, 16}, {288, 512, 32}, {576, 1024, 64}, {1280, 4096, 256}};
        for (int[] g : ranges) for (int x = g[0]; x <= g[1]; x += g[2]) if (x <= max) n++;
        for (long x = 4608; x <= max; x += 512) n++;
        return n * 8.0;
    }

    private static DefaultRule.Default fractionDefault(DefaultContext ctx, String at) {
        Parallel p = ctx.plan().parallel();
        int tp = tpSize(p);
        int par = tp * p.pp();
        double mib = gpuMib(ctx);
        switch (heuristic(ctx.release())) {
            case TP_TABLE -> {
                double f = mib <= 81920 ? (par >= 16 ? 0.79 : par >= 8 ? 0.81 : par >= 4 ? 0.85 : par >= 2 ? 0.87 : 0.88) : 0.88;
                String why = f + " at tp x pp " + par;
                if (mib > 96 * 1024) {
                    f = Math.min(f + 48 * 1024 * (1 - f) / mib, (mib - 1024 * 18) / mib);
                    why += ", raised on a GPU above 96 GiB to min(f + 48 GiB x (1 - f) / gpu, (gpu - 18 GiB) / gpu)";
                }
                return new DefaultRule.Default(f, Origin.DEFAULT, at + ": " + why);
            }
            case GPU_CLASS -> {
                double gib = mib < 35 * 1024 ? 2.8 + par / 10.0 : mib < 90 * 1024 ? 9.5 + par / 2.0 : mib < 160 * 1024 ? 12 + par / 2.0 : 32;
                if (p.dpAttention() && p.dp() > 1) gib += 4;
                double f = Math.round((mib - gib * 1024) / mib * 1000) / 1000.0;
                return new DefaultRule.Default(f, Origin.DEFAULT, String.format(Locale.ROOT,
                        "%s: (gpu %.0f MiB - reserved %.1f GiB) / gpu, the reserve of its GPU class at tp x pp %d", at, mib, gib, par));
            }
            default -> {
                long chunk = ctx.count("chunked_prefill_size");
                int bs = graphMaxBs(mib, tp);
                double reserved = 512 + Math.max(chunk > 0 ? chunk : 16384, 2048) * 1.5 + bs * 2 + par / 8.0 * 1024;
                if (p.dpAttention() && p.dp() > 1) {
                    reserved += bs * p.dp() * 3;
                    if (bs > 300) reserved += bs * p.dp() * 1.5;
                }
                if (ctx.release().atLeast("0.5.10") && chunk > 0) reserved += piecewiseReserveMib(ctx, chunk);
                if (mib > 60 * 1024) reserved = Math.max(reserved, 10 * 1024);
                double f = Math.round((mib - reserved) / mib * 1000) / 1000.0;
                return new DefaultRule.Default(f, Origin.DEFAULT, String.format(Locale.ROOT,
                        "%s: (gpu %.0f MiB - reserved %.0f MiB) / gpu, reserving for prefill activations and CUDA graphs (max bs %d)", at, mib, reserved, bs));
            }
        }
    }

    /**
     * The serving loop of a release (docs/predictions.md, "Engine loop"), read at the pinned commits:
     * the overlap scheduler is on by default ({@code disable_overlap_schedule: bool = False}) and off
     * with PP (0.4.6: scheduler.py runs event_loop_pp when pp_size > 1; 0.5: server_args.py
     * _handle_pipeline_parallelism sets disable_overlap_schedule); PP cycles pp_size micro-batches
     * (scheduler_pp_mixin.py event_loop_pp); CUDA graphs capture 1, 2, 4, 8 and steps of 8 to 160
     * (to 256 on GPUs above 96 GB) in 0.4 (cuda_graph_runner.py get_batch_sizes_to_capture), and in 0.5
     * 1, 2, 4, 8, 12, steps of 8 to 256, of 16 to 512, of 32 above, up to cuda_graph_max_bs by GPU
     * class and tp (server_args.py _generate_cuda_graph_batch_sizes), a batch padded to the next;
     * sampling with FlashInfer when it is installed, as in the image (sampling_backend); the radix
     * cache; with DP attention the ranks run each batch together (their MoE layers gather every rank's tokens).
     */
    @Override
    public EngineLoop loop(EngineConfig cfg, Plan plan) {
        Release r = cfg.release();
        Parallel p = plan.parallel();
        List<EngineLoop.Fact> f = new ArrayList<>();
        boolean pp = p.pp() > 1;
        f.add(new EngineLoop.Fact(pp ? "CPU work in series with the GPU (the overlap scheduler is off with pp > 1)"
                : "CPU work overlaps the GPU (overlap scheduler on by default)",
                pp ? "python/sglang/srt/managers/scheduler.py event_loop_pp" : "python/sglang/srt/server_args.py ServerArgs.disable_overlap_schedule = False"));
        if (pp) f.add(new EngineLoop.Fact("pp " + p.pp() + ": " + p.pp() + " micro-batches cycle through the stages", "python/sglang/srt/managers/scheduler_pp_mixin.py event_loop_pp"));
        List<Integer> graphs = new ArrayList<>();
        if (cfg.cudaGraphs()) {
            double mib = plan.cluster().gpu().smiMemory() / (double) (1 << 20);
            if (r.before("0.5.0")) {
                for (int s : new int[] {1, 2, 4, 8}) graphs.add(s);
                int top = mib > 96 * 1024 ? 256 : 160;
                for (int s = 16; s <= top; s += 8) graphs.add(s);
            } else {
                int max = graphMaxBs(mib, tpSize(p));
                for (int s : new int[] {1, 2, 4, 8, 12}) if (s <= max) graphs.add(s);
                for (int s = 16; s <= Math.min(256, max); s += 8) graphs.add(s);
                for (int s = 272; s < 512 && s <= max; s += 16) graphs.add(s);
                for (int s = 512; s <= max; s += 32) graphs.add(s);
            }
            f.add(new EngineLoop.Fact("CUDA graphs for decode batches up to " + graphs.get(graphs.size() - 1) + ", padded to the next captured size",
                    r.before("0.5.0") ? "python/sglang/srt/model_executor/cuda_graph_runner.py get_batch_sizes_to_capture"
                            : "python/sglang/srt/server_args.py _generate_cuda_graph_batch_sizes"));
        }
        f.add(new EngineLoop.Fact("top-k/top-p sampling with FlashInfer", "python/sglang/srt/server_args.py sampling_backend (flashinfer when available)"));
        boolean lock = p.dpAttention() && p.dp() > 1;
        if (lock) f.add(new EngineLoop.Fact("dp " + p.dp() + " attention ranks run each batch together", "python/sglang/srt/managers/scheduler.py (DP attention: prepare_mlp_sync_batch)"));
        return new EngineLoop(!pp, pp ? EngineLoop.Pipeline.MICRO_BATCHES : EngineLoop.Pipeline.NONE, pp ? p.pp() : 1,
                graphs, true, EngineLoop.Sampler.FLASHINFER, cfg.prefixCaching(), lock, f);
    }

    /** SGLang's --tp-size: with DP attention it counts every GPU of a stage (dp x attention tp). */
    static int tpSize(Parallel p) {
        return p.dpAttention() && p.dp() > 1 ? p.dp() * p.tp() : p.tp();
    }

    @Override
    public DType kvDtype(String word, Model model) {
        return word.equals("auto") ? model.kvDtype() : DType.FP8;
    }

    /**
     * SGLang model_runner / scheduler launch: remainder layers to the last stages
     * (get_pp_indices), kv heads max(1, kv // tp), EP groups strided inside the TP group
     * (moe_ep_rank = tp_rank // (tp / ep)); with DP attention the MoE group is the dp x tp ranks.
     */
    private static final LayoutRules LAYOUT = new LayoutRules(LayoutRules.Remainder.LAST,
            LayoutRules.KvHeadRounding.FLOOR_AT_LEAST_ONE, LayoutRules.MoeGroup.TP_OR_ATTENTION_DP, LayoutRules.EpOrder.EP_MAJOR);

    @Override public LayoutRules layoutRules() { return LAYOUT; }

    private static final String ARGS = "python/sglang/srt/server_args.py ServerArgs.add_cli_args";

    private static final List<LaunchFlag> FLAGS = List.of(
            LaunchFlag.flag("model_path", "--model-path", ARGS),
            LaunchFlag.flag("served_model_name", "--served-model-name", ARGS),
            LaunchFlag.flag("tp_size", "--tp-size", ARGS),
            LaunchFlag.flag("dp_size", "--dp-size", ARGS),
            LaunchFlag.flag("pp_size", "--pp-size", ARGS),
            LaunchFlag.flag("ep_size", "--ep-size", ARGS),
            LaunchFlag.flag("enable_dp_attention", "--enable-dp-attention", ARGS),
            LaunchFlag.flag("nnodes", "--nnodes", ARGS),
            LaunchFlag.flag("node_rank", "--node-rank", ARGS),
            LaunchFlag.flag("dist_init_addr", "--dist-init-addr", ARGS),
            LaunchFlag.flag("reasoning_parser", "--reasoning-parser", ARGS),
            LaunchFlag.flag("tool_call_parser", "--tool-call-parser", ARGS),
            // Disaggregation (server_args.py at 0.4.6.post5 through 0.5.18): the server's role, the
            // KV transfer backend (KvConnectors) and the prefill server's bootstrap port (default 8998).
            LaunchFlag.flag("disaggregation_mode", "--disaggregation-mode", ARGS),
            LaunchFlag.flag("disaggregation_transfer_backend", "--disaggregation-transfer-backend", ARGS),
            LaunchFlag.flag("disaggregation_bootstrap_port", "--disaggregation-bootstrap-port", ARGS),
            LaunchFlag.flag("host", "--host", ARGS),
            LaunchFlag.flag("port", "--port", ARGS));

    @Override public List<LaunchFlag> launchFlags() { return FLAGS; }

    /** shardplan's parser names -> SGLang's (--reasoning-parser choices), from the first supported release that has each. */
    private static final ParserTable PARSERS = ParserTable.of(
            "deepseek_r1", "deepseek-r1", "0.4.6",
            "qwen3", "qwen3", "0.4.6",
            "glm45", "glm45", "0.4.10",
            "step3", "step3", "0.4.10",
            "gpt_oss", "gpt-oss", "0.5.0",
            "kimi_k2", "kimi_k2", "0.5.0",
            "mistral", "mistral", "0.5.10");

    @Override
    public Optional<String> reasoningParser(Release r, String parser) {
        return PARSERS.lookup(r, parser);
    }

    /** shardplan's tool-call formats -> SGLang's --tool-call-parser names (launchers/releases/sglang-*.txt). */
    private static final ParserTable TOOLS = ParserTable.of(
            "llama3_json", "llama3", "0.4.6",
            "hermes", "qwen25", "0.4.6",
            "mistral", "mistral", "0.4.6",
            "deepseek_v3", "deepseekv3", "0.4.6",
            "kimi_k2", "kimi_k2", "0.4.10",
            "glm45", "glm45", "0.4.10",
            "qwen3_coder", "qwen3_coder", "0.4.10",
            "gpt_oss", "gpt-oss", "0.5.0");

    @Override
    public Optional<String> toolParser(Release r, String parser) {
        return TOOLS.lookup(r, parser);
    }

    @Override
    public List<String> toolParsers(Release r) {
        return TOOLS.names(r);
    }

    /**
     * /health answers 503 while the server starts and 200 after; /health_generate runs a one-token
     * generation (python/sglang/srt/entrypoints/http_server.py), which SGLang's own Kubernetes
     * example uses for readiness, with a 10 GiB memory-backed /dev/shm (docker/k8s-sglang-service.yaml).
     */
    private static final Serving SERVING = new Serving("/health", "/health_generate", 10L << 30,
            "python/sglang/srt/entrypoints/http_server.py (/health, /health_generate); docker/k8s-sglang-service.yaml (probes, dshm sizeLimit 10Gi)");

    @Override
    public Serving serving(Release r) {
        return SERVING;
    }

    /**
     * Under --enable-dp-attention SGLang divides --max-running-requests and --chunked-prefill-size
     * by dp_size: each attention-DP rank runs max_running_requests / dp requests (0.4.6
     * managers/tp_worker.py; 0.5.10 model_runner_kv_cache_mixin.py; 0.5.18
     * mem_cache/kv_cache_configurator.py: requested_per_worker = max_num_reqs // attn_dp_size) and
     * prefills chunked_prefill_size / dp tokens (server_args.py, every release).
     */
    @Override
    public int limitRanks(Role role, Parallel p) {
        boolean divided = role == Role.MAX_SEQS || role == Role.MAX_BATCHED_TOKENS;
        return divided && p.dpAttention() && p.dp() > 1 ? p.dp() : 1;
    }

    @Override
    public String limitSource(Role role) {
        return role == Role.MAX_SEQS ? "SGLang divides max_running_requests by dp_size under --enable-dp-attention (kv_cache_configurator.py, tp_worker.py)"
                : "SGLang divides chunked_prefill_size by dp_size under --enable-dp-attention (server_args.py)";
    }

    @Override
    public List<String> reasoningParsers(Release r) {
        return PARSERS.names(r);
    }

    @Override
    public KvBytes kvBytes(EngineConfig cfg, Model m, int tp) {
        return Shapes.kvBytes(m, tp, cfg.kvDtype(), LAYOUT.kvHeads(), "kv heads per rank = max(1, kv // tp) (SGLang model_config.get_num_kv_heads)");
    }

    @Override
    public KvGroups kvGroups(EngineConfig cfg, Model m) {
        return KvGroups.uniform(m.layers());
    }

    /**
     * Memory a worker's start-up takes before SGLang first measures what is free: the CUDA context,
     * 0.31 GiB (A100 TP1: the total less the "avail mem" logged before loading); with TP or PP the
     * communicators SGLang initialises (and warms) before it measures: 0.03 GiB more over PCIe
     * (L4 TP4, 0.33 GiB in all; "init torch distributed ... mem usage=0.13 GB" there), 1.85 GiB
     * more over NVLink (H800 TP16 over two nodes, 2.16 GiB in all); src/test/resources/engine/startup-logs.json.
     */
    static final long INIT = 310L << 20, INIT_NCCL_PCIE = 30L << 20, INIT_NCCL_NVLINK = 1850L << 20;

    static long init(Plan plan, RankLayout layout) {
        int group = Math.max(layout.tp(), layout.moeGroupSize());
        if (group > 1) return INIT + (Vllm.nvlink(plan, group) ? INIT_NCCL_NVLINK : INIT_NCCL_PCIE);
        return INIT + (layout.pp() > 1 ? INIT_NCCL_PCIE : 0);
    }

    /**
     * What loading takes beyond the weights (SGLang's "Load weight end ... mem usage" less the
     * shard: 0.21 GiB on A100 TP1, 0.28 GiB on L4 TP4 in the same logs).
     */
    static final long LOAD_OVERHEAD = 250L << 20;

    /**
     * SGLang dispatches tokens to their experts' ranks when an all-to-all backend runs
     * (moe_a2a_backend other than none: the token dispatcher of layers/moe/token_dispatcher, with
     * the MoE input scattered over the ranks) or when attention is data-parallel (each attention
     * replica holds other tokens; with the none backend SGLang gathers them over the group and
     * reduce-scatters the output instead, which is still priced as the all-to-all). With --ep-size and neither, the TP group is the EP group, each
     * rank holds every token and runs its local experts, and the MoE output is summed by the TP
     * all-reduce (the default none backend: "the all-reduce/all-gather dispatch").
     */
    @Override
    public boolean epAllToAll(EngineConfig cfg, dev.shardplan.model.Parallel p) {
        if (p.ep() <= 1) return false;
        var backend = cfg.role(Role.ALL2ALL);
        boolean a2a = backend.isPresent() && !backend.get().word().equals("none");
        return a2a || p.dpAttention() && p.dp() > 1;
    }

    /**
     * SGLang's DeepEP dispatcher sends FP8 when DeepGEMM runs the experts of a block-FP8 model
     * (token_dispatcher/deepep.py: per-token-group quantisation by 128 before the normal dispatch,
     * use_fp8 in the low-latency one); the combine returns BF16.
     */
    @Override
    public EpMessage epMessage(EngineConfig cfg, Model m, dev.shardplan.model.Parallel p) {
        var backend = cfg.role(Role.ALL2ALL);
        if (backend.isPresent() && backend.get().word().equals("deepep") && EpMessage.fp8Blocks(m)) {
            return EpMessage.deepEpFp8(m, "sglang moe_a2a_backend deepep, FP8 dispatch of a block-quantised model");
        }
        return EpMessage.bf16(m);
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
        Double nt = plan.tuning().get("non_torch_gib");
        long init = nt != null ? (long) (nt * GIB) : init(plan, layout);
        long load = LOAD_OVERHEAD;
        long free = total - init;
        double fraction = cfg.memoryFraction();
        long usable = (long) Math.floor(fraction * free);
        long pool = usable - weights - load;
        KvBytes kvb = kvBytes(cfg, m, layout.tp());
        int layers = s.layers().size() + mtp;
        long perToken = kvb.bytes() * layers;
        int page = cfg.blockSize();
        long tokens = pool > 0 && perToken > 0 ? pool / perToken / page * page : 0;
        long blocks = tokens / page;
        List<Derivation> d = new ArrayList<>();
        d.add(new Derivation("kv bytes/token/layer", kvb.formula(), kvb.numbers(), kvb.source()));
        d.add(new Derivation("weights", "sum of this rank's shard", weights + " B (" + gib(weights) + ")", "SGLang loads only its shard"));
        if (eplb.derivation() != null) d.add(eplb.derivation());
        if (mtp > 0) d.add(new Derivation("mtp drafter", mtp + " MTP layer(s): one decoder layer sharded like this rank's + eh_proj (2h x h) + 2 norms; embedding and LM head shared with the model",
                mtpWeights + " B (" + gib(mtpWeights) + "), and " + mtp + " more layer(s) of KV per token",
                "speculative decoding with the checkpoint's next-token layers (num_nextn_predict_layers)"));
        d.add(new Derivation("free at start-up", "total - CUDA context and communicators", total + " - " + init + " = " + free,
                "sglang model_runner.py init_torch_distributed: min free memory over the ranks"));
        d.add(new Derivation("kv pool", "mem_fraction_static x free at start-up - memory used by loading (weights + 250 MiB)",
                String.format(Locale.ROOT, "%.3f x %d - %d - %d = %d", fraction, free, weights, load, pool),
                "sglang model_runner.py profile_max_num_token (rest_memory = available after load - total x (1 - mem_fraction_static))"));
        d.add(new Derivation("kv tokens", "pool // (cell_size = kv bytes/token/layer x layers), in pages of page_size",
                pool + " // " + perToken + " = " + tokens + " -> " + blocks + " pages of " + page, "sglang profile_max_num_token"));
        long a2a = a2aBuffers(cfg, plan, layout, d);
        return new MemoryBudget(r.pp(), EngineKind.SGLANG, total, fraction, usable, s.weights(), weights, load, init, 0, pool,
                layers, page, (long) page * kvb.bytes(), perToken, Math.max(0, blocks), a2a, a2a > 0 ? free - usable : 0, d);
    }

    /**
     * SGLANG_DEEPEP_NUM_MAX_DISPATCH_TOKENS_PER_RANK (128): the tokens a rank dispatches per step in
     * DeepEP's low-latency mode, which sizes its RDMA buffer (token_dispatcher/deepep.py).
     */
    static final long DEEPEP_LL_TOKENS = 128;

    /**
     * SGLang's DeepEP Buffer (moe_a2a_backend deepep), adding its derivation to {@code d}: bytes per
     * rank, 0 without one. DeepEPBuffer.get_deepep_buffer sizes it for deepep_mode: normal (and
     * auto) take the larger NVLink and RDMA hints of DeepEP's recommended dispatch and combine
     * configurations for the group's ranks and bf16 tokens (param_bytes 2); low_latency (and auto)
     * the low-latency RDMA buffer for 128 tokens and the physical experts (routed + redundant),
     * the larger RDMA buffer winning. It is created at the first dispatch, after the KV pool is
     * sized, so it comes out of the 1 - mem_fraction_static headroom rather than the pool.
     */
    static long a2aBuffers(EngineConfig cfg, Plan plan, RankLayout layout, List<Derivation> d) {
        Model m = plan.model();
        var backend = cfg.role(Role.ALL2ALL);
        if (m.moe() == null || backend.isEmpty() || !backend.get().word().equals("deepep") || layout.epSize() <= 1) return 0;
        String mode = cfg.get("deepep_mode").word();
        boolean normal = !mode.equals("low_latency"), ll = !mode.equals("normal");
        int ranks = layout.moeGroupSize();
        long experts = m.moe().experts() + cfg.spec().redundantExperts(cfg, m);
        long nvl = 0, rdma = 0;
        List<String> parts = new ArrayList<>();
        if (normal) {
            long[] nb = DeepEp.normalBytes(2L * m.hidden(), ranks);
            if (nb == null) {
                d.add(new Derivation("all-to-all buffers", "DeepEP has no recommended normal-mode configuration for " + ranks + " ranks",
                        "not sized", "deep_ep/buffer.py get_dispatch_config asserts on other rank counts"));
                return 0;
            }
            nvl = nb[0];
            rdma = nb[1];
            parts.add("normal: NVLink " + nb[0] + " B, RDMA " + nb[1] + " B (" + ranks + " ranks, hidden " + m.hidden() + " x 2 B)");
        }
        if (ll) {
            long l = DeepEp.lowLatencyBytes(DEEPEP_LL_TOKENS, m.hidden(), experts);
            parts.add("low latency: RDMA " + l + " B (" + DEEPEP_LL_TOKENS + " tokens x " + experts + " experts)");
            rdma = Math.max(rdma, l);
        }
        long bytes = DeepEp.allocated(nvl, rdma);
        d.add(new Derivation("all-to-all buffers",
                "DeepEP Buffer for deepep_mode " + mode + ": NVLink buffer + workspace 32 MiB + the larger RDMA buffer; created at the first dispatch, "
                        + "after the KV pool, from the 1 - mem_fraction_static headroom",
                String.join("; ", parts) + String.format(Locale.ROOT, "; %d + %d + %d = %d B (%s)", nvl, DeepEp.WORKSPACE, rdma, bytes, gib(bytes)),
                "sglang layers/moe/token_dispatcher/deepep.py DeepEPBuffer.get_deepep_buffer (SGLANG_DEEPEP_NUM_MAX_DISPATCH_TOKENS_PER_RANK 128); DeepEP "
                        + DeepEp.RELEASE + " deep_ep/buffer.py, csrc/config.hpp"));
        return bytes;
    }

    @Override
    public String usableText(MemoryBudget b) {
        return String.format(Locale.ROOT, "%s sglang keeps for weights and kv (mem_fraction_static %.3f x %s free after start-up)",
                gib(b.usable()), b.fraction(), gib(b.total() - b.nonTorch()));
    }
}
