package dev.shardplan.runtime;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * `shardplan run OUT/PLAN --compare`: what the shim's bench measured on each rank set against what
 * the plan budgets, like with like — weights (the checkpoint bytes the rank read, beside the plan's
 * weight bytes), the KV pool (the pool bench allocated, beside the plan's kv_pool), and the
 * activation peak (peak allocated minus weights and pool, beside the plan's activation) — and, for
 * each difference, the reason the metrics give for it.
 */
public final class MemoryComparison {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final double GIB = 1024.0 * 1024 * 1024;
    /** Differences within this share count as agreement (rounding, allocator granularity). */
    private static final double AGREE = 0.02;

    private MemoryComparison() {}

    /** The report for OUT/PLAN (plan.json and the merged metrics.json). */
    public static String report(Path planDir) throws IOException {
        JsonNode plan = JSON.readTree(planDir.resolve("plan.json").toFile());
        Path m = planDir.resolve("metrics.json");
        if (!Files.isRegularFile(m)) throw new IOException("no metrics.json in " + planDir + " (run `shardplan run " + planDir + " --local --mode bench` first)");
        JsonNode metrics = JSON.readTree(m.toFile());
        StringBuilder sb = new StringBuilder();
        String mode = metrics.path("ranks").path(0).path("mode").asText("");
        if (!mode.equals("bench")) {
            sb.append("note: metrics.json comes from `").append(mode.isEmpty() ? "?" : mode)
              .append("`, which runs a scaled-down model: nothing to compare with the plan's memory.\n")
              .append("      run `shardplan run ").append(planDir).append(" --local --mode bench` on the target GPUs first.\n");
            return sb.toString();
        }
        sb.append(String.format(Locale.ROOT, "%-5s %-10s %12s %12s %8s%n", "rank", "part", "planned", "measured", "ratio"));
        List<String> why = new ArrayList<>();
        for (JsonNode r : plan.path("ranks")) {
            int rank = r.path("rank").asInt();
            JsonNode mem = r.path("memory");
            JsonNode mr = null;
            for (JsonNode x : metrics.path("ranks")) if (x.path("rank").asInt(-1) == rank) mr = x;
            if (mr == null || !mr.path("ok").asBoolean(false)) {
                sb.append(String.format(Locale.ROOT, "%-5d %s%n", rank, "no bench metrics" + (mr == null ? "" : ": " + mr.path("error").asText("failed"))));
                continue;
            }
            if (mr.path("tiny").asBoolean(false)) {
                why.add("rank " + rank + ": bench ran with --tiny (the scaled-down model): its memory says nothing about the plan's");
                continue;
            }
            JsonNode run = lastRun(mr);
            row(sb, rank, "weights", mem.path("weights").asDouble(), mr.path("weight_bytes_stored").asDouble(Double.NaN));
            explainWeights(why, rank, mem.path("weights").asDouble(), mr);
            if (run != null) {
                row(sb, rank, "kv pool", mem.path("kv_pool").asDouble(), run.path("kv_bytes").asDouble(Double.NaN));
                explainKv(why, rank, mem, run, mr, plan);
                double act = run.path("activation_peak_bytes").isNumber() ? run.path("activation_peak_bytes").asDouble() : Double.NaN;
                row(sb, rank, "activation", mem.path("activation").asDouble(), act);
                explainActivation(why, rank, mem, run, mr, plan);
            }
        }
        if (!why.isEmpty()) {
            sb.append("\nwhy they differ:\n");
            for (String w : why) sb.append("  ").append(w).append('\n');
        }
        return sb.toString();
    }

    private static JsonNode lastRun(JsonNode mr) {
        JsonNode best = null;
        for (JsonNode run : mr.path("runs")) if (!run.path("skipped").asBoolean(false)) best = run;
        return best;
    }

    private static void row(StringBuilder sb, int rank, String part, double planned, double measured) {
        String ratio = Double.isNaN(measured) || planned <= 0 ? "n/a" : String.format(Locale.ROOT, "%.3f", measured / planned);
        sb.append(String.format(Locale.ROOT, "%-5d %-10s %12s %12s %8s%n", rank, part, gib(planned), Double.isNaN(measured) ? "n/a" : gib(measured), ratio));
    }

    private static String gib(double bytes) {
        return String.format(Locale.ROOT, "%.3f GiB", bytes / GIB);
    }

    private static boolean agrees(double planned, double measured) {
        return planned > 0 && Math.abs(measured - planned) <= AGREE * planned;
    }

    private static void explainWeights(List<String> why, int rank, double planned, JsonNode mr) {
        double stored = mr.path("weight_bytes_stored").asDouble(Double.NaN), held = mr.path("weight_bytes").asDouble(Double.NaN);
        if (!Double.isNaN(stored) && !agrees(planned, stored)) {
            why.add(String.format(Locale.ROOT, "rank %d weights: the rank read %s of checkpoint tensors for its shard where the plan counts %s "
                    + "(%+.1f%%): the plan's per-part accounting (docs/memory-model.md) and the shard the shim built disagree; "
                    + "compare `shardplan explain` with the shim's shapes", rank, gib(stored), gib(planned), 100 * (stored / planned - 1)));
        }
        if (!Double.isNaN(held) && !Double.isNaN(stored) && held > stored * (1 + AGREE)) {
            String note = mr.path("notes").path(0).asText("weights are held in a wider dtype than stored");
            why.add(String.format(Locale.ROOT, "rank %d weights: held %s in memory, %.2fx what is stored: %s (the engine keeps them quantised)",
                    rank, gib(held), held / stored, note));
        }
    }

    private static void explainKv(List<String> why, int rank, JsonNode mem, JsonNode run, JsonNode mr, JsonNode plan) {
        double planned = mem.path("kv_pool").asDouble(), got = run.path("kv_bytes").asDouble();
        if (agrees(planned, got)) return;
        long blocks = run.path("kv_blocks").asLong(), want = mem.path("kv_blocks").asLong();
        if (blocks != want) {
            String note = run.path("kv_blocks_note").asText("");
            why.add("rank " + rank + " kv pool: bench allocated " + blocks + " blocks, the plan " + want
                    + (note.isEmpty() ? " (pass --kv-blocks to size it)" : ": " + note));
            return;
        }
        String planned_dtype = plan.path("model").path("kv_dtype").asText("?"), held = mr.path("kv_dtype").asText("?");
        why.add("rank " + rank + " kv pool: the plan's " + want + " blocks at " + planned_dtype + " hold " + gib(planned) + "; the shim held them as "
                + held + " (" + gib(got) + ")");
    }

    private static void explainActivation(List<String> why, int rank, JsonNode mem, JsonNode run, JsonNode mr, JsonNode plan) {
        if (!run.path("activation_peak_bytes").isNumber()) {
            why.add("rank " + rank + " activation: measured on " + mr.path("device").asText("cpu")
                    + ", where no allocator reports a peak apart from the process (run bench on the GPUs)");
            return;
        }
        double planned = mem.path("activation").asDouble(), got = run.path("activation_peak_bytes").asDouble();
        if (agrees(planned, got)) return;
        long tokens = run.path("prefill").path("tokens_per_step").asLong(), budget = plan.path("engine").path("max_num_batched_tokens").asLong();
        why.add(String.format(Locale.ROOT, "rank %d activation: bench's largest step ran %d tokens, the plan budgets the engine's profile run of "
                + "max_num_batched_tokens %d; the shim also keeps no CUDA graph pool and computes attention without the engine's "
                + "fused kernels, so the peaks are of different steps", rank, tokens, budget));
    }
}
