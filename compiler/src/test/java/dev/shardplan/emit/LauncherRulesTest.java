package dev.shardplan.emit;

import dev.shardplan.diag.Code;
import dev.shardplan.diag.Diagnostic;
import dev.shardplan.diag.Severity;
import dev.shardplan.model.Deploy;
import dev.shardplan.model.EngineBlock;
import dev.shardplan.model.EngineKind;
import dev.shardplan.model.Model;
import dev.shardplan.model.Parallel;
import dev.shardplan.model.Plan;
import dev.shardplan.model.Target;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Combinations a launcher rejects are compile errors that name the target, the rule and its source. */
class LauncherRulesTest {
    static Map<String, EmitInput> plans;

    @BeforeAll
    static void load() {
        plans = EmitTesting.byName(EmitTesting.load(EmitTesting.FIXTURES, "plans"));
    }

    static Plan base(String name) {
        return plans.get(name).plan();
    }

    static Plan with(Plan p, Parallel par, EngineBlock e, Deploy d, Model m, Set<Target> emit) {
        return new Plan(p.name(), p.sourceFile(), m == null ? p.model() : m, p.cluster(), p.workload(),
                par == null ? p.parallel() : par, e == null ? p.engine() : e, p.slos(), emit == null ? p.emit() : emit,
                d == null ? p.deploy() : d, p.tuning(), p.spans(), p.span());
    }

    static Parallel par(int dp, int tp, int pp, int ep, boolean dpAttn) {
        return new Parallel(dp, tp, pp, ep, dpAttn, List.of(), List.of());
    }

    static EngineBlock engine(EngineKind kind, String version) {
        return EngineBlock.defaults(kind).withVersion(version);
    }

    static List<Diagnostic> diags(Plan p, Target... targets) {
        return Emit.standard().render(List.of(EmitTesting.input(p)), Set.of(targets)).diagnostics();
    }

    /** Exactly one diagnostic of the code, whose message starts with the target and whose notes cite a source. */
    static Diagnostic only(List<Diagnostic> ds, Code code, String prefix) {
        List<Diagnostic> hits = ds.stream().filter(d -> d.code() == code).toList();
        assertEquals(1, hits.size(), () -> code + " in " + ds);
        Diagnostic d = hits.get(0);
        assertTrue(d.message().startsWith(prefix), d.message());
        assertFalse(d.help().isEmpty(), "has a help line");
        return d;
    }

    static void citesSource(Diagnostic d, String file) {
        assertTrue(d.notes().stream().anyMatch(n -> n.contains(file)), () -> d.notes() + " cite " + file);
    }

    @Test
    void vllmExpertParallelIsTpTimesDp() {
        Plan p = with(base("r1_dp16_ep16_vllm"), par(16, 1, 1, 8, true), null, null, null, null);
        Diagnostic d = only(diags(p, Target.VLLM), EmitCodes.VLLM_EP_SIZE, "vllm:");
        assertEquals("vllm: expert-parallel size must be tp × dp = 16, the plan has ep 8", d.message());
        citesSource(d, "vllm/config/parallel.py");
        assertTrue(diags(base("r1_dp16_ep16_vllm"), Target.VLLM).stream().noneMatch(Diagnostic::isError));
    }

    @Test
    void vllmNeedsEvenNodesAndWholeReplicas() {
        Plan uneven = with(base("llama405b_tp8_pp2"), par(1, 12, 1, 1, false), null, null, null, null);
        Diagnostic d = only(diags(uneven, Target.VLLM), EmitCodes.VLLM_NODE_LAYOUT, "vllm:");
        assertEquals("vllm: 12 ranks do not split evenly over 2 nodes", d.message());
        Plan straddle = with(base("llama405b_tp8_pp2"), par(2, 4, 3, 1, false), null, null, null, null);
        Diagnostic s = only(diags(straddle, Target.VLLM), EmitCodes.VLLM_NODE_LAYOUT, "vllm:");
        assertEquals("vllm: data-parallel replica 0 spans nodes [0, 1] (tp × pp = 12)", s.message());
    }

    @Test
    void layoutsAReleaseHasNoFlagsFor() {
        // V0 releases run no data parallelism inside one vllm serve (no --data-parallel-size).
        Plan p = base("llama70b_tp4_dp2");
        Diagnostic dp = only(diags(with(p, null, engine(EngineKind.VLLM, "0.7.3"), null, null, null), Target.VLLM),
                EmitCodes.RELEASE_LACKS_FEATURE, "vllm: vllm 0.7.3 has no --data-parallel-size");
        assertEquals(Severity.ERROR, dp.severity());
        // Before --nnodes, a replica over two nodes is launched with Ray only: the vllm target writes
        // the ray/ scripts, Kubernetes (which uses the native mode) refuses.
        Plan r = with(base("llama405b_tp8_pp2"), null, engine(EngineKind.VLLM, "0.10.2"), null, null, null);
        assertTrue(diags(r, Target.VLLM).stream().noneMatch(Diagnostic::isError));
        only(diags(r, Target.KUBERNETES), EmitCodes.RELEASE_LACKS_FEATURE, "kubernetes: vllm 0.10.2 has no --nnodes");
    }

    @Test
    void sglangDpAttentionNeedsTpDivisibleByDp() {
        Plan p = base("r1_dp16_ep16_sglang");
        List<Diagnostic> ds = SglangLaunch.check(p, new SglangLaunch.Degrees(6, 4, 1, 1, true, 1));
        Diagnostic d = only(ds, EmitCodes.SGLANG_DP_ATTENTION, "sglang:");
        assertEquals("sglang: with dp attention, tp 6 must be divisible by dp 4", d.message());
        citesSource(d, "server_args.py");
    }

    @Test
    void sglangNeedsTpTimesPpDivisibleByNodes() {
        Plan p = with(base("r1_dp16_ep16_sglang"), par(9, 1, 1, 1, true), null, null, null, null);
        Diagnostic d = only(diags(p, Target.SGLANG), EmitCodes.SGLANG_NODES, "sglang:");
        assertEquals("sglang: tp × pp = 9 is not divisible by 2 nodes", d.message());
        citesSource(d, "(tp_size * pp_size) % nnodes");
    }

    @Test
    void sglangMultiNodeDpNeedsDpAttention() {
        Plan p = with(base("llama405b_tp8_pp2"), par(4, 4, 1, 1, false), null, null, null, null);
        Diagnostic d = only(diags(p, Target.SGLANG), EmitCodes.SGLANG_MULTI_NODE_DP, "sglang:");
        assertEquals("sglang: dp 4 over 2 nodes needs dp attention", d.message());
    }

    @Test
    void sglangEpMustDivideTp() {
        Plan p = with(base("r1_dp16_ep16_sglang"), par(16, 1, 1, 6, true), null, null, null, null);
        Diagnostic d = only(diags(p, Target.SGLANG), EmitCodes.SGLANG_EP_SIZE, "sglang:");
        assertEquals("sglang: ep 6 must divide SGLang's tp size 16", d.message());
    }

    @Test
    void trtllmRules() {
        Plan p = base("r1_dp16_ep16_trtllm");
        Diagnostic adp = only(diags(with(p, par(8, 2, 1, 16, true), null, null, null, null), Target.TRTLLM),
                EmitCodes.TRTLLM_ATTENTION_DP, "trtllm:");
        citesSource(adp, "tensorrt_llm/mapping.py");
        List<Diagnostic> ep6 = diags(with(p, par(16, 1, 1, 6, true), null, null, null, null), Target.TRTLLM);
        assertEquals("trtllm: ep 6 does not divide tp_size 16", only(ep6, EmitCodes.TRTLLM_EP_SIZE, "trtllm:").message());
        assertEquals("trtllm: 256 routed experts do not divide over ep 6", only(ep6, EmitCodes.TRTLLM_EXPERTS, "trtllm:").message());
    }

    @Test
    void trtllmWorldMustFillWholeNodesUnderSrun() {
        // Without EP the fixture's expert-parallel recipes would not apply (SP0816): this layout keeps only the world size.
        Plan b = base("r1_dp16_ep16_trtllm");
        Plan p = with(b, par(12, 1, 1, 1, true), b.engine().without("moe_backend").without("eplb_slots"), null, null, null);
        Diagnostic d = only(diags(p, Target.SLURM), EmitCodes.TRTLLM_WORLD_SIZE, "slurm/trtllm:");
        assertEquals("slurm/trtllm: 12 ranks (tp 12 × pp 1) do not split evenly over 2 nodes {0=8, 1=4}", d.message());
        assertTrue(diags(p, Target.TRTLLM).stream().noneMatch(Diagnostic::isError), "mpirun takes 8 + 4 slots");
    }

    @Test
    void targetsThatCannotExpressAPlan() {
        // TensorRT-LLM replicas within a node run as one Slurm task each starting its servers; only replicas over nodes are refused.
        assertTrue(diags(base("qwen32b_trtllm_dp4_tp2"), Target.SLURM).stream().noneMatch(Diagnostic::isError));
        Plan p = base("llama405b_tp8_pp2");
        only(diags(with(p, null, EngineBlock.defaults(EngineKind.TRTLLM), null, null, null), Target.KUBERNETES),
                EmitCodes.UNSUPPORTED, "kubernetes:");
    }

    @Test
    void namesTargetsRestrict() {
        Plan p = base("llama405b_tp8_pp2");
        Deploy d = p.deploy();
        Deploy bad = new Deploy(d.modelPath(), d.servedName(), d.image(), d.hosts(), d.port(), d.masterPort(), "Bad NS",
                "gpu q", "ml", d.network());
        only(diags(with(p, null, null, bad, null, null), Target.KUBERNETES), EmitCodes.INVALID_NAME, "kubernetes: namespace");
        only(diags(with(p, null, null, bad, null, null), Target.SLURM), EmitCodes.INVALID_NAME, "slurm: partition");
        Deploy nul = new Deploy("/m\0x", d.servedName(), d.image(), d.hosts(), d.port(), d.masterPort(), d.namespace(),
                d.partition(), d.account(), d.network());
        only(diags(with(p, null, null, nul, null, null), Target.VLLM), EmitCodes.UNQUOTABLE, "deploy:");
    }

    @Test
    void warnings() {
        Plan p = base("llama70b_tp4_dp2");
        Diagnostic img = only(diags(p, Target.KUBERNETES), EmitCodes.DEFAULT_IMAGE, "kubernetes: no image given");
        assertEquals(Severity.NOTE, img.severity());
        assertTrue(img.message().contains("vllm/vllm-openai:v"), "the default image is pinned to the release: " + img.message());
        Plan r1 = base("r1_dp16_ep16_vllm");
        Model m = r1.model();
        Model granite = new Model(m.name(), m.family(), m.layers(), m.hidden(), m.heads(), m.kvHeads(), m.headDim(), m.ffn(), m.vocab(),
                m.tiedEmbeddings(), m.attention(), m.mla(), m.moe(), m.dtype(), m.quant(), m.kvDtype(), m.qkvBias(), m.oBias(),
                m.qkNorm(), m.attentionSinks(), m.slidingWindow(), m.slidingEvery(), m.swigluLimit(), m.ropeTheta(), m.ropeScaling(),
                m.ropeInterleave(), m.normEps(), m.maxPosition(), m.hfId(), "granite", m.span());
        List<Diagnostic> ds = diags(with(r1, null, null, null, granite, null), Target.VLLM, Target.SGLANG);
        Diagnostic w = only(ds, EmitCodes.UNKNOWN_REASONING_PARSER, "sglang:");
        assertEquals(Severity.WARNING, w.severity());
    }

    @Test
    void nothingIsWrittenWhenAPlanHasAnError(@TempDir Path out) throws Exception {
        Plan good = base("llama70b_tp4_dp2");
        Plan bad = with(base("r1_dp16_ep16_vllm"), par(16, 1, 1, 8, true), null, null, null, null);
        Emit.Result r = Emit.compile(List.of(EmitTesting.input(good), EmitTesting.input(bad)), out, Set.of(Target.VLLM));
        assertFalse(r.ok());
        assertEquals(List.of(), r.written());
        try (var s = Files.list(out)) {
            assertEquals(0, s.count());
        }
        Emit.Result ok = Emit.compile(List.of(EmitTesting.input(good)), out, Set.of(Target.VLLM));
        assertTrue(ok.ok(), ok.diagnostics().toString());
        assertEquals(List.of(out.resolve("llama70b_tp4_dp2/plan.json").toRealPath(),
                out.resolve("llama70b_tp4_dp2/vllm/config.yaml").toRealPath(),
                out.resolve("llama70b_tp4_dp2/vllm/node0.sh").toRealPath()), ok.written().stream().map(p -> {
            try {
                return p.toRealPath();
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        }).toList());
    }

    @Test
    void outputProblemsAreDiagnostics(@TempDir Path tmp) throws Exception {
        Plan good = base("llama70b_tp4_dp2");
        Emit.Result dup = Emit.compile(List.of(EmitTesting.input(good), EmitTesting.input(good)), tmp.resolve("o"), Set.of());
        only(dup.diagnostics(), EmitCodes.OUTPUT_OUTSIDE, "output: two plans");
        Path file = Files.writeString(tmp.resolve("afile"), "x");
        Emit.Result io = Emit.compile(List.of(EmitTesting.input(good)), file, Set.of());
        only(io.diagnostics(), EmitCodes.OUTPUT_FAILED, "output: cannot write");
    }
}
