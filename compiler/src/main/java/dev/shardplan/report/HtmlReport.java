package dev.shardplan.report;

import dev.shardplan.model.Derivation;
import dev.shardplan.analysis.KvCapacity;
import dev.shardplan.engine.MemoryBudget;
import dev.shardplan.analysis.SeqCapacity;
import dev.shardplan.diag.Diagnostic;
import dev.shardplan.diag.Diagnostics;
import dev.shardplan.model.Plan;
import dev.shardplan.model.Slo;
import dev.shardplan.predict.Predictor;
import dev.shardplan.predict.Search;
import dev.shardplan.predict.SimResult;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code shardplan report}: one self-contained HTML file (no scripts, no external resources) with
 * SVG charts that carry their own axes, gridlines, units and legends, so that a printout or a
 * screenshot can be read without hovering. Pages: one plan (or, when it does not fit, why not),
 * a search (the whole Pareto front, the winner and the runner-up), and a comparison of several
 * plans. Every figure comes from the analysis and prediction results it is given; nothing is
 * recomputed here. Each chart is an {@code <svg data-chart=NAME>} whose data marks carry class
 * {@code mark}.
 */
public final class HtmlReport {
    private HtmlReport() {}

    /** The report of one plan: its prediction, or why it does not fit. */
    public static String plan(PlanReport r) {
        Page p = new Page("plan " + r.plan().name());
        p.h1("Plan " + r.plan().name(), summaryLine(r.plan()));
        if (!r.fits()) {
            whyNot(p, r);
            return p.finish();
        }
        cards(p, r);
        p.section("slos", "Service-level objectives", sloTable(r));
        p.section("memory", "Memory per GPU", Charts.memory(r, "memory") + kvTable(r));
        if (r.plan().model().isMoe()) p.section("moe", "Experts", Charts.experts(r, "experts"));
        p.section("step", "Decode step", Charts.step(List.of(r), "step"));
        if (r.simulated()) {
            p.section("kv", "KV cache over time", Charts.kvTimeline(List.of(r), "kv"));
            p.section("cliff", "Reasoning cliff", Charts.cliff(List.of(r), "cliff"));
            p.section("latency", "Latency distributions", latencyTable(List.of(r)));
        }
        p.section("findings", "Findings", findingsOf(r));
        p.section("derivation", "How the figures were derived", derivation(r));
        return p.finish();
    }

    /** The report of a search: every candidate on the Pareto chart; winner and runner-up in detail. */
    public static String search(Search.Result res, List<PlanReport> top) {
        Page p = new Page("search " + res.space().name());
        int all = res.ranked().size() + res.discarded().size();
        p.h1("Search " + res.space().name(), String.format(Locale.ROOT, "%s on %s (%d GPUs), workload %s, objective %s",
                res.space().model().name(), res.space().cluster().name(), res.space().gpuCount(), res.space().workload().name(),
                res.space().objective().name().toLowerCase(Locale.ROOT).replace('_', ' ')));
        StringBuilder cards = new StringBuilder("<div class=\"cards\">");
        cards.append(card(Html.num(all), "candidate plans", ""));
        cards.append(card(Html.num(res.ranked().size()), "fit and were simulated", ""));
        cards.append(card(Html.num(res.discarded().size()), "discarded before simulation", ""));
        cards.append(card(Html.num(res.pareto().size()), "on the Pareto front", ""));
        if (res.winner() != null) {
            cards.append(card(Html.num(res.winner().result().outputThroughput()) + " tok/s", "winner: " + res.winner().label(), "good"));
        } else {
            cards.append(card("none", "no candidate fits", "bad"));
        }
        p.raw(cards.append("</div>\n").toString());
        p.raw("<p>" + Html.esc(res.why()) + "</p>\n");
        if (!res.ranked().isEmpty()) {
            p.section("pareto", "Pareto front", Charts.pareto(res, "pareto"));
            p.section("ranking", "Ranking", ranking(res));
        }
        if (!res.discarded().isEmpty()) p.section("discarded", "Discarded candidates", discarded(res));
        if (!top.isEmpty()) {
            String names = top.size() > 1 ? "winner and runner-up" : "winner";
            p.section("memory", "Memory per GPU of the " + names, Charts.memory(top, "memory",
                    "Memory per GPU: " + String.join(" (winner), ", top.stream().map(PlanReport::label).toList()) + (top.size() > 1 ? " (runner-up)" : " (winner)")));
            p.section("kv", "KV cache over time, " + names, Charts.kvTimeline(top, "kv"));
            p.section("cliff", "Reasoning cliff, " + names, Charts.cliff(top, "cliff"));
            p.section("step", "Decode step, " + names, Charts.step(top, "step"));
            if (top.get(0).plan().model().isMoe()) p.section("moe", "Experts of the winner", Charts.experts(top.get(0), "experts"));
            p.section("latency", "Latency, " + names, latencyTable(top));
            p.section("derivation", "How the winner's figures were derived", derivation(top.get(0)));
        }
        return p.finish();
    }

    /** Several plans side by side: a table of their figures, then each chart with every plan. */
    public static String compare(List<PlanReport> rs) {
        Page p = new Page("comparison of " + String.join(", ", rs.stream().map(PlanReport::label).toList()));
        p.h1("Comparison of " + rs.size() + " plans", String.join("; ", rs.stream().map(r -> r.label() + " (" + layout(r.plan())
                + ", " + r.plan().model().name() + " on " + r.plan().parallel().worldSize() + " × " + r.plan().cluster().gpu().name()
                + ", workload " + r.plan().workload().name() + ")").toList()));
        p.section("table", "Side by side", comparisonTable(rs));
        List<PlanReport> sim = rs.stream().filter(PlanReport::simulated).toList();
        if (sim.size() > 1) p.section("tradeoff", "Throughput and latency", Charts.tradeOff(sim, "tradeoff"));
        p.section("memory", "Memory per GPU", Charts.memory(rs, "memory", "Memory per GPU of each plan, by component"));
        if (!sim.isEmpty()) {
            p.section("kv", "KV cache over time", Charts.kvTimeline(rs, "kv"));
            p.section("cliff", "Reasoning cliff", Charts.cliff(rs, "cliff"));
        }
        p.section("step", "Decode step", Charts.step(rs, "step"));
        List<PlanReport> moe = rs.stream().filter(r -> r.plan().model().isMoe()).toList();
        for (int i = 0; i < moe.size(); i++) p.section("moe-" + i, "Experts of " + moe.get(i).label(), Charts.experts(moe.get(i), "experts-" + i));
        if (!sim.isEmpty()) p.section("latency", "Latency", latencyTable(sim));
        StringBuilder findings = new StringBuilder();
        for (PlanReport r : rs) findings.append("<h3>").append(Html.esc(r.label())).append("</h3>\n").append(slos(r));
        p.section("slos", "Objectives and findings", findings.toString());
        return p.finish();
    }

    // ------------------------------------------------------------------ sections

    private static String summaryLine(Plan plan) {
        var par = plan.parallel();
        return String.format(Locale.ROOT, "%s on %s (%d × %s), %s; dp %d × tp %d × pp %d%s; workload %s", plan.model().name(),
                plan.cluster().name(), par.worldSize(), plan.cluster().gpu().name(), plan.engine().kind().id(), par.dp(), par.tp(), par.pp(),
                plan.model().isMoe() ? ", ep " + par.ep() : "", plan.workload().name());
    }

    private static String layout(Plan plan) {
        var par = plan.parallel();
        return "dp " + par.dp() + " × tp " + par.tp() + " × pp " + par.pp() + (plan.model().isMoe() ? ", ep " + par.ep() : "");
    }

    private static String card(String value, String what, String cls) {
        return "<div class=\"card " + cls + "\"><b>" + Html.esc(value) + "</b><span>" + Html.esc(what) + "</span></div>";
    }

    private static void cards(Page p, PlanReport r) {
        StringBuilder s = new StringBuilder("<div class=\"cards\">");
        KvCapacity kv = r.analysis().kv();
        s.append(card(Html.num(kv.tokens()) + " tokens", "KV cache per replica (" + Html.num(kv.blocks()) + " blocks of " + kv.blockSize() + ")", ""));
        s.append(card(Html.num(kv.at("p95").sequences()), "sequences of p95 length (" + Html.num(kv.at("p95").length()) + " tokens) per replica", ""));
        if (r.simulated()) {
            SimResult res = r.prediction().result();
            s.append(card(Html.num(res.outputThroughput()) + " tok/s", "output throughput, " + res.requests() + " requests", ""));
            s.append(card(Html.seconds(res.tpot().p50()), "median time per output token", ""));
            s.append(card(Html.num(res.preemptions()), "preemptions", res.preemptions() > 0 ? "bad" : "good"));
        }
        if (r.plan().model().isMoe()) {
            s.append(card(String.format(Locale.ROOT, "%.1f%%", 100 * Charts.epShare(r.analysis().interconnect())), "of the decode step in expert-parallel all-to-all", ""));
        }
        p.raw(s.append("</div>\n").toString());
    }

    /** Each SLO against its prediction (not-applicable ones said so), then every finding of the plan. */
    static String slos(PlanReport r) {
        return sloTable(r) + findingsOf(r);
    }

    /** Every finding of the analyses and the prediction, sorted, with notes and help. */
    static String findingsOf(PlanReport r) {
        List<Diagnostic> ds = new ArrayList<>(r.analysis().diagnostics());
        if (r.prediction() != null) ds.addAll(r.prediction().diagnostics());
        ds = Diagnostics.sort(ds);
        if (ds.isEmpty()) return "<p>No findings: the analyses and the simulation raise nothing.</p>\n";
        return findings(ds);
    }

    /** Each SLO against its prediction; one that does not apply to the workload says so. */
    static String sloTable(PlanReport r) {
        StringBuilder s = new StringBuilder();
        List<Slo> slos = r.plan().slos();
        if (slos.isEmpty()) s.append("<p>The plan states no service-level objectives.</p>\n");
        else {
            s.append("<table class=\"text\"><thead><tr><th>objective</th><th>predicted</th><th>met</th></tr></thead><tbody>\n");
            for (Slo o : slos) {
                String target = o.metric() + " " + (o.percentile() <= 0 ? "mean" : "p" + Chart.trim(o.percentile())) + " " + o.op() + " "
                        + (o.metric().equals("throughput") ? Html.num(o.bound()) + " tokens/s" : Html.seconds(o.bound()));
                String got, met;
                if (!r.simulated()) {
                    got = "not simulated";
                    met = "<span class=\"na\">-</span>";
                } else {
                    double v = Predictor.value(r.prediction().result(), o);
                    got = o.metric().equals("throughput") ? Html.num(v) + " tokens/s" : Html.seconds(v);
                    String na = Predictor.notApplicable(r.plan(), o);
                    met = na != null ? "<span class=\"na\">not judged: the workload is an offline batch (SP0706 under Findings)</span>"
                            : o.satisfiedBy(v) ? "<span class=\"ok\">yes</span>" : "<span class=\"miss\">no</span>";
                }
                s.append("<tr><td>").append(Html.esc(target)).append("</td><td>").append(Html.esc(got)).append("</td><td>").append(met)
                        .append("</td></tr>\n");
            }
            s.append("</tbody></table>\n");
        }
        return s.toString();
    }

    private static String findings(List<Diagnostic> ds) {
        StringBuilder s = new StringBuilder("<ul class=\"findings\">\n");
        for (Diagnostic d : ds) {
            s.append("<li><span class=\"sev ").append(d.severity().label()).append("\">").append(d.severity().label()).append('[')
                    .append(d.code().id()).append("]</span> ").append(Html.esc(d.message()));
            for (String n : d.notes()) s.append("<br><span class=\"help\">note: ").append(Html.esc(n)).append("</span>");
            if (!d.help().isEmpty()) s.append("<br><span class=\"help\">help: ").append(Html.esc(d.help())).append("</span>");
            s.append("</li>\n");
        }
        return s.append("</ul>\n").toString();
    }

    private static String kvTable(PlanReport r) {
        KvCapacity kv = r.analysis().kv();
        List<List<String>> rows = new ArrayList<>();
        for (SeqCapacity c : kv.at()) {
            rows.add(List.of(c.label(), Html.num(c.length()), Html.num(c.blocksPerSeq()), Html.num(c.sequences()),
                    Html.num(c.sequences() * (long) kv.replicas())));
        }
        return "<h3>KV cache capacity</h3>\n<p>" + Html.esc(String.format(Locale.ROOT,
                "Per replica: %s blocks × %d tokens = %s tokens at %s bytes per token (the pool of rank %d, the smallest); %d %s.",
                Html.num(kv.blocks()), kv.blockSize(), Html.num(kv.tokens()), Html.num(kv.bytesPerToken()), kv.limitingRank(),
                kv.replicas(), kv.replicas() == 1 ? "replica" : "replicas"))
                + "</p>\n" + Html.table("", List.of("length", "tokens (prompt + output)", "KV blocks per sequence", "sequences per replica",
                "sequences in all"), rows);
    }

    static String latencyTable(List<PlanReport> rs) {
        List<List<String>> rows = new ArrayList<>();
        for (PlanReport r : rs) {
            if (!r.simulated()) continue;
            SimResult res = r.prediction().result();
            for (String m : List.of("ttft", "tpot", "e2e")) {
                SimResult.Summary s = switch (m) {
                    case "ttft" -> res.ttft();
                    case "tpot" -> res.tpot();
                    default -> res.e2e();
                };
                rows.add(List.of(r.label(), m, Html.seconds(s.mean()), Html.seconds(s.p50()), Html.seconds(s.p90()),
                        Html.seconds(s.p99()), Html.seconds(s.max())));
            }
        }
        return Html.table("", List.of("plan", "metric", "mean", "p50", "p90", "p99", "max"), rows)
                + "<p class=\"help\">TTFT: arrival to first token; TPOT: time per output token after the first; E2E: arrival to last "
                + "token. From the simulation of the workload's requests with the engine's continuous batching over a paged KV cache.</p>\n";
    }

    /** The formulas behind the figures, in the engines' terms, with the numbers put in and their source. */
    static String derivation(PlanReport r) {
        List<List<String>> rows = new ArrayList<>();
        KvCapacity kv = r.analysis().kv();
        MemoryBudget b = r.analysis().memory(Math.max(0, Math.min(kv.limitingRank(), r.analysis().memory().size() - 1)));
        for (Derivation d : b.derivation()) rows.add(List.of(d.quantity(), d.formula(), d.numbers(), d.source()));
        rows.add(List.of("sequences at length L", "KV blocks ÷ ceil(L ÷ block size)",
                Html.num(kv.blocks()) + " ÷ ceil(" + Html.num(kv.at("p95").length()) + " ÷ " + kv.blockSize() + ") = " + Html.num(kv.at("p95").sequences())
                        + " at p95", "vLLM kv_cache_utils maximum concurrency"));
        var ic = r.analysis().interconnect();
        rows.add(List.of("decode step", "pipeline stages × roofline(max(weight and KV bytes ÷ HBM bandwidth, FLOPs ÷ peak)) + collectives",
                Html.seconds(ic.decodeStep().computeSeconds()) + " + " + Html.seconds(ic.decodeStep().commSeconds()) + " = "
                        + Html.seconds(ic.decodeStep().seconds()), "docs/memory-model.md; collectives: ring formulas, formulas.md §7.4"));
        if (r.simulated()) {
            SimResult res = r.prediction().result();
            rows.add(List.of("output throughput", "output tokens ÷ time from the first arrival to the last finish",
                    Html.num(res.outputTokens()) + " ÷ " + Html.seconds(res.makespan()) + " = " + Html.num(res.outputThroughput()) + " tokens/s",
                    "serving simulation (docs/predictions.md)"));
            rows.add(List.of("preemptions", "running requests evicted, newest first, when no KV block is free; recomputed later",
                    Html.num(res.preemptions()) + " (" + Html.num(res.recomputedTokens()) + " tokens recomputed)",
                    "vLLM scheduler, recompute preemption"));
            var e = r.prediction().efficiency();
            if (e != null) {
                rows.add(List.of("achievable fractions", "share of the datasheet HBM bandwidth and FLOPS a step reaches",
                        String.format(Locale.ROOT, "HBM %.2f, compute %.2f", e.hbmEfficiency(), e.computeEfficiency()),
                        "fitted to published runs, docs/calibration.md (std:efficiency)"));
            }
        }
        return "<p>For rank " + kv.limitingRank() + " (stage " + b.stage() + "), whose pool sets the replica's KV cache:</p>\n"
                + Html.table("derivation text", List.of("quantity", "formula", "numbers", "source"), rows);
    }

    /** A plan that does not fit: what overflows on which rank, the findings and what would fit. */
    private static void whyNot(Page p, PlanReport r) {
        String reason = r.prediction() != null && !r.prediction().inputs().reason().isEmpty() ? r.prediction().inputs().reason()
                : "the analyses report errors";
        StringBuilder s = new StringBuilder();
        s.append("<div class=\"cards\">").append(card("does not fit", reason, "bad"));
        MemoryBudget worst = null;
        for (MemoryBudget b : r.analysis().memory()) if (worst == null || b.kvPool() < worst.kvPool()) worst = b;
        if (worst != null) {
            double fixed = worst.weights() + worst.activation() + worst.nonTorch() + worst.cudaGraph();
            s.append(card(Html.gib(worst.weights()), "weights on the fullest GPU", ""));
            s.append(card(Html.gib(worst.usable()), "engine budget per GPU", ""));
            if (worst.kvPool() <= 0) s.append(card(Html.gib(fixed - worst.usable()), "over the budget before any KV cache", "bad"));
            else s.append(card(Html.num(r.analysis().kv().at("max").sequences()), "sequences of the maximum length fit", "bad"));
        }
        s.append("</div>\n");
        p.raw(s.toString());
        p.section("why", "Why it does not fit", findings(Diagnostics.sort(allFindings(r)))
                + "<p class=\"help\">The compiler refuses to emit launch configurations for this plan: the engine would fail at start-up "
                + "(no memory for the KV cache) or could not hold one request of the workload's maximum length. The help lines above say "
                + "what would fit; `shardplan search` explores the alternatives.</p>\n");
        p.section("memory", "Memory per GPU", Charts.memory(r, "memory"));
        p.section("derivation", "How the figures were derived", derivation(r));
    }

    private static List<Diagnostic> allFindings(PlanReport r) {
        List<Diagnostic> ds = new ArrayList<>(r.analysis().diagnostics());
        if (r.prediction() != null) ds.addAll(r.prediction().diagnostics());
        return ds;
    }

    private static String ranking(Search.Result res) {
        List<List<String>> rows = new ArrayList<>();
        int n = Math.min(20, res.ranked().size());
        for (int i = 0; i < n; i++) {
            Search.Candidate c = res.ranked().get(i);
            SimResult r = c.result();
            boolean meets = c.plan().slos().stream().allMatch(o -> Predictor.notApplicable(c.plan(), o) != null
                    || o.satisfiedBy(Predictor.value(r, o)));
            rows.add(List.of(String.valueOf(i + 1), c.label(), Html.num(r.outputThroughput()),
                    Html.num(r.outputThroughput() / Search.gpus(c.plan())), Html.seconds(r.tpot().p50()),
                    Html.seconds(r.ttft().p99()), Html.num(r.preemptions()), c.plan().slos().isEmpty() ? "-" : meets ? "yes" : "no",
                    res.pareto().contains(c) ? "yes" : ""));
        }
        String more = res.ranked().size() > n ? "<p class=\"help\">The first " + n + " of " + res.ranked().size()
                + " simulated candidates; all of them are on the Pareto chart.</p>\n" : "";
        return Html.table("ranking", List.of("#", "layout", "output tokens/s", "per GPU", "TPOT p50", "TTFT p99", "preemptions", "SLOs met",
                "on the front"), rows) + more;
    }

    private static String discarded(Search.Result res) {
        Map<String, Integer> why = new LinkedHashMap<>();
        Map<String, String> example = new LinkedHashMap<>();
        for (Search.Candidate c : res.discarded()) {
            String k = c.discarded().replaceAll("\\d[\\d.,]*", "N");
            why.merge(k, 1, Integer::sum);
            example.putIfAbsent(k, c.label() + ": " + c.discarded());
        }
        List<List<String>> rows = new ArrayList<>();
        for (var e : why.entrySet()) rows.add(List.of(String.valueOf(e.getValue()), example.get(e.getKey())));
        return Html.table("text", List.of("candidates", "reason (one example)"), rows);
    }

    private static String comparisonTable(List<PlanReport> rs) {
        List<String> head = new ArrayList<>(List.of("figure"));
        for (PlanReport r : rs) head.add(r.label());
        List<List<String>> rows = new ArrayList<>();
        rows.add(row("layout", rs, r -> {
            var par = r.plan().parallel();
            return "dp " + par.dp() + " × tp " + par.tp() + " × pp " + par.pp() + (r.plan().model().isMoe() ? ", ep " + par.ep() : "");
        }));
        rows.add(row("model / GPUs", rs, r -> r.plan().model().name() + " / " + r.plan().parallel().worldSize() + " × " + r.plan().cluster().gpu().name()));
        rows.add(row("engine", rs, r -> r.analysis().engine().kind().id() + ", max_num_seqs " + r.analysis().engine().maxSeqs()));
        rows.add(row("fits", rs, r -> r.fits() ? "yes" : "no: " + (r.prediction() == null ? "see findings" : r.prediction().inputs().reason())));
        rows.add(row("weights per GPU (fullest)", rs, r -> Html.gib(r.analysis().memory().stream().mapToLong(MemoryBudget::weights).max().orElse(0))));
        rows.add(row("KV cache per replica", rs, r -> Html.num(r.analysis().kv().tokens()) + " tokens"));
        rows.add(row("sequences at p95 per replica", rs, r -> Html.num(r.analysis().kv().at("p95").sequences())));
        rows.add(row("replicas", rs, r -> String.valueOf(r.analysis().kv().replicas())));
        rows.add(row("decode step (analysis)", rs, r -> Html.seconds(r.analysis().interconnect().decodeStep().seconds())
                + String.format(Locale.ROOT, " (collectives %.0f%%)", 100 * r.analysis().interconnect().decodeStep().commShare())));
        rows.add(row("output throughput", rs, r -> r.simulated() ? Html.num(r.prediction().result().outputThroughput()) + " tokens/s" : "-"));
        rows.add(row("per GPU", rs, r -> r.simulated() ? Html.num(r.prediction().result().outputThroughput() / r.plan().parallel().worldSize()) + " tokens/s" : "-"));
        rows.add(row("TPOT p50", rs, r -> r.simulated() ? Html.seconds(r.prediction().result().tpot().p50()) : "-"));
        rows.add(row("TTFT p99", rs, r -> r.simulated() ? Html.seconds(r.prediction().result().ttft().p99()) : "-"));
        rows.add(row("preemptions", rs, r -> r.simulated() ? Html.num(r.prediction().result().preemptions()) : "-"));
        rows.add(row("peak KV use", rs, r -> r.simulated() ? String.format(Locale.ROOT, "%.0f%%", 100 * r.prediction().result().peakKvUtil()) : "-"));
        rows.add(row("SLOs met", rs, r -> {
            if (!r.simulated() || r.plan().slos().isEmpty()) return "-";
            int met = 0, judged = 0;
            for (Slo o : r.plan().slos()) {
                if (Predictor.notApplicable(r.plan(), o) != null) continue;
                judged++;
                if (o.satisfiedBy(Predictor.value(r.prediction().result(), o))) met++;
            }
            return met + " of " + judged + (judged < r.plan().slos().size() ? " (" + (r.plan().slos().size() - judged) + " not applicable)" : "");
        }));
        return Html.table("", head, rows);
    }

    private static List<String> row(String name, List<PlanReport> rs, java.util.function.Function<PlanReport, String> f) {
        List<String> out = new ArrayList<>(List.of(name));
        for (PlanReport r : rs) out.add(f.apply(r));
        return out;
    }

    /** The page: head with the style, a table of contents from the sections, the body. */
    private static final class Page {
        final String title;
        final StringBuilder head = new StringBuilder(), body = new StringBuilder();
        final List<String[]> toc = new ArrayList<>();

        Page(String title) {
            this.title = title;
        }

        void h1(String h, String lead) {
            head.append("<h1>").append(Html.esc(h)).append("</h1>\n<p class=\"lead\">").append(Html.esc(lead)).append("</p>\n");
        }

        void raw(String html) {
            body.append(html);
        }

        void section(String id, String h, String html) {
            toc.add(new String[]{id, h});
            body.append("<section id=\"").append(id).append("\">\n<h2>").append(Html.esc(h)).append("</h2>\n").append(html).append("</section>\n");
        }

        String finish() {
            StringBuilder s = new StringBuilder("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                    + "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><meta name=\"generator\" content=\"shardplan\">"
                    + "<title>").append(Html.esc(title)).append("</title>\n<style>").append(Html.STYLE).append("</style></head><body>\n");
            s.append("<header>\n").append(head);
            if (toc.size() > 2) {
                s.append("<nav class=\"toc\">");
                for (String[] t : toc) s.append("<a href=\"#").append(t[0]).append("\">").append(Html.esc(t[1])).append("</a>");
                s.append("</nav>\n");
            }
            s.append("</header>\n<main>\n").append(body).append("</main>\n</body></html>\n");
            return s.toString();
        }
    }
}
