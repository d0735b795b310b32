package dev.shardplan.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shardplan.emit.OutputWriter;
import dev.shardplan.emit.ShimArchive;
import dev.shardplan.runtime.LocalRunner;
import dev.shardplan.runtime.MemoryComparison;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code shardplan run OUT/<plan> --local}: run the plan's shim on this machine, every rank a process. */
@Command(name = "run", mixinStandardHelpOptions = true,
        header = "Run a compiled plan's runtime shim on this machine, or compare its measured memory with the plan.",
        description = "Starts every rank of the plan's shim as a local process (--local) and checks that the partitioned model "
                + "computes what the unpartitioned one does (--mode verify) or measures step times (--mode bench); --compare prints "
                + "measured against planned memory per rank. Compile the plan with `emit shim` first.")
final class RunCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "OUT/PLAN", description = "a compiled plan's folder (holds plan.json and shim/)")
    Path planDir;

    @Parameters(index = "1..*", paramLabel = "SHIM_ARG", description = "extra arguments for the shim (after --)")
    List<String> shimArgs = List.of();

    @Option(names = "--local", description = "start every rank as a local process (the only mode so far)")
    boolean local;

    @Option(names = "--mode", defaultValue = "verify", description = "verify (partitioned vs unpartitioned logits) or bench")
    String mode;

    @Option(names = "--timeout", defaultValue = "600", description = "seconds before a stuck run is stopped (default ${DEFAULT-VALUE})")
    int timeout;

    @Option(names = "--python", defaultValue = "/usr/bin/python3", description = "Python with torch (default ${DEFAULT-VALUE})")
    String python;

    @Option(names = "--compare", description = "print measured against planned memory per rank from metrics.json")
    boolean compare;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        var out = spec.commandLine().getOut();
        var err = spec.commandLine().getErr();
        if (!Files.isRegularFile(planDir.resolve("plan.json"))) {
            err.println("error: " + planDir + " holds no plan.json; compile the plan first (`shardplan compile PLAN -o OUT`)");
            return Main.USAGE;
        }
        if (compare) {
            try {
                out.print(MemoryComparison.report(planDir));
                return Main.OK;
            } catch (java.io.IOException e) {
                err.println("error: " + e.getMessage());
                return Main.ERRORS;
            }
        }
        if (!local) {
            err.println("error: say where to run: --local runs every rank on this machine; for clusters use the");
            err.println("torchrun/srun commands in " + planDir.resolve("shim"));
            return Main.USAGE;
        }
        if (!mode.equals("verify") && !mode.equals("bench")) {
            err.println("error: --mode is verify or bench, not `" + mode + "`");
            return Main.USAGE;
        }
        Path archive;
        try {
            archive = archive(planDir, err);
        } catch (java.io.IOException e) {
            err.println("error: " + e.getMessage());
            return Main.ERRORS;
        }
        if (archive == null) return Main.USAGE;
        LocalRunner.Result r = LocalRunner.run(new LocalRunner.Request(planDir, mode, python, "shardplan_shim", archive, timeout,
                shimArgs, Map.of()), out);
        if (r.exitCode() != 0) {
            err.println("error: run failed: " + r.error());
            if (r.metrics() != null) err.println("  = note: per-rank metrics in " + r.metrics());
            return Main.ERRORS;
        }
        out.println("ok: " + mode + " passed on every rank; metrics in " + r.metrics()
                + (mode.equals("bench") ? "\n  = help: `shardplan run " + planDir + " --compare` sets them against the plan" : ""));
        return Main.OK;
    }

    /**
     * The shim archive plan.json names, checked against its SHA-256. When it is missing and this
     * shardplan ships the same shim, it is written where the plan expects it (as a compile would).
     */
    private static Path archive(Path planDir, java.io.PrintWriter err) throws java.io.IOException {
        JsonNode shim = new ObjectMapper().readTree(planDir.resolve("plan.json").toFile()).path("shim");
        if (!shim.has("archive") || !shim.has("sha256")) {
            err.println("error: " + planDir.resolve("plan.json") + " names no shim archive; add `shim` to the plan's emit targets and compile again");
            return null;
        }
        Path archive = planDir.resolve(shim.get("archive").asText()).normalize();
        String want = shim.get("sha256").asText();
        if (!Files.isRegularFile(archive)) {
            if (!ShimArchive.get().sha256().equals(want)) {
                throw new java.io.IOException("no shim archive at " + archive + ", and this shardplan ships another shim (sha256 "
                        + ShimArchive.get().sha256() + "); compile the plan again");
            }
            return OutputWriter.writeShared(archive.getParent(), archive.getFileName().toString(), ShimArchive.get().bytes());
        }
        String got;
        try {
            got = java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(archive)));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        if (!got.equals(want)) {
            throw new java.io.IOException(archive + " is not the shim " + planDir.resolve("plan.json") + " was compiled with (sha256 "
                    + got + ", plan.json names " + want + "); compile the plan again");
        }
        return archive;
    }
}
