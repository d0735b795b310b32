package dev.shardplan.resolve;

import dev.shardplan.api.FrontendResult;
import dev.shardplan.api.Frontend;
import dev.shardplan.diag.Diagnostic;
import dev.shardplan.model.Attention;
import dev.shardplan.model.DType;
import dev.shardplan.model.Family;
import dev.shardplan.model.Mla;
import dev.shardplan.model.Model;
import dev.shardplan.model.Moe;
import dev.shardplan.model.Plan;
import dev.shardplan.model.RopeScaling;
import dev.shardplan.model.Routing;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The Hugging Face importer against the real config.json files of the models shardplan ships
 * (copied into src/test/resources/hf-configs): each imports without diagnostics, with the
 * architecture the config describes, and fields written in the plan body override the config.
 */
class HfImportTest {
    static final Path CONFIGS = Path.of("src/test/resources/hf-configs");

    @TempDir
    Path root;

    /** Resolves {@code model m from huggingface "hf/<config>" { body }} inside a minimal plan. */
    Model imported(String config, String body) throws IOException {
        FrontendResult r = check("model m from huggingface \"hf/" + config + "\" {" + body + "}\n" + plan("m"));
        assertEquals(List.of(), r.diagnostics().stream().map(Diagnostic::toString).toList(), config);
        assertEquals(1, r.plans().size());
        return r.plans().get(0).model();
    }

    Model std(String name) throws IOException {
        FrontendResult r = check("import \"std:models\"\n" + plan(name));
        assertEquals(List.of(), r.diagnostics(), name);
        return r.plans().get(0).model();
    }

    FrontendResult check(String text) throws IOException {
        Path hf = Files.createDirectories(root.resolve("hf"));
        try (Stream<Path> s = Files.list(CONFIGS)) {
            for (Path f : s.filter(p -> p.toString().endsWith(".json")).toList()) {
                Path t = hf.resolve(f.getFileName().toString());
                if (!Files.exists(t)) Files.copy(f, t);
            }
        }
        Path file = root.resolve("p.plan");
        Files.writeString(file, text);
        return Frontend.check(root, List.of(file));
    }

    static String plan(String model) {
        return """
                import "std:nodes"
                import "std:workloads"
                cluster c { nodes 1 x HGX_H200 }
                plan p {
                  model %s
                  cluster c
                  workload chat
                  parallel { tp 8 }
                  engine vllm { gpu_memory_utilization 0.90 }
                }
                """.formatted(model);
    }

    /** The fields that define the network (not its name, provenance or context limit). */
    static String architecture(Model m) {
        return network(m) + " " + m.quant();
    }

    /** The network without its weight format. */
    static String network(Model m) {
        return List.of(m.layers(), m.hidden(), m.heads(), m.kvHeads(), m.headDim(), m.moe() != null && m.moe().denseLayers() == 0 ? "-" : m.ffn(),
                m.vocab(), m.tiedEmbeddings(), m.attention(), String.valueOf(m.mla()), String.valueOf(m.moe()), m.qkvBias(), m.oBias(),
                m.qkNorm(), m.attentionSinks(), m.slidingWindow(), m.slidingEvery(), m.totalParams(), m.family(), m.swigluLimit(),
                m.ropeTheta(), String.valueOf(m.ropeScaling()), m.ropeInterleave(), m.maxPosition()).stream()
                .map(String::valueOf).collect(Collectors.joining(" "));
    }

    @ParameterizedTest(name = "{0} imports as std model {1}")
    @CsvSource({
            "meta-llama--Meta-Llama-3.1-8B.config.json, llama_3_1_8b",
            "meta-llama--Meta-Llama-3.1-70B.config.json, llama_3_1_70b",
            "meta-llama--Meta-Llama-3.1-405B.config.json, llama_3_1_405b",
            "nvidia--Llama-3.1-70B-Instruct-FP8.config.json, llama_3_1_70b_fp8",
            "Qwen--Qwen3-8B.config.json, qwen3_8b",
            "Qwen--Qwen3-32B.config.json, qwen3_32b",
            "Qwen--Qwen3-30B-A3B.config.json, qwen3_30b_a3b",
            "Qwen--Qwen3-235B-A22B.config.json, qwen3_235b_a22b",
            "mistralai--Mixtral-8x7B-v0.1.config.json, mixtral_8x7b",
            "deepseek-ai--DeepSeek-V3.config.json, deepseek_v3",
            "deepseek-ai--DeepSeek-R1.config.json, deepseek_r1",
            "openai--gpt-oss-20b.config.json, gpt_oss_20b",
            "openai--gpt-oss-120b.config.json, gpt_oss_120b",
            "moonshotai--Kimi-K2-Instruct.config.json, kimi_k2",
    })
    void importsTheSameArchitectureAsTheStandardLibrary(String config, String stdName) throws IOException {
        assertEquals(architecture(std(stdName)), architecture(imported(config, "")));
    }

    @Test
    void llama() throws IOException {
        Model m = imported("meta-llama--Meta-Llama-3.1-405B.config.json", "");
        assertEquals(126, m.layers());
        assertEquals(16384, m.hidden());
        assertEquals(128, m.heads());
        assertEquals(8, m.kvHeads());
        assertEquals(128, m.headDim()); // hidden / heads: the config has no head_dim
        assertEquals(53248, m.ffn());
        assertEquals(128256, m.vocab());
        assertEquals(Attention.GQA, m.attention());
        assertFalse(m.tiedEmbeddings());
        assertFalse(m.qkvBias());
        assertNull(m.moe());
        assertEquals(DType.BF16, m.quant().weights());
        assertEquals(500000.0, m.ropeTheta());
        assertEquals(new RopeScaling(RopeScaling.Kind.LLAMA3, 8, 8192, 1, 4, 0, 0, 0, 0, false), m.ropeScaling());
        assertEquals(Family.LLAMA, m.family());
        assertEquals(131072, m.maxPosition());
    }

    @Test
    void qwenMoeWithoutNormTopKProbAndQwen2MoeSharedExpertGate() throws IOException {
        Path hf = Files.createDirectories(root.resolve("hf"));
        Files.writeString(hf.resolve("qwen2moe.config.json"), """
                {"model_type": "qwen2_moe", "num_hidden_layers": 24, "hidden_size": 2048, "num_attention_heads": 16,
                 "num_key_value_heads": 16, "vocab_size": 151936, "intermediate_size": 5632, "num_experts": 60,
                 "num_experts_per_tok": 4, "moe_intermediate_size": 1408, "shared_expert_intermediate_size": 5632,
                 "norm_topk_prob": false, "rope_theta": 1000000.0, "rms_norm_eps": 1e-06}
                """);
        Model m = imported("qwen2moe.config.json", "");
        assertEquals(Family.QWEN2_MOE, m.family());
        assertEquals(new Moe(60, 4, 1408, 1, 5632, 0, false, false, true, Routing.softmaxTopK(false)), m.moe());
        assertTrue(m.qkvBias());
    }

    @Test
    void deepSeekV2GroupLimitedGreedyScalesOnlyUnnormalisedWeights() throws IOException {
        Path hf = Files.createDirectories(root.resolve("hf"));
        Files.writeString(hf.resolve("v2.config.json"), """
                {"model_type": "deepseek_v2", "num_hidden_layers": 60, "hidden_size": 5120, "num_attention_heads": 128,
                 "num_key_value_heads": 128, "vocab_size": 102400, "intermediate_size": 12288, "q_lora_rank": 1536,
                 "kv_lora_rank": 512, "qk_nope_head_dim": 128, "qk_rope_head_dim": 64, "v_head_dim": 128,
                 "n_routed_experts": 160, "num_experts_per_tok": 6, "moe_intermediate_size": 1536, "n_shared_experts": 2,
                 "first_k_dense_replace": 1, "moe_layer_freq": 1, "topk_method": "group_limited_greedy", "n_group": 8,
                 "topk_group": 3, "routed_scaling_factor": 16.0, "norm_topk_prob": false, "scoring_func": "softmax",
                 "rope_scaling": {"type": "yarn", "factor": 40, "original_max_position_embeddings": 4096, "beta_fast": 32,
                                  "beta_slow": 1, "mscale": 0.707, "mscale_all_dim": 0.707}}
                """);
        Model m = imported("v2.config.json", "");
        assertEquals(Family.DEEPSEEK_V2, m.family());
        assertEquals(new Routing(Routing.Scoring.SOFTMAX, false, 8, 3, false, 16.0), m.moe().routing());
        assertEquals(0.707, m.ropeScaling().mscaleAllDim());
    }

    @Test
    void unsupportedRopeScalingIsRefused() throws IOException {
        Path hf = Files.createDirectories(root.resolve("hf"));
        Files.writeString(hf.resolve("longrope.config.json"), """
                {"model_type": "llama", "num_hidden_layers": 2, "hidden_size": 64, "num_attention_heads": 4,
                 "num_key_value_heads": 4, "vocab_size": 100, "intermediate_size": 128,
                 "rope_scaling": {"rope_type": "longrope", "factor": 4}}
                """);
        FrontendResult r = check("model m from huggingface \"hf/longrope.config.json\" {}\n" + plan("m"));
        assertTrue(r.diagnostics().stream().anyMatch(d -> d.message().contains("unsupported rope_scaling type `longrope`")),
                r.diagnostics().toString());
    }

    @Test
    void modelOptFp8ReadsTheSiblingQuantConfig() throws IOException {
        Model m = imported("nvidia--Llama-3.1-70B-Instruct-FP8.config.json", "");
        assertEquals(DType.FP8, m.quant().weights());
        assertEquals(0, m.quant().blockSize()); // per-tensor scales
        assertEquals(Set.of("embedding", "lm_head"), m.quant().keepBf16());
        assertEquals(DType.FP8, m.kvDtype()); // kv_cache_quant_algo FP8
    }

    @Test
    void qwen3DenseAndBlockFp8() throws IOException {
        Model m = imported("Qwen--Qwen3-32B-FP8.config.json", "");
        assertEquals(64, m.layers());
        assertEquals(64, m.heads());
        assertEquals(8, m.kvHeads());
        assertEquals(128, m.headDim()); // explicit: 64 * 128 != hidden 5120
        assertEquals(25600, m.ffn());
        assertTrue(m.qkNorm());
        assertFalse(m.qkvBias());
        assertEquals(DType.FP8, m.quant().weights());
        assertEquals(128, m.quant().blockSize());
        assertEquals(network(std("qwen3_32b")), network(m), "same network as Qwen3-32B apart from the weights");
    }

    @Test
    void qwen3MoeFields() throws IOException {
        Model a3b = imported("Qwen--Qwen3-30B-A3B.config.json", "");
        assertEquals(new Moe(128, 8, 768, 0, 0, 0, false, false, false, Routing.softmaxTopK(true)), a3b.moe());
        assertEquals(Family.QWEN3_MOE, a3b.family());
        Model coder = imported("Qwen--Qwen3-Coder-480B-A35B-Instruct.config.json", "");
        assertEquals(62, coder.layers());
        assertEquals(6144, coder.hidden());
        assertEquals(96, coder.heads());
        assertEquals(8, coder.kvHeads());
        assertEquals(new Moe(160, 8, 2560, 0, 0, 0, false, false, false, Routing.softmaxTopK(true)), coder.moe());
        assertTrue(coder.qkNorm());
        assertEquals(262144, coder.maxPosition());
    }

    @Test
    void mixtral() throws IOException {
        Model m = imported("mistralai--Mixtral-8x7B-v0.1.config.json", "");
        assertEquals(new Moe(8, 2, 14336, 0, 0, 0, false, false, false, Routing.softmaxTopK(true)), m.moe());
        assertEquals(Family.MIXTRAL, m.family());
        assertEquals(32000, m.vocab());
        assertEquals(0, m.slidingWindow()); // "sliding_window": null
    }

    @Test
    void deepSeekMlaAndMoe() throws IOException {
        for (String c : List.of("deepseek-ai--DeepSeek-V3.config.json", "deepseek-ai--DeepSeek-R1.config.json")) {
            Model m = imported(c, "");
            assertEquals(Attention.MLA, m.attention());
            assertEquals(new Mla(1536, 512, 128, 64, 128), m.mla());
            assertEquals(576, m.kvElementsPerTokenPerLayer()); // latent 512 + rope key 64
            assertEquals(192, m.headDim());
            assertEquals(new Moe(256, 8, 2048, 1, 2048, 3, false, false, false,
                    new Routing(Routing.Scoring.SIGMOID, true, 8, 4, true, 2.5)), m.moe());
            assertEquals(Family.DEEPSEEK_V3, m.family());
            assertTrue(m.ropeInterleave());
            assertEquals(new RopeScaling(RopeScaling.Kind.YARN, 40, 4096, 0, 0, 32, 1, 1, 1, true), m.ropeScaling());
            assertEquals(18432, m.ffn());
            assertEquals(129280, m.vocab());
            assertEquals(DType.FP8, m.quant().weights());
            assertEquals(128, m.quant().blockSize());
            assertEquals(Set.of("embedding", "lm_head", "router"), m.quant().keepBf16());
        }
    }

    @Test
    void kimiK2() throws IOException {
        Model m = imported("moonshotai--Kimi-K2-Instruct.config.json", "");
        assertEquals(64, m.heads());
        assertEquals(new Mla(1536, 512, 128, 64, 128), m.mla());
        assertEquals(new Moe(384, 8, 2048, 1, 2048, 1, false, false, false,
                new Routing(Routing.Scoring.SIGMOID, true, 1, 1, true, 2.827)), m.moe());
        assertEquals(163840, m.vocab());
        assertEquals("kimi_k2", m.reasoningParser());
    }

    @Test
    void gptOss() throws IOException {
        Model m = imported("openai--gpt-oss-120b.config.json", "");
        assertEquals(36, m.layers());
        assertEquals(2880, m.hidden());
        assertEquals(64, m.heads());
        assertEquals(8, m.kvHeads());
        assertEquals(64, m.headDim());
        assertEquals(new Moe(128, 4, 2880, 0, 0, 0, true, true, false, Routing.softmaxTopK(true)), m.moe());
        assertEquals(Family.GPT_OSS, m.family());
        assertEquals(7.0, m.swigluLimit());
        assertEquals(new RopeScaling(RopeScaling.Kind.YARN, 32, 4096, 0, 0, 32, 1, 0, 0, false), m.ropeScaling());
        assertFalse(m.ropeInterleave());
        assertTrue(m.attentionSinks());
        assertTrue(m.qkvBias());
        assertTrue(m.oBias());
        assertEquals(128, m.slidingWindow());
        assertEquals(2, m.slidingEvery());
        assertEquals(DType.FP4, m.quant().weights());
        assertEquals(32, m.quant().groupSize());
        assertTrue(m.quant().expertsOnly());
        assertEquals(new Moe(32, 4, 2880, 0, 0, 0, true, true, false, Routing.softmaxTopK(true)),
                imported("openai--gpt-oss-20b.config.json", "").moe());
    }

    @Test
    void overridesInTheBodyWin() throws IOException {
        Model m = imported("meta-llama--Meta-Llama-3.1-8B.config.json", """

                  layers 2
                  kv_dtype fp8
                  max_position 8k tokens
                  quantization { weights fp8; keep_bf16 embedding, lm_head }
                """);
        assertEquals(2, m.layers());
        assertEquals(4096, m.hidden()); // not overridden: from the config
        assertEquals(DType.FP8, m.kvDtype());
        assertEquals(8000, m.maxPosition());
        assertEquals(DType.FP8, m.quant().weights());

        Model d = imported("deepseek-ai--DeepSeek-V3.config.json", """

                  moe { top_k 4; dense_layers 1 }
                  attention mla { kv_lora_rank 256 }
                """);
        assertEquals(4, d.moe().topK());
        assertEquals(1, d.moe().denseLayers());
        assertEquals(256, d.mla().kvLoraRank());
        assertEquals(1536, d.mla().qLoraRank()); // not overridden
    }

    @Test
    void llama4IsRefusedWithItsArchitecture() throws IOException {
        FrontendResult r = check("model m from huggingface \"hf/meta-llama--Llama-4-Scout-17B-16E-Instruct.config.json\" {}\n");
        assertEquals(1, r.diagnostics().size());
        Diagnostic d = r.diagnostics().get(0);
        assertEquals("SP0301", d.code().id());
        assertTrue(d.message().contains("llama4"), d.message());
    }

    @Test
    void everySupportedConfigHere() throws IOException {
        // each config in the folder either imports or is the one unsupported architecture
        try (Stream<Path> s = Files.list(CONFIGS)) {
            for (Path f : s.filter(p -> p.toString().endsWith(".config.json")).sorted().toList()) {
                String name = f.getFileName().toString();
                if (name.contains("Llama-4")) continue;
                Plan p = check("model m from huggingface \"hf/" + name + "\" {}\n" + plan("m")).plans().stream().findFirst().orElse(null);
                assertNotNull(p, name);
                assertTrue(p.model().totalParams() > 1_000_000_000L, name);
            }
        }
    }
}
