package dev.shardplan.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Running out of heap is SP0904 naming the input and the heap to try, never "internal error" (SP0901). */
class OutOfMemoryTest {
    @TempDir
    Path dir;

    static final String HUGE = """
            import "std:models"
            import "std:nodes"

            cluster one {
              nodes 1 x HGX_H200
            }

            workload huge {
              requests 10M
              arrival offline
              prompt lognormal(median 100, p95 400) tokens
              output lognormal(median 4500, p95 17.9k) tokens
              max_length 32k tokens
            }

            plan p {
              model deepseek_r1_distill_llama_8b
              cluster one
              workload huge
              parallel { dp 8 }
              engine vllm { gpu_memory_utilization 0.90; max_num_seqs 256 }
            }
            """;

    /** 10M requests need about 0.9 GiB to simulate: refused, before anything is drawn, in a 256 MiB JVM. */
    @Test
    void aRequestSetTooLargeForTheHeapIsRefusedWithTheWorkloadNamed() throws Exception {
        Path f = dir.resolve("huge.plan");
        Files.writeString(f, HUGE);
        List<String> cmd = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx256m", "-XX:+UseSerialGC",
                "-cp", System.getProperty("java.class.path"), "dev.shardplan.cli.Main", "simulate", "--root", dir.toString(), f.toString());
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        int code = p.waitFor();
        assertEquals(Main.ERRORS, code, out);
        assertTrue(out.contains("error[SP0904]: simulating 10000000 requests needs about"), out);
        assertTrue(out.contains("huge.plan:"), "points at the workload: " + out);
        assertTrue(out.contains("-Xmx"), out);
        assertFalse(out.contains("SP0901"), out);
    }

    @Test
    void anOutOfMemoryErrorAnywhereIsAResourceDiagnostic() throws Exception {
        Path f = dir.resolve("big.plan");
        Files.writeString(f, "// a plan\\n");
        assertTrue(Main.outOfMemory(new IllegalStateException("wrapped", new OutOfMemoryError("Java heap space"))));
        assertFalse(Main.outOfMemory(new IllegalStateException("a bug")));
        Activity.set("analysing plan 1/1: planet_scale");
        StringWriter err = new StringWriter();
        int code = Main.outOfMemory(new String[]{"check", "--format", "human", f.toString()}, new PrintWriter(err, true));
        assertEquals(Main.ERRORS, code);
        String s = err.toString();
        assertTrue(s.startsWith("error[SP0904]: out of memory while analysing plan 1/1: planet_scale"), s);
        assertTrue(s.contains("input: " + f), s);
        assertTrue(s.contains("-Xmx"), s);
    }
}
