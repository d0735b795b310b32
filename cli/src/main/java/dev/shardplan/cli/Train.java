package dev.shardplan.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The fixed representative run that trains the CLI's start-up archive. {@code ./shardplan} runs it
 * once after building the jar, under {@code -XX:DumpLoadedClassList}, and dumps a static archive
 * of the classes it loaded, so that the archive holds the classes of every command (check with a
 * fix weighed on the simulator, explain, fmt, compile with every target, simulate, search, report,
 * help), whichever command a user runs first. Its input is packaged
 * ({@code train/train.plan}), so it does not depend on the project's files; {@code TrainTest}
 * runs it in the build, so that a change that breaks it fails the build instead of leaving a
 * half-trained archive. Not a user command: {@code java -cp shardplan.jar dev.shardplan.cli.Train}.
 */
final class Train {
    private Train() {}

    public static void main(String[] args) {
        List<String> problems = run();
        for (String p : problems) System.err.println("shardplan: start-up training: " + p);
        System.exit(problems.isEmpty() ? 0 : 1);
    }

    /** Runs every command on the training plan in a scratch folder; returns what went wrong (nothing, normally). */
    static List<String> run() {
        Path dir;
        try {
            dir = Files.createTempDirectory("shardplan-train");
            try (InputStream in = Train.class.getResourceAsStream("train/train.plan")) {
                if (in == null) return List.of("train/train.plan is not packaged");
                Files.write(dir.resolve("train.plan"), in.readAllBytes());
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        String root = dir.toString(), plan = dir.resolve("train.plan").toString();
        List<String> problems = new ArrayList<>();
        try {
            expect(problems, 0, "--version");
            expect(problems, 0, "--help");
            expect(problems, 0, "check", "--help");
            expect(problems, 0, "check", "--root", root, plan);
            expect(problems, 0, "check", "--root", root, "--format", "json", plan);
            expect(problems, 0, "fmt", "--check", plan);
            expect(problems, 0, "explain", "SP0205");
            expect(problems, 0, "explain", "--list");
            expect(problems, 0, "explain", "--root", root, "--derivation", plan);
            expect(problems, 0, "compile", "--root", root, "-q", "-o", dir.resolve("out").toString(), plan);
            expect(problems, 0, "simulate", "--root", root, "-q", plan);
            expect(problems, 0, "simulate", "--root", root, "-q", "--format", "json", "--plan", "qwen32b_dp4_tp2", plan);
            expect(problems, 0, "search", "--root", root, "-q", plan);
            expect(problems, 0, "search", "--root", root, "-q", "--format", "json", plan);
            expect(problems, 0, "report", "--root", root, "--plan", "qwen32b_dp4_tp2", "-o", dir.resolve("report.html").toString(), plan);
            expect(problems, 2, "check", "--no-such-option");
        } finally {
            delete(dir);
        }
        return problems;
    }

    private static void delete(Path dir) {
        try (var files = Files.walk(dir)) {
            for (Path p : files.sorted(java.util.Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        } catch (IOException e) {
            // a scratch folder left in the temporary directory is harmless
        }
    }

    private static void expect(List<String> problems, int code, String... args) {
        StringWriter out = new StringWriter(), err = new StringWriter();
        int got = Main.run(args, new PrintWriter(out), new PrintWriter(err));
        if (got != code) problems.add("`shardplan " + String.join(" ", args) + "` exited " + got + ", not " + code + ":\n" + out + err);
    }
}
