package dev.shardplan.report;

import dev.shardplan.analysis.Collective;
import dev.shardplan.analysis.Interconnect;
import dev.shardplan.engine.MemoryBudget;
import dev.shardplan.layout.GroupKind;
import dev.shardplan.layout.Rank;
import dev.shardplan.layout.RankLayout;
import dev.shardplan.predict.CliffSweep;
import dev.shardplan.predict.Search;
import dev.shardplan.predict.SimResult;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** The report's charts, each a figure with its legend and a caption that says what is drawn. */
final class Charts {
    private Charts() {}

    static final String[] SERIES = {"#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#b07aa1", "#9c755f", "#edc948"};
    static final double GIB = 1L << 30;
    static final int W = 760;

    static String colour(int i) {
        return SERIES[i % SERIES.length];
    }

    // ------------------------------------------------------------------ memory per rank

    /** Ranks whose budgets are equal (a stage's TP ranks, a plan's replicas) share one bar. */
    record Bar(int first, int last, int stage, MemoryBudget budget) {
        String label() {
            return first == last ? "rank " + first : "ranks " + first + "–" + last;
        }
    }

    static List<Bar> bars(PlanReport r) {
        List<MemoryBudget> ms = r.analysis().memory();
        List<Bar> out = new ArrayList<>();
        for (int i = 0; i < ms.size(); i++) {
            MemoryBudget b = ms.get(i);
            Bar last = out.isEmpty() ? null : out.get(out.size() - 1);
            if (last != null && same(last.budget(), b)) out.set(out.size() - 1, new Bar(last.first(), i, last.stage(), last.budget()));
            else out.add(new Bar(i, i, b.stage(), b));
        }
        return out;
    }

    private static boolean same(MemoryBudget a, MemoryBudget b) {
        return a.stage() == b.stage() && a.weights() == b.weights() && a.activation() == b.activation() && a.nonTorch() == b.nonTorch()
                && a.cudaGraph() == b.cudaGraph() && a.kvPool() == b.kvPool() && a.total() == b.total() && a.usable() == b.usable();
    }

    static final String[] MEM_NAMES = {"weights", "activation peak", "non-torch (CUDA context, NCCL)", "CUDA graphs", "KV cache pool",
            "left to other processes"};
    static final String[] MEM_COLOURS = {"#4e79a7", "#f28e2b", "#edc948", "#b07aa1", "#59a14f", "#e8eaed"};

    /** One rank's memory, by component, in bytes: what {@link #MEM_NAMES} names. */
    static double[] parts(MemoryBudget b) {
        double fixed = b.weights() + b.activation() + b.nonTorch() + b.cudaGraph();
        return new double[]{b.weights(), b.activation(), b.nonTorch(), b.cudaGraph(), Math.max(0, b.kvPool()),
                Math.max(0, b.total() - Math.max(b.usable(), fixed))};
    }

    /** Stacked bars per rank (equal ranks merged), with the engine's budget and the HBM size as lines. */
    static String memory(PlanReport r, String chartName) {
        return memory(List.of(r), chartName, "Memory per GPU, by component");
    }

    /**
     * One chart for several plans on the same GPUs and budget: each plan's bars side by side,
     * its name beneath them. Plans on other GPUs or budgets get a chart each.
     */
    static String memory(List<PlanReport> rs, String chartName, String title) {
        MemoryBudget first = rs.get(0).analysis().memory().get(0);
        for (PlanReport r : rs) {
            MemoryBudget b = r.analysis().memory().get(0);
            if (b.total() != first.total() || b.usable() != first.usable()) {
                StringBuilder s = new StringBuilder();
                for (int i = 0; i < rs.size(); i++) {
                    s.append("<h3>").append(Html.esc(rs.get(i).label())).append("</h3>\n")
                            .append(memory(List.of(rs.get(i)), chartName + "-" + i, title));
                }
                return s.toString();
            }
        }
        List<Bar> bars = new ArrayList<>();
        List<Integer> owner = new ArrayList<>();
        for (int i = 0; i < rs.size(); i++) {
            for (Bar b : bars(rs.get(i))) {
                bars.add(b);
                owner.add(i);
            }
        }
        double top = first.total();
        for (Bar b : bars) {
            double[] p = parts(b.budget());
            top = Math.max(top, Math.max(b.budget().total(), p[0] + p[1] + p[2] + p[3] + p[4]));
        }
        boolean several = rs.size() > 1;
        boolean pp = rs.stream().anyMatch(r -> r.analysis().layout().pp() > 1);
        Chart c = new Chart(chartName, W, several ? (pp ? 358 : 340) : 320);
        if (several) c.bottom = pp ? 72 : 62;
        double[] yt = c.yRange(0, top / GIB * 1.04);
        c.yAxis(yt, "memory per GPU (GiB)", Chart::trim);
        // a gap of half a slot between plans
        double slots = bars.size() + (rs.size() - 1) * 0.5;
        double slot = (c.plotRight() - c.plotLeft()) / slots;
        double bw = Math.min(70, slot * 0.62);
        double[] centres = new double[bars.size()];
        String[] labels = new String[bars.size()], subs = new String[bars.size()];
        c.x0 = 0;
        c.x1 = slots;
        for (int i = 0; i < bars.size(); i++) {
            Bar bar = bars.get(i);
            double cx = c.plotLeft() + slot * (i + owner.get(i) * 0.5 + 0.5);
            centres[i] = cx;
            labels[i] = bar.label();
            subs[i] = pp ? "stage " + bar.stage() : null;
            double[] p = parts(bar.budget());
            double y = 0;
            String who = several ? rs.get(owner.get(i)).label() + ", " + bar.label() : bar.label();
            for (int k = 0; k < p.length; k++) {
                if (p[k] <= 0) continue;
                double y2 = y + p[k] / GIB;
                c.rect(cx - bw / 2, c.py(y2), bw, c.py(y) - c.py(y2), MEM_COLOURS[k], "mark bar", who + ": " + MEM_NAMES[k] + " " + Html.gib(p[k]));
                y = y2;
            }
            MemoryBudget b = bar.budget();
            if (c.py(0) - c.py(p[0] / GIB) > 16 && bw > 30) {
                c.text(cx, c.py(p[0] / GIB / 2) + 4, "middle", "value inverse", String.format(Locale.ROOT, "%.1f", p[0] / GIB));
            }
            double fixedTop = (p[0] + p[1] + p[2] + p[3]) / GIB;
            if (b.kvPool() > 0) {
                if (c.py(fixedTop) - c.py(fixedTop + p[4] / GIB) > 16 && bw > 30) {
                    c.text(cx, c.py(fixedTop + p[4] / GIB / 2) + 4, "middle", "value", String.format(Locale.ROOT, "%.1f", b.kvPool() / GIB));
                }
            } else {
                double over = b.weights() + b.activation() + b.nonTorch() + b.cudaGraph() - b.usable();
                c.text(cx, c.py(fixedTop) - 6, "middle", "value miss-label", String.format(Locale.ROOT, "over by %.1f GiB", over / GIB));
            }
        }
        c.xCategories(centres, labels, subs, several ? "rank, by plan" : pp ? "rank (pipeline stage beneath)" : "rank");
        if (several) {
            int from = 0;
            for (int i = 0; i < rs.size(); i++) {
                int to = from;
                while (to + 1 < bars.size() && owner.get(to + 1) == i) to++;
                double mid = (centres[from] + centres[to]) / 2;
                c.text(mid, c.plotBottom() + (pp ? 45 : 32), "middle", "plan-label", rs.get(i).label());
                from = to + 1;
            }
        }
        c.frame();
        if (c.py(first.usable() / GIB) - c.py(first.total() / GIB) > 16) {
            c.hline(first.usable() / GIB, "#cf222e", String.format(Locale.ROOT, "engine budget %.1f GiB (%.2f of HBM)",
                    first.usable() / GIB, first.fraction()), "ref");
            c.hline(first.total() / GIB, "#57606a", String.format(Locale.ROOT, "HBM %.1f GiB", first.total() / GIB), "ref");
        } else {
            c.hline(first.usable() / GIB, "#cf222e", String.format(Locale.ROOT, "engine budget %.1f GiB (%.2f of HBM %.1f GiB)",
                    first.usable() / GIB, first.fraction(), first.total() / GIB), "ref");
        }
        List<String> names = new ArrayList<>(List.of(MEM_NAMES)), cols = new ArrayList<>(List.of(MEM_COLOURS));
        List<String> styles = new ArrayList<>(List.of("box", "box", "box", "box", "box", "box"));
        names.add("engine budget");
        cols.add("#cf222e");
        styles.add("dash");
        String caption = String.format(Locale.ROOT,
                "Each bar stacks one GPU's memory (GiB; the numbers are the weights and the KV cache pool) the way %s accounts for it: "
                        + "the budget (%.2f × %.1f GiB) minus the shard's weights, the activation peak of a %s-token step, non-torch memory "
                        + "and CUDA graphs is the KV cache pool. Ranks with equal budgets share a bar.%s",
                first.engine().id(), first.fraction(), first.total() / GIB, Html.num(batchedTokens(rs.get(0))),
                pp ? " Pipeline stages hold different layers, so their pools differ; a replica's KV cache is clamped to the smallest." : "");
        return Html.figure(title, Html.legend(chartName, names, cols, styles),
                c.svg("memory per rank, stacked by component, with the engine budget line"), caption);
    }

    private static double batchedTokens(PlanReport r) {
        return r.analysis().engine().maxBatchedTokens();
    }

    // ------------------------------------------------------------------ KV timeline

    /** KV blocks in use over time, one line per simulated plan. */
    static String kvTimeline(List<PlanReport> rs, String chartName) {
        List<PlanReport> sim = rs.stream().filter(PlanReport::simulated).toList();
        double tmax = 1e-9;
        for (PlanReport r : sim) tmax = Math.max(tmax, r.prediction().result().makespan());
        boolean minutes = tmax > 900;
        double scale = minutes ? 60 : 1;
        Chart c = new Chart(chartName, W, 300);
        double[] yt = c.yRange(0, 100);
        double[] xt = c.xRange(0, tmax / scale);
        c.yAxis(yt, "KV blocks in use (% of pool)", v -> Chart.trim(v) + "%");
        c.xAxis(xt, minutes ? "time since the first arrival (min)" : "time since the first arrival (s)", Chart::compact);
        c.frame();
        List<String> names = new ArrayList<>(), cols = new ArrayList<>(), styles = new ArrayList<>();
        for (int i = 0; i < sim.size(); i++) {
            SimResult res = sim.get(i).prediction().result();
            double[] t = res.timeT(), u = res.timeUtil();
            List<double[]> pts = new ArrayList<>();
            // At most ~400 points: the largest use within each bucket, so the peaks stay visible.
            int buckets = 400;
            double bucket = Math.max(1e-9, tmax / buckets);
            int j = 0;
            while (j < t.length) {
                int b = (int) Math.floor(t[j] / bucket);
                double peak = u[j], at = t[j];
                int k = j;
                while (k < t.length && (int) Math.floor(t[k] / bucket) == b) {
                    if (u[k] >= peak) {
                        peak = u[k];
                        at = t[k];
                    }
                    k++;
                }
                pts.add(new double[]{c.px(at / scale), c.py(100 * peak)});
                j = k;
            }
            String label = sim.get(i).label();
            c.polyline(pts, colour(i), String.format(Locale.ROOT, "%s: peak %.0f%% of the KV pool, %d preemptions", label,
                    100 * res.peakKvUtil(), res.preemptions()), false);
            names.add(label + String.format(Locale.ROOT, " (peak %.0f%%)", 100 * res.peakKvUtil()));
            cols.add(colour(i));
            styles.add("line");
        }
        String caption = "The share of the KV cache's blocks in use while the simulated engine serves the plan's workload "
                + "(all replicas together). A line pinned at 100% is the capacity trap: the scheduler preempts and recomputes.";
        if (sim.size() < rs.size()) caption += " Plans that do not fit are not simulated and have no line.";
        return Html.figure("KV cache use over time", Html.legend(chartName, names, cols, styles),
                c.svg("KV cache utilisation over time"), caption);
    }

    // ------------------------------------------------------------------ reasoning cliff

    static String cliff(List<PlanReport> rs, String chartName) {
        List<PlanReport> sim = rs.stream().filter(r -> r.cliff() != null).toList();
        double max = 1;
        for (PlanReport r : sim) for (double v : r.cliff().throughput()) max = Math.max(max, v);
        int[] lengths = sim.isEmpty() ? CliffSweep.LENGTHS : sim.get(0).cliff().outputTokens();
        Chart c = new Chart(chartName, W, 300);
        double[] yt = c.yRange(0, max * 1.05);
        c.yAxis(yt, "output throughput (tokens/s)", Chart::compact);
        c.x0 = -0.3;
        c.x1 = lengths.length - 0.7;
        double[] centres = new double[lengths.length];
        String[] labels = new String[lengths.length];
        for (int i = 0; i < lengths.length; i++) {
            centres[i] = c.px(i);
            labels[i] = Chart.compact(lengths[i]);
            c.body.append(String.format(Locale.ROOT, "<line class=\"grid\" x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\"/>\n",
                    centres[i], c.plotTop(), centres[i], c.plotBottom()));
        }
        c.xCategories(centres, labels, null, "output length of every request (tokens)");
        c.frame();
        List<String> names = new ArrayList<>(), cols = new ArrayList<>(), styles = new ArrayList<>();
        for (int k = 0; k < sim.size(); k++) {
            CliffSweep s = sim.get(k).cliff();
            List<double[]> pts = new ArrayList<>();
            for (int i = 0; i < s.outputTokens().length; i++) pts.add(new double[]{c.px(i), c.py(s.throughput()[i])});
            c.polyline(pts, colour(k), sim.get(k).label(), false);
            for (int i = 0; i < pts.size(); i++) {
                c.circle(pts.get(i)[0], pts.get(i)[1], 3.5, colour(k), String.format(Locale.ROOT, "%s: %s-token outputs, %s tokens/s",
                        sim.get(k).label(), Html.num(s.outputTokens()[i]), Html.num(s.throughput()[i])));
            }
            names.add(sim.get(k).label());
            cols.add(colour(k));
            styles.add("line");
        }
        CliffSweep any = sim.isEmpty() ? null : sim.get(0).cliff();
        String caption = any == null ? "No plan was simulated." : String.format(Locale.ROOT,
                "The reasoning cliff: output throughput of a batch of %d requests with %d-token prompts, all arriving at once, "
                        + "for outputs of %s tokens each (not the plan's workload; the same batch for every plan). Where a line falls, "
                        + "the KV cache runs out before the batch finishes and the engine preempts.",
                any.requests(), any.promptTokens(), String.join(", ", java.util.Arrays.stream(any.outputTokens()).mapToObj(Html::num).toList()));
        return Html.figure("Throughput against output length (the reasoning cliff)", Html.legend(chartName, names, cols, styles),
                c.svg("output throughput against output length"), caption);
    }

    // ------------------------------------------------------------------ Pareto front

    /** Every simulated candidate as a point, the front joined and labelled with each point's layout. */
    static String pareto(Search.Result res, String chartName) {
        List<Search.Candidate> all = res.ranked();
        double tmax = 1e-9, thr = 1;
        for (Search.Candidate c : all) {
            tmax = Math.max(tmax, c.result().tpot().p50() * 1e3);
            thr = Math.max(thr, c.result().outputThroughput());
        }
        Chart c = new Chart(chartName, W, 380);
        double[] yt = c.yRange(0, thr * 1.08);
        double[] xt = c.xRange(0, tmax * 1.1);
        c.yAxis(yt, "output throughput (tokens/s)", Chart::compact);
        c.xAxis(xt, "median time per output token, TPOT p50 (ms)", Chart::trim);
        c.frame();
        List<Search.Candidate> front = new ArrayList<>(res.pareto());
        front.sort(java.util.Comparator.comparingDouble(x -> x.result().tpot().p50()));
        for (Search.Candidate x : all) {
            if (front.contains(x)) continue;
            c.circle(c.px(x.result().tpot().p50() * 1e3), c.py(x.result().outputThroughput()), 3.5, "#9aa4ae", point(x));
            c.obstacle(c.px(x.result().tpot().p50() * 1e3), c.py(x.result().outputThroughput()), 3.5);
        }
        List<double[]> line = new ArrayList<>();
        for (Search.Candidate x : front) line.add(new double[]{c.px(x.result().tpot().p50() * 1e3), c.py(x.result().outputThroughput())});
        if (line.size() > 1) c.polyline(line, "#e15759", "the Pareto front: no other candidate is both faster per token and higher in throughput", false);
        for (int i = 1; i < line.size(); i++) {
            double[] a = line.get(i - 1), b = line.get(i);
            int n = (int) Math.ceil(Math.hypot(b[0] - a[0], b[1] - a[1]) / 5);
            for (int k = 0; k <= n; k++) c.obstacle(a[0] + (b[0] - a[0]) * k / Math.max(1, n), a[1] + (b[1] - a[1]) * k / Math.max(1, n), 2);
        }
        Search.Candidate winner = res.winner();
        for (Search.Candidate x : front) {
            double px = c.px(x.result().tpot().p50() * 1e3), py = c.py(x.result().outputThroughput());
            c.circle(px, py, 5.5, "#e15759", point(x));
            c.obstacle(px, py, x == winner ? 10 : 6);
        }
        if (winner != null) {
            double px = c.px(winner.result().tpot().p50() * 1e3), py = c.py(winner.result().outputThroughput());
            c.body.append(String.format(Locale.ROOT, "<circle class=\"mark winner\" cx=\"%.1f\" cy=\"%.1f\" r=\"9\" fill=\"none\" "
                    + "stroke=\"#1f2328\" stroke-width=\"2\"><title>winner: %s</title></circle>\n", px, py, Html.esc(point(winner))));
        }
        for (Search.Candidate x : front) {
            double px = c.px(x.result().tpot().p50() * 1e3), py = c.py(x.result().outputThroughput());
            c.pointLabel(px, py, x.label() + (x == winner ? " (winner)" : ""), "plabel front");
        }
        String legend = Html.legend(chartName, List.of("candidate (" + all.size() + " simulated)", "Pareto front (" + front.size() + ")", "winner"),
                List.of("#9aa4ae", "#e15759", "#1f2328"), List.of("dot", "dot", "dot"));
        String caption = String.format(Locale.ROOT, "Every candidate of search %s that fits, placed by its predicted median TPOT "
                        + "and output throughput on the search's workload. The front joins the candidates no other beats on both; each "
                        + "is labelled with its layout (dp, tp, pp%s, max_num_seqs, KV dtype). %d candidates were discarded before "
                        + "simulation (they break a divisibility rule or do not fit) and are not drawn.",
                res.space().name(), res.space().model().isMoe() ? ", ep" : "", res.discarded().size());
        return Html.figure("Pareto front: throughput against time per output token", legend, c.svg("Pareto front of the search"), caption);
    }

    private static String point(Search.Candidate x) {
        return String.format(Locale.ROOT, "%s: %s tokens/s, TPOT p50 %s", x.label(), Html.num(x.result().outputThroughput()),
                Html.seconds(x.result().tpot().p50()));
    }

    /** The hand-written plans of a comparison on the same axes as a search's front. */
    static String tradeOff(List<PlanReport> rs, String chartName) {
        List<PlanReport> sim = rs.stream().filter(PlanReport::simulated).toList();
        double tmax = 1e-9, thr = 1;
        for (PlanReport r : sim) {
            tmax = Math.max(tmax, r.prediction().result().tpot().p50() * 1e3);
            thr = Math.max(thr, r.prediction().result().outputThroughput());
        }
        Chart c = new Chart(chartName, W, 320);
        double[] yt = c.yRange(0, thr * 1.1);
        double[] xt = c.xRange(0, tmax * 1.15);
        c.yAxis(yt, "output throughput (tokens/s)", Chart::compact);
        c.xAxis(xt, "median time per output token, TPOT p50 (ms)", Chart::trim);
        c.frame();
        List<String> names = new ArrayList<>(), cols = new ArrayList<>();
        for (int i = 0; i < sim.size(); i++) {
            SimResult res = sim.get(i).prediction().result();
            double px = c.px(res.tpot().p50() * 1e3), py = c.py(res.outputThroughput());
            c.circle(px, py, 6, colour(i), String.format(Locale.ROOT, "%s: %s tokens/s, TPOT p50 %s", sim.get(i).label(),
                    Html.num(res.outputThroughput()), Html.seconds(res.tpot().p50())));
            c.obstacle(px, py, 7);
            names.add(sim.get(i).label());
            cols.add(colour(i));
        }
        for (int i = 0; i < sim.size(); i++) {
            SimResult res = sim.get(i).prediction().result();
            c.pointLabel(c.px(res.tpot().p50() * 1e3), c.py(res.outputThroughput()), sim.get(i).label(), "plabel");
        }
        return Html.figure("Throughput against time per output token", Html.legend(chartName, names, cols,
                        names.stream().map(n -> "dot").toList()), c.svg("throughput against TPOT of each plan"),
                "Each simulated plan by its predicted median TPOT and output throughput on its own workload: up and to the left is better.");
    }

    // ------------------------------------------------------------------ decode step

    /** Where a decode step's time goes, per plan: roofline compute and each collective. */
    static String step(List<PlanReport> rs, String chartName) {
        Map<String, String> kinds = new LinkedHashMap<>();
        kinds.put("compute (roofline)", "#4e79a7");
        for (PlanReport r : rs) {
            for (Collective col : r.analysis().interconnect().decode()) kinds.putIfAbsent(col.name(), collectiveColour(col));
        }
        int rowH = 30;
        int labelW = 0;
        for (PlanReport r : rs) labelW = Math.max(labelW, r.label().length());
        Chart c = new Chart(chartName, W, 22 + rs.size() * rowH + 60);
        c.left = (int) Math.min(260, Math.max(90, labelW * Chart.CHAR_W + 14));
        double max = 1e-9;
        double plotW = c.plotRight() - c.plotLeft();
        for (PlanReport r : rs) {
            // room right of each bar for its "12.3 ms (collectives 45%)" label
            double ms = r.analysis().interconnect().decodeStep().seconds() * 1e3;
            max = Math.max(max, ms * plotW / Math.max(plotW * 0.4, plotW - 30 * Chart.CHAR_W - 8));
        }
        double[] xt = c.xRange(0, max);
        c.y0 = 0;
        c.y1 = rs.size();
        c.xAxis(xt, "time of one decode step of one replica (ms)", Chart::trim);
        c.frame();
        for (int i = 0; i < rs.size(); i++) {
            PlanReport r = rs.get(i);
            Interconnect ic = r.analysis().interconnect();
            double y = c.plotTop() + i * rowH + 6, h = rowH - 12;
            c.text(c.plotLeft() - 6, y + h / 2 + 4, "end", "tick", r.label());
            double x = 0;
            double comp = ic.decodeStep().computeSeconds() * 1e3;
            c.rect(c.px(x), y, c.px(x + comp) - c.px(x), h, kinds.get("compute (roofline)"), "mark bar",
                    r.label() + ": compute " + Html.seconds(comp / 1e3));
            x += comp;
            for (Collective col : ic.decode()) {
                double ms = col.seconds() * 1e3;
                c.rect(c.px(x), y, c.px(x + ms) - c.px(x), h, kinds.get(col.name()), "mark bar", String.format(Locale.ROOT,
                        "%s: %s, %d per step, %s", r.label(), col.name(), col.count(), Html.seconds(col.seconds())));
                x += ms;
            }
            double total = ic.decodeStep().seconds();
            c.text(c.px(x) + 5, y + h / 2 + 4, "start", "value", String.format(Locale.ROOT, "%s (collectives %.0f%%)",
                    Html.seconds(total), 100 * ic.decodeStep().commShare()));
        }
        PlanReport any = rs.get(0);
        String caption = String.format(Locale.ROOT, "One decode step of one replica at the analysis' batch (%s sequences for %s, mean "
                        + "context %s tokens), summed over pipeline stages: the roofline time of the busiest rank's weight and KV reads "
                        + "and FLOPs, then each collective at its group's bottleneck bandwidth on the device graph.",
                Html.num(any.analysis().interconnect().decodeBatch()), any.label(), Html.num(any.analysis().interconnect().decodeContext()));
        return Html.figure("Where a decode step's time goes", Html.legend(chartName, new ArrayList<>(kinds.keySet()),
                new ArrayList<>(kinds.values()), null), c.svg("decode step time by part"), caption);
    }

    private static String collectiveColour(Collective c) {
        return switch (c.group()) {
            case TP -> "#f28e2b";
            case PP -> "#76b7b2";
            case EP -> c.name().contains("all-to-all") ? "#e15759" : "#ff9da7";
            case DP -> "#9c755f";
        };
    }

    /** The share of a decode step the expert-parallel collectives take. */
    static double epShare(Interconnect ic) {
        double ep = 0;
        for (Collective c : ic.decode()) if (c.group() == GroupKind.EP) ep += c.seconds();
        return ic.decodeStep().seconds() > 0 ? ep / ic.decodeStep().seconds() : 0;
    }

    // ------------------------------------------------------------------ MoE: experts per rank

    static String experts(PlanReport r, String chartName) {
        RankLayout l = r.analysis().layout();
        int experts = r.plan().model().moe().experts();
        List<int[]> groups = new ArrayList<>(); // first rank, last rank, experts held, width share
        for (Rank k : l.ranks()) {
            int held = k.shard().experts().size();
            int[] last = groups.isEmpty() ? null : groups.get(groups.size() - 1);
            if (last != null && last[2] == held && last[3] == k.shard().experts().start()) last[1] = k.rank();
            else groups.add(new int[]{k.rank(), k.rank(), held, k.shard().experts().start()});
        }
        Chart c = new Chart(chartName, W, 290);
        double[] yt = c.yRange(0, experts * 1.05);
        c.yAxis(yt, "routed experts held per MoE layer", Chart::trim);
        double slot = (c.plotRight() - c.plotLeft()) / (double) groups.size();
        double bw = Math.min(60, slot * 0.6);
        double[] centres = new double[groups.size()];
        String[] labels = new String[groups.size()], subs = new String[groups.size()];
        c.x0 = 0;
        c.x1 = groups.size();
        for (int i = 0; i < groups.size(); i++) {
            int[] g = groups.get(i);
            double cx = c.plotLeft() + slot * (i + 0.5);
            centres[i] = cx;
            labels[i] = g[0] == g[1] ? "rank " + g[0] : "ranks " + g[0] + "–" + g[1];
            subs[i] = g[2] == 0 ? "none" : g[3] + "–" + (g[3] + g[2] - 1);
            c.rect(cx - bw / 2, c.py(g[2]), bw, c.py(0) - c.py(g[2]), "#e15759", "mark bar",
                    labels[i] + ": " + g[2] + " of " + experts + " routed experts, at 1/" + l.moeTp() + " of their width");
            c.text(cx, c.py(g[2]) - 5, "middle", "value", String.valueOf(g[2]));
        }
        c.xCategories(centres, labels, subs, "rank (the experts it holds beneath)");
        c.frame();
        c.hline(experts, "#57606a", "all " + experts + " routed experts", "ref");
        String caption = String.format(Locale.ROOT, "Each MoE layer's %d routed experts are shared by groups of %d ranks: split %d ways "
                        + "by expert (expert parallel) and %d ways by width (expert tensor parallel). Expert parallelism costs a dispatch "
                        + "and a combine all-to-all per MoE layer: %.1f%% of the decode step here.",
                experts, l.moeGroupSize(), l.epSize(), l.moeTp(), 100 * epShare(r.analysis().interconnect()));
        return Html.figure("Experts per rank", "", c.svg("routed experts per rank"), caption);
    }
}
