package dev.shardplan.emit;

import com.fasterxml.jackson.databind.JsonNode;
import dev.shardplan.api.CompileResult;
import dev.shardplan.api.Compiler;
import dev.shardplan.diag.Diagnostic;
import dev.shardplan.diag.Jsons;
import dev.shardplan.model.Target;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The vllm target on a disaggregated plan: one server per pool instance, placed as the pools say. */
class VllmPoolsTest {
    @TempDir
    Path dir;

    static final String HEAD = "import \"std:nodes\"\nimport \"std:models\"\nimport \"std:workloads\"\n";

    private CompileResult compile(String cluster, String pools) throws Exception {
        Path f = dir.resolve("p.plan");
        Files.writeString(f, HEAD + "cluster c { nodes " + cluster + " x HGX_H200 }\n"
                + "plan p {\n  model llama_3_1_70b\n  cluster c\n  workload chat\n  engine vllm { gpu_memory_utilization 0.90 }\n"
                + pools + "  kv_transfer { connector nixl }\n}\n");
        return Compiler.compile(dir, List.of(f), dir.resolve("out"), Set.of(Target.VLLM));
    }

    private String read(String path) throws Exception {
        return Files.readString(dir.resolve("out/p/vllm/" + path));
    }

    @Test
    void oneServerPerInstanceWithItsPoolsFlagsGpusPortsAndNixlConfig() throws Exception {
        CompileResult r = compile("2", "  pool prefill { parallel { tp 4 }; replicas 2; engine vllm { max_num_batched_tokens 16384 } }\n"
                + "  pool decode { parallel { tp 8 } }\n");
        assertTrue(r.diagnostics().stream().noneMatch(Diagnostic::isError), r.diagnostics().toString());
        try (var s = Files.list(dir.resolve("out/p/vllm"))) {
            assertEquals(List.of("decode0.sh", "pools.md", "prefill0.sh", "prefill1.sh"),
                    s.map(p -> p.getFileName().toString()).sorted().toList());
        }
        // Prefill instance 1 takes GPUs 4-7 of node 0 (instances fill GPUs from 0, prefill first):
        // its port and side channel sit 4 above the bases so that it never meets instance 0's.
        String p1 = read("prefill1.sh");
        assertTrue(p1.contains("export CUDA_VISIBLE_DEVICES=4,5,6,7\n"), p1);
        assertTrue(p1.contains("export VLLM_NIXL_SIDE_CHANNEL_PORT=5604\n"), p1);
        assertTrue(p1.contains("export VLLM_NIXL_SIDE_CHANNEL_HOST=\"${NODE_ADDR}\"\n"), p1);
        assertTrue(p1.contains("node 0 that the other nodes reach"), p1);
        assertTrue(p1.contains("--tensor-parallel-size 4 \\\n"), p1);
        assertTrue(p1.contains("--max-num-batched-tokens 16384 \\\n"), p1);
        assertTrue(p1.contains("--port 8004 \\\n"), p1);
        String p0 = read("prefill0.sh");
        assertTrue(p0.contains("export CUDA_VISIBLE_DEVICES=0,1,2,3\n") && p0.contains("--port 8000 \\\n")
                && p0.contains("VLLM_NIXL_SIDE_CHANNEL_PORT=5600\n"), p0);
        // The decode instance has the whole of node 1 and the decode pool's own layout and settings.
        String d0 = read("decode0.sh");
        assertTrue(d0.contains("export CUDA_VISIBLE_DEVICES=0,1,2,3,4,5,6,7\n"), d0);
        assertTrue(d0.contains("--tensor-parallel-size 8 \\\n"), d0);
        assertFalse(d0.contains("--max-num-batched-tokens 16384"), d0);
        assertTrue(d0.contains("node 1 that the other nodes reach"), d0);
        Matcher m = Pattern.compile("--kv-transfer-config '([^']*)'").matcher(d0);
        assertTrue(m.find(), d0);
        JsonNode cfg = Jsons.MAPPER.readTree(m.group(1));
        assertEquals("NixlConnector", cfg.get("kv_connector").asText());
        assertEquals("kv_both", cfg.get("kv_role").asText());
        assertTrue(d0.endsWith("--kv-transfer-config '" + m.group(1) + "'\n"), d0);
        String md = read("pools.md");
        assertTrue(md.contains("| prefill1.sh | prefill | 0 | 4,5,6,7 | http://<node0>:8004 | <node0>:5604 |"), md);
        assertTrue(md.contains("| decode0.sh | decode | 1 | 0,1,2,3,4,5,6,7 | http://<node1>:8000 | <node1>:5600 |"), md);
        assertTrue(md.contains("ships no prefill/decode proxy"), md);
    }

    @Test
    void sglangServersPerInstanceAndTheRouterThatJoinsThem() throws Exception {
        Path f = dir.resolve("s.plan");
        Files.writeString(f, HEAD + "cluster c { nodes 2 x HGX_H200 }\n"
                + "plan p {\n  model llama_3_1_70b\n  cluster c\n  workload chat\n  engine sglang { }\n"
                + "  pool prefill { parallel { tp 4 }; replicas 2 }\n  pool decode { parallel { tp 8 } }\n"
                + "  kv_transfer { connector mooncake }\n  deploy { hosts \"h0\", \"h1\" }\n}\n");
        CompileResult r = Compiler.compile(dir, List.of(f), dir.resolve("out"), Set.of(Target.SGLANG));
        assertTrue(r.diagnostics().stream().noneMatch(Diagnostic::isError), r.diagnostics().toString());
        String base = "out/p/sglang/";
        String p1 = Files.readString(dir.resolve(base + "prefill1.sh"));
        assertTrue(p1.contains("export CUDA_VISIBLE_DEVICES=4,5,6,7\n") && p1.contains("--tp-size 4 \\\n"), p1);
        assertTrue(p1.contains("--disaggregation-mode prefill \\\n    --disaggregation-transfer-backend mooncake \\\n"
                + "    --disaggregation-bootstrap-port 9002\n"), p1);
        String d0 = Files.readString(dir.resolve(base + "decode0.sh"));
        assertTrue(d0.contains("--tp-size 8 \\\n") && d0.contains("--disaggregation-mode decode \\\n"), d0);
        assertFalse(d0.contains("--disaggregation-bootstrap-port"), "only a prefill server bootstraps transfers: " + d0);
        String router = Files.readString(dir.resolve(base + "router.sh"));
        assertTrue(router.contains("NODE0_ADDR=h0\nNODE1_ADDR=h1\n"), router);
        assertTrue(router.contains("PREFILL1_URL=\"http://${NODE0_ADDR}:8004\"\n"), router);
        assertTrue(router.contains("exec python3 -m sglang_router.launch_router \\\n    --pd-disaggregation \\\n"
                + "    --prefill \"${PREFILL0_URL}\" 8998 \\\n    --prefill \"${PREFILL1_URL}\" 9002 \\\n"
                + "    --decode \"${DECODE0_URL}\" \\\n"), router);
    }

    @Test
    void anInstanceOverNodesIsRefusedWithNothingWritten() throws Exception {
        CompileResult r = compile("3", "  pool prefill { parallel { tp 8 } }\n  pool decode { parallel { tp 8; pp 2 } }\n");
        assertTrue(r.diagnostics().stream().anyMatch(d -> d.code().id().equals("SP0804") && d.isError()
                && d.message().contains("`decode` instances span nodes (16 gpus, 8 a node)")), r.diagnostics().toString());
        assertFalse(Files.exists(dir.resolve("out/p")));
    }
}
