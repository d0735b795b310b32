package dev.shardplan.runtime;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Starts every rank of a compiled plan on this machine (as torchrun would, one process per
 * rank), prefixes each rank's output, stops all ranks as soon as one fails or the run exceeds
 * its time limit (a hung collective), and merges the per-rank metrics into one JSON file.
 * {@code shimPath} goes on PYTHONPATH: the shim archive (or, for tests, a folder).
 */
public final class LocalRunner {
    /** What to run and how long to wait. {@code planDir} is OUT/&lt;plan&gt; (plan.json and shim/). */
    public record Request(Path planDir, String mode, String python, String module, Path shimPath, int timeoutSeconds,
                          List<String> extraArgs, Map<String, String> extraEnv) {}

    /** The outcome: exit code (0 ok), the first failing rank (-1 none) and its last error line. */
    public record Result(int exitCode, int failedRank, String error, Path metrics) {}

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS)
            .enable(SerializationFeature.INDENT_OUTPUT);

    private LocalRunner() {}

    public static Result run(Request req, PrintWriter out) throws IOException, InterruptedException {
        Path planJson = req.planDir().resolve("plan.json");
        if (!Files.isRegularFile(planJson)) {
            return new Result(2, -1, "no plan.json in " + req.planDir() + " (run `shardplan compile` first)", null);
        }
        JsonNode plan = JSON.readTree(planJson.toFile());
        int world = plan.path("parallel").path("world_size").asInt(0);
        if (world <= 0) world = plan.path("ranks").size();
        if (world <= 0) return new Result(2, -1, "plan.json has no ranks", null);
        Path metricsDir = req.planDir().resolve("metrics");
        Files.createDirectories(metricsDir);
        try (var s = Files.list(metricsDir)) {
            for (Path p : (Iterable<Path>) s::iterator) if (p.getFileName().toString().startsWith("metrics.rank")) Files.delete(p);
        }
        int port = freePort();
        List<Process> procs = new ArrayList<>();
        List<Thread> pumps = new ArrayList<>();
        Map<Integer, String> lastErr = new ConcurrentHashMap<>();
        AtomicLong lastOutput = new AtomicLong(System.nanoTime());
        int failed = -1;
        int exit = 0;
        String error = null;
        try {
            for (int r = 0; r < world; r++) {
                List<String> cmd = new ArrayList<>(List.of(req.python(), "-m", req.module(), "--plan", planJson.toString(), req.mode(),
                        "--timeout", String.valueOf(Math.max(5, req.timeoutSeconds() / 2)),
                        "--out", metricsDir.resolve("metrics.rank{rank}.json").toString()));
                cmd.addAll(req.extraArgs());
                // Each rank leads its own process group (setsid), so that the whole group can be
                // killed even after the rank itself has died and its children were re-parented.
                if (SETSID != null) cmd.add(0, SETSID);
                ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
                Map<String, String> env = pb.environment();
                env.put("RANK", String.valueOf(r));
                env.put("WORLD_SIZE", String.valueOf(world));
                env.put("LOCAL_RANK", String.valueOf(r));
                env.put("LOCAL_WORLD_SIZE", String.valueOf(world));
                env.put("MASTER_ADDR", "127.0.0.1");
                env.put("MASTER_PORT", String.valueOf(port));
                env.put("PYTHONPATH", req.shimPath().toString() + (env.containsKey("PYTHONPATH") ? java.io.File.pathSeparator + env.get("PYTHONPATH") : ""));
                env.put("PYTHONUNBUFFERED", "1");
                env.put("OMP_NUM_THREADS", env.getOrDefault("OMP_NUM_THREADS", "1"));
                env.putAll(req.extraEnv());
                Process p = pb.start();
                procs.add(p);
                final int rank = r;
                Thread t = new Thread(() -> pump(p, rank, out, lastErr, lastOutput), "rank-" + r);
                t.setDaemon(true);
                t.start();
                pumps.add(t);
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(req.timeoutSeconds());
            while (true) {
                boolean allDone = true;
                for (int r = 0; r < procs.size(); r++) {
                    Process p = procs.get(r);
                    if (p.isAlive()) {
                        allDone = false;
                    } else if (p.exitValue() != 0 && failed < 0) {
                        failed = r;
                        exit = p.exitValue();
                    }
                }
                if (failed >= 0 || allDone) break;
                if (System.nanoTime() > deadline) {
                    error = "timed out after " + req.timeoutSeconds() + " s: a rank is stuck (a hung collective, or a peer that never arrived)";
                    exit = 124;
                    break;
                }
                Thread.sleep(50);
            }
        } finally {
            for (Process p : procs) destroyTree(p);
            for (Thread t : pumps) t.join(2000);
        }
        if (failed >= 0) {
            // Give the failing rank's output a moment to drain, then report its last error line.
            String e = lastErr.get(failed);
            error = "rank " + failed + " exited with status " + exit + (e == null ? "" : ": " + e);
        }
        Path merged = merge(metricsDir, world, req.planDir().resolve("metrics.json"));
        if (error != null) return new Result(exit == 0 ? 1 : exit, failed, error, merged);
        return new Result(0, -1, null, merged);
    }

    private static void pump(Process p, int rank, PrintWriter out, Map<Integer, String> lastErr, AtomicLong lastOutput) {
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) {
                lastOutput.set(System.nanoTime());
                synchronized (out) {
                    out.println("[rank " + rank + "] " + line);
                    out.flush();
                }
                String l = line.toLowerCase(java.util.Locale.ROOT);
                if (l.contains("error") || l.contains("traceback") || l.contains("exception")) lastErr.put(rank, line.strip());
            }
        } catch (IOException ignored) {
            // the process was killed; its output ends here
        }
    }

    private static final String SETSID = java.nio.file.Files.isExecutable(Path.of("/usr/bin/setsid")) ? "/usr/bin/setsid"
            : java.nio.file.Files.isExecutable(Path.of("/bin/setsid")) ? "/bin/setsid" : null;

    /** Kills a rank and anything it started (e.g. gloo helper processes), so no orphans remain. */
    static void destroyTree(Process p) {
        if (SETSID != null) {
            try {
                new ProcessBuilder("kill", "-KILL", "--", "-" + p.pid()).redirectErrorStream(true)
                        .redirectOutput(ProcessBuilder.Redirect.DISCARD).start().waitFor(5, TimeUnit.SECONDS);
            } catch (IOException | InterruptedException e) {
                // fall back to the descendants we can still see
            }
        }
        p.descendants().forEach(ProcessHandle::destroyForcibly);
        p.destroyForcibly();
        try {
            p.waitFor(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            s.setReuseAddress(true);
            return s.getLocalPort();
        }
    }

    /** {"ranks": [per-rank metrics...], "ok": all ok} written to {@code target}. */
    static Path merge(Path dir, int world, Path target) throws IOException {
        ObjectNode root = JSON.createObjectNode();
        ArrayNode ranks = root.putArray("ranks");
        boolean ok = true;
        for (int r = 0; r < world; r++) {
            Path f = dir.resolve("metrics.rank" + r + ".json");
            if (Files.isRegularFile(f)) {
                JsonNode n;
                try {
                    n = JSON.readTree(f.toFile());
                } catch (IOException e) {
                    n = JSON.createObjectNode().put("rank", r).put("ok", false).put("error", "unreadable metrics: " + e.getMessage());
                }
                ranks.add(n);
                ok &= n.path("ok").asBoolean(false);
            } else {
                ranks.add(JSON.createObjectNode().put("rank", r).put("ok", false).put("error", "no metrics written"));
                ok = false;
            }
        }
        root.put("ok", ok);
        root.put("world_size", world);
        Path tmp = target.resolveSibling(target.getFileName() + ".tmp");
        Files.writeString(tmp, JSON.writeValueAsString(root) + "\n", StandardCharsets.UTF_8);
        Files.move(tmp, target, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        return target;
    }

}
