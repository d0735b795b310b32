package dev.shardplan.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code shardplan search}: jobs, JSON, and nothing but results on stdout; the progress line. */
class SearchCommandTest {
    @TempDir
    Path dir;

    static final String SEARCH = """
            import "std:models"
            import "std:nodes"
            import "std:workloads"

            cluster one {
              nodes 1 x HGX_H200
            }

            workload few {
              requests 200
              arrival offline
              prompt lognormal(median 100, p95 400) tokens
              output lognormal(median 1500, p95 6k) tokens
              max_length 16k tokens
            }

            search few8b {
              model deepseek_r1_distill_llama_8b
              cluster one
              workload few
              engine vllm { gpu_memory_utilization 0.90 }
              objective throughput
              explore { tp 1, 2, 4, 8; pp 1, 2; max_num_seqs 64, 256 }
            }
            """;

    @Test
    void jsonAndJobs() throws Exception {
        Path f = dir.resolve("s.plan");
        Files.writeString(f, SEARCH);
        MainTest.Run one = MainTest.run("search", "--root", dir.toString(), "--jobs", "1", "--format", "json", f.toString());
        MainTest.Run four = MainTest.run("search", "--root", dir.toString(), "--jobs", "4", "--format", "json", f.toString());
        assertEquals(0, one.code(), one.err());
        assertEquals(one.out(), four.out());
        JsonNode doc = new ObjectMapper().readTree(one.out());
        assertEquals("shardplan-search", doc.get("format").asText());
        JsonNode s = doc.get("searches").get(0);
        assertEquals("few8b", s.get("search").asText());
        assertEquals(s.get("winner").asText(), s.get("ranked").get(0).get("plan").asText());
        // no progress line when not on a terminal, nothing else on stderr
        assertEquals("", one.err());
        MainTest.Run human = MainTest.run("search", "--root", dir.toString(), "--no-prune", f.toString());
        assertEquals(0, human.code(), human.err());
        assertTrue(human.out().contains("0 pruned by bound"), human.out());
    }

    @Test
    void badJobsIsAUsageError() throws Exception {
        Path f = dir.resolve("s.plan");
        Files.writeString(f, SEARCH);
        MainTest.Run r = MainTest.run("search", "--jobs", "0", f.toString());
        assertEquals(Main.USAGE, r.code());
        assertTrue(r.err().contains("--jobs"), r.err());
    }

    @Test
    void progressLineIsThrottledAndErased() {
        StringWriter w = new StringWriter();
        long[] now = {0};
        try (ProgressLine line = new ProgressLine(new PrintWriter(w), true, 40, () -> now[0])) {
            line.show("one");
            line.show("two");              // within the interval: not drawn
            now[0] += ProgressLine.INTERVAL_NANOS;
            line.show("three and a text far longer than the forty columns of this terminal");
        }
        assertEquals("\rone\u001b[K\rthree and a text far longer than the f…\u001b[K\r\u001b[K", w.toString());
        StringWriter off = new StringWriter();
        try (ProgressLine line = new ProgressLine(new PrintWriter(off), false, 80, System::nanoTime)) {
            line.show("x");
            line.tick(() -> "y");
        }
        assertEquals("", off.toString());
    }
}
