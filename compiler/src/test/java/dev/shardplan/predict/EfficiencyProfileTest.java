package dev.shardplan.predict;

import dev.shardplan.api.Frontend;
import dev.shardplan.api.FrontendResult;
import dev.shardplan.diag.Diagnostic;
import dev.shardplan.model.EngineKind;
import dev.shardplan.resolve.StdLibrary;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Efficiency profiles are data in the language: std:efficiency, `efficiency` declarations, per-plan choice. */
class EfficiencyProfileTest {
    @TempDir
    Path dir;

    static final String HEADER = """
            import "std:nodes"
            import "std:models"
            import "std:workloads"
            cluster one { nodes 1 x HGX_H200 }
            """;

    static String plan(String name, String engine, String extra) {
        return "plan " + name + " {\n  model llama_3_1_8b\n  cluster one\n  workload natural_reasoning\n  parallel { tp 1 }\n"
                + "  engine " + engine + " { }\n" + extra + "}\n";
    }

    FrontendResult check(String text) throws IOException {
        Path f = dir.resolve("p.plan");
        Files.writeString(f, text);
        return Frontend.check(dir, List.of(f));
    }

    @Test
    void theStandardLibraryHoldsTheFittedConstants() {
        // the values of std:efficiency, written out by hand (docs/calibration.md)
        Efficiency trt = StdProfiles.defaults("H100_SXM", EngineKind.TRTLLM);
        assertEquals(new Efficiency(0.81, 0.58, 0.48, 1.00, 1.00, 0.75, 16, 1.5, 4, 10, 30, 150, 300, 5, 0), trt);
        assertEquals(trt, StdProfiles.defaults("H200_SXM", EngineKind.TRTLLM));
        assertEquals(1495.0, StdProfiles.defaults("H200_SXM", EngineKind.VLLM).stepOverheadUs());
        assertEquals(28.5, StdProfiles.defaults("H200_SXM", EngineKind.VLLM).seqOverheadUs());
        assertEquals(500.0, StdProfiles.defaults("MI300X", EngineKind.SGLANG).stepOverheadUs());
        assertEquals(3, StdLibrary.efficiencies().size());
    }

    @Test
    void aPlanWithoutAProfileTakesTheStandardOneAndItsTuningOnTop() throws IOException {
        FrontendResult r = check(HEADER + plan("p", "vllm", "  tuning { step_overhead_us 900 }\n"));
        assertFalse(r.hasErrors(), r.diagnostics().toString());
        var p = r.plans().get(0);
        assertEquals("vllm", p.efficiency().name());
        assertEquals("std:efficiency", p.efficiency().span().file());
        Efficiency e = Predictor.efficiency(p);
        assertEquals(900.0, e.stepOverheadUs());
        assertEquals(0.75, e.hbmEfficiency());
    }

    @Test
    void aPlanNamesItsOwnProfile() throws IOException {
        String profile = """
                efficiency h200_measured {
                  engine vllm
                  gpus H200_SXM
                  hbm_efficiency 0.82; compute_efficiency 0.6; attention_efficiency 0.9; link_efficiency 0.8
                  collective_latency_us 10; layer_overhead_us 1; step_overhead_us 700; prefill_overhead_us 50
                  fp8_compute_efficiency 0.5; moe_efficiency 1; gemm_floor_us 4; attention_floor_us 10; moe_floor_us 30; eager_layer_us 150; seq_overhead_us 10
                }
                """;
        FrontendResult r = check(HEADER + profile + plan("p", "vllm", "  efficiency h200_measured\n  tuning { hbm_efficiency 0.85 }\n"));
        assertFalse(r.hasErrors(), r.diagnostics().toString());
        Efficiency e = Predictor.efficiency(r.plans().get(0));
        assertEquals(new Efficiency(0.85, 0.6, 0.5, 0.9, 1, 0.8, 10, 1, 4, 10, 30, 150, 700, 10, 50), e);
    }

    @Test
    void aProfileForAnotherEngineOrGpuIsRejected() throws IOException {
        String profiles = """
                efficiency for_trt {
                  engine trtllm
                  hbm_efficiency 0.7; compute_efficiency 0.5; attention_efficiency 1; link_efficiency 0.75
                  collective_latency_us 12; layer_overhead_us 1.5; step_overhead_us 480; prefill_overhead_us 0
                  fp8_compute_efficiency 0.5; moe_efficiency 1; gemm_floor_us 4; attention_floor_us 10; moe_floor_us 30; eager_layer_us 150; seq_overhead_us 10
                }
                efficiency for_h100 {
                  engine vllm
                  gpus H100_SXM
                  hbm_efficiency 0.7; compute_efficiency 0.5; attention_efficiency 1; link_efficiency 0.75
                  collective_latency_us 12; layer_overhead_us 1.5; step_overhead_us 480; prefill_overhead_us 0
                  fp8_compute_efficiency 0.5; moe_efficiency 1; gemm_floor_us 4; attention_floor_us 10; moe_floor_us 30; eager_layer_us 150; seq_overhead_us 10
                }
                """;
        FrontendResult r = check(HEADER + profiles + plan("pa", "vllm", "  efficiency for_trt\n") + plan("pb", "vllm", "  efficiency for_h100\n"));
        List<String> msgs = r.diagnostics().stream().filter(Diagnostic::isError).map(Diagnostic::message).toList();
        assertEquals(List.of("efficiency `for_trt` is for trtllm, but the plan's engine is vllm",
                "efficiency `for_h100` is for H100_SXM, but the cluster's GPU is H200_SXM"), msgs);
        assertTrue(r.plans().isEmpty());
    }

    @Test
    void aProfileNeedsEveryKeyInRange() throws IOException {
        String bad = """
                efficiency partial {
                  engine vllm
                  hbm_efficiency 1.2; compute_efficiency 0.5; attention_efficiency 1; link_efficiency 0.75
                  collective_latency_us 12; layer_overhead_us 1.5; step_overhead_us 480
                  fp8_compute_efficiency 0.5; moe_efficiency 1; gemm_floor_us 4; attention_floor_us 10; moe_floor_us 30; eager_layer_us 150; seq_overhead_us 10
                }
                """;
        FrontendResult r = check(HEADER + bad);
        var codes = r.diagnostics().stream().map(d -> d.code().id() + " " + d.message()).toList();
        assertEquals(List.of(
                "SP0202 missing field `prefill_overhead_us` in efficiency `partial`",
                "SP0207 `hbm_efficiency` is 1.2, outside the allowed range"), codes.stream().sorted().toList());
    }

    @Test
    void aGpuSpecificProfileWinsOverTheEnginesGeneralOne() {
        var general = new dev.shardplan.model.EfficiencyProfile("g", EngineKind.VLLM, List.of(), StdProfiles.defaults("x", EngineKind.VLLM).asMap(), dev.shardplan.diag.Span.NONE);
        var b200 = new dev.shardplan.model.EfficiencyProfile("b", EngineKind.VLLM, List.of("B200"), StdProfiles.defaults("x", EngineKind.VLLM).asMap(), dev.shardplan.diag.Span.NONE);
        var all = List.of(general, b200);
        assertSame(b200, dev.shardplan.model.EfficiencyProfile.select(all, "B200", EngineKind.VLLM));
        assertSame(general, dev.shardplan.model.EfficiencyProfile.select(all, "H200_SXM", EngineKind.VLLM));
        assertNull(dev.shardplan.model.EfficiencyProfile.select(all, "H200_SXM", EngineKind.SGLANG));
    }
}
