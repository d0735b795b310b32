package dev.shardplan.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** `report` and `simulate` show each SLO against its prediction, and the findings. */
class ReportCommandTest {
    @TempDir
    Path dir;

    static final String PLAN = """
            import "std:models"
            import "std:nodes"
            import "std:workloads"

            cluster one { nodes 1 x HGX_H100 }

            workload short {
              requests 200
              prompt fixed(100) tokens
              output fixed(200) tokens
              max_length 1k tokens
            }

            plan p {
              model llama_3_1_8b
              cluster one
              workload short
              parallel { tp 1 }
              engine vllm { max_num_seqs 64 }
              slo { ttft p99 < 1 us; tpot p50 < 10 s }
            }
            """;

    @Test
    void reportAndSimulateShowSlosAgainstPredictions() throws Exception {
        Files.writeString(dir.resolve("p.plan"), PLAN);
        StringWriter out = new StringWriter(), err = new StringWriter();
        int code = Main.run(new String[]{"report", "--root", dir.toString(), dir.resolve("p.plan").toString(), "-o",
                dir.resolve("r.html").toString()}, new PrintWriter(out, true), new PrintWriter(err, true));
        assertEquals(0, code, err.toString());
        String html = Files.readString(dir.resolve("r.html"));
        assertTrue(html.contains("<tr><td>ttft p99 &lt; "), html);
        assertTrue(html.contains("</td><td>no</td></tr>"), "the 1 us TTFT objective is missed");
        assertTrue(html.contains("</td><td>yes</td></tr>"), "the 10 s TPOT objective is met");
        assertTrue(html.contains("SP0702"), "the missed SLO is listed");

        StringWriter o2 = new StringWriter(), e2 = new StringWriter();
        int sim = Main.run(new String[]{"simulate", "--root", dir.toString(), dir.resolve("p.plan").toString(), "--fail-on-warning"},
                new PrintWriter(o2, true), new PrintWriter(e2, true));
        assertEquals(1, sim, "a missed SLO fails with --fail-on-warning");
        assertTrue(e2.toString().contains("warning[SP0702]"), e2.toString());
    }
}
