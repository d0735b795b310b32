package dev.shardplan.bench;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** 1,000 plan files check clean in one CLI run whose heap is 512 MB (not timed: FrontendBench times it). */
class ThousandPlansTest {
    @TempDir
    Path dir;

    @Test
    void thousandPlansCheckCleanIn512Megabytes() throws Exception {
        FrontendBench.writeThousandPlans(dir);
        List<String> cmd = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx512m", "-XX:+UseSerialGC",
                "-cp", System.getProperty("java.class.path"), "dev.shardplan.cli.Main", "check", "--root", dir.toString(), dir.toString());
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), out.lines().filter(l -> l.startsWith("error")).limit(5).toList() + "\n" + out.lines().reduce((a, b) -> b).orElse(""));
        assertTrue(out.contains("checked 1000 files: 1000 plans"), out.lines().reduce((a, b) -> b).orElse(""));
    }
}
