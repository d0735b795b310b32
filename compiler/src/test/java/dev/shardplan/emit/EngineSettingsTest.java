package dev.shardplan.emit;

import com.fasterxml.jackson.databind.JsonNode;
import dev.shardplan.analysis.Fixtures;
import dev.shardplan.api.Predictions;
import dev.shardplan.diag.Jsons;
import dev.shardplan.engine.Effective;
import dev.shardplan.engine.EngineConfig;
import dev.shardplan.engine.EngineSpec;
import dev.shardplan.engine.Engines;
import dev.shardplan.engine.Origin;
import dev.shardplan.engine.Role;
import dev.shardplan.engine.Setting;
import dev.shardplan.model.EngineKind;
import dev.shardplan.model.Plan;
import dev.shardplan.model.Target;
import dev.shardplan.predict.Prediction;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Engine settings reach only their own engine's launcher, unset settings take the release's own
 * defaults in the prediction, and plan.json says which values are defaults.
 */
class EngineSettingsTest {
    /** Every word of every command line and options file a rendered plan writes. */
    static Set<String> words(List<OutputFile> files, String folder) throws Exception {
        Set<String> out = new TreeSet<>();
        for (OutputFile f : files) {
            if (!f.path().startsWith(folder + "/")) continue;
            if (f.path().endsWith(".sh") || f.path().endsWith(".sbatch")) {
                for (List<AcceptedFlagsTest.Word> cmd : AcceptedFlagsTest.commands(AcceptedFlagsTest.stripHeredocs(f.content())))
                    for (AcceptedFlagsTest.Word w : cmd) out.add(w.text().contains("=") ? w.text().substring(0, w.text().indexOf('=')) : w.text());
            } else if (f.path().endsWith(".yaml")) {
                for (var k : AcceptedFlagsTest.keys(HostileStringTest.yaml(f.content()).get(0), "").keySet()) {
                    out.add("--" + k);
                    out.add(k);
                }
            }
        }
        return out;
    }

    /** The launcher spellings of an engine's settings (flags, config keys, environment variables), except the context length. */
    static Set<String> spellings(EngineSpec spec) {
        Set<String> out = new TreeSet<>();
        for (var r : spec.releases()) {
            for (Setting s : spec.settings(r)) {
                if (s.role() == Role.MAX_MODEL_LEN) continue;
                for (String x : new String[] {s.flag(), s.flagOff(), s.configKey(), s.env()}) {
                    if (x == null) continue;
                    out.add(x.contains("=") ? x.substring(0, x.indexOf('=')) : x);
                }
            }
        }
        return out;
    }

    @Test
    void noSettingOfOneEngineAppearsInAnotherEnginesOutput() throws Exception {
        Map<EngineKind, Target> target = Map.of(EngineKind.VLLM, Target.VLLM, EngineKind.SGLANG, Target.SGLANG, EngineKind.TRTLLM, Target.TRTLLM);
        List<String> problems = new ArrayList<>();
        int checked = 0;
        for (List<EmitInput> set : AcceptedFlagsTest.plansToCheck()) {
            for (EmitInput base : set) {
                for (EmitInput in : List.of(base, AcceptedFlagsTest.variant(base, "_variant"))) {
                    for (EngineSpec other : Engines.all()) {
                        if (other.kind() == in.engine().kind()) continue;
                        Emit.Rendered r = Emit.standard().render(List.of(in), Set.of(target.get(other.kind())));
                        if (!r.ok()) continue;
                        Set<String> written = words(r.plans().values().iterator().next(), other.kind().id());
                        for (String s : spellings(other)) if (written.contains(s)) problems.add(in.plan().name() + " (" + in.engine().kind().id()
                                + ") writes " + other.kind().id() + "'s setting " + s);
                        checked++;
                    }
                }
            }
        }
        assertEquals(List.of(), problems);
        assertTrue(checked > 50, "plans x other engines checked: " + checked);
    }

    @Test
    void theOwnEngineGetsWhatThePlanSetAndNothingElse() throws Exception {
        Plan p = Fixtures.simple("llama_3_1_8b", "HGX_H200", 1, "dp 8", "vllm { gpu_memory_utilization 0.85 }", "natural_reasoning");
        EmitInput in = EmitTesting.input(p);
        Set<String> written = words(Emit.standard().render(List.of(in), Set.of(Target.VLLM)).plans().get("p"), "vllm");
        assertTrue(written.contains("--gpu-memory-utilization"));
        assertTrue(written.contains("--max-model-len"), "the workload's context length is always passed");
        for (String unset : List.of("--max-num-seqs", "--max-num-batched-tokens", "--block-size", "--kv-cache-dtype", "--enable-prefix-caching"))
            assertFalse(written.contains(unset), unset + " is left to the release default");
        String yaml = Emit.standard().render(List.of(in), Set.of(Target.VLLM)).plans().get("p").stream()
                .filter(f -> f.path().equals("vllm/config.yaml")).findFirst().orElseThrow().content();
        assertTrue(yaml.contains("#   --max-num-seqs 1024 (vLLM "), "the default the prediction assumes is named in a comment:\n" + yaml);
    }

    @Test
    void unsetSettingsTakeTheReleaseDefaultInThePredictionAndPlanJsonSaysSo() throws Exception {
        Plan p = Fixtures.simple("llama_3_1_8b", "HGX_H200", 1, "dp 8", "vllm { max_num_seqs 128 }", "natural_reasoning");
        EngineConfig cfg = Engines.configure(p);
        Effective seqs = cfg.get("max_num_seqs"), util = cfg.get("gpu_memory_utilization"), tokens = cfg.get("max_num_batched_tokens");
        assertEquals(Origin.PLAN, seqs.origin());
        assertEquals(Origin.DEFAULT, util.origin());
        assertEquals(cfg.release().atLeast("0.20.0") ? 0.92 : 0.9, util.number());
        assertEquals(8192, tokens.count(), "8192 on a >= 70 GiB GPU that is not an A100");

        Prediction pr = Predictions.simulate(p, 1);
        assertEquals(128, pr.scheduler().maxNumSeqs(), "the prediction runs the plan's value");
        assertEquals(8192, pr.scheduler().maxNumBatchedTokens(), "and the release's default where the plan sets none");

        JsonNode json = Jsons.MAPPER.readTree(PlanJsonEmitter.emit(EmitTesting.input(p)).get(0).content());
        JsonNode s = json.path("engine").path("settings");
        assertEquals("plan", s.path("max_num_seqs").path("set_by").asText());
        assertEquals("default", s.path("gpu_memory_utilization").path("set_by").asText());
        assertEquals("default", s.path("max_num_batched_tokens").path("set_by").asText());
        assertEquals("workload", s.path("max_model_len").path("set_by").asText());
        assertEquals(cfg.release().version().toString(), json.path("engine").path("release").asText());
        assertEquals("default", json.path("engine").path("release_set_by").asText());

        // An older release has other defaults, and the same plan predicts with them.
        Plan old = p.withEngine(p.engine().withVersion("0.7.3"));
        EngineConfig v0 = Engines.configure(old);
        assertEquals(32000, v0.get("max_num_batched_tokens").count(), "V0: max(max_model_len, 2048) without chunked prefill");
        assertFalse(v0.get("prefix_caching").bool(), "V0: prefix caching off");
    }

    @Test
    void sglangRunningRequestsAreDecidedAtStartUpAndSizedFromThePool() {
        Plan p = Fixtures.simple("llama_3_1_8b", "HGX_H200", 1, "tp 1", "sglang { }", "natural_reasoning");
        EngineConfig cfg = Engines.configure(p);
        assertEquals(Origin.STARTUP, cfg.get("max_running_requests").origin());
        Prediction pr = Predictions.simulate(p, 1);
        long tokens = pr.scheduler().kvTokens();
        long pool = Math.min(Math.max(tokens * 512 / 32000, 2048), 4096);
        assertEquals(Math.min(tokens / 2, pool), pr.scheduler().maxNumSeqs());
    }
}
