package dev.shardplan.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shardplan.diag.Version;
import dev.shardplan.diag.Code;
import dev.shardplan.diag.Codes;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The command line: exit codes 0 (clean), 1 (errors in the plans), 2 (usage), and the subcommands' output. */
class MainTest {
    @TempDir
    Path dir;

    record Run(int code, String out, String err) {}

    static Run run(String... args) {
        StringWriter out = new StringWriter(), err = new StringWriter();
        int code = Main.run(args, new PrintWriter(out, true), new PrintWriter(err, true));
        return new Run(code, out.toString(), err.toString());
    }

    // Clean under the analyses too (Compiler.check runs them): with max_num_seqs 256 each replica runs
    // fewer sequences than its pool holds at p95 (394), so no capacity trap (SP0403) or stranded-dp note (SP0404).
    static final String GOOD = """
            import "std:models"
            import "std:nodes"
            import "std:workloads"

            cluster one {
              nodes 1 x HGX_H200
            }

            plan p {
              model qwen3_8b
              cluster one
              workload chat
              parallel { dp 8 }
              engine vllm { gpu_memory_utilization 0.90; max_num_seqs 256 }
            }
            """;

    static final String BAD = """
            gpu g {
              memory 80
              hbm_bandwidth 3 TB/s
              flops { bf16 100 TFLOPS }
            }
            """;

    Path write(String name, String text) throws IOException {
        Path p = dir.resolve(name);
        Files.createDirectories(p.getParent());
        Files.writeString(p, text, StandardCharsets.UTF_8);
        return p;
    }

    @Test
    void cleanCheckExitsZeroWithASummary() throws IOException {
        write("plans/good.plan", GOOD);
        Run r = run("check", "--root", dir.toString(), dir.resolve("plans").toString());
        assertEquals(0, r.code(), r.err());
        assertEquals("checked 1 file: 1 plan\n", r.out().replace("\r\n", "\n"));
        assertEquals("", r.err());
    }

    @Test
    void errorsExitOneAndArePrintedTheRustcWay() throws IOException {
        Path bad = write("bad.plan", BAD);
        Run r = run("check", "--color", "never", "--root", dir.toString(), bad.toString());
        assertEquals(1, r.code());
        assertTrue(r.err().contains("error[SP0206]: `memory` needs a unit: 80 what?"), r.err());
        assertTrue(r.err().contains(" --> bad.plan:2:10"), r.err());
        assertTrue(r.err().contains("\nchecked 1 file: 0 plans; 1 error, 0 warnings"), r.err());
        assertFalse(r.err().contains("\u001b["), "no colour when asked for none");
    }

    @Test
    void colourWhenAsked() throws IOException {
        Path bad = write("bad.plan", BAD);
        Run r = run("check", "--color", "always", "--root", dir.toString(), bad.toString());
        assertEquals(1, r.code());
        assertTrue(r.err().contains("\u001b[1;31merror[SP0206]"), r.err());
    }

    @Test
    void jsonFormat() throws IOException {
        Path bad = write("bad.plan", BAD);
        write("good.plan", GOOD);
        Run r = run("check", "--format", "json", "--root", dir.toString(), dir.toString());
        assertEquals(1, r.code());
        JsonNode j = new ObjectMapper().readTree(r.out());
        assertEquals(1, j.get("errors").asInt());
        assertEquals(0, j.get("warnings").asInt());
        JsonNode d = j.get("diagnostics").get(0);
        assertEquals("SP0206", d.get("code").asText());
        assertEquals("missing-unit", d.get("name").asText());
        assertEquals("error", d.get("severity").asText());
        assertEquals("bad.plan", d.get("span").get("file").asText());
        assertEquals(2, d.get("span").get("line").asInt());
        assertEquals(10, d.get("span").get("column").asInt());
        assertTrue(d.get("help").asText().contains("80"));

        Run clean = run("check", "--format", "json", "--root", dir.toString(), dir.resolve("good.plan").toString());
        assertEquals(0, clean.code());
        assertEquals(0, new ObjectMapper().readTree(clean.out()).get("diagnostics").size());
        assertTrue(bad.toFile().exists());
    }

    @Test
    void missingInputExitsOne() {
        Run r = run("check", "--root", dir.toString(), dir.resolve("nope.plan").toString());
        assertEquals(1, r.code());
        assertTrue(r.err().contains("error[SP0902]"), r.err());
    }

    @Test
    void garbageInputExitsOneNotThree() throws IOException {
        Path p = dir.resolve("junk.plan");
        Files.write(p, new byte[]{(byte) 0xFF, (byte) 0xFE, 0x00, 0x7B, (byte) 0x80, '\n'});
        Run r = run("check", "--root", dir.toString(), p.toString());
        assertEquals(1, r.code(), r.err());
        assertTrue(r.err().contains("error[SP0006]"), r.err());
        assertFalse(r.err().contains("internal error"));
        Files.writeString(p, "plan p { x " + "{ a ".repeat(10_000));
        assertEquals(1, run("check", "--root", dir.toString(), p.toString()).code());
        assertEquals(1, run("fmt", "--check", p.toString()).code());
    }

    @Test
    void usageErrorsExitTwo() {
        Run noArgs = run("check");
        assertEquals(2, noArgs.code());
        assertTrue(noArgs.err().contains("error:"), noArgs.err());
        assertEquals(2, run("check", "--format", "yaml", "x.plan").code());
        assertEquals(2, run("frobnicate").code());
        assertEquals(2, run("--no-such-option").code());
    }

    @Test
    void versionAndHelp() {
        Run v = run("--version");
        assertEquals(0, v.code());
        assertEquals("shardplan " + Version.VERSION, v.out().strip());
        Run h = run("--help");
        assertEquals(0, h.code());
        for (String s : new String[]{"check", "fmt", "explain", "Exit status"}) assertTrue(h.out().contains(s), h.out());
        Run ch = run("check", "--help");
        assertEquals(0, ch.code());
        assertTrue(ch.out().contains("--format"), ch.out());
        Run none = run();
        assertEquals(0, none.code());
        assertTrue(none.out().contains("Usage: shardplan"), none.out());
    }

    @Test
    void fmtCheckThenFormat() throws IOException {
        String messy = "model   m {layers 2;\n    hidden 4096}\n";
        Path p = write("m.plan", messy);
        Run c = run("fmt", "--check", p.toString());
        assertEquals(1, c.code());
        assertTrue(c.out().contains("not formatted: "), c.out());
        assertEquals(messy, Files.readString(p), "--check changes nothing");

        Run f = run("fmt", p.toString());
        assertEquals(0, f.code(), f.err());
        assertEquals("model m {\n  layers 2\n  hidden 4096\n}\n", Files.readString(p));
        assertEquals(0, run("fmt", "--check", p.toString()).code());
    }

    @Test
    void fmtRefusesFilesThatDoNotParse() throws IOException {
        String broken = "model m {\n  layers 2\n";
        Path p = write("b.plan", broken);
        Run r = run("fmt", "--color", "never", p.toString());
        assertEquals(1, r.code());
        assertTrue(r.err().contains("error[SP0002]"), r.err());
        assertEquals(broken, Files.readString(p));
    }

    @Test
    void fmtLeavesNonUtf8FilesAlone() throws IOException {
        Path p = dir.resolve("latin1.plan");
        byte[] bytes = "model   m { hf_id \"caf\u00e9\" }\n".getBytes(StandardCharsets.ISO_8859_1);
        Files.write(p, bytes);
        Run r = run("fmt", "--color", "never", p.toString());
        assertEquals(1, r.code());
        assertTrue(r.err().contains("error[SP0006]"), r.err());
        assertTrue(java.util.Arrays.equals(bytes, Files.readAllBytes(p)), "the file is not rewritten");
    }

    @Test
    void explainPrintsTheCataloguePage() {
        Run r = run("explain", "SP0206");
        assertEquals(0, r.code());
        assertTrue(r.out().startsWith("# SP0206: missing-unit\n"), r.out());
        assertTrue(r.out().contains("## How to fix"), r.out());
        assertEquals(0, run("explain", "sp0206").code());
        Run unknown = run("explain", "SP9999");
        assertEquals(2, unknown.code());
        assertTrue(unknown.err().contains("no diagnostic code `SP9999`"), unknown.err());
    }

    @Test
    void explainListsEveryCode() {
        Run r = run("explain", "--list");
        assertEquals(0, r.code());
        for (Code c : Codes.all()) assertTrue(r.out().contains(c.id() + "  "), c.id());
        assertEquals(Codes.all().size(), r.out().strip().lines().count());
    }
}
