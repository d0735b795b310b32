package dev.shardplan.resolve;

import dev.shardplan.ast.Nodes.*;
import dev.shardplan.diag.Codes;
import dev.shardplan.diag.Diagnostic;
import dev.shardplan.diag.Diagnostics;
import dev.shardplan.diag.Span;
import dev.shardplan.model.*;
import dev.shardplan.units.Dimension;

import java.util.*;

/**
 * The `engine` block. Each engine is configured with its own flag vocabulary (vLLM's
 * gpu_memory_utilization, SGLang's mem_fraction_static, TRT-LLM's free_gpu_memory_fraction) so
 * that users write what they know; all map onto {@link Engine}. Unset values take the engine's
 * documented default, resolved against the GPU in {@link #withDefaults}.
 */
final class Engines {
    private Engines() {}

    private static final Map<String, Set<String>> FIELDS = Map.of(
            "vllm", Set.of("gpu_memory_utilization", "max_num_seqs", "max_num_batched_tokens", "block_size", "kv_cache_dtype",
                    "cuda_graphs", "chunked_prefill", "prefix_caching", "max_model_len", "version"),
            "sglang", Set.of("mem_fraction_static", "max_running_requests", "chunked_prefill_size", "page_size", "kv_cache_dtype",
                    "cuda_graphs", "prefix_caching", "context_length", "version"),
            "trtllm", Set.of("free_gpu_memory_fraction", "max_batch_size", "max_num_tokens", "tokens_per_block", "kv_cache_dtype",
                    "cuda_graphs", "prefix_caching", "max_seq_len", "version"));

    /** Which engine owns a field name, for "this is SGLang's name" hints. */
    private static String owner(String key) {
        for (var e : new TreeMap<>(FIELDS).entrySet()) if (e.getValue().contains(key)) return e.getKey();
        return null;
    }

    static Engine engine(Fields f, Map<String, Span> spans, Diagnostics diags, boolean required) {
        Entry e = required ? f.require("engine", "engine vllm { gpu_memory_utilization 0.9 }") : f.entry("engine");
        if (e == null) return required ? null : new Engine(EngineKind.VLLM, 0, 0, 0, 0, null, true, true, true, 0, "");
        String kind = "vllm";
        if (e.values().isEmpty()) {
            diags.add(Diagnostic.of(Codes.MISSING_FIELD, e.span(), "`engine` needs the engine's name")
                    .help("write `engine vllm { ... }` (or sglang, trtllm)").build());
            return null;
        }
        String w = f.word(e.values().get(0).items().get(0), "engine", FIELDS.keySet());
        if (w == null) return null;
        kind = w;
        spans.put("engine", e.span());
        Body body = e.body();
        Set<String> known = new HashSet<>(FIELDS.get(kind));
        // Accept other engines' names only to explain them; Fields reports them as unknown otherwise.
        if (body != null) {
            for (Entry be : body.entries()) {
                String k = be.key().text();
                String o = owner(k);
                if (!known.contains(k) && o != null && !o.equals(kind)) {
                    diags.add(Diagnostic.of(Codes.UNKNOWN_FIELD, be.key().span(), "`" + k + "` is a " + o + " setting, not a " + kind + " one")
                            .help(translate(k, kind)).build());
                    known.add(k); // reported; do not report again as unknown
                }
            }
        }
        Fields ef = new Fields("engine " + kind, e.span(), body, known, diags);
        for (String k : FIELDS.get(kind)) if (ef.has(k)) spans.put("engine." + k, ef.span(k));
        EngineKind ek = EngineKind.valueOf(kind.toUpperCase(Locale.ROOT));
        String fracKey = switch (ek) {
            case VLLM -> "gpu_memory_utilization";
            case SGLANG -> "mem_fraction_static";
            case TRTLLM -> "free_gpu_memory_fraction";
        };
        Double frac = ef.number(fracKey, 0.01, 1.0, false, fracKey + " 0.9");
        String seqKey = switch (ek) { case VLLM -> "max_num_seqs"; case SGLANG -> "max_running_requests"; case TRTLLM -> "max_batch_size"; };
        Long seqs = ef.integer(seqKey, 1, 1_000_000, false, seqKey + " 256");
        String tokKey = switch (ek) { case VLLM -> "max_num_batched_tokens"; case SGLANG -> "chunked_prefill_size"; case TRTLLM -> "max_num_tokens"; };
        Long toks = tokenCount(ef, tokKey);
        String blkKey = switch (ek) { case VLLM -> "block_size"; case SGLANG -> "page_size"; case TRTLLM -> "tokens_per_block"; };
        Long block = ef.integer(blkKey, 1, 4096, false, blkKey + " 16");
        if (block != null && ek == EngineKind.VLLM && !Set.of(1L, 8L, 16L, 32L, 64L, 128L, 256L).contains(block)) {
            diags.add(Diagnostic.of(Codes.OUT_OF_RANGE, ef.span("block_size"), "vLLM block_size must be one of 1, 8, 16, 32, 64, 128, 256, found " + block)
                    .note("vllm/config/cache.py declares BlockSize = Literal[1, 8, 16, 32, 64, 128, 256]")
                    .help("use 16 (the CUDA default)").build());
            block = null;
        }
        String kvw = ef.word("kv_cache_dtype", Set.of("auto", "bf16", "fp16", "fp8", "fp8_e4m3", "fp8_e5m2"), false, "kv_cache_dtype fp8");
        DType kv = kvw == null || kvw.equals("auto") ? null : DType.parse(kvw.startsWith("fp8") ? "fp8" : kvw);
        Boolean graphs = ef.bool("cuda_graphs", false);
        Boolean chunked = ek == EngineKind.VLLM ? ef.bool("chunked_prefill", false) : Boolean.TRUE;
        Boolean prefix = ef.bool("prefix_caching", false);
        String lenKey = switch (ek) { case VLLM -> "max_model_len"; case SGLANG -> "context_length"; case TRTLLM -> "max_seq_len"; };
        Long maxLen = tokenCount(ef, lenKey);
        String version = ef.string("version", false, "version \"0.11.0\"");
        return new Engine(ek, frac == null ? 0 : frac, seqs == null ? 0 : seqs.intValue(), toks == null ? 0 : toks.intValue(),
                block == null ? 0 : block.intValue(), kv, graphs == null || graphs, chunked == null || chunked,
                prefix == null || prefix, maxLen == null ? 0 : maxLen, version == null ? "" : version);
    }

    private static Long tokenCount(Fields ef, String key) {
        Entry e = ef.entry(key);
        if (e == null) return null;
        Value v = ef.single(e);
        if (v == null) return null;
        if (v instanceof Quantity q && q.unit() != null) {
            Double d = ef.quantity(q, q.unit(), key, Dimension.TOKENS, 1, 1e9);
            return d == null ? null : (long) (double) d;
        }
        return ef.integer(v, key, 1, 1_000_000_000);
    }

    private static String translate(String k, String kind) {
        Map<String, String> eq = Map.ofEntries(
                Map.entry("gpu_memory_utilization|sglang", "mem_fraction_static"), Map.entry("gpu_memory_utilization|trtllm", "free_gpu_memory_fraction (of memory free after weights)"),
                Map.entry("mem_fraction_static|vllm", "gpu_memory_utilization"), Map.entry("mem_fraction_static|trtllm", "free_gpu_memory_fraction (of memory free after weights)"),
                Map.entry("free_gpu_memory_fraction|vllm", "gpu_memory_utilization (of total memory)"), Map.entry("free_gpu_memory_fraction|sglang", "mem_fraction_static (of total memory)"),
                Map.entry("max_num_seqs|sglang", "max_running_requests"), Map.entry("max_num_seqs|trtllm", "max_batch_size"),
                Map.entry("max_running_requests|vllm", "max_num_seqs"), Map.entry("max_running_requests|trtllm", "max_batch_size"),
                Map.entry("max_batch_size|vllm", "max_num_seqs"), Map.entry("max_batch_size|sglang", "max_running_requests"),
                Map.entry("block_size|sglang", "page_size"), Map.entry("block_size|trtllm", "tokens_per_block"),
                Map.entry("page_size|vllm", "block_size"), Map.entry("page_size|trtllm", "tokens_per_block"),
                Map.entry("tokens_per_block|vllm", "block_size"), Map.entry("tokens_per_block|sglang", "page_size"),
                Map.entry("max_num_batched_tokens|sglang", "chunked_prefill_size"), Map.entry("max_num_batched_tokens|trtllm", "max_num_tokens"),
                Map.entry("max_model_len|sglang", "context_length"), Map.entry("max_model_len|trtllm", "max_seq_len"),
                Map.entry("context_length|vllm", "max_model_len"), Map.entry("max_seq_len|vllm", "max_model_len"));
        String t = eq.get(k + "|" + kind);
        return t != null ? "for " + kind + " write `" + t + "`" : "remove it; " + kind + " has no such setting";
    }

    /**
     * Fills the engine's documented defaults for this GPU (launchers.md §1.2, §2.1, §3.1):
     * vLLM gpu_memory_utilization 0.9, max_num_seqs 1024 on GPUs with >= 70 GiB other than A100
     * else 256, max_num_batched_tokens 8192 / 2048 (API server), block 16 (64 for MLA, which
     * FlashMLA requires); SGLang mem_fraction_static from its reserved-memory heuristic, chunked
     * prefill 8192 on 60+ GB GPUs, page 1; TRT-LLM free fraction 0.9, max_batch_size 2048,
     * max_num_tokens 8192, tokens_per_block 32.
     */
    static Engine withDefaults(Engine e, Model m, Cluster c, Parallel p) {
        double gib = c.gpu().memory() / (double) (1L << 30);
        boolean big = gib >= 70 && !c.gpu().name().toUpperCase(Locale.ROOT).startsWith("A100");
        return switch (e.kind()) {
            case VLLM -> new Engine(e.kind(), e.memoryFraction() > 0 ? e.memoryFraction() : 0.9,
                    e.maxNumSeqs() > 0 ? e.maxNumSeqs() : (big ? 1024 : 256),
                    e.maxNumBatchedTokens() > 0 ? e.maxNumBatchedTokens() : (big ? 8192 : 2048),
                    e.blockSize() > 0 ? e.blockSize() : (m != null && m.isMla() ? 64 : 16),
                    e.kvDtype(), e.cudaGraphs(), e.chunkedPrefill(), e.prefixCaching(), e.maxModelLen(), e.version());
            case SGLANG -> {
                double memGb = c.gpu().memory() / 1e9;
                int chunk = e.maxNumBatchedTokens() > 0 ? e.maxNumBatchedTokens() : memGb < 35 ? 2048 : memGb < 60 ? 4096 : memGb < 160 ? 8192 : 16384;
                int graphBs = p.tp() < 4 ? 256 : 512;
                // server_args._handle_gpu_memory_settings: reserved MB = 512 + max(chunk, 2048)*1.5
                // + cuda_graph_max_bs*2 + tp*pp/8*1024 (+ graph_bs*dp*3 with dp attention); 10 GB floor above 60 GB.
                double reservedMb = 512 + Math.max(chunk, 2048) * 1.5 + graphBs * 2 + p.tp() * p.pp() / 8.0 * 1024;
                if (p.dpAttention()) reservedMb += graphBs * p.dp() * 3;
                if (memGb > 60) reservedMb = Math.max(reservedMb, 10 * 1024);
                double gpuMb = c.gpu().memory() / (1024.0 * 1024.0);
                double frac = Math.round((gpuMb - reservedMb) / gpuMb * 1000) / 1000.0;
                yield new Engine(e.kind(), e.memoryFraction() > 0 ? e.memoryFraction() : frac,
                        e.maxNumSeqs(), chunk, e.blockSize() > 0 ? e.blockSize() : 1, e.kvDtype(), e.cudaGraphs(), true,
                        e.prefixCaching(), e.maxModelLen(), e.version());
            }
            case TRTLLM -> new Engine(e.kind(), e.memoryFraction() > 0 ? e.memoryFraction() : 0.9,
                    e.maxNumSeqs() > 0 ? e.maxNumSeqs() : 2048, e.maxNumBatchedTokens() > 0 ? e.maxNumBatchedTokens() : 8192,
                    e.blockSize() > 0 ? e.blockSize() : 32, e.kvDtype(), e.cudaGraphs(), true, e.prefixCaching(), e.maxModelLen(), e.version());
        };
    }

    private static final Set<String> TUNING = Set.of("hbm_efficiency", "compute_efficiency", "attention_efficiency",
            "network_efficiency", "link_efficiency", "collective_latency_us", "layer_overhead_us", "step_overhead_us",
            "prefill_overhead_us", "activation_reserve_gib", "non_torch_gib", "cuda_graph_gib", "network_share");

    /** Per-plan overrides of the prediction and memory constants: `tuning { hbm_efficiency 0.8 }`. */
    static Map<String, Double> tuning(Fields f, Diagnostics diags) {
        Entry e = f.entry("tuning");
        Map<String, Double> out = new TreeMap<>();
        if (e == null) return out;
        if (e.body() == null) {
            diags.add(Diagnostic.of(Codes.TYPE_MISMATCH, e.span(), "`tuning` takes a block").help("write `tuning { hbm_efficiency 0.8 }`").build());
            return out;
        }
        Fields tf = new Fields("tuning", e.span(), e.body(), TUNING, diags);
        for (String k : new TreeSet<>(TUNING)) {
            Double v = tf.number(k, 0, 1e6, false, k + " 1");
            if (v != null) out.put(k, v);
        }
        return out;
    }
}
