package dev.shardplan.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import dev.shardplan.diag.Jsons;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The CLI guides: the standard library can be listed, help texts wrap whole, summaries say what
 * they count, a file of searches is not explained as if it had plans, and every --format json
 * output follows docs/cli.schema.json.
 */
class GuideTest {
    @TempDir
    Path dir;

    record Run(int code, String out, String err) {}

    static Run run(String... args) {
        StringWriter out = new StringWriter(), err = new StringWriter();
        int code = Main.run(args, new PrintWriter(out, true), new PrintWriter(err, true));
        return new Run(code, out.toString().replace("\r\n", "\n"), err.toString().replace("\r\n", "\n"));
    }

    static JsonNode schemaRoot;

    @BeforeAll
    static void schema() throws IOException {
        schemaRoot = Jsons.MAPPER.readTree(Files.readString(Path.of("../docs/cli.schema.json"), StandardCharsets.UTF_8));
    }

    /** Validates a command's JSON output against its definition in docs/cli.schema.json. */
    static JsonNode valid(String def, String json) throws IOException {
        ObjectNode s = schemaRoot.deepCopy();
        s.put("$ref", "#/$defs/" + def);
        JsonSchema schema = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012).getSchema(s);
        JsonNode n = Jsons.MAPPER.readTree(json);
        Set<ValidationMessage> errors = schema.validate(n);
        assertEquals(Set.of(), errors, def + " output does not follow docs/cli.schema.json:\n" + json);
        return n;
    }

    static final String PLANS = """
            import "std:models"
            import "std:nodes"
            import "std:workloads"

            cluster one { nodes 1 x HGX_H200 }

            plan good {
              model qwen3_8b
              cluster one
              workload chat
              parallel { dp 8 }
              engine vllm { gpu_memory_utilization 0.90; max_num_seqs 256 }
            }

            plan broken {
              model qwen3_9b
              cluster one
              workload chat
              parallel { dp 8 }
              engine vllm { gpu_memory_utilization 0.90; max_num_seqs 256 }
            }
            """;

    static final String SEARCHES = """
            import "std:models"
            import "std:nodes"
            import "std:workloads"

            cluster one { nodes 1 x HGX_H200 }

            search sweep {
              model qwen3_8b
              cluster one
              workload chat
              engine vllm { gpu_memory_utilization 0.90 }
              objective throughput
              explore { tp 1, 2; pp 1 }
            }
            """;

    Path write(String name, String text) throws IOException {
        Path p = dir.resolve(name);
        Files.writeString(p, text, StandardCharsets.UTF_8);
        return p;
    }

    @Test
    void stdListsEachKindWithKeyFiguresAndFilters() throws IOException {
        Run gpus = run("std", "gpus");
        assertEquals(0, gpus.code());
        assertTrue(gpus.out().startsWith("std:gpus (import \"std:gpus\"): "), gpus.out());
        assertTrue(gpus.out().matches("(?s).*H200_SXM\\s+nvidia\\s+140 GiB\\s+4\\.80 TB/s\\s+989 TFLOPS.*"), gpus.out());
        Run qwen = run("std", "models", "--filter", "QWEN");
        assertEquals(0, qwen.code());
        assertTrue(qwen.out().contains("match `QWEN`") && qwen.out().contains("qwen3_235b_a22b") && qwen.out().contains("128 top-8"), qwen.out());
        assertFalse(qwen.out().contains("llama_3_1_8b"), "the filter keeps only matching names");
        Run all = run("std");
        for (String k : List.of("std:gpus", "std:nodes", "std:models", "std:workloads")) assertTrue(all.out().contains(k + " (import"), k);
        assertTrue(all.out().contains("HGX_H200") && all.out().contains("8 x H200_SXM") && all.out().contains("natural_reasoning"));
        JsonNode j = valid("std", run("std", "nodes", "--filter", "h200", "--format", "json").out());
        assertEquals(2, j.get("nodes").size(), j.toString());
        valid("std", run("std", "--format", "json").out());
        assertEquals(Main.USAGE, run("std", "chips").code());
    }

    @Test
    void helpTextsWrapWholeWithinTheWidth() {
        Run main = run("--help");
        // Every command in the list is one whole sentence, however it wraps.
        String list = main.out().substring(main.out().indexOf("Commands:"), main.out().indexOf("\nExit status"));
        String joined = list.replaceAll("\n\\s{6,}", " ");
        for (String line : joined.split("\n")) {
            if (line.isBlank() || line.startsWith("Commands:")) continue;
            assertTrue(line.strip().endsWith("."), "cut mid-sentence: `" + line + "`");
        }
        for (String cmd : List.of("check", "compile", "fmt", "explain", "run", "simulate", "search", "report", "std", "lsp")) {
            Run h = run(cmd, "--help");
            assertEquals(0, h.code(), cmd);
            for (String line : h.out().split("\n")) assertTrue(line.length() <= 80, cmd + " --help: line over 80 columns: " + line);
            // The description paragraph (between the synopsis and the options) ends with a full stop.
            String[] lines = h.out().split("\n");
            int i = 0;
            while (i < lines.length && !lines[i].startsWith("Usage:")) i++;
            while (i < lines.length && (lines[i].startsWith("Usage:") || lines[i].startsWith(" "))) i++;
            StringBuilder para = new StringBuilder();
            while (i < lines.length && !lines[i].startsWith(" ") && !lines[i].isBlank()) para.append(lines[i++]).append(' ');
            assertTrue(para.toString().strip().endsWith("."), cmd + ": description cut: " + para);
        }
        assertTrue(run("compile", "--help").out().contains("shim, report"), "compile names every target");
    }

    @Test
    void summariesSayWhatTheyCountAndCountPlansThatFailed() throws IOException {
        Path f = write("two.plan", PLANS);
        Run r = run("check", "--color", "never", "--root", dir.toString(), f.toString());
        assertEquals(1, r.code());
        assertTrue(r.err().contains("\nchecked 1 file: 2 plans (1 with errors); 1 error, 0 warnings\n"), r.err());
        assertFalse(r.err().contains("warning: checked") || r.err().contains("error: checked"), "the summary is not a diagnostic");
        JsonNode j = valid("check", run("check", "--format", "json", "--root", dir.toString(), f.toString()).out());
        assertEquals(1, j.get("failed_plans").asInt());
        assertEquals(List.of("good", "broken"), List.of(j.get("plans").get(0).asText(), j.get("plans").get(1).asText()));
    }

    @Test
    void explainingAFileOfSearchesSaysSoAndExitsTwo() throws IOException {
        Path f = write("s.plan", SEARCHES);
        Run r = run("explain", "--root", dir.toString(), f.toString());
        assertEquals(Main.USAGE, r.code());
        assertEquals("", r.out(), "no empty result on stdout");
        assertTrue(r.err().contains("declares no plan, only search sweep; explain shows plans"), r.err());
        assertTrue(r.err().contains("shardplan search"), r.err());
        assertEquals(Main.USAGE, run("explain", "--format", "json", "--root", dir.toString(), f.toString()).code());
    }

    @Test
    void everyCommandThatPrintsResultsHasDocumentedJson() throws IOException {
        write("good.plan", PLANS.substring(0, PLANS.indexOf("plan broken")));
        Path f = dir.resolve("good.plan");
        valid("check", run("check", "--format", "json", "--root", dir.toString(), f.toString()).out());
        Run c = run("compile", "--format", "json", "--root", dir.toString(), f.toString(), "-o", dir.resolve("out").toString(), "--target", "vllm");
        assertEquals(0, c.code(), c.err());
        JsonNode cj = valid("compile", c.out());
        assertTrue(cj.get("written").toString().contains("good/plan.json"), cj.toString());
        valid("explain", run("explain", "--format", "json", "--root", dir.toString(), f.toString()).out());
        valid("explain_list", run("explain", "--list", "--format", "json").out());
        valid("explain_code", run("explain", "SP0403", "--format", "json").out());
        Run sim = run("simulate", "--format", "json", "--root", dir.toString(), f.toString());
        valid("simulate", sim.out());
        Run fmt = run("fmt", "--check", "--format", "json", f.toString());
        JsonNode fj = valid("fmt", fmt.out());
        assertTrue(fj.get("check").asBoolean());
    }

    static final String TRAP = """
            import "std:nodes"
            import "std:models"
            import "std:workloads"

            cluster one_hgx_h200 { nodes 1 x HGX_H200 }

            plan trap {
              model qwen3_32b
              cluster one_hgx_h200
              workload natural_reasoning
              parallel { dp 4; tp 2 }
              engine vllm { gpu_memory_utilization 0.90 }
              allow SP0403 "offline batch: preemption accepted"
            }
            """;

    /**
     * A reviewed warning is reported as suppressed, not as a warning: one line with the reason, the
     * summary's count, the JSON's suppressed list; --fail-on-warning passes; the same plan without
     * its allow fails it.
     */
    @Test
    void allowedFindingsAreReportedAsSuppressed() throws IOException {
        Path f = write("trap.plan", TRAP);
        Run h = run("check", "--fail-on-warning", "--root", dir.toString(), f.toString());
        assertEquals(0, h.code(), h.err());
        assertTrue(h.err().contains("suppressed: trap.plan:12:3: warning[SP0403]: capacity trap:"), h.err());
        assertTrue(h.err().contains("(allowed at trap.plan:13:9: offline batch: preemption accepted)"), h.err());
        assertFalse(h.err().lines().anyMatch(l -> l.startsWith("warning[")), "no warning is rendered in full:\n" + h.err());
        assertTrue(h.out().startsWith("checked 1 file: 1 plan; ") && h.out().contains(" suppressed by allow (SP0403"), h.out());
        JsonNode sj = valid("check", run("check", "--format", "json", "--root", dir.toString(), f.toString()).out());
        assertEquals(0, sj.get("warnings").asInt());
        JsonNode sup = sj.get("suppressed").get(0);
        assertEquals("SP0403", sup.get("code").asText());
        assertEquals("offline batch: preemption accepted", sup.get("suppressed_by").get("reason").asText());
        assertEquals(13, sup.get("suppressed_by").get("span").get("line").asInt());

        Path g = write("trap2.plan", TRAP.replace("  allow SP0403 \"offline batch: preemption accepted\"\n", ""));
        Run w = run("check", "--fail-on-warning", "--root", dir.toString(), g.toString());
        assertEquals(1, w.code(), w.err());
        assertTrue(w.err().contains("warning[SP0403]"), w.err());
    }
}
