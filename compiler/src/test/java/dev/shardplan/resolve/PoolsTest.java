package dev.shardplan.resolve;

import dev.shardplan.api.Compiler;
import dev.shardplan.api.CompileResult;
import dev.shardplan.api.Frontend;
import dev.shardplan.api.FrontendResult;
import dev.shardplan.diag.Diagnostic;
import dev.shardplan.model.Plan;
import dev.shardplan.model.Pool;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.*;

/** The pool blocks of a disaggregated plan: what resolves, and each mistake's diagnostic. */
class PoolsTest {
    @TempDir
    Path dir;

    static final String HEAD = "import \"std:nodes\"\nimport \"std:models\"\nimport \"std:workloads\"\n"
            + "cluster c { nodes 2 x HGX_H200 }\n";

    private FrontendResult front(String plan) throws Exception {
        Path f = dir.resolve("p.plan");
        Files.writeString(f, HEAD + plan);
        return Frontend.check(dir, List.of(f));
    }

    private static String plan(String engine, String pools) {
        return "plan p {\n  model llama_3_1_70b\n  cluster c\n  workload chat\n  engine " + engine + "\n" + pools + "}\n";
    }

    private static final String GOOD = "  pool prefill { parallel { tp 4 }; replicas 2; engine vllm { max_num_batched_tokens 16384 } }\n"
            + "  pool decode { parallel { tp 8 } }\n  kv_transfer { connector nixl }\n";

    private void expect(String plan, String code, String text) throws Exception {
        FrontendResult r = front(plan);
        Diagnostic d = r.diagnostics().stream().filter(x -> x.code().id().equals(code)).findFirst().orElse(null);
        assertNotNull(d, "expected " + code + " in " + r.diagnostics());
        assertTrue(d.message().contains(text), d.message());
        assertTrue(r.diagnostics().stream().anyMatch(Diagnostic::isError), "an error, so nothing compiles");
    }

    @Test
    void poolsResolveWithTheirOwnLayoutReplicasAndSettings() throws Exception {
        FrontendResult r = front(plan("vllm { gpu_memory_utilization 0.90; max_num_seqs 128 }", GOOD));
        assertEquals(List.of(), r.diagnostics());
        Plan p = r.plans().get(0);
        assertTrue(p.disaggregated());
        Pool pre = p.disagg().prefill(), dec = p.disagg().decode();
        assertEquals(4, pre.parallel().tp());
        assertEquals(2, pre.replicas());
        assertEquals(16384L, pre.engine().settings().get("max_num_batched_tokens"));
        assertEquals(128L, pre.engine().settings().get("max_num_seqs"), "the plan's settings apply to the pool too");
        assertFalse(dec.engine().has("max_num_batched_tokens"), "a pool's settings stay in the pool");
        assertEquals(8, dec.parallel().tp());
        assertEquals(1, dec.replicas());
        assertEquals(dec.parallel(), p.parallel(), "the plan-wide layout is the decode pool's");
        assertEquals("nixl", p.disagg().connector());
        assertEquals(8, p.disagg().firstGpu(Pool.Role.DECODE, 0));
        assertEquals(16, p.disagg().gpus());
    }

    @Test
    void mistakes() throws Exception {
        String e = "vllm { gpu_memory_utilization 0.90 }";
        expect(plan(e, "  pool prefill { parallel { tp 8 } }\n  kv_transfer { connector nixl }\n"), "SP0202", "no decode pool");
        expect(plan(e, "  pool prefill { parallel { tp 8 } }\n  pool prefill { parallel { tp 4 } }\n  pool decode { parallel { tp 4 } }\n"
                + "  kv_transfer { connector nixl }\n"), "SP0203", "pool `prefill` is given twice");
        expect(plan(e, "  pool middle { parallel { tp 8 } }\n  pool decode { parallel { tp 8 } }\n  kv_transfer { connector nixl }\n"),
                "SP0208", "`middle` is not a valid `pool`");
        expect(plan(e, "  pool prefill { parallel { tp 8 } }\n  pool decode { parallel { tp 8 } }\n"), "SP0202", "missing field `kv_transfer`");
        expect(plan(e, "  pool prefill { tp 8 }\n  pool decode { parallel { tp 8 } }\n  kv_transfer { connector nixl }\n"), "SP0201", "unknown field `tp`");
        expect(plan(e, "  pool prefill { parallel { tp 8 } }\n  pool decode { parallel { tp 8 } }\n  kv_transfer { connector mooncake }\n"),
                "SP0208", "vLLM has no `mooncake` KV connector");
        expect(plan("vllm { version \"0.8.5\" }", GOOD), "SP0212", "vllm 0.8.5 has no `nixl` KV connector (NixlConnector)");
        expect(plan(e, "  pool prefill { parallel { tp 8 }; engine sglang { } }\n  pool decode { parallel { tp 8 } }\n  kv_transfer { connector nixl }\n"),
                "SP0216", "runs sglang, but the plan's engine is vllm");
        expect(plan(e, "  parallel { tp 8 }\n  kv_transfer { connector nixl }\n"), "SP0216", "`kv_transfer` in plan `p`, which has no pools");
        expect(plan(e, "  pool prefill { parallel { tp 8 }; replicas 0 }\n  pool decode { parallel { tp 8 } }\n  kv_transfer { connector nixl }\n"),
                "SP0207", "`replicas` is 0");
    }

    @Test
    void sglangAcceptsMooncake() throws Exception {
        FrontendResult r = front(plan("sglang { }", "  pool prefill { parallel { tp 8 } }\n  pool decode { parallel { tp 8 } }\n"
                + "  kv_transfer { connector mooncake }\n"));
        assertEquals(List.of(), r.diagnostics());
    }

    @Test
    void launcherTargetsRefuseAPoolPlanAndPlanJsonCarriesThePools() throws Exception {
        Path f = dir.resolve("p.plan");
        Files.writeString(f, HEAD + plan("vllm { gpu_memory_utilization 0.90 }", GOOD));
        CompileResult refused = Compiler.compile(dir, List.of(f), dir.resolve("out"), Set.of(dev.shardplan.model.Target.SLURM));
        assertTrue(refused.diagnostics().stream().anyMatch(d -> d.code().id().equals("SP0804") && d.isError()
                && d.message().contains("target `slurm` cannot launch a disaggregated plan")
                && d.notes().toString().contains("launches pools only with the vllm")), refused.diagnostics().toString());
        assertFalse(Files.exists(dir.resolve("out/p")), "nothing is written for a refused plan");

        CompileResult ok = Compiler.compile(dir, List.of(f), dir.resolve("out2"), Set.of());
        assertTrue(ok.diagnostics().stream().noneMatch(Diagnostic::isError), ok.diagnostics().toString());
        var json = dev.shardplan.diag.Jsons.MAPPER.readTree(dir.resolve("out2/p/plan.json").toFile());
        assertEquals(2, json.at("/pools/prefill/replicas").asInt());
        assertEquals(4, json.at("/pools/prefill/parallel/tp").asInt());
        assertEquals("[0,4]", json.at("/pools/prefill/first_gpus").toString());
        assertEquals("[8]", json.at("/pools/decode/first_gpus").toString());
        assertEquals("NixlConnector", json.at("/pools/kv_transfer/engine_value").asText());
    }
}
