package dev.shardplan.resolve;

import dev.shardplan.api.Frontend;
import dev.shardplan.api.FrontendResult;
import dev.shardplan.diag.Diagnostic;
import dev.shardplan.model.Family;
import dev.shardplan.model.Model;
import dev.shardplan.model.RopeScaling;
import dev.shardplan.model.Routing;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The architecture fields the runtime shim needs (family, RoPE scaling, routing, gpt-oss's
 * clamped SwiGLU) as the language spells them, and the diagnostics for fields that contradict the
 * family's published definition.
 */
class ArchitectureFieldsTest {
    @TempDir
    Path root;

    private FrontendResult check(String model) throws IOException {
        Path file = root.resolve("p.plan");
        Files.writeString(file, model + """

                import "std:nodes"
                import "std:workloads"
                cluster c { nodes 1 x HGX_H200 }
                plan p {
                  model m
                  cluster c
                  workload chat
                  parallel { tp 8 }
                  engine vllm { gpu_memory_utilization 0.90 }
                }
                """);
        return Frontend.check(root, List.of(file));
    }

    private Model model(String decl) throws IOException {
        FrontendResult r = check(decl);
        assertEquals(List.of(), r.diagnostics().stream().map(Diagnostic::toString).toList());
        return r.plans().get(0).model();
    }

    private Diagnostic error(String decl) throws IOException {
        List<Diagnostic> ds = check(decl).diagnostics().stream().filter(Diagnostic::isError).toList();
        assertEquals(1, ds.size(), ds.toString());
        return ds.get(0);
    }

    private static final String DENSE = "layers 4; hidden 1024; heads 16; kv_heads 4; ffn 4096; vocab 32000\n";

    @Test
    void ropeScalingKinds() throws IOException {
        Model l = model("model m { " + DENSE + " rope_scaling llama3 { factor 8; low_freq_factor 1; high_freq_factor 4; original_max_position 8192 tokens } }");
        assertEquals(new RopeScaling(RopeScaling.Kind.LLAMA3, 8, 8192, 1, 4, 0, 0, 0, 0, false), l.ropeScaling());
        Model y = model("model m { " + DENSE + " rope_scaling yarn { factor 4; original_max_position 32768 tokens } }");
        assertEquals(new RopeScaling(RopeScaling.Kind.YARN, 4, 32768, 0, 0, 32, 1, 0, 0, true), y.ropeScaling());
        Model lin = model("model m { " + DENSE + " rope_scaling linear { factor 2 } }");
        assertEquals(RopeScaling.Kind.LINEAR, lin.ropeScaling().kind());
        assertNull(model("model m { " + DENSE + " rope_scaling none }").ropeScaling());
        List<String> missing = check("model m { " + DENSE + " rope_scaling llama3 { factor 8 } }").diagnostics().stream()
                .map(Diagnostic::message).toList();
        assertEquals(3, missing.size(), missing.toString());
        assertTrue(missing.stream().anyMatch(x -> x.contains("`low_freq_factor`")), missing.toString());
    }

    @Test
    void familiesAreInferredFromTheFeaturesOnlyOneHas() throws IOException {
        assertEquals(Family.LLAMA, model("model m { " + DENSE + " }").family());
        assertEquals(Family.QWEN2, model("model m { " + DENSE + " qkv_bias }").family());
        assertEquals(Family.QWEN3, model("model m { " + DENSE + " qk_norm }").family());
        Model mix = model("model m { " + DENSE + " moe { experts 8; top_k 2; expert_ffn 1024 } }");
        assertEquals(Family.MIXTRAL, mix.family());
        assertTrue(mix.moe().routing().normTopKProb(), "Mixtral's definition renormalises the top-k weights");
        Model q2 = model("model m { " + DENSE + " qkv_bias; moe { experts 8; top_k 2; expert_ffn 1024; shared_experts 1 } }");
        assertEquals(Family.QWEN2_MOE, q2.family());
        assertTrue(q2.moe().sharedExpertGate());
    }

    @Test
    void deepSeekRoutingFields() throws IOException {
        Model m = model("""
                model m {
                  family deepseek_v3
                  layers 4; hidden 1024; heads 16; vocab 32000; ffn 4096
                  attention mla { q_lora_rank 256; kv_lora_rank 128; qk_nope_head_dim 64; qk_rope_head_dim 32; v_head_dim 64 }
                  moe { experts 64; top_k 6; expert_ffn 512; shared_experts 1; dense_layers 1
                        scoring sigmoid; n_group 8; topk_group 3; correction_bias; norm_topk_prob; routed_scaling_factor 2.5 }
                }""");
        assertEquals(new Routing(Routing.Scoring.SIGMOID, true, 8, 3, true, 2.5), m.moe().routing());
        assertTrue(m.ropeInterleave(), "DeepSeek checkpoints rotate adjacent pairs");
        assertEquals(m.hidden() * 64L + 64, m.routerParams(), "the router keeps one correction bias per expert");
        Diagnostic d = error("""
                model m {
                  layers 4; hidden 1024; heads 16; vocab 32000; ffn 4096
                  attention mla { q_lora_rank 256; kv_lora_rank 128; qk_nope_head_dim 64; qk_rope_head_dim 32; v_head_dim 64 }
                  moe { experts 64; top_k 6; expert_ffn 512; n_group 8 }
                }""");
        assertTrue(d.message().contains("topk_group"), d.toString());
    }

    @Test
    void fieldsThatContradictTheFamilyAreErrors() throws IOException {
        assertTrue(error("model m { family llama; " + DENSE + " qk_norm }").message().contains("family llama has no `qk_norm`"));
        assertTrue(error("model m { family qwen3; " + DENSE + " }").message().contains("add `qk_norm`"));
        assertTrue(error("model m { family mixtral; " + DENSE + " moe { experts 8; top_k 2; expert_ffn 1024; norm_topk_prob false } }")
                .message().contains("renormalises"));
        assertTrue(error("model m { family qwen3_moe; " + DENSE + " qk_norm; moe { experts 8; top_k 2; expert_ffn 1024; scoring sigmoid } }")
                .message().contains("softmax"));
        assertTrue(error("model m { family gpt_oss; " + DENSE + " attention_sinks; moe { experts 8; top_k 2; expert_ffn 1024; expert_bias; router_bias } }")
                .message().contains("swiglu_limit"));
        assertTrue(error("model m { family llama; " + DENSE + " qkv_bias }").message().contains("q, k, v and o alike"));
        assertTrue(error("model m { family qwen2; " + DENSE + " qkv_bias; o_bias }").message().contains("but not o"));
        assertTrue(error("""
                model m {
                  family deepseek_v3
                  layers 4; hidden 1024; heads 16; vocab 32000; ffn 4096
                  attention mla { q_lora_rank 256; kv_lora_rank 128; qk_nope_head_dim 64; qk_rope_head_dim 32; v_head_dim 64 }
                  moe { experts 64; top_k 6; expert_ffn 512; dense_layers 1 }
                }""").message().contains("scoring sigmoid; correction_bias"));
    }
}
