package dev.shardplan.runtime;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The launcher's failure handling, with a stand-in Python module instead of the real shim (so
 * these tests need no torch): a crashing rank, a rank that never finishes, and no orphans.
 */
class LocalRunnerTest {
    @TempDir
    Path tmp;

    private static final String FAKE = String.join("\n",
            "import os, sys, time, json, subprocess",
            "rank = int(os.environ['RANK'])",
            "marker = os.environ['MARKER']",
            "# every rank starts a child, to check that children are killed too",
            "child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(120)', marker])",
            "print('rank', rank, 'of', os.environ['WORLD_SIZE'], 'port', os.environ['MASTER_PORT'], flush=True)",
            "mode = os.environ.get('FAKE_MODE', 'ok')",
            "out = sys.argv[sys.argv.index('--out') + 1].replace('{rank}', str(rank))",
            "if mode == 'crash' and rank == 1:",
            "    print('RuntimeError: injected failure on rank 1', file=sys.stderr, flush=True)",
            "    sys.exit(3)",
            "if mode in ('crash', 'hang'):",
            "    time.sleep(120)",
            "json.dump({'rank': rank, 'ok': True, 'mode': 'bench', 'weight_bytes_stored': 1073741824, 'weight_bytes': 2147483648,",
            "           'notes': ['fp8_block weights dequantised at load and held as bfloat16'], 'device': 'cpu', 'kv_dtype': 'bfloat16',",
            "           'runs': [{'kv_bytes': 1073741824, 'kv_blocks': 512, 'activation_peak_bytes': None, 'prefill': {'tokens_per_step': 64}}]},",
            "          open(out, 'w'))",
            "child.kill()",
            "");

    private LocalRunner.Request request(String mode, String marker, int timeout) throws Exception {
        Path planDir = tmp.resolve("plan");
        Path shim = planDir.resolve("shim");
        Files.createDirectories(shim.resolve("fakeshim"));
        Files.writeString(shim.resolve("fakeshim/__init__.py"), "");
        Files.writeString(shim.resolve("fakeshim/__main__.py"), FAKE);
        Files.writeString(planDir.resolve("plan.json"), "{\"parallel\": {\"world_size\": 2}, \"ranks\": ["
                + "{\"rank\": 0, \"memory\": {\"weights\": 1073741824, \"kv_pool\": 2147483648, \"kv_blocks\": 1024, \"activation\": 1}},"
                + "{\"rank\": 1, \"memory\": {\"weights\": 1073741824, \"kv_pool\": 2147483648, \"kv_blocks\": 1024, \"activation\": 1}}]}");
        return new LocalRunner.Request(planDir, "verify", python(), "fakeshim", shim, timeout, List.of(),
                Map.of("FAKE_MODE", mode, "MARKER", marker));
    }

    private static String python() {
        return Files.isExecutable(Path.of("/usr/bin/python3")) ? "/usr/bin/python3" : "python3";
    }

    private static long survivors(String marker) {
        return ProcessHandle.allProcesses()
                .filter(p -> p.info().arguments().map(a -> List.of(a).contains(marker)).orElse(false))
                .filter(ProcessHandle::isAlive).count();
    }

    @Test
    void allRanksSucceedAndMetricsAreMerged() throws Exception {
        String marker = "m-" + UUID.randomUUID();
        StringWriter sw = new StringWriter();
        LocalRunner.Result r = LocalRunner.run(request("ok", marker, 60), new PrintWriter(sw));
        assertEquals(0, r.exitCode(), sw.toString());
        String merged = Files.readString(r.metrics());
        assertTrue(merged.contains("\"ok\" : true"), merged);
        assertTrue(sw.toString().contains("[rank 0] rank 0 of 2"), sw.toString());
        assertTrue(sw.toString().contains("[rank 1] rank 1 of 2"), sw.toString());
        String cmp = MemoryComparison.report(tmp.resolve("plan"));
        assertTrue(cmp.contains("1     weights       1.000 GiB    1.000 GiB    1.000"), cmp);
        assertTrue(cmp.contains("bench allocated 512 blocks, the plan 1024"), cmp);
        assertTrue(cmp.contains("held 2.000 GiB in memory, 2.00x what is stored: fp8_block weights dequantised"), cmp);
        assertTrue(cmp.contains("activation: measured on cpu"), cmp);
    }

    @Test
    void aCrashingRankStopsTheOthersWithItsError() throws Exception {
        String marker = "m-" + UUID.randomUUID();
        StringWriter sw = new StringWriter();
        long t0 = System.nanoTime();
        LocalRunner.Result r = LocalRunner.run(request("crash", marker, 60), new PrintWriter(sw));
        double secs = (System.nanoTime() - t0) / 1e9;
        assertEquals(1, r.failedRank());
        assertEquals(3, r.exitCode());
        assertTrue(r.error().contains("injected failure on rank 1"), r.error());
        assertTrue(secs < 60, "rank 0 should be stopped at once, not at the timeout");
        Thread.sleep(200);
        assertEquals(0, survivors(marker), "no process of the run may survive it");
    }

    @Test
    void aHungRankEndsTheRunAtTheTimeout() throws Exception {
        String marker = "m-" + UUID.randomUUID();
        StringWriter sw = new StringWriter();
        LocalRunner.Result r = LocalRunner.run(request("hang", marker, 3), new PrintWriter(sw));
        assertEquals(124, r.exitCode());
        assertTrue(r.error().contains("timed out after 3 s"), r.error());
        Thread.sleep(200);
        assertEquals(0, survivors(marker), "no process of the run may survive it");
        assertTrue(Files.readString(r.metrics()).contains("no metrics written"));
    }
}
