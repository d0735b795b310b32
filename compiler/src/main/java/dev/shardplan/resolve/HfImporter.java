package dev.shardplan.resolve;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shardplan.diag.Codes;
import dev.shardplan.diag.Diagnostic;
import dev.shardplan.diag.Diagnostics;
import dev.shardplan.diag.Span;
import dev.shardplan.model.Attention;
import dev.shardplan.model.DType;
import dev.shardplan.model.Family;
import dev.shardplan.model.RopeScaling;
import dev.shardplan.model.Routing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;

/**
 * Reads a Hugging Face config.json into a {@link ModelSpec}. Supported model_types: llama,
 * mistral, qwen2, qwen3, qwen2_moe, qwen3_moe, mixtral, deepseek_v2, deepseek_v3, deepseek_v32, kimi_k2,
 * gpt_oss. Quantisation from {@code quantization_config} (fp8 with weight_block_size, mxfp4) or
 * a ModelOpt {@code hf_quant_config.json} beside the config.
 */
final class HfImporter {
    private HfImporter() {}

    static final Set<String> SUPPORTED = new TreeSet<>(Set.of("llama", "mistral", "qwen2", "qwen3", "qwen2_moe", "qwen3_moe",
            "mixtral", "deepseek_v2", "deepseek_v3", "deepseek_v32", "kimi_k2", "gpt_oss"));
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Fills {@code s}; returns false (with diagnostics) when the file cannot be used. */
    static boolean read(Path file, String shown, Span at, ModelSpec s, Diagnostics diags) {
        JsonNode root;
        try {
            if (!Files.isRegularFile(file)) {
                diags.add(Diagnostic.of(Codes.HF_BAD_FILE, at, "config file `" + shown + "` not found")
                        .note("looked for " + file).help("the path is relative to the plan file").build());
                return false;
            }
            if (Files.size(file) > 4L << 20) {
                diags.add(Diagnostic.of(Codes.HF_BAD_FILE, at, "`" + shown + "` is too large to be a config.json").build());
                return false;
            }
            root = JSON.readTree(file.toFile());
        } catch (IOException e) {
            String msg = e.getMessage() == null ? e.toString() : e.getMessage().lines().findFirst().orElse("");
            diags.add(Diagnostic.of(Codes.HF_BAD_FILE, at, "`" + shown + "` is not valid JSON: " + msg)
                    .help("download the model's config.json again").build());
            return false;
        }
        if (root == null || !root.isObject()) {
            diags.add(Diagnostic.of(Codes.HF_BAD_FILE, at, "`" + shown + "` does not hold a JSON object").build());
            return false;
        }
        Reader r = new Reader(root, shown, at, diags);
        String type = root.path("model_type").asText("");
        if (type.isEmpty()) {
            diags.add(Diagnostic.of(Codes.HF_MISSING_FIELD, at, "`" + shown + "` has no `model_type`")
                    .help("the importer needs model_type to know the architecture").build());
            return false;
        }
        if (!SUPPORTED.contains(type)) {
            String arch = root.path("architectures").path(0).asText("?");
            diags.add(Diagnostic.of(Codes.HF_UNSUPPORTED, at, "unsupported architecture `" + type + "` (" + arch + ") in `" + shown + "`")
                    .note("supported model_type values: " + String.join(", ", SUPPORTED))
                    .help("declare the model's fields directly with `model NAME { ... }`").build());
            return false;
        }
        s.layers = r.integer("num_hidden_layers");
        s.hidden = r.integer("hidden_size");
        s.heads = r.integer("num_attention_heads");
        s.vocab = r.integer("vocab_size");
        s.kvHeads = root.has("num_key_value_heads") && !root.get("num_key_value_heads").isNull() ? r.integer("num_key_value_heads") : s.heads;
        if (root.hasNonNull("head_dim")) s.headDim = r.integer("head_dim");
        s.tied = root.path("tie_word_embeddings").asBoolean(false);
        if (root.hasNonNull("rope_theta")) s.ropeTheta = root.get("rope_theta").asDouble();
        if (root.hasNonNull("rms_norm_eps")) s.normEps = root.get("rms_norm_eps").asDouble();
        if (root.hasNonNull("max_position_embeddings")) s.maxPosition = root.get("max_position_embeddings").asLong();
        String dt = root.path("torch_dtype").asText(root.path("dtype").asText("bfloat16"));
        s.dtype = switch (dt) {
            case "float16" -> DType.FP16;
            case "float32" -> DType.FP32;
            default -> DType.BF16;
        };
        s.attention = s.heads != null && s.kvHeads != null && s.heads.equals(s.kvHeads) ? Attention.MHA : Attention.GQA;
        boolean attnBias = root.path("attention_bias").asBoolean(false);
        if (!ropeScaling(root, shown, at, s, diags)) return false;
        if (root.path("use_sliding_window").asBoolean(false) && type.startsWith("qwen")) {
            // Qwen2/3 configs ship use_sliding_window false; when true, layers from max_window_layers on
            // use the window, a layout the model records do not describe.
            diags.add(Diagnostic.of(Codes.HF_UNSUPPORTED, at, "`" + shown + "` sets use_sliding_window (a window from layer "
                            + root.path("max_window_layers").asInt(0) + " on)")
                    .help("declare the model directly with `sliding_window`").build());
            return false;
        }
        if (root.path("mlp_bias").asBoolean(false)) {
            diags.add(Diagnostic.of(Codes.HF_UNSUPPORTED, at, "`" + shown + "` has mlp_bias (biases in the FFN)")
                    .help("declare the model's fields directly with `model NAME { ... }`").build());
            return false;
        }
        switch (type) {
            case "llama", "mistral" -> {
                s.family = Family.LLAMA; // Mistral checkpoints use Llama's layout and names
                s.ffn = r.integer("intermediate_size");
                s.qkvBias = attnBias;
                s.oBias = attnBias;
                if (type.equals("mistral") && root.hasNonNull("sliding_window")) {
                    s.slidingWindow = root.get("sliding_window").asInt();
                    s.slidingEvery = 1;
                }
            }
            case "qwen2" -> {
                s.family = Family.QWEN2;
                s.ffn = r.integer("intermediate_size");
                s.qkvBias = true; // Qwen2 attention always has q/k/v biases (modeling_qwen2.py)
            }
            case "qwen3" -> {
                s.family = Family.QWEN3;
                s.ffn = r.integer("intermediate_size");
                s.qkNorm = true;
                s.qkvBias = attnBias;
                s.oBias = attnBias;
            }
            case "qwen2_moe", "qwen3_moe" -> {
                s.family = type.equals("qwen2_moe") ? Family.QWEN2_MOE : Family.QWEN3_MOE;
                s.qkNorm = type.equals("qwen3_moe");
                s.qkvBias = type.equals("qwen2_moe") || attnBias;
                // Both configs default norm_topk_prob to false (configuration_qwen2_moe.py, configuration_qwen3_moe.py).
                s.normTopKProb = root.path("norm_topk_prob").asBoolean(false);
                s.scoring = Routing.Scoring.SOFTMAX;
                s.experts = r.integer("num_experts");
                s.topK = r.integer("num_experts_per_tok");
                s.expertFfn = r.integer("moe_intermediate_size");
                int step = root.path("decoder_sparse_step").asInt(1);
                if (step != 1 || root.path("mlp_only_layers").size() > 0) {
                    diags.add(Diagnostic.of(Codes.HF_UNSUPPORTED, at, "`" + shown + "` interleaves dense and MoE layers (decoder_sparse_step/mlp_only_layers)")
                            .help("only leading dense layers are modelled; declare the model directly").build());
                    return false;
                }
                if (root.hasNonNull("shared_expert_intermediate_size") && root.get("shared_expert_intermediate_size").asInt() > 0) {
                    s.sharedExperts = 1;
                    s.sharedFfn = root.get("shared_expert_intermediate_size").asInt();
                    s.sharedExpertGate = type.equals("qwen2_moe"); // modeling_qwen2_moe.py: sigmoid(shared_expert_gate(x))
                }
                s.ffn = root.hasNonNull("intermediate_size") ? root.get("intermediate_size").asInt() : null;
                s.denseLayers = 0;
            }
            case "mixtral" -> {
                s.family = Family.MIXTRAL;
                s.normTopKProb = true; // modeling_mixtral.py renormalises the top-k softmax weights
                s.experts = r.integer("num_local_experts");
                s.topK = r.integer("num_experts_per_tok");
                s.expertFfn = r.integer("intermediate_size");
                s.denseLayers = 0;
                if (root.hasNonNull("sliding_window")) {
                    s.slidingWindow = root.get("sliding_window").asInt();
                    s.slidingEvery = 1;
                }
            }
            case "deepseek_v2", "deepseek_v3", "deepseek_v32", "kimi_k2" -> {
                s.attention = Attention.MLA;
                s.family = type.equals("deepseek_v2") ? Family.DEEPSEEK_V2 : Family.DEEPSEEK_V3;
                if (!deepSeekRouting(root, type, shown, at, s, diags)) return false;
                // DeepSeek-V3.2's sparse attention: an indexer (vllm deepseek_v2.py Indexer) picks index_topk keys.
                if (root.hasNonNull("index_topk")) {
                    s.indexTopK = root.get("index_topk").asInt();
                    s.indexHeadDim = root.path("index_head_dim").asInt(128);
                }
                s.qLoraRank = root.hasNonNull("q_lora_rank") ? root.get("q_lora_rank").asInt() : 0;
                s.kvLoraRank = r.integer("kv_lora_rank");
                s.qkNope = r.integer("qk_nope_head_dim");
                s.qkRope = r.integer("qk_rope_head_dim");
                s.vHeadDim = r.integer("v_head_dim");
                s.ffn = r.integer("intermediate_size");
                s.experts = r.integer("n_routed_experts");
                s.topK = r.integer("num_experts_per_tok");
                s.expertFfn = r.integer("moe_intermediate_size");
                s.sharedExperts = root.path("n_shared_experts").asInt(0);
                s.sharedFfn = s.sharedExperts * (s.expertFfn == null ? 0 : s.expertFfn);
                s.denseLayers = root.path("first_k_dense_replace").asInt(0);
                if (root.path("moe_layer_freq").asInt(1) != 1) {
                    diags.add(Diagnostic.of(Codes.HF_UNSUPPORTED, at, "`" + shown + "` has moe_layer_freq " + root.get("moe_layer_freq").asInt())
                            .help("only models whose layers after the dense ones are all MoE are supported").build());
                    return false;
                }
                s.headDim = (s.qkNope == null ? 0 : s.qkNope) + (s.qkRope == null ? 0 : s.qkRope);
                s.kvHeads = s.heads;
                s.reasoningParser = type.equals("kimi_k2") ? "kimi_k2" : "deepseek_r1";
                s.toolParser = type.equals("kimi_k2") ? "kimi_k2" : "deepseek_v3";
                // DeepSeek-V3/R1 ship one multi-token-prediction layer after the decoder layers (model.layers.61).
                s.mtpLayers = root.path("num_nextn_predict_layers").asInt(0);
            }
            case "gpt_oss" -> {
                s.family = Family.GPT_OSS;
                s.normTopKProb = true; // softmax over the top-k router logits
                // configuration_gpt_oss.py defaults swiglu_limit to 7.0
                s.swigluLimit = root.hasNonNull("swiglu_limit") ? root.get("swiglu_limit").asDouble() : 7.0;
                if (!gptOssLayerTypes(root, shown, at, diags)) return false;
                s.experts = r.integer("num_local_experts");
                s.topK = root.hasNonNull("num_experts_per_tok") ? r.integer("num_experts_per_tok") : r.integer("experts_per_token");
                s.expertFfn = r.integer("intermediate_size");
                s.denseLayers = 0;
                s.expertBias = true;
                s.routerBias = true;
                s.qkvBias = attnBias;
                s.oBias = attnBias;
                s.sinks = true;
                if (root.hasNonNull("sliding_window")) {
                    s.slidingWindow = root.get("sliding_window").asInt();
                    s.slidingEvery = 2; // layer_types alternate sliding_attention, full_attention
                }
                s.reasoningParser = "gpt_oss";
                s.toolParser = "gpt_oss";
            }
            default -> throw new IllegalStateException(type);
        }
        if (r.failed) return false;
        JsonNode q = root.get("quantization_config");
        if (q != null && q.isObject()) {
            String method = q.path("quant_method").asText("");
            switch (method) {
                case "fp8" -> {
                    s.quantWeights = DType.FP8;
                    JsonNode wbs = q.get("weight_block_size");
                    s.quantBlock = wbs != null && wbs.isArray() && wbs.size() == 2 ? wbs.get(0).asInt() : 0;
                    if (wbs != null && wbs.isArray() && wbs.size() == 2 && wbs.get(0).asInt() != wbs.get(1).asInt()) {
                        diags.add(Diagnostic.of(Codes.HF_UNSUPPORTED, at, "`" + shown + "` has non-square FP8 blocks " + wbs)
                                .help("only square weight_block_size (e.g. [128, 128]) is modelled").build());
                        return false;
                    }
                    if (!q.path("fmt").asText("e4m3").equals("e4m3")) {
                        diags.add(Diagnostic.of(Codes.HF_UNSUPPORTED, at, "`" + shown + "` stores FP8 as " + q.path("fmt").asText())
                                .help("only e4m3 FP8 checkpoints are modelled").build());
                        return false;
                    }
                    s.keepBf16 = Set.of("embedding", "lm_head", "router");
                }
                case "mxfp4" -> {
                    s.quantWeights = DType.FP4;
                    s.quantGroup = 32;
                    s.expertsOnly = true;
                    s.keepBf16 = Set.of("attention", "router", "embedding", "lm_head");
                }
                case "compressed-tensors" -> {
                    if (!compressedTensors(q, s, at, shown, diags)) return false;
                }
                case "awq", "gptq" -> {
                    // Both store int4 (or int8 for GPTQ) weights with one fp16 scale and a packed zero per group.
                    int bits = q.path("bits").asInt(q.path("w_bit").asInt(4));
                    int group = q.path("group_size").asInt(q.path("q_group_size").asInt(128));
                    if (bits != 4 && bits != 8) {
                        diags.add(Diagnostic.of(Codes.HF_UNSUPPORTED, at, method + " with " + bits + "-bit weights in `" + shown + "` is not supported")
                                .help("declare `quantization { ... }` as an override").build());
                        return false;
                    }
                    s.quantWeights = bits == 4 ? DType.INT4 : DType.INT8;
                    s.quantGroup = group > 0 ? group : 0;
                    s.keepBf16 = Set.of("embedding", "lm_head", "router");
                }
                default -> {
                    diags.add(Diagnostic.of(Codes.HF_UNSUPPORTED, at, "unsupported quant_method `" + method + "` in `" + shown + "`")
                            .note("supported: fp8 (per-tensor or block), mxfp4, compressed-tensors (W8A8 INT8/FP8, W4A16), awq, gptq, and ModelOpt FP8 (hf_quant_config.json)")
                            .help("declare `quantization { ... }` as an override").build());
                    return false;
                }
            }
        }
        Path sibling = modelOptSibling(file);
        if (sibling != null && s.quantWeights == null) {
            try {
                JsonNode mo = JSON.readTree(sibling.toFile());
                String algo = mo.path("quantization").path("quant_algo").asText("");
                if (algo.equalsIgnoreCase("FP8")) {
                    s.quantWeights = DType.FP8;
                    s.quantBlock = 0;
                    s.keepBf16 = Set.of("embedding", "lm_head");
                    if (mo.path("quantization").path("kv_cache_quant_algo").asText("").equalsIgnoreCase("FP8")) s.kvDtype = DType.FP8;
                } else if (algo.equalsIgnoreCase("NVFP4")) {
                    s.quantWeights = DType.FP4;
                    s.quantGroup = 16;
                    s.keepBf16 = Set.of("embedding", "lm_head");
                } else {
                    diags.add(Diagnostic.of(Codes.HF_UNSUPPORTED, at, "unsupported ModelOpt quant_algo `" + algo + "` in " + sibling.getFileName())
                            .help("declare `quantization { ... }` as an override").build());
                    return false;
                }
            } catch (IOException e) {
                diags.add(Diagnostic.of(Codes.HF_BAD_FILE, at, "`" + sibling.getFileName() + "` is not valid JSON").build());
                return false;
            }
        }
        return true;
    }

    /**
     * A compressed-tensors config (llm-compressor): the weights of its first config group decide the
     * dtype: 8-bit float (FP8 W8A8, FP8 dynamic), 8-bit int (W8A8 INT8), 4-bit int (W4A16, with its
     * group size); a block strategy gives square block scales. Layers in {@code ignore} (lm_head)
     * stay in the base dtype.
     */
    private static boolean compressedTensors(JsonNode q, ModelSpec s, Span at, String shown, Diagnostics diags) {
        JsonNode groups = q.path("config_groups");
        JsonNode w = null;
        for (var it = groups.fields(); it.hasNext(); ) {
            JsonNode g = it.next().getValue().path("weights");
            if (g.isObject()) {
                w = g;
                break;
            }
        }
        if (w == null) {
            diags.add(Diagnostic.of(Codes.HF_MISSING_FIELD, at, "compressed-tensors config in `" + shown + "` has no config_groups weights")
                    .help("declare `quantization { ... }` as an override").build());
            return false;
        }
        int bits = w.path("num_bits").asInt(0);
        String type = w.path("type").asText("int");
        String strategy = w.path("strategy").asText("tensor");
        if (bits == 8 && type.equals("float")) s.quantWeights = DType.FP8;
        else if (bits == 8 && type.equals("int")) s.quantWeights = DType.INT8;
        else if (bits == 4 && type.equals("int")) s.quantWeights = DType.INT4;
        else if (bits == 4 && type.equals("float")) s.quantWeights = DType.FP4;
        else {
            diags.add(Diagnostic.of(Codes.HF_UNSUPPORTED, at, "compressed-tensors weights of " + bits + "-bit " + type + " in `" + shown + "` are not supported")
                    .note("supported: 8-bit float (FP8), 8-bit int (W8A8), 4-bit int (W4A16), 4-bit float (NVFP4)")
                    .help("declare `quantization { ... }` as an override").build());
            return false;
        }
        if (strategy.equals("block")) {
            JsonNode bs = w.path("block_structure");
            s.quantBlock = bs.isArray() && bs.size() == 2 ? bs.get(0).asInt() : 128;
        } else if (strategy.equals("group") || strategy.equals("tensor_group")) {
            s.quantGroup = w.path("group_size").asInt(s.quantWeights == DType.FP4 ? 16 : 128);
        }
        Set<String> keep = new java.util.TreeSet<>(Set.of("embedding", "router"));
        for (JsonNode ig : q.path("ignore")) if (ig.asText().contains("lm_head")) keep.add("lm_head");
        if (!keep.contains("lm_head")) keep.add("lm_head");
        s.keepBf16 = keep;
        return true;
    }

    /**
     * DeepSeek routing (modeling_deepseek.py): scoring_func softmax (V2) or sigmoid (V3), topk_method
     * greedy, group_limited_greedy (best expert per group) or noaux_tc (top-2 sum per group after the
     * e_score_correction_bias), n_group/topk_group, routed_scaling_factor. V2 scales the weights only
     * when it does not renormalise them; V3 always scales.
     */
    private static boolean deepSeekRouting(JsonNode root, String type, String shown, Span at, ModelSpec s, Diagnostics diags) {
        boolean v2 = type.equals("deepseek_v2");
        String scoring = root.path("scoring_func").asText("softmax");
        String method = root.path("topk_method").asText(v2 ? "greedy" : "noaux_tc");
        if (!scoring.equals("softmax") && !scoring.equals("sigmoid")
                || !Set.of("greedy", "group_limited_greedy", "noaux_tc").contains(method)) {
            diags.add(Diagnostic.of(Codes.HF_UNSUPPORTED, at, "`" + shown + "` routes with scoring_func `" + scoring + "` and topk_method `" + method + "`")
                    .note("supported: softmax or sigmoid scores; greedy, group_limited_greedy or noaux_tc selection")
                    .help("declare the model directly with the `moe` routing fields").build());
            return false;
        }
        s.scoring = scoring.equals("sigmoid") ? Routing.Scoring.SIGMOID : Routing.Scoring.SOFTMAX;
        s.correctionBias = method.equals("noaux_tc");
        boolean grouped = !method.equals("greedy");
        s.nGroup = grouped ? root.path("n_group").asInt(1) : 1;
        s.topkGroup = grouped ? root.path("topk_group").asInt(1) : 1;
        s.normTopKProb = root.path("norm_topk_prob").asBoolean(false);
        double scale = root.path("routed_scaling_factor").asDouble(1.0);
        s.routedScalingFactor = v2 && s.normTopKProb ? 1.0 : scale;
        return true;
    }

    /** gpt-oss alternates sliding and full attention from layer 0 (the model records' `every 2`); anything else is refused. */
    private static boolean gptOssLayerTypes(JsonNode root, String shown, Span at, Diagnostics diags) {
        JsonNode lt = root.get("layer_types");
        if (lt == null || lt.isNull()) return true;
        for (int i = 0; i < lt.size(); i++) {
            String want = i % 2 == 0 ? "sliding_attention" : "full_attention";
            if (!lt.get(i).asText().equals(want)) {
                diags.add(Diagnostic.of(Codes.HF_UNSUPPORTED, at, "`" + shown + "` layer_types[" + i + "] is " + lt.get(i)
                                + ", not the alternating sliding/full pattern")
                        .help("declare the model directly with `sliding_window <n> tokens every <k>`").build());
                return false;
            }
        }
        return true;
    }

    /** rope_scaling: llama3, yarn and linear are read; a config without it (or null) has none. */
    private static boolean ropeScaling(JsonNode root, String shown, Span at, ModelSpec s, Diagnostics diags) {
        JsonNode rs = root.get("rope_scaling");
        if (rs == null || rs.isNull()) return true;
        String kind = rs.path("rope_type").asText(rs.path("type").asText(""));
        double factor = rs.path("factor").asDouble(1.0);
        long orig = rs.path("original_max_position_embeddings").asLong(0);
        switch (kind) {
            case "default" -> { return true; }
            case "linear" -> s.ropeScaling = new RopeScaling(RopeScaling.Kind.LINEAR, factor, 0, 0, 0, 0, 0, 0, 0, false);
            case "llama3" -> s.ropeScaling = new RopeScaling(RopeScaling.Kind.LLAMA3, factor, orig,
                    rs.path("low_freq_factor").asDouble(1.0), rs.path("high_freq_factor").asDouble(4.0), 0, 0, 0, 0, false);
            // YaRN's optional keys default as in transformers' modeling_rope_utils (beta_fast 32, beta_slow 1, truncate true).
            case "yarn" -> s.ropeScaling = new RopeScaling(RopeScaling.Kind.YARN, factor,
                    orig > 0 ? orig : root.path("max_position_embeddings").asLong(0),
                    0, 0, rs.path("beta_fast").asDouble(32), rs.path("beta_slow").asDouble(1), rs.path("mscale").asDouble(0),
                    rs.path("mscale_all_dim").asDouble(0), rs.path("truncate").asBoolean(true));
            default -> {
                diags.add(Diagnostic.of(Codes.HF_UNSUPPORTED, at, "unsupported rope_scaling type `" + kind + "` in `" + shown + "`")
                        .note("supported: linear, llama3, yarn")
                        .help("declare the model's fields directly with `model NAME { ... }` and a supported `rope_scaling`").build());
                return false;
            }
        }
        return true;
    }

    /** ModelOpt writes hf_quant_config.json next to config.json (or NAME.hf_quant_config.json next to NAME.config.json). */
    private static Path modelOptSibling(Path config) {
        String name = config.getFileName().toString();
        Path dir = config.getParent();
        Path a = name.endsWith(".config.json") ? dir.resolve(name.substring(0, name.length() - ".config.json".length()) + ".hf_quant_config.json") : null;
        if (a != null && Files.isRegularFile(a)) return a;
        Path b = dir.resolve("hf_quant_config.json");
        return name.equals("config.json") && Files.isRegularFile(b) ? b : null;
    }

    private static final class Reader {
        final JsonNode root;
        final String shown;
        final Span at;
        final Diagnostics diags;
        boolean failed;

        Reader(JsonNode root, String shown, Span at, Diagnostics diags) {
            this.root = root;
            this.shown = shown;
            this.at = at;
            this.diags = diags;
        }

        Integer integer(String field) {
            JsonNode n = root.get(field);
            if (n == null || n.isNull()) {
                diags.add(Diagnostic.of(Codes.HF_MISSING_FIELD, at, "`" + shown + "` lacks `" + field + "`")
                        .help("add `" + field + "` to the config, or give the model field as an override in the plan").build());
                failed = true;
                return null;
            }
            if (!n.canConvertToInt() || !n.isIntegralNumber() || n.asInt() < 0) {
                diags.add(Diagnostic.of(Codes.HF_BAD_FILE, at, "`" + field + "` in `" + shown + "` is not a non-negative integer: " + n)
                        .build());
                failed = true;
                return null;
            }
            return n.asInt();
        }
    }
}
