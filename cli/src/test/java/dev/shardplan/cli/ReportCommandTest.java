package dev.shardplan.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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
              arrival 20 req/s
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
        assertTrue(html.contains("<span class=\"miss\">no</span>"), "the 1 us TTFT objective is missed");
        assertTrue(html.contains("<span class=\"ok\">yes</span>"), "the 10 s TPOT objective is met");
        assertTrue(html.contains("SP0702"), "the missed SLO is listed");

        StringWriter o2 = new StringWriter(), e2 = new StringWriter();
        int sim = Main.run(new String[]{"simulate", "--root", dir.toString(), dir.resolve("p.plan").toString(), "--fail-on-warning"},
                new PrintWriter(o2, true), new PrintWriter(e2, true));
        assertEquals(1, sim, "a missed SLO fails with --fail-on-warning");
        assertTrue(e2.toString().contains("warning[SP0702]"), e2.toString());
    }

    @Test
    void aTtftObjectiveOnAnOfflineBatchIsANoteThatSaysWhatToBoundInstead() throws Exception {
        Files.writeString(dir.resolve("p.plan"), PLAN.replace("  arrival 20 req/s\n", ""));
        StringWriter o = new StringWriter(), e = new StringWriter();
        int sim = Main.run(new String[]{"simulate", "--root", dir.toString(), dir.resolve("p.plan").toString(),
                "--fail-on-warning"}, new PrintWriter(o, true), new PrintWriter(e, true));
        assertEquals(0, sim, "a TTFT bound on an offline batch is not judged, so it does not fail the run: " + e);
        assertTrue(e.toString().contains("note[SP0706]: the ttft p99 objective does not apply to workload `short`"), e.toString());
        assertTrue(e.toString().contains("= help: for an offline batch bound throughput"), e.toString());
        assertFalse(e.toString().contains("SP0702"), "not reported as missed");
    }

    @Test
    void reportOnAFileWithSeveralPlansNamesThemAndComparesThoseAskedFor() throws Exception {
        Files.writeString(dir.resolve("p.plan"), PLAN + PLAN.substring(PLAN.indexOf("plan p {")).replace("plan p {", "plan q {")
                .replace("tp 1", "dp 2"));
        StringWriter o = new StringWriter(), e = new StringWriter();
        int code = Main.run(new String[]{"report", "--root", dir.toString(), dir.resolve("p.plan").toString(), "-o",
                dir.resolve("r.html").toString()}, new PrintWriter(o, true), new PrintWriter(e, true));
        assertEquals(Main.USAGE, code);
        assertTrue(e.toString().contains("the files declare plans p, q; pick one with --plan NAME"), e.toString());

        code = Main.run(new String[]{"report", "--root", dir.toString(), dir.resolve("p.plan").toString(), "--plan", "q", "--plan", "p",
                "-o", dir.resolve("c.html").toString()}, new PrintWriter(o, true), new PrintWriter(e, true));
        assertEquals(0, code, e.toString());
        String html = Files.readString(dir.resolve("c.html"));
        assertTrue(html.contains("<h1>Comparison of 2 plans</h1>"));
        assertTrue(html.contains("<th>q</th><th>p</th>"), "in the order asked for");
    }

    @Test
    void aPlanThatDoesNotFitGetsAReportThatSaysWhy() throws Exception {
        Files.writeString(dir.resolve("p.plan"), PLAN.replace("llama_3_1_8b", "llama_3_1_405b").replace("max_length 1k tokens", "max_length 1k tokens"));
        StringWriter o = new StringWriter(), e = new StringWriter();
        int code = Main.run(new String[]{"report", "--root", dir.toString(), dir.resolve("p.plan").toString(), "-o",
                dir.resolve("r.html").toString()}, new PrintWriter(o, true), new PrintWriter(e, true));
        assertEquals(0, code, e.toString());
        assertTrue(e.toString().contains("error[SP0401]"), "the reason is printed too: " + e);
        String html = Files.readString(dir.resolve("r.html"));
        assertTrue(html.contains("Why it does not fit") && html.contains("over by "), "the page says why");
    }
}
