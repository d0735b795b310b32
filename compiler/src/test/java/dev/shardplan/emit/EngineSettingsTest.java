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

    /**
     * Another engine's target gets the plan's settings by meaning: each setting the plan wrote is
     * either carried to the target's setting of the same role (and written under the target's
     * spelling) or named as not carried; nothing else of the target's table is written but the
     * context length the workload needs.
     */
    @Test
    void anotherEngineGetsThePlansSettingsByMeaningAndNothingElse() throws Exception {
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
                        EngineArgs ea = EngineArgs.of(in, other.kind());
                        Set<String> carried = new TreeSet<>(), accounted = new TreeSet<>();
                        for (var n : ea.carried()) {
                            carried.add(n.setting());
                            accounted.add(n.source());
                        }
                        for (var n : ea.notCarried()) accounted.add(n.source());
                        for (Effective e : in.engine().fromPlan())
                            if (!accounted.contains(e.name()) && !carriedUnderOtherName(e, ea))
                                problems.add(in.plan().name() + ": " + e.name() + " is neither carried to " + other.kind().id() + " nor named as not carried");
                        Set<String> written = words(r.plans().values().iterator().next(), other.kind().id());
                        for (Setting st : other.settings(ea.cfg().release())) {
                            if (st.role() == Role.MAX_MODEL_LEN || carried.contains(st.name())) continue;
                            for (String x : new String[] {st.flag(), st.flagOff(), st.configKey(), st.env(), st.jsonFlag()}) {
                                if (x == null) continue;
                                String w = x.contains("=") ? x.substring(0, x.indexOf('=')) : x;
                                if (written.contains(w)) problems.add(in.plan().name() + " (" + in.engine().kind().id() + ") writes "
                                        + other.kind().id() + "'s " + st.name() + " (" + w + "), which the plan did not set");
                            }
                        }
                        checked++;
                    }
                }
            }
        }
        assertEquals(List.of(), problems);
        assertTrue(checked > 50, "plans x other engines checked: " + checked);
    }

    /** A plan value that reaches the target through another of its settings (chunked prefill off is SGLang's chunk size -1). */
    private static boolean carriedUnderOtherName(Effective e, EngineArgs ea) {
        return e.setting().role() == Role.CHUNKED_PREFILL && e.bool();
    }

    /**
     * The limits the engines count differently are converted: SGLang divides
     * --max-running-requests and --chunked-prefill-size over its attention-DP ranks, vLLM's engine
     * cores and TensorRT-LLM's ranks take them as they are.
     */
    @Test
    void limitsAreConvertedToEachEnginesCounting() throws Exception {
        Map<String, EmitInput> fx = EmitTesting.byName(EmitTesting.load(EmitTesting.FIXTURES, "plans"));
        // vLLM: 128 sequences per engine core of each of 16 DP ranks -> SGLang's server value 2048.
        EmitInput vllm = fx.get("r1_dp16_ep16_vllm");
        assertEquals(2048L, EngineArgs.of(vllm, EngineKind.SGLANG).cfg().get("max_running_requests").value());
        assertEquals(128L, EngineArgs.of(vllm, EngineKind.TRTLLM).cfg().get("max_batch_size").value());
        // SGLang: 2048 over 16 attention-DP ranks -> 128 per vLLM engine core.
        EmitInput sglang = fx.get("r1_dp16_ep16_sglang");
        assertEquals(128L, EngineArgs.of(sglang, EngineKind.VLLM).cfg().get("max_num_seqs").value());
        // TensorRT-LLM: 256 per attention-DP rank -> 4096 for SGLang.
        EmitInput trt = fx.get("r1_dp16_ep16_trtllm");
        assertEquals(4096L, EngineArgs.of(trt, EngineKind.SGLANG).cfg().get("max_running_requests").value());
        // Without DP attention nothing is divided.
        EmitInput dense = fx.get("llama70b_tp4_dp2");
        assertEquals(256L, EngineArgs.of(dense, EngineKind.SGLANG).cfg().get("max_running_requests").value());

        String script = Emit.standard().render(List.of(vllm), Set.of(Target.SGLANG)).plans().get("r1_dp16_ep16_vllm").stream()
                .filter(f -> f.path().equals("sglang/node0.sh")).findFirst().orElseThrow().content();
        assertTrue(script.contains("--max-running-requests 2048"), script);
        assertTrue(script.contains("max_num_seqs 128 per rank; SGLang divides max_running_requests by dp_size 16"), "the script says how");

        JsonNode json = Jsons.MAPPER.readTree(Emit.standard().render(List.of(vllm), Set.of(Target.SGLANG)).plans().get("r1_dp16_ep16_vllm")
                .stream().filter(f -> f.path().equals("plan.json")).findFirst().orElseThrow().content());
        JsonNode launch = json.path("launch").path("sglang").path("settings").path("max_running_requests");
        assertEquals(2048, launch.path("value").asInt());
        assertTrue(launch.path("from").asText().contains("128 x 16"), launch.toString());
        assertTrue(json.path("engine").path("settings").path("max_num_seqs").path("counted").asText().contains("per rank"));
        JsonNode own = Jsons.MAPPER.readTree(PlanJsonEmitter.emit(sglang).get(0).content());
        assertTrue(own.path("engine").path("settings").path("max_running_requests").path("counted").asText().startsWith("2048 over 16 ranks: 128 per rank"),
                own.path("engine").path("settings").path("max_running_requests").toString());
    }

    /** The memory fraction is carried as the one that leaves the target the plan's KV pool, under the target's own accounting. */
    @Test
    void theMemoryFractionCarriesTheKvPool() {
        Map<String, EmitInput> fx = EmitTesting.byName(EmitTesting.load(EmitTesting.FIXTURES, "plans"));
        EmitInput in = fx.get("llama70b_tp4_dp2");
        long pool = Long.MAX_VALUE;
        for (var m : in.memory()) pool = Math.min(pool, m.kvPool());
        for (EngineKind k : List.of(EngineKind.SGLANG, EngineKind.TRTLLM)) {
            EngineConfig cfg = EngineArgs.of(in, k).cfg();
            Plan target = in.plan().withEngine(engineBlock(cfg));
            EmitInput t = EmitTesting.input(target);
            long got = Long.MAX_VALUE;
            for (var m : t.memory()) got = Math.min(got, m.kvPool());
            assertTrue(got >= pool && got < pool * 1.01, k + ": pool " + got + " for the plan's " + pool);
        }
    }

    private static dev.shardplan.model.EngineBlock engineBlock(EngineConfig cfg) {
        dev.shardplan.model.EngineBlock b = dev.shardplan.model.EngineBlock.defaults(cfg.kind());
        for (Effective e : cfg.fromPlan()) b = b.with(e.name(), e.value());
        return b;
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
