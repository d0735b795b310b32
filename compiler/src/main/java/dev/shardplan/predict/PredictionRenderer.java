package dev.shardplan.predict;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.shardplan.diag.Jsons;

import java.util.Locale;

/** Human and JSON renderings of a prediction ({@code shardplan simulate PLAN [--json]}). */
public final class PredictionRenderer {
    private PredictionRenderer() {}

    public static String human(Prediction p) {
        StringBuilder sb = new StringBuilder();
        var plan = p.plan();
        var par = plan.parallel();
        if (plan.disaggregated()) {
            var d = plan.disagg();
            var pp = d.prefill().parallel();
            // The figures below are the pools' together (DisaggregatedSimulator); the kv pool line is one decode replica's.
            sb.append(String.format(Locale.ROOT, "plan %s: %s on %d x %s, prefill %d x (dp %d tp %d pp %d ep %d) + decode %d x (dp %d tp %d pp %d ep %d), %s%n",
                    plan.name(), plan.model().name(), d.gpus(), plan.cluster().gpu().name(), d.prefill().replicas(), pp.dp(), pp.tp(), pp.pp(), pp.ep(),
                    d.decode().replicas(), par.dp(), par.tp(), par.pp(), par.ep(), plan.engine().kind().id()));
        } else {
            sb.append(String.format(Locale.ROOT, "plan %s: %s on %d x %s, dp %d tp %d pp %d ep %d, %s%n", plan.name(),
                    plan.model().name(), par.worldSize(), plan.cluster().gpu().name(), par.dp(), par.tp(), par.pp(), par.ep(),
                    plan.engine().kind().id()));
        }
        if (!p.simulated()) {
            sb.append("  not simulated: ").append(p.inputs().reason().isEmpty() ? "see diagnostics" : p.inputs().reason()).append('\n');
            return sb.toString();
        }
        SimResult r = p.result();
        SchedulerConfig sc = p.scheduler();
        sb.append(String.format(Locale.ROOT, "  workload   %d requests (seed %d), %d completed, %d rejected%n",
                r.requests(), p.seed(), r.completed(), r.rejected()));
        sb.append(String.format(Locale.ROOT, "  kv pool    %d blocks x %d tokens per replica (%d tokens), max_num_seqs %d%n",
                sc.kvBlocks(), sc.blockSize(), sc.kvTokens(), sc.maxNumSeqs()));
        sb.append(String.format(Locale.ROOT, "  throughput %.0f output tokens/s (%.0f total, %.2f requests/s)%n",
                r.outputThroughput(), r.totalThroughput(), r.requestThroughput()));
        sb.append(String.format(Locale.ROOT, "  finish     %.1f s for the batch%n", r.makespan()));
        sb.append(String.format(Locale.ROOT, "  %-10s %10s %10s %10s %10s %10s%n", "", "mean", "p50", "p90", "p99", "max"));
        row(sb, "ttft", r.ttft());
        row(sb, "tpot", r.tpot());
        row(sb, "e2e", r.e2e());
        sb.append(String.format(Locale.ROOT, "  preempted  %d times, %d tokens recomputed%n", r.preemptions(), r.recomputedTokens()));
        sb.append(String.format(Locale.ROOT, "  kv use     peak %.0f%%, mean running %.1f per replica, %d steps%n",
                100 * r.peakKvUtil(), r.meanRunning(), r.steps()));
        return sb.toString();
    }

    private static void row(StringBuilder sb, String name, SimResult.Summary s) {
        sb.append(String.format(Locale.ROOT, "  %-10s %10s %10s %10s %10s %10s%n", name, t(s.mean()), t(s.p50()), t(s.p90()),
                t(s.p99()), t(s.max())));
    }

    static String t(double sec) {
        if (sec < 1) return String.format(Locale.ROOT, "%.1f ms", sec * 1e3);
        return String.format(Locale.ROOT, "%.2f s", sec);
    }

    public static ObjectNode toJson(Prediction p) {
        ObjectNode o = Jsons.MAPPER.createObjectNode();
        o.put("plan", p.plan().name());
        o.put("seed", p.seed());
        o.put("simulated", p.simulated());
        o.put("fits", p.inputs().fits());
        o.put("reason", p.inputs().reason());
        if (p.efficiency() != null) {
            ObjectNode e = o.putObject("efficiency");
            p.efficiency().asMap().forEach(e::put);
        }
        if (!p.simulated()) return o;
        SchedulerConfig sc = p.scheduler();
        ObjectNode s = o.putObject("scheduler");
        s.put("replicas", sc.replicas());
        s.put("kv_blocks", sc.kvBlocks());
        s.put("block_size", sc.blockSize());
        s.put("max_num_seqs", sc.maxNumSeqs());
        s.put("max_num_batched_tokens", sc.maxNumBatchedTokens());
        s.put("admission", sc.admission().name().toLowerCase(Locale.ROOT));
        o.set("result", toJson(p.result()));
        return o;
    }

    public static ObjectNode toJson(SimResult r) {
        ObjectNode o = Jsons.MAPPER.createObjectNode();
        o.put("requests", r.requests());
        o.put("completed", r.completed());
        o.put("rejected", r.rejected());
        o.put("makespan_s", round(r.makespan()));
        o.put("output_tokens", r.outputTokens());
        o.put("prompt_tokens", r.promptTokens());
        o.put("output_throughput", round(r.outputThroughput()));
        o.put("total_throughput", round(r.totalThroughput()));
        o.put("request_throughput", round(r.requestThroughput()));
        o.set("ttft_s", summary(r.ttft()));
        o.set("tpot_s", summary(r.tpot()));
        o.set("e2e_s", summary(r.e2e()));
        o.put("preemptions", r.preemptions());
        o.put("recomputed_tokens", r.recomputedTokens());
        o.put("steps", r.steps());
        o.put("mean_running", round(r.meanRunning()));
        o.put("peak_kv_util", round(r.peakKvUtil()));
        ArrayNode tl = o.putArray("kv_timeline");
        for (int i = 0; i < r.timeT().length; i++) tl.addArray().add(round(r.timeT()[i])).add(round(r.timeUtil()[i]));
        return o;
    }

    private static ObjectNode summary(SimResult.Summary s) {
        ObjectNode o = Jsons.MAPPER.createObjectNode();
        o.put("mean", round(s.mean()));
        o.put("p50", round(s.p50()));
        o.put("p90", round(s.p90()));
        o.put("p99", round(s.p99()));
        o.put("max", round(s.max()));
        return o;
    }

    /** Six significant digits: stable across platforms, enough for any chart. */
    static double round(double v) {
        if (v == 0 || Double.isNaN(v) || Double.isInfinite(v)) return v;
        return new java.math.BigDecimal(v).round(new java.math.MathContext(6)).doubleValue();
    }
}
