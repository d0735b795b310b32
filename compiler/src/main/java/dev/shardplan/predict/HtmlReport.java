package dev.shardplan.predict;

import dev.shardplan.model.Plan;
import dev.shardplan.model.Workload;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * {@code shardplan report PLAN|SEARCH -o report.html}: one self-contained HTML file (no external
 * resources) with SVG charts: memory per rank (stacked), KV utilisation over time, throughput
 * against output length for each candidate (the reasoning cliff), the Pareto front, and a table
 * deriving each number. Every chart is an {@code <svg data-chart=NAME>} whose marks carry class
 * {@code mark}; an inline script writes a JSON summary (marks per chart, script errors) into
 * {@code <pre id="render-summary">} so a headless browser's DOM dump can check the rendering.
 */
public final class HtmlReport {
    private HtmlReport() {}

    /** Output lengths of the cliff chart (tokens). */
    static final int[] CLIFF_LENGTHS = {1000, 2000, 4000, 8000, 16000};
    static final int CLIFF_REQUESTS = 256;

    /** The report of one plan's prediction. */
    public static String of(Prediction p) {
        return render("plan " + p.plan().name(), List.of(p), p.simulated() ? List.of(p) : List.of(), p);
    }

    /** The report of a search: its top candidates, Pareto front and winner. */
    public static String of(Search.Result r) {
        List<Prediction> top = new ArrayList<>();
        // the ranks pruning keeps exact (Search.EXACT_TOP)
        for (int i = 0; i < Math.min(Search.EXACT_TOP, r.ranked().size()); i++) top.add(r.ranked().get(i).prediction());
        List<Prediction> front = new ArrayList<>();
        for (Search.Candidate c : r.pareto()) front.add(c.prediction());
        Prediction w = r.winner() == null ? null : r.winner().prediction();
        return render("search " + r.space().name(), top, front, w);
    }

    private static String render(String title, List<Prediction> cands, List<Prediction> front, Prediction main) {
        StringBuilder sb = new StringBuilder();
        sb.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>").append(esc(title)).append("</title>\n");
        sb.append("<script>window.__errors=[];window.addEventListener('error',function(e){window.__errors.push(String(e.message));});"
                + "(function(){var o=console.error;console.error=function(){window.__errors.push(Array.prototype.join.call(arguments,' '));o.apply(console,arguments);};})();</script>\n");
        sb.append("<style>body{font:14px sans-serif;margin:2em;max-width:1000px}svg{border:1px solid #ddd;margin:.5em 0}"
                + "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:2px 6px;text-align:right}"
                + "td:first-child,th:first-child{text-align:left}.axis{stroke:#444}.lbl{font-size:11px;fill:#333}</style></head><body>\n");
        sb.append("<h1>").append(esc(title)).append("</h1>\n");
        if (main != null && main.simulated()) {
            sb.append("<pre>").append(esc(PredictionRenderer.human(main))).append("</pre>\n");
        }
        if (main != null) sb.append("<h2>Service-level objectives and findings</h2>\n").append(slos(main));
        sb.append("<h2>Memory per rank</h2>\n").append(memoryChart(cands));
        sb.append("<h2>KV cache utilisation over time</h2>\n").append(kvChart(main));
        sb.append("<h2>Throughput against output length (the reasoning cliff)</h2>\n").append(cliffChart(cands));
        sb.append("<h2>Pareto front: throughput against median TPOT</h2>\n").append(paretoChart(cands, front));
        sb.append("<h2>Derivation</h2>\n").append(derivation(main));
        sb.append("<pre id=\"render-summary\"></pre>\n<script>(function(){var s={charts:{},errors:window.__errors};"
                + "document.querySelectorAll('svg[data-chart]').forEach(function(g){s.charts[g.getAttribute('data-chart')]="
                + "g.querySelectorAll('.mark').length;});document.getElementById('render-summary').textContent=JSON.stringify(s);})();</script>\n");
        sb.append("</body></html>\n");
        return sb.toString();
    }

    private static final int W = 640, H = 260, L = 60, B = 30;

    private static String memoryChart(List<Prediction> cands) {
        StringBuilder s = svg("memory");
        int n = Math.max(1, cands.size());
        double max = 1;
        for (Prediction p : cands) max = Math.max(max, p.plan().cluster().gpu().memory());
        int bw = Math.min(60, (W - L - 20) / n - 10);
        String[] colors = {"#4e79a7", "#f28e2b", "#e15759", "#bab0ab"};
        String[] names = {"weights", "KV pool", "activations + reserve", "free"};
        for (int i = 0; i < cands.size(); i++) {
            Prediction p = cands.get(i);
            double[] parts = memoryParts(p);
            double y = H - B;
            double x = L + 10 + i * (bw + 10);
            for (int k = 0; k < parts.length; k++) {
                double h = parts[k] / max * (H - B - 20);
                if (h <= 0) continue;
                y -= h;
                s.append(String.format(Locale.ROOT, "<rect class=\"mark\" x=\"%.1f\" y=\"%.1f\" width=\"%d\" height=\"%.1f\" fill=\"%s\"><title>%s %s: %.1f GiB</title></rect>\n",
                        x, y, bw, h, colors[k], esc(label(p)), names[k], parts[k] / (1L << 30)));
            }
            s.append(String.format(Locale.ROOT, "<text class=\"lbl\" x=\"%.1f\" y=\"%d\">%d</text>\n", x, H - 15, i + 1));
        }
        for (int k = 0; k < names.length; k++) {
            s.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"10\" height=\"10\" fill=\"%s\"/><text class=\"lbl\" x=\"%d\" y=\"%d\">%s</text>\n",
                    W - 170, 10 + 16 * k, colors[k], W - 155, 19 + 16 * k, names[k]));
        }
        axes(s, "GiB per GPU (0 to " + Math.round(max / (1L << 30)) + ")", "candidate");
        return s.append("</svg>\n").append(legend(cands)).toString();
    }

    /** Weights, KV pool, activations + reserve, free: bytes on the busiest rank. */
    static double[] memoryParts(Prediction p) {
        double mem = p.plan().cluster().gpu().memory();
        RankLoad load = p.load() != null ? p.load() : RankLoad.of(p.plan().model(), p.plan().parallel(), p.plan().kvDtype());
        double w = Math.min(mem, load.residentWeightBytes());
        double kv = p.inputs().kvBlocksPerReplica() * (double) Predictor.blockSize(p.plan()) * load.kvBytesPerToken();
        double used = p.plan().engine().memoryFraction() * mem;
        double other = Math.max(0, Math.min(mem - w - kv, used - w - kv));
        double free = Math.max(0, mem - w - kv - other);
        return new double[]{w, kv, other, free};
    }

    private static String kvChart(Prediction p) {
        StringBuilder s = svg("kv");
        if (p != null && p.simulated() && p.result().timeT().length > 0) {
            double[] t = p.result().timeT(), u = p.result().timeUtil();
            double tmax = Math.max(1e-9, p.result().makespan());
            StringBuilder pts = new StringBuilder();
            for (int i = 0; i < t.length; i++) pts.append(String.format(Locale.ROOT, "%.1f,%.1f ", x(t[i] / tmax), y(u[i])));
            s.append("<polyline class=\"mark\" fill=\"none\" stroke=\"#4e79a7\" stroke-width=\"1.5\" points=\"").append(pts.toString().trim()).append("\"/>\n");
            axes(s, "share of KV blocks in use (0 to 1)", String.format(Locale.ROOT, "time (0 to %.0f s)", tmax));
        } else {
            axes(s, "share of KV blocks in use", "time (not simulated)");
        }
        return s.append("</svg>\n").toString();
    }

    private static String cliffChart(List<Prediction> cands) {
        StringBuilder s = svg("cliff");
        List<double[]> series = new ArrayList<>();
        double max = 1;
        for (Prediction p : cands) {
            if (!p.simulated()) continue;
            double[] v = new double[CLIFF_LENGTHS.length];
            for (int i = 0; i < v.length; i++) {
                v[i] = cliffPoint(p, CLIFF_LENGTHS[i]);
                max = Math.max(max, v[i]);
            }
            series.add(v);
        }
        String[] colors = {"#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948"};
        for (int k = 0; k < series.size(); k++) {
            double[] v = series.get(k);
            StringBuilder pts = new StringBuilder();
            for (int i = 0; i < v.length; i++) {
                double px = x((double) i / (v.length - 1)), py = y(v[i] / max);
                pts.append(String.format(Locale.ROOT, "%.1f,%.1f ", px, py));
                s.append(String.format(Locale.ROOT, "<circle class=\"mark\" cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"%s\"><title>%d tokens: %.0f tok/s</title></circle>\n",
                        px, py, colors[k % colors.length], CLIFF_LENGTHS[i], v[i]));
            }
            s.append("<polyline fill=\"none\" stroke=\"").append(colors[k % colors.length]).append("\" points=\"").append(pts.toString().trim()).append("\"/>\n");
        }
        axes(s, String.format(Locale.ROOT, "output tokens/s (0 to %.0f)", max), "output length: 1k, 2k, 4k, 8k, 16k tokens");
        return s.append("</svg>\n").toString();
    }

    /** Throughput of {@link #CLIFF_REQUESTS} requests of 100 prompt and {@code out} output tokens at t = 0. */
    static double cliffPoint(Prediction p, int out) {
        Plan plan = p.plan();
        RequestSet reqs = RequestSet.fixed(CLIFF_REQUESTS, 100, out);
        StepTimeModel stm = new RooflineStepTime(p.load(), plan.cluster().gpu(), p.efficiency(), p.inputs().comm());
        SimResult r = new ServingSimulator(p.scheduler(), stm).run(reqs);
        return r.outputThroughput();
    }

    private static String paretoChart(List<Prediction> cands, List<Prediction> front) {
        StringBuilder s = svg("pareto");
        double tmax = 1e-9, thrMax = 1;
        for (Prediction p : cands) {
            if (!p.simulated()) continue;
            tmax = Math.max(tmax, p.result().tpot().p50());
            thrMax = Math.max(thrMax, p.result().outputThroughput());
        }
        for (Prediction p : cands) {
            if (!p.simulated()) continue;
            boolean onFront = front.contains(p);
            s.append(String.format(Locale.ROOT, "<circle class=\"mark\" cx=\"%.1f\" cy=\"%.1f\" r=\"%d\" fill=\"%s\"><title>%s: %.0f tok/s, tpot %s</title></circle>\n",
                    x(p.result().tpot().p50() / tmax), y(p.result().outputThroughput() / thrMax), onFront ? 5 : 3,
                    onFront ? "#e15759" : "#4e79a7", esc(label(p)), p.result().outputThroughput(), PredictionRenderer.t(p.result().tpot().p50())));
        }
        axes(s, String.format(Locale.ROOT, "output tokens/s (0 to %.0f)", thrMax), String.format(Locale.ROOT, "tpot p50 (0 to %.1f ms)", tmax * 1e3));
        return s.append("</svg>\n").toString();
    }

    private static String derivation(Prediction p) {
        if (p == null || p.load() == null) return "<p>no plan was simulated</p>\n";
        RankLoad l = p.load();
        var plan = p.plan();
        Workload w = plan.workload();
        StringBuilder s = new StringBuilder("<table><tr><th>quantity</th><th>value</th><th>derivation</th></tr>\n");
        row(s, "weights per rank", gib(l.residentWeightBytes()), "stage layers × (attention/tp + FFN/tp or experts/ep) + embedding and LM head/tp, in the checkpoint's dtypes (RankLoad.of)");
        row(s, "KV bytes per token per rank", String.format(Locale.ROOT, "%.0f B", l.kvBytesPerToken()), "layers × 2 × max(1, kv_heads/tp) × head_dim × bytes(kv dtype); MLA: layers × (kv_lora_rank + rope dim) × bytes");
        row(s, "KV blocks per replica", String.valueOf(p.inputs().kvBlocksPerReplica()), "floor(KV pool / (block_size × KV bytes per token)); pool from the memory budget");
        row(s, "weight bytes read per decode step", gib(l.weightBytes(1)) + " at 1 token", "fixed weights + MoE layers × E_rank·(1−(1−k/E)^tokens) × expert bytes");
        if (p.efficiency() != null) {
            var e = p.efficiency();
            row(s, "efficiencies", String.format(Locale.ROOT, "hbm %.2f, compute %.2f", e.hbmEfficiency(), e.computeEfficiency()), "Efficiency.defaults(gpu, engine) with the plan's tuning overrides; fitted in docs/calibration.md");
            if (p.simulated()) {
                RooflineStepTime m = new RooflineStepTime(l, plan.cluster().gpu(), e, p.inputs().comm());
                int b = (int) Math.max(1, Math.round(p.result().meanRunning()));
                double ctx = b * (w.prompt().mean() + w.output().mean() / 2);
                var br = m.breakdown(b, ctx, 0, 0, 0);
                row(s, "decode step at the mean batch " + b, PredictionRenderer.t(br.total()), String.format(Locale.ROOT,
                        "pp × (linear %s + attention %s + collectives %s + overheads) + step overhead", PredictionRenderer.t(br.linear()),
                        PredictionRenderer.t(br.attention()), PredictionRenderer.t(br.collectives())));
            }
        }
        if (p.simulated()) {
            SimResult r = p.result();
            row(s, "output throughput", String.format(Locale.ROOT, "%.0f tok/s", r.outputThroughput()), String.format(Locale.ROOT, "%d output tokens / %.1f s from first arrival to last finish", r.outputTokens(), r.makespan()));
            row(s, "preemptions", String.valueOf(r.preemptions()), "running requests evicted (newest first) when no KV block was free, recomputed later");
        }
        return s.append("</table>\n").toString();
    }

    /** Each SLO of the plan against the simulated value, then the prediction's diagnostics. */
    private static String slos(Prediction p) {
        StringBuilder s = new StringBuilder();
        var slos = p.plan().slos();
        if (slos.isEmpty()) s.append("<p>the plan states no SLOs</p>\n");
        else {
            s.append("<table><tr><th>objective</th><th>predicted</th><th>met</th></tr>\n");
            for (var o : slos) {
                String target = o.metric() + " " + (o.percentile() <= 0 ? "mean" : "p" + Fmt.g(o.percentile())) + " " + o.op() + " "
                        + (o.metric().equals("throughput") ? String.format(Locale.ROOT, "%.0f tokens/s", o.bound()) : PredictionRenderer.t(o.bound()));
                if (!p.simulated()) {
                    row(s, target, "not simulated", "-");
                    continue;
                }
                double v = Predictor.value(p.result(), o);
                String got = o.metric().equals("throughput") ? String.format(Locale.ROOT, "%.0f tokens/s", v) : PredictionRenderer.t(v);
                row(s, target, got, o.satisfiedBy(v) ? "yes" : "no");
            }
            s.append("</table>\n");
        }
        if (!p.diagnostics().isEmpty()) {
            s.append("<ul>\n");
            for (var d : dev.shardplan.diag.Diagnostics.sort(p.diagnostics())) {
                s.append("<li>").append(esc(d.severity().label() + "[" + d.code().id() + "]: " + d.message()
                        + (d.help().isEmpty() ? "" : " (help: " + d.help() + ")"))).append("</li>\n");
            }
            s.append("</ul>\n");
        }
        return s.toString();
    }

    /** Short numbers for labels. */
    private static final class Fmt {
        static String g(double d) {
            return d == Math.rint(d) ? String.valueOf((long) d) : String.valueOf(d);
        }
    }

    private static void row(StringBuilder s, String q, String v, String d) {
        s.append("<tr><td>").append(esc(q)).append("</td><td>").append(esc(v)).append("</td><td>").append(esc(d)).append("</td></tr>\n");
    }

    private static String gib(double b) {
        return String.format(Locale.ROOT, "%.2f GiB", b / (1L << 30));
    }

    private static StringBuilder svg(String name) {
        return new StringBuilder(String.format(Locale.ROOT,
                "<svg data-chart=\"%s\" xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\">\n",
                name, W, H, W, H));
    }

    private static void axes(StringBuilder s, String yLabel, String xLabel) {
        s.append(String.format(Locale.ROOT, "<line class=\"axis\" x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\"/>\n", L, H - B, W - 10, H - B));
        s.append(String.format(Locale.ROOT, "<line class=\"axis\" x1=\"%d\" y1=\"10\" x2=\"%d\" y2=\"%d\"/>\n", L, L, H - B));
        s.append(String.format(Locale.ROOT, "<text class=\"lbl\" x=\"%d\" y=\"%d\">%s</text>\n", L + 5, H - 5, esc(xLabel)));
        s.append(String.format(Locale.ROOT, "<text class=\"lbl\" x=\"5\" y=\"%d\" transform=\"rotate(-90 12 %d)\">%s</text>\n", H - B, H - B, esc(yLabel)));
    }

    private static double x(double f) {
        return L + 10 + f * (W - L - 30);
    }

    private static double y(double f) {
        return H - B - f * (H - B - 20);
    }

    private static String legend(List<Prediction> cands) {
        StringBuilder s = new StringBuilder("<ol>");
        for (Prediction p : cands) s.append("<li>").append(esc(label(p))).append("</li>");
        return s.append("</ol>\n").toString();
    }

    static String label(Prediction p) {
        var par = p.plan().parallel();
        return String.format(Locale.ROOT, "%s (dp %d, tp %d, pp %d%s, max_num_seqs %d)", p.plan().name(), par.dp(), par.tp(), par.pp(),
                p.plan().model().isMoe() ? ", ep " + par.ep() : "", p.plan().engine().maxNumSeqs());
    }

    static String esc(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
