package dev.shardplan.emit;

import dev.shardplan.analysis.Fixtures;
import dev.shardplan.api.Frontend;
import dev.shardplan.api.FrontendResult;
import dev.shardplan.diag.Codes;
import dev.shardplan.diag.Diagnostic;
import dev.shardplan.model.Plan;
import dev.shardplan.model.Target;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The deployment mistakes the issue names are each one clear diagnostic: a Hugging Face model
 * without a path, a gated model without a token Secret, a recipe the model or layout cannot run,
 * a setting the release does not have.
 */
class DeployDiagnosticsTest {
    @TempDir
    Path dir;

    static List<Diagnostic> errors(Plan p, Set<Target> targets) {
        Emit.Rendered r = Emit.standard().render(List.of(EmitTesting.input(p)), targets);
        return r.diagnostics().stream().filter(Diagnostic::isError).toList();
    }

    static Plan plan(String model, String parallel, String engine, String deploy) {
        return Fixtures.plan("cluster c { nodes 1 x HGX_H200 }\nplan p {\n  model " + model + "\n  cluster c\n  workload natural_reasoning\n"
                + "  parallel { " + parallel + " }\n  engine " + engine + "\n  emit vllm, kubernetes\n" + (deploy == null ? "" : "  deploy { " + deploy + " }\n") + "}\n", "p");
    }

    @Test
    void aHuggingFaceModelWithoutAPathIsAnErrorWithBothFixes() throws Exception {
        Files.copy(Path.of("src/test/resources/hf-configs/meta-llama--Meta-Llama-3.1-8B.config.json"), dir.resolve("config.json"));
        Files.writeString(dir.resolve("p.plan"), Fixtures.STD + "model my_llama from huggingface \"config.json\" { max_position 32k tokens }\n"
                + "cluster c { nodes 1 x HGX_H200 }\nplan p {\n  model my_llama\n  cluster c\n  workload natural_reasoning\n  parallel { tp 1 }\n"
                + "  engine vllm { }\n  emit vllm, sglang, kubernetes, shim\n}\n");
        FrontendResult fr = Frontend.check(dir, List.of(dir.resolve("p.plan")));
        Plan p = fr.plans().get(0);
        List<Diagnostic> es = errors(p, Set.of());
        assertEquals(1, es.size(), es.toString());
        Diagnostic d = es.get(0);
        assertEquals(EmitCodes.MODEL_NOT_LOADABLE, d.code());
        assertEquals("model `my_llama` has no path the engines can load (vllm, sglang, kubernetes load its weights)", d.message());
        assertTrue(d.help().contains("hf_id \"org/name\"") && d.help().contains("model_path"), d.help());
        assertEquals(p.spanOf(dev.shardplan.model.PlanPaths.MODEL), d.span());
        // The shim builds the model from plan.json and needs no weights.
        assertTrue(errors(p, Set.of(Target.SHIM)).isEmpty());
        // Either fix removes it, and the engines get that path, never the DSL name.
        Plan fixed = plan("llama_3_1_8b", "tp 1", "vllm { }", "model_path \"/models/llama\"");
        String script = Emit.standard().render(List.of(EmitTesting.input(fixed)), Set.of(Target.VLLM)).plans().get("p").stream()
                .filter(f -> f.path().equals("vllm/config.yaml")).findFirst().orElseThrow().content();
        assertTrue(script.contains("model: /models/llama"), script);
    }

    @Test
    void aGatedModelOnKubernetesNeedsATokenSecret() {
        Plan gated = plan("llama_3_1_70b", "tp 4", "vllm { }", null);
        List<Diagnostic> es = errors(gated, Set.of(Target.KUBERNETES));
        assertEquals(1, es.size(), es.toString());
        assertEquals(EmitCodes.GATED_WITHOUT_TOKEN, es.get(0).code());
        assertTrue(es.get(0).help().contains("hf_token_secret \"hf-token\""), es.get(0).help());
        // Scripts run where a user may be logged in; a Secret, or a local copy, satisfies Kubernetes.
        assertTrue(errors(gated, Set.of(Target.VLLM)).isEmpty());
        assertTrue(errors(plan("llama_3_1_70b", "tp 4", "vllm { }", "hf_token_secret \"hf-token\""), Set.of(Target.KUBERNETES)).isEmpty());
        assertTrue(errors(plan("llama_3_1_70b", "tp 4", "vllm { }", "model_path \"/models/llama70b\""), Set.of(Target.KUBERNETES)).isEmpty());
        // Open checkpoints need nothing.
        assertTrue(errors(plan("llama_3_1_70b_fp8", "tp 4", "vllm { }", null), Set.of(Target.KUBERNETES)).isEmpty());
    }

    @Test
    void recipesThatCannotRunAreErrors() {
        List<Diagnostic> es = errors(plan("llama_3_1_8b", "tp 1", "vllm { enable_eplb true; num_speculative_tokens 2 }", "hf_token_secret \"t\""), Set.of(Target.VLLM));
        assertEquals(List.of(EmitCodes.RECIPE_MISMATCH, EmitCodes.RECIPE_MISMATCH), es.stream().map(Diagnostic::code).toList(), es.toString());
        assertTrue(es.stream().anyMatch(d -> d.message().equals("`enable_eplb` needs expert parallelism, and model llama_3_1_8b has no experts")), es.toString());
        assertTrue(es.stream().anyMatch(d -> d.message().equals("`num_speculative_tokens` drafts with the model's MTP layers, and model llama_3_1_8b has none")), es.toString());
        // On the model and layout they are for, they pass.
        Plan r1 = plan("deepseek_r1", "tp 8; ep 8", "vllm { enable_eplb true; num_redundant_experts 32; num_speculative_tokens 1; all2all_backend deepep_low_latency }", null);
        assertTrue(errors(r1, Set.of(Target.VLLM)).isEmpty(), errors(r1, Set.of(Target.VLLM)).toString());
    }

    @Test
    void aRecipeTheReleaseDoesNotHaveIsRefusedWithTheReleasesThatHaveIt() throws Exception {
        Files.writeString(dir.resolve("p.plan"), Fixtures.STD + "cluster c { nodes 1 x HGX_H200 }\nplan p {\n  model deepseek_r1\n  cluster c\n"
                + "  workload natural_reasoning\n  parallel { tp 8; ep 8 }\n  engine vllm { version \"0.11.0\"; kv_offloading_size 64 GiB }\n}\n");
        FrontendResult fr = Frontend.check(dir, List.of(dir.resolve("p.plan")));
        Diagnostic d = fr.diagnostics().stream().filter(Diagnostic::isError).findFirst().orElseThrow();
        assertEquals(Codes.NOT_IN_RELEASE, d.code());
        assertEquals("vLLM 0.11.0 has no setting `kv_offloading_size`", d.message());
        assertTrue(d.notes().get(0).contains("0.12.0"), d.notes().toString());
    }
}
