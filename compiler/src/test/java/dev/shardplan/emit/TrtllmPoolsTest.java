package dev.shardplan.emit;

import com.fasterxml.jackson.databind.JsonNode;
import dev.shardplan.api.CompileResult;
import dev.shardplan.api.Compiler;
import dev.shardplan.diag.Diagnostic;
import dev.shardplan.model.Target;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The trtllm target on a disaggregated plan: one trtllm-serve per pool instance with its pool's
 * options and the cache transceiver, and the disaggregated server whose configuration lists exactly
 * those servers (the count of each side's URLs is its num_instances, which disagg_utils checks).
 */
class TrtllmPoolsTest {
    @TempDir
    Path dir;

    static final String HEAD = "import \"std:nodes\"\nimport \"std:models\"\nimport \"std:workloads\"\n";

    private CompileResult compile(String pools, String deploy) throws Exception {
        Path f = dir.resolve("p.plan");
        Files.writeString(f, HEAD + "cluster c { nodes 2 x HGX_H200 }\n"
                + "plan p {\n  model llama_3_1_70b\n  cluster c\n  workload chat\n  engine trtllm { free_gpu_memory_fraction 0.85 }\n"
                + pools + "  kv_transfer { connector nixl }\n" + deploy + "}\n");
        return Compiler.compile(dir, List.of(f), dir.resolve("out"), Set.of(Target.TRTLLM));
    }

    private String read(String name) throws Exception {
        return Files.readString(dir.resolve("out/p/trtllm/" + name));
    }

    private static String port(String script) {
        Matcher m = Pattern.compile("--port (\\d+)").matcher(script);
        assertTrue(m.find(), script);
        return m.group(1);
    }

    @Test
    void contextAndGenerationServersAndTheDisaggregatedServerThatListsThem() throws Exception {
        CompileResult r = compile("  pool prefill { parallel { tp 4 }; replicas 2 }\n  pool decode { parallel { tp 8 } }\n",
                "  deploy { hosts \"gpu-a\", \"gpu-b\" }\n");
        assertTrue(r.diagnostics().stream().noneMatch(Diagnostic::isError), r.diagnostics().toString());
        try (var s = Files.list(dir.resolve("out/p/trtllm"))) {
            assertEquals(List.of("decode-options.yaml", "decode0.sh", "disagg.sh", "prefill-options.yaml", "prefill0.sh", "prefill1.sh"),
                    s.map(p -> p.getFileName().toString()).sorted().toList());
        }
        JsonNode pre = HostileStringTest.yaml(read("prefill-options.yaml")).get(0);
        assertEquals(4, pre.path("tensor_parallel_size").asInt());
        assertEquals("NIXL", pre.path("cache_transceiver_config").path("backend").asText());
        assertEquals(pre.path("max_seq_len").asInt(), pre.path("cache_transceiver_config").path("max_tokens_in_buffer").asInt(),
                "the transfer buffer holds the longest prompt the server takes");
        assertTrue(pre.path("disable_overlap_scheduler").asBoolean(), "context servers run without the overlap scheduler");
        JsonNode dec = HostileStringTest.yaml(read("decode-options.yaml")).get(0);
        assertEquals(8, dec.path("tensor_parallel_size").asInt());
        assertEquals("NIXL", dec.path("cache_transceiver_config").path("backend").asText());
        assertTrue(dec.path("disable_overlap_scheduler").isMissingNode(), "generation servers keep it");

        String p1 = read("prefill1.sh");
        assertTrue(p1.contains("export CUDA_VISIBLE_DEVICES=4,5,6,7\n") && p1.contains("/prefill-options.yaml"), p1);
        assertEquals("8004", port(p1));
        assertEquals("8000", port(read("prefill0.sh")));
        String d0 = read("decode0.sh");
        assertTrue(d0.contains("export CUDA_VISIBLE_DEVICES=0,1,2,3,4,5,6,7\n") && d0.contains("/decode-options.yaml"), d0);

        // The configuration disagg.sh writes, with the hosts the script sets substituted as bash would.
        String disagg = read("disagg.sh");
        assertTrue(disagg.contains("NODE0_ADDR=gpu-a\nNODE1_ADDR=gpu-b\n"), disagg);
        assertTrue(disagg.contains("exec trtllm-serve disaggregated \\\n    -c \"${CONFIG}\" \\\n    -t "), disagg);
        List<String> body = AcceptedFlagsTest.heredocs(disagg, TrtllmPools.CONFIG_DELIMITER, false);
        assertEquals(1, body.size(), disagg);
        JsonNode cfg = HostileStringTest.yaml(body.get(0).replace("${NODE0_ADDR}", "gpu-a").replace("${NODE1_ADDR}", "gpu-b")).get(0);
        assertEquals(8008, cfg.path("port").asInt(), "above every server's port on a node");
        assertEquals(2, cfg.path("context_servers").path("num_instances").asInt());
        List<String> ctx = new ArrayList<>();
        cfg.path("context_servers").path("urls").forEach(u -> ctx.add(u.asText()));
        assertEquals(List.of("gpu-a:8000", "gpu-a:8004"), ctx);
        List<String> gen = new ArrayList<>();
        cfg.path("generation_servers").path("urls").forEach(u -> gen.add(u.asText()));
        assertEquals(List.of("gpu-b:" + port(d0)), gen);
        assertEquals(1, cfg.path("generation_servers").path("num_instances").asInt());
    }

    @Test
    void withoutHostsTheScriptAsksForEachNodesAddress() throws Exception {
        CompileResult r = compile("  pool prefill { parallel { tp 8 } }\n  pool decode { parallel { tp 8 } }\n", "");
        assertTrue(r.diagnostics().stream().noneMatch(Diagnostic::isError), r.diagnostics().toString());
        String disagg = read("disagg.sh");
        assertTrue(disagg.contains("NODE1_ADDR=\"${NODE1_ADDR:?set NODE1_ADDR to the address of node 1}\""), disagg);
    }

    @Test
    void anInstanceOfSeveralServersIsRefused() throws Exception {
        CompileResult r = compile("  pool prefill { parallel { dp 2; tp 4 } }\n  pool decode { parallel { tp 8 } }\n", "");
        assertTrue(r.diagnostics().stream().anyMatch(d -> d.code() == EmitCodes.UNSUPPORTED && d.isError()
                && d.message().contains("would be 2 trtllm-serve servers")), r.diagnostics().toString());
        assertFalse(Files.exists(dir.resolve("out/p")));
    }
}
