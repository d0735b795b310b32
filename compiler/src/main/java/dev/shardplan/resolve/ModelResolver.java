package dev.shardplan.resolve;

import dev.shardplan.units.Fmt;
import dev.shardplan.ast.Nodes.*;
import dev.shardplan.diag.Codes;
import dev.shardplan.diag.Diagnostic;
import dev.shardplan.diag.Diagnostics;
import dev.shardplan.diag.Span;
import dev.shardplan.model.*;
import dev.shardplan.units.Dimension;

import java.nio.file.Path;
import java.util.*;
import java.util.function.BiConsumer;

/**
 * `model` declarations: fields gathered into a {@link ModelSpec} (from a Hugging Face config
 * first, when the model is declared `from huggingface`, then the body's overrides), checked for
 * consistency and built into a {@link Model}.
 */
final class ModelResolver {
    private final Loader loader;
    private final Diagnostics diags;
    private final BiConsumer<Module, Path> noteData;

    ModelResolver(Loader loader, Diagnostics diags, BiConsumer<Module, Path> noteData) {
        this.loader = loader;
        this.diags = diags;
        this.noteData = noteData;
    }

    private static final Set<String> FAMILIES;
    static {
        Set<String> f = new TreeSet<>();
        for (Family x : Family.values()) f.add(x.id());
        FAMILIES = Collections.unmodifiableSet(f);
    }
    private static final Set<String> DTYPES = Set.of("fp32", "bf16", "fp16", "fp8", "int8", "int4", "fp4");
    private static final Set<String> PARSERS = Set.of("deepseek_r1", "qwen3", "gpt_oss", "granite", "hunyuan_a13b", "mistral", "step3", "glm45", "kimi_k2");
    /** Tool-call formats, in shardplan's spelling; each engine's table spells them its own way (engine package). */
    static final Set<String> TOOL_PARSERS = Set.of("llama3_json", "hermes", "deepseek_v3", "kimi_k2", "mistral", "gpt_oss", "qwen3_coder", "granite", "glm45");
    private static final List<String> ATTENTION_KINDS = List.of("mha", "gqa", "mla");
    private static final List<String> KEEP_BF16_PARTS = List.of("attention", "router", "embedding", "lm_head", "shared_experts", "dense_ffn");

    // A model's fields may come from a Hugging Face config instead of the body, so none is
    // required here: ModelSpec reports what is missing once both are read.
    static final Field LAYERS = Field.count("layers", Schema.LAYERS).doc("Decoder layers.");
    static final Field HIDDEN = Field.count("hidden", Schema.HIDDEN).doc("Hidden size.");
    static final Field HEADS = Field.count("heads", Schema.HEADS).doc("Query attention heads.");
    static final Field KV_HEADS = Field.count("kv_heads", Schema.KV_HEADS).doc("KV heads; required for gqa, equals heads for mha.");
    static final Field HEAD_DIM = Field.count("head_dim", Schema.HEAD_DIM).fallback("hidden / heads").doc("Width of one head.");
    static final Field FFN = Field.count("ffn", Schema.FFN).doc("Dense SwiGLU width (of the leading dense layers for MoE).");
    static final Field VOCAB = Field.count("vocab", Schema.VOCAB).doc("Vocabulary size.");
    static final Field TIED_EMBEDDINGS = Field.flag("tied_embeddings").doc("Whether the LM head shares the embedding's weights.");
    static final Field ATTENTION = Field.other("attention", String.join(" | ", ATTENTION_KINDS) + " { ... }")
            .doc("Attention kind; mla takes a block of its latent dimensions.");
    static final Field MOE = Field.block("moe").doc("Mixture of experts: experts, top_k, expert_ffn, shared experts, dense layers, routing.");
    static final Field DTYPE = Field.word("dtype", DTYPES).doc("Activation and weight dtype of unquantised parts.");
    static final Field QUANTIZATION = Field.block("quantization").doc("Quantised weights: dtype, block or group size, parts kept in bf16.");
    static final Field KV_DTYPE = Field.word("kv_dtype", DTYPES).doc("Default KV cache dtype (an engine may override it).");
    static final Field QKV_BIAS = Field.flag("qkv_bias").doc("Q/K/V projections have biases (qwen2).");
    static final Field O_BIAS = Field.flag("o_bias").doc("The output projection has a bias.");
    static final Field QK_NORM = Field.flag("qk_norm").doc("Queries and keys are normalised (qwen3).");
    static final Field ATTENTION_SINKS = Field.flag("attention_sinks").doc("Learned attention sinks (gpt-oss).");
    static final Field SLIDING_WINDOW = Field.other("sliding_window", "tokens, every N").fallback("none")
            .doc("A sliding-window size, e.g. `128 tokens every 2` (every 2nd layer from layer 0).");
    static final Field ROPE_THETA = Field.number("rope_theta", Schema.ROPE_THETA).doc("RoPE base.");
    static final Field NORM_EPS = Field.number("norm_eps", Schema.NORM_EPS).doc("RMSNorm epsilon.");
    static final Field MAX_POSITION = Field.tokens("max_position", Schema.MAX_POSITION).doc("Longest context the model supports.");
    static final Field HF_ID = Field.string("hf_id").doc("What launchers load (deploy.model_path overrides).");
    static final Field REASONING_PARSER = Field.word("reasoning_parser", PARSERS).doc("The engines' reasoning parser for this model.");
    static final Field FAMILY = Field.word("family", FAMILIES).fallback("inferred from the model's features")
            .doc("The Hugging Face architecture whose definition the model follows.");
    static final Field ROPE_SCALING = Field.other("rope_scaling", "none | linear | llama3 | yarn { ... }").doc("RoPE scaling and its parameters.");
    static final Field SWIGLU_LIMIT = Field.number("swiglu_limit", Schema.SWIGLU_LIMIT).doc("gpt-oss's clamped SwiGLU.");
    static final Field TOOL_PARSER = Field.word("tool_parser", TOOL_PARSERS)
            .doc("The chat template's tool-call format; each engine's launch spells it its own way.");
    static final Field MTP_LAYERS = Field.count("mtp_layers", Schema.MTP_LAYERS).fallback("0")
            .doc("Next-token (MTP) layers the checkpoint ships (DeepSeek-V3/R1), usable as speculative-decoding drafters.");
    static final Field GATED = Field.flag("gated").doc("The Hugging Face repository asks to accept a licence: Kubernetes needs deploy.hf_token_secret.");

    static final FieldTable MODEL_FIELDS = FieldTable.of("model", LAYERS, HIDDEN, HEADS, KV_HEADS, HEAD_DIM, FFN, VOCAB, TIED_EMBEDDINGS,
            ATTENTION, MOE, DTYPE, QUANTIZATION, KV_DTYPE, QKV_BIAS, O_BIAS, QK_NORM, ATTENTION_SINKS, SLIDING_WINDOW, ROPE_THETA, NORM_EPS,
            MAX_POSITION, HF_ID, REASONING_PARSER, FAMILY, ROPE_SCALING, SWIGLU_LIMIT, TOOL_PARSER, MTP_LAYERS, GATED);

    static final Field Q_LORA_RANK = Field.count("q_lora_rank", Schema.Q_LORA_RANK).doc("MLA: rank of the query compression.");
    static final Field KV_LORA_RANK = Field.count("kv_lora_rank", Schema.KV_LORA_RANK).doc("MLA: rank of the KV latent (what the KV cache stores).");
    static final Field QK_NOPE_HEAD_DIM = Field.count("qk_nope_head_dim", Schema.QK_NOPE_HEAD_DIM).doc("MLA: query/key head width without RoPE.");
    static final Field QK_ROPE_HEAD_DIM = Field.count("qk_rope_head_dim", Schema.QK_ROPE_HEAD_DIM).doc("MLA: query/key head width with RoPE.");
    static final Field V_HEAD_DIM = Field.count("v_head_dim", Schema.V_HEAD_DIM).doc("MLA: value head width.");
    static final Field INDEX_TOPK = Field.count("index_topk", Schema.INDEX_TOPK).doc("DeepSeek sparse attention (V3.2): tokens the indexer keeps.");
    static final Field INDEX_HEAD_DIM = Field.count("index_head_dim", Schema.INDEX_HEAD_DIM).doc("DeepSeek sparse attention (V3.2): indexer head width.");

    static final FieldTable MLA_FIELDS = FieldTable.of("model.attention", Q_LORA_RANK, KV_LORA_RANK, QK_NOPE_HEAD_DIM, QK_ROPE_HEAD_DIM,
            V_HEAD_DIM, INDEX_TOPK, INDEX_HEAD_DIM);

    static final Field EXPERTS = Field.count("experts", Schema.EXPERTS).doc("Routed experts per MoE layer.");
    static final Field TOP_K = Field.count("top_k", Schema.TOP_K).doc("Experts each token is routed to.");
    static final Field EXPERT_FFN = Field.count("expert_ffn", Schema.EXPERT_FFN).doc("FFN width of one routed expert.");
    static final Field SHARED_EXPERTS = Field.count("shared_experts", Schema.SHARED_EXPERTS).fallback("0").doc("Shared experts every token uses.");
    static final Field SHARED_FFN = Field.count("shared_ffn", Schema.SHARED_FFN).fallback("shared_experts x expert_ffn").doc("Width of the shared experts.");
    static final Field DENSE_LAYERS = Field.count("dense_layers", Schema.DENSE_LAYERS).fallback("0").doc("Leading layers with a dense FFN instead of experts.");
    static final Field EXPERT_BIAS = Field.flag("expert_bias").doc("Experts have biases (gpt-oss).");
    static final Field ROUTER_BIAS = Field.flag("router_bias").doc("The router has a bias (gpt-oss).");
    static final Field SHARED_EXPERT_GATE = Field.flag("shared_expert_gate").doc("Qwen2-MoE: a sigmoid gate on the shared expert.");
    static final Field SCORING = Field.word("scoring", "softmax", "sigmoid").fallback("softmax").doc("How router logits become scores.");
    static final Field NORM_TOPK_PROB = Field.flag("norm_topk_prob")
            .doc("Renormalise the top-k weights (default false, as in Hugging Face configs; true for mixtral and gpt_oss).");
    static final Field N_GROUP = Field.count("n_group", Schema.N_GROUP).fallback("no groups").doc("Experts in N groups.");
    static final Field TOPK_GROUP = Field.count("topk_group", Schema.TOPK_GROUP).doc("Groups a token may use.");
    static final Field CORRECTION_BIAS = Field.flag("correction_bias").doc("DeepSeek-V3's e_score_correction_bias.");
    static final Field ROUTED_SCALING_FACTOR = Field.number("routed_scaling_factor", Schema.ROUTED_SCALING_FACTOR).fallback("1")
            .doc("Multiplies the top-k weights.");

    static final FieldTable MOE_FIELDS = FieldTable.of("model.moe", EXPERTS, TOP_K, EXPERT_FFN, SHARED_EXPERTS, SHARED_FFN, DENSE_LAYERS,
            EXPERT_BIAS, ROUTER_BIAS, SHARED_EXPERT_GATE, SCORING, NORM_TOPK_PROB, N_GROUP, TOPK_GROUP, CORRECTION_BIAS, ROUTED_SCALING_FACTOR);

    static final Field WEIGHTS = Field.word("weights", "fp8", "int8", "int4", "fp4").required("weights fp8").doc("Dtype of the quantised weights.");
    static final Field BLOCK = Field.count("block", Schema.QUANT_BLOCK).doc("Block size of block-wise scales (e.g. 128 for DeepSeek FP8).");
    static final Field GROUP = Field.count("group", Schema.QUANT_GROUP).doc("Group size of group-wise scales (e.g. 32 for MXFP4).");
    static final Field KEEP_BF16 = Field.other("keep_bf16", "list of: " + String.join(", ", KEEP_BF16_PARTS)).doc("Parts left unquantised.");
    static final Field EXPERTS_ONLY = Field.flag("experts_only").doc("Only the routed experts are quantised.");

    static final FieldTable QUANT_FIELDS = FieldTable.of("model.quantization", WEIGHTS, BLOCK, GROUP, KEEP_BF16, EXPERTS_ONLY);

    // Required where the scaling kind has them (ROPE_FIELDS): factor in every kind, the rest in llama3's or yarn's.
    static final Field FACTOR = Field.number("factor", Schema.ROPE_FACTOR).required("factor 8").doc("Context extension factor.");
    static final Field LOW_FREQ_FACTOR = Field.number("low_freq_factor", Schema.ROPE_FREQ_FACTOR).required("low_freq_factor 1")
            .doc("llama3 scaling: low-frequency factor.");
    static final Field HIGH_FREQ_FACTOR = Field.number("high_freq_factor", Schema.ROPE_FREQ_FACTOR).required("high_freq_factor 4")
            .doc("llama3 scaling: high-frequency factor.");
    static final Field ORIGINAL_MAX_POSITION = Field.tokens("original_max_position", Schema.ROPE_ORIGINAL_MAX_POSITION)
            .required("original_max_position 8192 tokens").doc("llama3 and yarn scaling: the context the model was trained at before scaling.");
    // HF transformers' defaults for the optional YaRN keys (beta_fast 32, beta_slow 1, truncate true).
    static final Field BETA_FAST = Field.number("beta_fast", Schema.ROPE_BETA).byDefault(32).doc("YaRN beta_fast.");
    static final Field BETA_SLOW = Field.number("beta_slow", Schema.ROPE_BETA).byDefault(1).doc("YaRN beta_slow.");
    static final Field MSCALE = Field.number("mscale", Schema.ROPE_MSCALE).fallback("none").doc("YaRN mscale.");
    static final Field MSCALE_ALL_DIM = Field.number("mscale_all_dim", Schema.ROPE_MSCALE).fallback("none").doc("YaRN mscale_all_dim.");
    static final Field TRUNCATE = Field.flag("truncate").fallback("true").doc("YaRN truncate.");

    static final FieldTable ROPE_TABLE = FieldTable.of("model.rope_scaling", FACTOR, LOW_FREQ_FACTOR, HIGH_FREQ_FACTOR, ORIGINAL_MAX_POSITION,
            BETA_FAST, BETA_SLOW, MSCALE, MSCALE_ALL_DIM, TRUNCATE);
    /** The keys of each scaling kind, all of them rows of {@link #ROPE_TABLE}. */
    static final Map<String, Set<String>> ROPE_FIELDS = Map.of(
            "none", Set.of(),
            "linear", names(FACTOR),
            "llama3", names(FACTOR, LOW_FREQ_FACTOR, HIGH_FREQ_FACTOR, ORIGINAL_MAX_POSITION),
            "yarn", names(FACTOR, ORIGINAL_MAX_POSITION, BETA_FAST, BETA_SLOW, MSCALE, MSCALE_ALL_DIM, TRUNCATE));

    private static Set<String> names(Field... rows) {
        Set<String> out = new LinkedHashSet<>();
        for (Field r : rows) out.add(r.name());
        return Collections.unmodifiableSet(out);
    }

    Model resolve(Resolver.Located l) {
        Decl d = l.decl();
        ModelSpec s = new ModelSpec();
        if (d.from() != null) {
            if (!d.from().source().text().equals("huggingface")) {
                diags.add(Diagnostic.of(Codes.BAD_ENUM, d.from().source().span(), "unknown model source `" + d.from().source().text() + "`")
                        .help("write `model NAME from huggingface \"path/config.json\"`").build());
                return null;
            }
            Path base = l.module().path() == null ? loader.root() : l.module().path().getParent();
            String rel = d.from().path().value();
            Path cfg = base.resolve(rel).toAbsolutePath().normalize();
            Span at = d.from().path().span();
            String refusal = loader.dataFileRefusal(l.module().path(), cfg);
            if (refusal != null) {
                diags.add(Diagnostic.of(Codes.IMPORT_OUTSIDE, at, "config path `" + rel + "` " + refusal)
                        .note("data files are confined by their real path, with links followed")
                        .help("copy the config.json into the project").build());
                return null;
            }
            noteData.accept(l.module(), cfg);
            if (!HfImporter.read(cfg, rel, at, s, diags, f2 -> loader.dataFileRefusal(l.module().path(), f2) == null)) return null;
        }
        Fields f = new Fields(Resolver.what(d), d.name().span(), d.body(), MODEL_FIELDS, diags);
        Integer v;
        if ((v = integer(f, LAYERS)) != null) s.layers = v;
        if ((v = integer(f, HIDDEN)) != null) s.hidden = v;
        if ((v = integer(f, HEADS)) != null) s.heads = v;
        if ((v = integer(f, KV_HEADS)) != null) s.kvHeads = v;
        if ((v = integer(f, HEAD_DIM)) != null) s.headDim = v;
        if ((v = integer(f, FFN)) != null) s.ffn = v;
        if ((v = integer(f, VOCAB)) != null) s.vocab = v;
        Boolean b;
        if ((b = f.bool(TIED_EMBEDDINGS)) != null) s.tied = b;
        if ((b = f.bool(QKV_BIAS)) != null) s.qkvBias = b;
        if ((b = f.bool(O_BIAS)) != null) s.oBias = b;
        if ((b = f.bool(QK_NORM)) != null) s.qkNorm = b;
        if ((b = f.bool(ATTENTION_SINKS)) != null) s.sinks = b;
        String w;
        if ((w = f.word(DTYPE)) != null) s.dtype = DType.parse(w);
        if ((w = f.word(KV_DTYPE)) != null) s.kvDtype = DType.parse(w);
        if ((w = f.word(REASONING_PARSER)) != null) s.reasoningParser = w;
        if ((w = f.word(TOOL_PARSER)) != null) s.toolParser = w;
        if ((v = integer(f, MTP_LAYERS)) != null) s.mtpLayers = v;
        if ((b = f.bool(GATED)) != null) s.gated = b;
        String hf = f.string(HF_ID);
        if (hf != null) {
            String why = Roles.hfId(hf);
            if (why != null) {
                diags.add(Diagnostic.of(Codes.INVALID_FOR_ROLE, f.span(HF_ID), "hf_id `" + Resolver.abbreviate(hf, 60) + "` " + why)
                        .note("the id becomes the launchers' model argument when the plan gives no deploy model_path")
                        .help("write e.g. `hf_id \"meta-llama/Llama-3.1-8B-Instruct\"`").build());
                return null;
            }
            s.hfId = hf;
        }
        Double dd;
        if ((dd = f.number(ROPE_THETA)) != null) s.ropeTheta = dd;
        if ((dd = f.number(NORM_EPS)) != null) s.normEps = dd;
        if ((dd = f.quantity(MAX_POSITION)) != null) s.maxPosition = (long) (double) dd;
        if ((w = f.word(FAMILY)) != null) s.family = Family.parse(w);
        if ((dd = f.number(SWIGLU_LIMIT)) != null) s.swigluLimit = dd;
        Entry rs = f.entry(ROPE_SCALING);
        if (rs != null) ropeScaling(f, rs, d, s);
        Entry sw = f.entry(SLIDING_WINDOW);
        if (sw != null) {
            // sliding_window 128 tokens every 2
            String key = SLIDING_WINDOW.name();
            List<Value> it = sw.values().size() == 1 ? sw.values().get(0).items() : List.of();
            if (it.size() == 3 && it.get(0) instanceof Quantity q && it.get(1) instanceof Name n && n.text().equals("every")) {
                Double win = f.quantity(q, q.unit(), key, Dimension.TOKENS, Schema.SLIDING_WINDOW);
                Long every = f.integer(it.get(2), key + " every", Schema.SLIDING_EVERY);
                if (win != null && every != null) {
                    s.slidingWindow = (int) (double) win;
                    s.slidingEvery = every.intValue();
                }
            } else if (it.size() == 1 && it.get(0) instanceof Quantity q) {
                Double win = f.quantity(q, q.unit(), key, Dimension.TOKENS, Schema.SLIDING_WINDOW);
                if (win != null) {
                    s.slidingWindow = (int) (double) win;
                    s.slidingEvery = 1;
                }
            } else {
                diags.add(Diagnostic.of(Codes.TYPE_MISMATCH, sw.span(), "`sliding_window` expects `<n> tokens [every <k>]`")
                        .help("write e.g. `sliding_window 128 tokens every 2` (every second layer, from layer 0)").build());
            }
        }
        Entry at = f.entry(ATTENTION);
        if (at != null) {
            Set<String> kinds = Set.copyOf(ATTENTION_KINDS);
            String kind = at.values().isEmpty() ? f.word(ATTENTION.name(), kinds, true, "attention gqa")
                    : f.word(at.values().get(0).items().get(0), ATTENTION.name(), kinds);
            if (kind != null) s.attention = Attention.valueOf(kind.toUpperCase(Locale.ROOT));
            if (at.body() != null) {
                Fields mf = new Fields("attention of " + Resolver.what(d), at.span(), at.body(), MLA_FIELDS, diags);
                if ((v = integer(mf, Q_LORA_RANK)) != null) s.qLoraRank = v;
                if ((v = integer(mf, KV_LORA_RANK)) != null) s.kvLoraRank = v;
                if ((v = integer(mf, QK_NOPE_HEAD_DIM)) != null) s.qkNope = v;
                if ((v = integer(mf, QK_ROPE_HEAD_DIM)) != null) s.qkRope = v;
                if ((v = integer(mf, V_HEAD_DIM)) != null) s.vHeadDim = v;
                if ((v = integer(mf, INDEX_TOPK)) != null) s.indexTopK = v;
                if ((v = integer(mf, INDEX_HEAD_DIM)) != null) s.indexHeadDim = v;
                if (s.attention != Attention.MLA) {
                    diags.add(Diagnostic.of(Codes.TYPE_MISMATCH, at.body().span(), "latent ranks are only for `attention mla`")
                            .help("remove the block, or write `attention mla { ... }`").build());
                }
            }
        }
        Entry moe = f.entry(MOE);
        if (moe != null) {
            if (moe.body() == null) {
                diags.add(Diagnostic.of(Codes.TYPE_MISMATCH, moe.span(), "`moe` takes a block")
                        .help("write `moe { experts 8; top_k 2; expert_ffn 14336 }`").build());
            } else {
                Fields mf = new Fields("moe of " + Resolver.what(d), moe.span(), moe.body(), MOE_FIELDS, diags);
                if ((v = integer(mf, EXPERTS)) != null) s.experts = v;
                if ((v = integer(mf, TOP_K)) != null) s.topK = v;
                if ((v = integer(mf, EXPERT_FFN)) != null) s.expertFfn = v;
                if ((v = integer(mf, SHARED_EXPERTS)) != null) s.sharedExperts = v;
                if ((v = integer(mf, SHARED_FFN)) != null) s.sharedFfn = v;
                if ((v = integer(mf, DENSE_LAYERS)) != null) s.denseLayers = v;
                if ((b = mf.bool(EXPERT_BIAS)) != null) s.expertBias = b;
                if ((b = mf.bool(ROUTER_BIAS)) != null) s.routerBias = b;
                if ((b = mf.bool(SHARED_EXPERT_GATE)) != null) s.sharedExpertGate = b;
                if ((w = mf.word(SCORING)) != null) s.scoring = Routing.Scoring.valueOf(w.toUpperCase(Locale.ROOT));
                if ((b = mf.bool(NORM_TOPK_PROB)) != null) s.normTopKProb = b;
                if ((v = integer(mf, N_GROUP)) != null) s.nGroup = v;
                if ((v = integer(mf, TOPK_GROUP)) != null) s.topkGroup = v;
                if ((b = mf.bool(CORRECTION_BIAS)) != null) s.correctionBias = b;
                if ((dd = mf.number(ROUTED_SCALING_FACTOR)) != null) s.routedScalingFactor = dd;
            }
        }
        Entry q = f.entry(QUANTIZATION);
        if (q != null) {
            if (q.body() == null) {
                diags.add(Diagnostic.of(Codes.TYPE_MISMATCH, q.span(), "`quantization` takes a block")
                        .help("write `quantization { weights fp8; block 128 }`").build());
            } else {
                Fields qf = new Fields("quantization of " + Resolver.what(d), q.span(), q.body(), QUANT_FIELDS, diags);
                if ((w = qf.word(WEIGHTS)) != null) s.quantWeights = DType.parse(w);
                if ((v = integer(qf, BLOCK)) != null) s.quantBlock = v;
                if ((v = integer(qf, GROUP)) != null) s.quantGroup = v;
                if ((b = qf.bool(EXPERTS_ONLY)) != null) s.expertsOnly = b;
                if (qf.has(KEEP_BF16)) {
                    Set<String> parts = Set.copyOf(KEEP_BF16_PARTS);
                    Set<String> keep = new TreeSet<>();
                    for (Name n : qf.names(KEEP_BF16)) {
                        String k = qf.word(n, KEEP_BF16.name(), parts);
                        if (k != null) keep.add(k);
                    }
                    s.keepBf16 = keep;
                }
            }
        }
        return buildModel(d, s, f);
    }

    /** `rope_scaling KIND { ... }`: replaces whatever an imported config declared; `rope_scaling none` removes it. */
    private void ropeScaling(Fields f, Entry rs, Decl d, ModelSpec s) {
        String kind = rs.values().isEmpty() ? f.word(ROPE_SCALING.name(), ROPE_FIELDS.keySet(), true, "rope_scaling yarn { factor 40 }")
                : f.word(rs.values().get(0).items().get(0), ROPE_SCALING.name(), ROPE_FIELDS.keySet());
        if (kind == null) return;
        Fields rf = new Fields("rope_scaling of " + Resolver.what(d), rs.span(), rs.body(), ROPE_FIELDS.get(kind), diags);
        if (kind.equals("none")) {
            s.ropeScaling = null;
            return;
        }
        Double factor = rf.number(FACTOR);
        Double orig = kind.equals("linear") ? Double.valueOf(0) : rf.quantity(ORIGINAL_MAX_POSITION);
        RopeScaling.Kind k = RopeScaling.Kind.valueOf(kind.toUpperCase(Locale.ROOT));
        if (k == RopeScaling.Kind.LLAMA3) {
            Double lo = rf.number(LOW_FREQ_FACTOR);
            Double hi = rf.number(HIGH_FREQ_FACTOR);
            if (factor == null || orig == null || lo == null || hi == null) return;
            if (hi <= lo) {
                diags.add(Diagnostic.of(Codes.MODEL_INCONSISTENT, rf.span(HIGH_FREQ_FACTOR), "llama3 rope_scaling needs high_freq_factor > low_freq_factor, found "
                        + Fmt.plain(hi) + " and " + Fmt.plain(lo)).help("Llama 3.1 uses low_freq_factor 1; high_freq_factor 4").build());
                return;
            }
            s.ropeScaling = new RopeScaling(k, factor, (long) (double) orig, lo, hi, 0, 0, 0, 0, false);
        } else if (factor == null || orig == null) {
            return;
        } else if (k == RopeScaling.Kind.YARN) {
            Double ms = rf.number(MSCALE);
            Double msa = rf.number(MSCALE_ALL_DIM);
            Boolean tr = rf.bool(TRUNCATE);
            s.ropeScaling = new RopeScaling(k, factor, (long) (double) orig, 0, 0, rf.numberOr(BETA_FAST), rf.numberOr(BETA_SLOW),
                    ms == null ? 0 : ms, msa == null ? 0 : msa, tr == null || tr);
        } else {
            s.ropeScaling = new RopeScaling(k, factor, 0, 0, 0, 0, 0, 0, 0, false);
        }
    }

    /**
     * The router's definition. Defaults: softmax scoring, no groups, scaling 1, and top-k weights
     * renormalised only where the family's definition always does it (Mixtral, gpt-oss) or the
     * body says `norm_topk_prob` (Hugging Face configs default it to false).
     */
    private Routing routing(Span at, ModelSpec s, Family fam) {
        Routing.Scoring scoring = s.scoring == null ? Routing.Scoring.SOFTMAX : s.scoring;
        boolean alwaysNorm = fam == Family.MIXTRAL || fam == Family.GPT_OSS;
        boolean norm = s.normTopKProb != null ? s.normTopKProb : alwaysNorm;
        int groups = s.nGroup == null ? 1 : s.nGroup;
        int topkGroup = s.topkGroup == null ? groups : s.topkGroup;
        if (groups > 1 && s.topkGroup == null) {
            diags.add(Diagnostic.of(Codes.MISSING_FIELD, at, "moe n_group " + groups + " needs `topk_group` (how many groups a token may use)")
                    .help("add e.g. `topk_group 4` to the moe block").build());
            return null;
        }
        if (s.experts % groups != 0 || topkGroup > groups || s.topK > topkGroup * (s.experts / groups)) {
            diags.add(Diagnostic.of(Codes.MODEL_INCONSISTENT, at, "moe groups do not fit: " + s.experts + " experts in n_group " + groups
                            + ", topk_group " + topkGroup + ", top_k " + s.topK)
                    .help("n_group must divide experts, topk_group <= n_group, and top_k <= topk_group x experts / n_group").build());
            return null;
        }
        return new Routing(scoring, norm, groups, topkGroup, Boolean.TRUE.equals(s.correctionBias),
                s.routedScalingFactor == null ? 1.0 : s.routedScalingFactor);
    }

    /** The family a model without `family` follows, from the features only one family has. */
    static Family inferFamily(Attention att, boolean moe, int sharedFfn, ModelSpec s) {
        boolean qkNorm = Boolean.TRUE.equals(s.qkNorm);
        if (att == Attention.MLA) {
            return s.scoring == Routing.Scoring.SIGMOID || Boolean.TRUE.equals(s.correctionBias) ? Family.DEEPSEEK_V3 : Family.DEEPSEEK_V2;
        }
        if (moe) {
            if (qkNorm) return Family.QWEN3_MOE;
            if (Boolean.TRUE.equals(s.sinks) || Boolean.TRUE.equals(s.expertBias)) return Family.GPT_OSS;
            if (sharedFfn > 0) return Family.QWEN2_MOE;
            return Family.MIXTRAL;
        }
        if (qkNorm) return Family.QWEN3;
        return Boolean.TRUE.equals(s.qkvBias) ? Family.QWEN2 : Family.LLAMA;
    }

    /** What in the fields contradicts the family's published definition, or null. */
    static String familyClash(Family fam, Attention att, Moe moe, ModelSpec s) {
        boolean qkNorm = Boolean.TRUE.equals(s.qkNorm), sinks = Boolean.TRUE.equals(s.sinks);
        double limit = s.swigluLimit == null ? 0 : s.swigluLimit;
        if (fam.mla() != (att == Attention.MLA)) return fam.mla() ? "has `attention mla`" : "has no `attention mla`";
        if (fam.moe() != (moe != null)) return fam.moe() ? "is a mixture of experts: add a `moe` block" : "is dense: remove the `moe` block";
        boolean qwen3 = fam == Family.QWEN3 || fam == Family.QWEN3_MOE;
        if (qwen3 != qkNorm) return qwen3 ? "normalises queries and keys per head: add `qk_norm`" : "has no `qk_norm`";
        boolean oss = fam == Family.GPT_OSS;
        if (oss != sinks) return oss ? "has attention sinks: add `attention_sinks`" : "has no `attention_sinks`";
        if (oss != (limit > 0)) return oss ? "clamps its SwiGLU: add `swiglu_limit 7`" : "has no `swiglu_limit`";
        boolean qkvBias = Boolean.TRUE.equals(s.qkvBias), oBias = Boolean.TRUE.equals(s.oBias);
        boolean qwen2 = fam == Family.QWEN2 || fam == Family.QWEN2_MOE;
        if (qwen2 && (!qkvBias || oBias)) return "biases q, k and v but not o: write `qkv_bias` without `o_bias`";
        // Llama's and Qwen3's attention_bias (and gpt-oss's) biases all four projections or none.
        if (!qwen2 && !fam.mla() && qkvBias != oBias) return "biases q, k, v and o alike (attention_bias): give both `qkv_bias` and `o_bias`, or neither";
        if (fam.mla() && (qkvBias || oBias)) return "has no attention biases";
        if (moe == null) return null;
        Routing r = moe.routing();
        boolean deepseek = fam.mla();
        if (deepseek && moe.routerBias()) return "has no router bias (its per-expert score bias is `correction_bias`)";
        if (!oss && (moe.expertBias() || moe.routerBias())) return "has no expert or router biases";
        if (oss && !(moe.expertBias() && moe.routerBias())) return "has expert and router biases: add `expert_bias; router_bias`";
        if (!deepseek && (r.scoring() != Routing.Scoring.SOFTMAX || r.grouped() || r.correctionBias() || r.routedScalingFactor() != 1.0))
            return "routes by a softmax over all experts (no scoring sigmoid, n_group, correction_bias or routed_scaling_factor)";
        if ((fam == Family.MIXTRAL || oss) && !r.normTopKProb()) return "always renormalises the top-k weights (norm_topk_prob)";
        if (fam == Family.DEEPSEEK_V2 && (r.scoring() != Routing.Scoring.SOFTMAX || r.correctionBias()))
            return "routes by softmax without a correction bias (that is deepseek_v3)";
        // DeepSeek-V3's gate implements only noaux_tc: sigmoid scores and a per-expert correction bias.
        if (fam == Family.DEEPSEEK_V3 && (r.scoring() != Routing.Scoring.SIGMOID || !r.correctionBias()))
            return "routes by sigmoid scores with a correction bias: add `scoring sigmoid; correction_bias`";
        if ((fam == Family.QWEN2_MOE) != moe.sharedExpertGate() && moe.sharedFfn() > 0)
            return fam == Family.QWEN2_MOE ? "gates its shared expert: add `shared_expert_gate`" : "has no `shared_expert_gate`";
        if ((fam == Family.MIXTRAL || fam == Family.QWEN3_MOE || oss) && moe.sharedFfn() > 0) return "has no shared experts";
        if (!deepseek && moe.denseLayers() > 0) return "has no leading dense layers";
        return null;
    }

    private static Integer integer(Fields f, Field row) {
        Long v = f.integer(row);
        return v == null ? null : v.intValue();
    }

    private Model buildModel(Decl d, ModelSpec s, Fields f) {
        Span at = d.name().span();
        List<String> missing = new ArrayList<>();
        if (s.layers == null) missing.add(MODEL_FIELDS.path(LAYERS));
        if (s.hidden == null) missing.add(MODEL_FIELDS.path(HIDDEN));
        if (s.heads == null) missing.add(MODEL_FIELDS.path(HEADS));
        if (s.vocab == null) missing.add(MODEL_FIELDS.path(VOCAB));
        Attention att = s.attention != null ? s.attention : Attention.GQA;
        if (att != Attention.MLA && s.kvHeads == null) {
            if (att == Attention.MHA && s.heads != null) s.kvHeads = s.heads;
            else missing.add(MODEL_FIELDS.path(KV_HEADS));
        }
        boolean moe = s.experts != null || s.topK != null || s.expertFfn != null;
        if (s.ffn == null && !(moe && (s.denseLayers == null || s.denseLayers == 0))) missing.add(MODEL_FIELDS.path(FFN));
        if (att == Attention.MLA) {
            if (s.kvLoraRank == null) missing.add(MLA_FIELDS.path(KV_LORA_RANK));
            if (s.qkNope == null) missing.add(MLA_FIELDS.path(QK_NOPE_HEAD_DIM));
            if (s.qkRope == null) missing.add(MLA_FIELDS.path(QK_ROPE_HEAD_DIM));
            if (s.vHeadDim == null) missing.add(MLA_FIELDS.path(V_HEAD_DIM));
        }
        if (moe) {
            if (s.experts == null) missing.add(MOE_FIELDS.path(EXPERTS));
            if (s.topK == null) missing.add(MOE_FIELDS.path(TOP_K));
            if (s.expertFfn == null) missing.add(MOE_FIELDS.path(EXPERT_FFN));
        }
        if (!missing.isEmpty()) {
            for (String mf : missing) {
                // a field that is present but invalid (or misspelt) has already been reported
                if (f.has(mf) || f.suggested(mf)) continue;
                diags.add(Diagnostic.of(Codes.MISSING_FIELD, at, "missing field `" + mf + "` in " + Resolver.what(d))
                        .help("add it" + (d.from() != null ? " as an override, or check the config.json" : "")).build());
            }
            return null;
        }
        int headDim = s.headDim != null ? s.headDim : (att == Attention.MLA ? s.qkNope + s.qkRope : s.hidden / s.heads);
        if (s.headDim == null && att != Attention.MLA && s.hidden % s.heads != 0) {
            diags.add(Diagnostic.of(Codes.MODEL_INCONSISTENT, f.span(HEADS), "hidden " + s.hidden + " is not a multiple of heads " + s.heads + " and no head_dim is given")
                    .help("add `head_dim`").build());
            return null;
        }
        int kvHeads = att == Attention.MLA ? s.heads : s.kvHeads;
        if (att != Attention.MLA && s.heads % kvHeads != 0) {
            diags.add(Diagnostic.of(Codes.MODEL_INCONSISTENT, f.span(KV_HEADS), "heads " + s.heads + " is not a multiple of kv_heads " + kvHeads)
                    .help("grouped-query attention needs heads divisible by kv_heads").build());
            return null;
        }
        if (att == Attention.MHA && kvHeads != s.heads) {
            diags.add(Diagnostic.of(Codes.MODEL_INCONSISTENT, f.span(KV_HEADS), "`attention mha` has kv_heads equal to heads, found " + kvHeads + " and " + s.heads)
                    .help("write `attention gqa`, or set kv_heads " + s.heads).build());
            return null;
        }
        Mla mla = att == Attention.MLA ? new Mla(s.qLoraRank == null ? 0 : s.qLoraRank, s.kvLoraRank, s.qkNope, s.qkRope, s.vHeadDim,
                s.indexTopK == null ? 0 : s.indexTopK, s.indexTopK == null ? 0 : s.indexHeadDim == null ? 128 : s.indexHeadDim) : null;
        int shared = !moe || s.sharedExperts == null ? 0 : s.sharedExperts;
        long sharedWidth = !moe ? 0 : s.sharedFfn != null ? s.sharedFfn : (long) shared * s.expertFfn;
        if (!Schema.SHARED_FFN.contains(sharedWidth)) {
            diags.add(Diagnostic.of(Codes.OUT_OF_RANGE, at, "moe shared_experts " + shared + " x expert_ffn " + s.expertFfn + " = " + sharedWidth
                            + " is a shared width outside " + Schema.SHARED_FFN.range())
                    .help("give `shared_ffn` explicitly, or check shared_experts").build());
            return null;
        }
        int sharedFfn = (int) sharedWidth;
        Family family = s.family != null ? s.family : inferFamily(att, moe, sharedFfn, s);
        Moe m = null;
        if (moe) {
            int dense = s.denseLayers == null ? 0 : s.denseLayers;
            if (s.topK > s.experts) {
                diags.add(Diagnostic.of(Codes.MODEL_INCONSISTENT, at, "moe top_k " + s.topK + " exceeds experts " + s.experts)
                        .help("top_k is the number of experts each token is routed to").build());
                return null;
            }
            if (dense > s.layers) {
                diags.add(Diagnostic.of(Codes.MODEL_INCONSISTENT, at, "moe dense_layers " + dense + " exceeds layers " + s.layers).build());
                return null;
            }
            Routing routing = routing(at, s, family);
            if (routing == null) return null;
            // Qwen2-MoE's definition always gates its shared expert.
            boolean gate = s.sharedExpertGate != null ? s.sharedExpertGate : family == Family.QWEN2_MOE;
            m = new Moe(s.experts, s.topK, s.expertFfn, shared, sharedFfn, dense, Boolean.TRUE.equals(s.expertBias),
                    Boolean.TRUE.equals(s.routerBias), gate && sharedFfn > 0, routing);
        }
        String clash = familyClash(family, att, m, s);
        if (clash != null) {
            diags.add(Diagnostic.of(Codes.MODEL_INCONSISTENT, f.has(FAMILY) ? f.span(FAMILY) : at, "family " + family.id() + " " + clash)
                    .note("a family fixes the tensor names and the definition the runtime shim verifies against")
                    .help(s.family != null ? "change `family`, or the conflicting field" : "add `family NAME` naming the architecture the model follows").build());
            return null;
        }
        DType dtype = s.dtype != null ? s.dtype : DType.BF16;
        Quantization quant = s.quantWeights == null ? Quantization.none(dtype)
                : new Quantization(s.quantWeights, s.quantBlock == null ? 0 : s.quantBlock, s.quantGroup == null ? 0 : s.quantGroup,
                s.keepBf16 == null ? Set.of() : s.keepBf16, Boolean.TRUE.equals(s.expertsOnly));
        DType kv = s.kvDtype != null ? s.kvDtype : (dtype == DType.FP32 ? DType.FP32 : DType.BF16);
        return new Model(d.name().text(), family, s.layers, s.hidden, s.heads, kvHeads, headDim, s.ffn == null ? 0 : s.ffn, s.vocab,
                Boolean.TRUE.equals(s.tied), att, mla, m, dtype, quant, kv, Boolean.TRUE.equals(s.qkvBias), Boolean.TRUE.equals(s.oBias),
                Boolean.TRUE.equals(s.qkNorm), Boolean.TRUE.equals(s.sinks), s.slidingWindow == null ? 0 : s.slidingWindow,
                s.slidingEvery == null ? 0 : s.slidingEvery, s.swigluLimit == null ? 0 : s.swigluLimit,
                s.ropeTheta == null ? 10000.0 : s.ropeTheta, s.ropeScaling, family.mla(),
                s.normEps == null ? 1e-6 : s.normEps, s.maxPosition == null ? 0 : s.maxPosition, s.hfId, s.reasoningParser,
                new Model.Serving(s.toolParser, s.mtpLayers == null ? 0 : s.mtpLayers, Boolean.TRUE.equals(s.gated)), at);
    }
}
