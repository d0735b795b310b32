package dev.shardplan.cli;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * End to end: a plan compiled with `emit shim`, then `shardplan run --local` starts both ranks of
 * its TP2 shim (the archive the compile wrote) on CPU with gloo, and the partitioned model matches
 * the reference of its family.
 */
class RunLocalTest {
    @TempDir
    Path dir;

    private record Run(int code, String out, String err) {}

    private static Run run(String... args) {
        StringWriter out = new StringWriter(), err = new StringWriter();
        int code = Main.run(args, new PrintWriter(out, true), new PrintWriter(err, true));
        return new Run(code, out.toString(), err.toString());
    }

    @Test
    void compiledShimRunsLocallyAndVerifies() throws Exception {
        boolean torch = new File("/usr/bin/python3").canExecute()
                && new ProcessBuilder("/usr/bin/python3", "-c", "import torch").redirectErrorStream(true).start().waitFor() == 0;
        if (!"true".equalsIgnoreCase(System.getenv("CI"))) Assumptions.assumeTrue(torch, "python3-torch is not installed");
        Files.writeString(dir.resolve("p.plan"), """
                import "std:models"
                import "std:nodes"
                import "std:workloads"

                cluster one { nodes 1 x HGX_H100 }

                plan llama_tp2 {
                  model llama_3_1_8b
                  cluster one
                  workload chat
                  parallel { tp 2 }
                  engine vllm { max_num_seqs 128 }
                  emit shim
                }
                """);
        Path out = dir.resolve("out");
        Run c = run("compile", "--root", dir.toString(), dir.resolve("p.plan").toString(), "-o", out.toString());
        assertEquals(0, c.code(), c.err());
        Path planDir = out.resolve("llama_tp2");
        // The shim ships once, beside the plans, and the plan names it; no plan carries its sources.
        Path archive = out.resolve(dev.shardplan.emit.ShimArchive.fileName());
        assertTrue(Files.isRegularFile(archive));
        try (var s = Files.walk(planDir)) {
            assertTrue(s.noneMatch(p -> p.toString().endsWith(".py")));
        }
        Run r = run("run", planDir.toString(), "--local", "--timeout", "240");
        assertEquals(0, r.code(), r.out() + r.err());
        assertTrue(r.out().contains("ok: verify passed on every rank"), r.out());
        // rank 0's report: per-stage error, tokens, shapes
        assertTrue(r.out().contains("[rank 0]   stage 0: layers [0, 2): logits max rel err"), r.out());
        assertTrue(r.out().contains("[rank 0]   greedy tokens: 64/64 equal to the reference's"), r.out());
        assertTrue(r.out().contains("[rank 0]   rank 1 (dp 0 pp 0 tp 1): layers [0, 2); q 16 kv 4 heads x 16"), r.out());
        String metrics = Files.readString(planDir.resolve("metrics.json"));
        assertTrue(metrics.contains("\"ok\" : true"), metrics);
        assertTrue(metrics.contains("\"tokens_match\" : true"), metrics);
        assertTrue(metrics.contains("\"rank\" : 1"), metrics);
        Run cmp = run("run", planDir.toString(), "--compare");
        assertEquals(0, cmp.code(), cmp.err());
        assertTrue(cmp.out().contains("runs a scaled-down model: nothing to compare"), cmp.out());

        // A missing archive is written again by the shardplan that compiled the plan; a foreign one is refused.
        Files.delete(archive);
        assertEquals(0, run("run", planDir.toString(), "--local", "--timeout", "240").code());
        assertTrue(Files.isRegularFile(archive));
        Files.writeString(archive, "print('not the shim')");
        Run bad = run("run", planDir.toString(), "--local");
        assertEquals(Main.ERRORS, bad.code(), bad.out());
        assertTrue(bad.err().contains("is not the shim") && bad.err().contains("compile the plan again"), bad.err());
    }
}
