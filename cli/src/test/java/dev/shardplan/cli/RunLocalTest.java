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
 * its TP2 shim on CPU (gloo) and the partitioned model matches the unpartitioned one.
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
        assertTrue(Files.isRegularFile(planDir.resolve("shim/shardplan_shim/cli.py")));
        Run r = run("run", planDir.toString(), "--local", "--timeout", "240");
        assertEquals(0, r.code(), r.out() + r.err());
        assertTrue(r.out().contains("ok: all ranks finished"), r.out());
        String metrics = Files.readString(planDir.resolve("metrics.json"));
        assertTrue(metrics.contains("\"ok\" : true"), metrics);
        assertTrue(metrics.contains("\"tokens_match\" : true"), metrics);
        assertTrue(metrics.contains("\"rank\" : 1"), metrics);
        Run cmp = run("run", planDir.toString(), "--compare");
        assertEquals(0, cmp.code(), cmp.err());
        assertTrue(cmp.out().contains("planned wts"), cmp.out());
    }
}
