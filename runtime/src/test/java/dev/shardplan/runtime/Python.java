package dev.shardplan.runtime;

import org.junit.jupiter.api.Assumptions;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** The Python the shim's tests run (Debian's, with python3-torch) and how they run it. */
final class Python {
    static final String PYTHON = "/usr/bin/python3";

    private Python() {}

    /** Skips the test without torch, except on CI (CI=true), where a missing torch is a failure. */
    static void requireTorch() throws Exception {
        boolean ci = "true".equalsIgnoreCase(System.getenv("CI"));
        boolean torch = new File(PYTHON).canExecute()
                && new ProcessBuilder(PYTHON, "-c", "import torch").redirectErrorStream(true).start().waitFor() == 0;
        if (!ci) Assumptions.assumeTrue(torch, "torch is not installed for " + PYTHON + " (apt-get install python3-torch)");
        assertTrue(torch, "CI must have python3-torch installed (see .ci/run)");
    }

    /** Runs PYTHON args in runtime/, echoing its output; returns the exit status (-1: timed out, killed). */
    static int run(List<String> args, long minutes) throws Exception {
        Path log = Files.createTempFile("shim-python", ".log");
        List<String> cmd = new java.util.ArrayList<>(List.of(PYTHON));
        cmd.addAll(args);
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(Path.of("").toAbsolutePath().toFile())
                .redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().put("OMP_NUM_THREADS", "1");
        Process p = pb.start();
        boolean done = p.waitFor(minutes, TimeUnit.MINUTES);
        if (!done) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
        }
        Files.readAllLines(log, StandardCharsets.UTF_8).forEach(System.out::println);
        Files.deleteIfExists(log);
        return done ? p.exitValue() : -1;
    }
}
