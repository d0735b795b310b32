package dev.shardplan.predict;

import dev.shardplan.api.CheckResult;
import dev.shardplan.api.Compiler;
import dev.shardplan.api.Predictions;
import dev.shardplan.diag.Diagnostic;
import dev.shardplan.model.Plan;
import dev.shardplan.model.Search;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The reasoning study, reproduced: compiles plans/study/*.plan, simulates every scenario, the
 * capacity-trap sweep, the reasoning cliff and the crossover searches, and compares the tables
 * with docs/study.md ({@code -Dshardplan.rewrite=true} rewrites them). Each table is produced by
 * the same calls as {@code shardplan simulate} and {@code shardplan search}, with their default seed.
 */
class StudyTest {
    static final String BEGIN = "<!-- study-tables:begin -->\n", END = "<!-- study-tables:end -->";
    static final long SEED = Predictor.DEFAULT_SEED;
    static final Path ROOT = Path.of("..").toAbsolutePath().normalize();

    @Test
    void docsStudyHoldsWhatThePlansPredict() throws IOException {
        // `shardplan check plans/` is the README's first command: it must pass (warnings and notes only)
        CheckResult cr = Compiler.check(ROOT, List.of(ROOT.resolve("plans")));
        assertFalse(cr.hasErrors(), () -> cr.diagnostics().stream().filter(Diagnostic::isError).toList().toString());
        Map<String, Plan> plans = new LinkedHashMap<>();
        for (Plan p : cr.plans()) if (p.sourceFile().startsWith("plans/study/")) plans.put(p.name(), p);
        Map<String, Search> searches = new LinkedHashMap<>();
        for (Search s : cr.searches()) searches.put(s.name(), s);

        Map<String, Prediction> sim = new LinkedHashMap<>();
        for (Plan p : plans.values()) sim.put(p.name(), Predictions.simulate(p, SEED));

        StringBuilder md = new StringBuilder();
        scenarios(md, plans, sim);
        trap(md, searches.get("capacity_trap"));
        cliff(md, sim);
        crossover(md, searches);

        // the shape of the study's findings that the tables must keep showing
        var trap = run(searches.get("capacity_trap"));
        assertTrue(byLabel(trap, "seqs 1024").result().preemptions() > 0, "max_num_seqs 1024 preempts on one H200");
        assertEquals(0, byLabel(trap, "seqs 32").result().preemptions());
        assertTrue(sim.get("llama_405b_tp8").result().outputThroughput() > 2 * sim.get("llama_405b_pp8").result().outputThroughput(),
                "405B: TP8 is many times faster than PP8");

        Path doc = ROOT.resolve("docs/study.md");
        String text = Files.readString(doc, StandardCharsets.UTF_8);
        int b = text.indexOf(BEGIN), e = text.indexOf(END);
        assertTrue(b >= 0 && e > b, "docs/study.md lacks the table markers");
        if (Boolean.getBoolean("shardplan.rewrite")) {
            Files.writeString(doc, text.substring(0, b + BEGIN.length()) + md + text.substring(e), StandardCharsets.UTF_8);
            return;
        }
        assertEquals(md.toString(), text.substring(b + BEGIN.length(), e), "docs/study.md is stale: rerun with -Dshardplan.rewrite=true");
    }

    @Test
    void seventyBWithPureDpDoesNotFitAndIsNotSimulated() {
        Path res = Path.of("src/test/resources/study").toAbsolutePath();
        CheckResult cr = Compiler.check(res, List.of(res.resolve("distill_70b_dp8.plan")));
        // it resolves; the analysis reports that the weights do not fit
        assertEquals(List.of("SP0401"), cr.diagnostics().stream().filter(Diagnostic::isError).map(d -> d.code().id()).toList(),
                () -> cr.diagnostics().toString());
        Prediction p = Predictions.simulate(cr.plans().get(0), SEED);
        assertFalse(p.simulated());
        assertFalse(p.inputs().fits());
        assertTrue(p.diagnostics().stream().map(Diagnostic::message).anyMatch(m -> m.contains("does not fit")), p.diagnostics().toString());
    }

    private final Map<String, dev.shardplan.predict.Search.Result> searchCache = new LinkedHashMap<>();

    private dev.shardplan.predict.Search.Result run(Search s) {
        return searchCache.computeIfAbsent(s.name(), k -> dev.shardplan.predict.Search.run(Predictions.space(s), SEED, Predictions.inputs()));
    }

    private static dev.shardplan.predict.Search.Candidate byLabel(dev.shardplan.predict.Search.Result r, String part) {
        for (var c : r.ranked()) if (c.label().contains(part)) return c;
        throw new AssertionError("no candidate " + part);
    }

    static String layout(Plan p) {
        var par = p.parallel();
        List<String> s = new ArrayList<>();
        if (par.dp() > 1) s.add("dp" + par.dp());
        if (par.tp() > 1) s.add("tp" + par.tp());
        if (par.pp() > 1) s.add("pp" + par.pp());
        return s.isEmpty() ? "1 GPU" : String.join(" ", s);
    }

    static final double GB = 1e9;
    /** The scenario files, smallest model first (the sweep, cliff and crossover have their own tables). */
    static final List<String> SCENARIO_FILES = List.of("distill_8b.plan", "distill_14b.plan", "distill_32b.plan",
            "distill_70b.plan", "llama_405b.plan", "deepseek_r1.plan");

    private static void scenarios(StringBuilder md, Map<String, Plan> plans, Map<String, Prediction> sim) {
        md.append("### Scenarios\n\n`shardplan simulate plans/study/FILE.plan --plan NAME` for every scenario plan "
                + "(2,000 natural_reasoning requests, vLLM, gpu_memory_utilization 0.90, max_num_seqs 1024).\n\n");
        md.append("| plan | model | layout | weights per GPU | KV tokens per replica | output tok/s | preemptions | TPOT p50 | E2E p50 | makespan |\n");
        md.append("|---|---|---|---|---|---|---|---|---|---|\n");
        List<Plan> order = new ArrayList<>();
        for (String f : SCENARIO_FILES) for (Plan p : plans.values()) if (p.sourceFile().equals("plans/study/" + f)) order.add(p);
        for (Plan p : order) {
            Prediction pr = sim.get(p.name());
            md.append(String.format(Locale.ROOT, "| %s | %s | %s | %.1f GB | ", p.name(), p.model().name(), layout(p),
                    pr.load() == null ? 0 : pr.load().residentWeightBytes() / GB));
            if (!pr.simulated()) {
                md.append("does not fit | – | – | – | – | – |\n");
                continue;
            }
            SimResult r = pr.result();
            md.append(String.format(Locale.ROOT, "%,d | %,.0f | %,d | %.1f ms | %.0f s | %.0f s |\n", pr.scheduler().kvTokens(),
                    r.outputThroughput(), r.preemptions(), 1e3 * r.tpot().p50(), r.e2e().p50(), r.makespan()));
        }
        md.append('\n');
    }

    private void trap(StringBuilder md, Search s) {
        var res = run(s);
        md.append("### The capacity trap\n\n`shardplan search plans/study/capacity_trap.plan --search capacity_trap`: "
                + "DeepSeek-R1-Distill-Llama-8B on one H200, 2,000 requests, max_num_seqs swept.\n\n");
        md.append("| max_num_seqs | output tok/s | preemptions | recomputed tokens | mean running | peak KV use | TPOT p50 | E2E p99 |\n");
        md.append("|---|---|---|---|---|---|---|---|\n");
        List<dev.shardplan.predict.Search.Candidate> cs = new ArrayList<>(res.ranked());
        cs.sort(java.util.Comparator.comparingLong(c -> (Long) c.plan().engine().settings().get("max_num_seqs")));
        for (var c : cs) {
            SimResult r = c.result();
            md.append(String.format(Locale.ROOT, "| %d | %,.0f | %,d | %,d | %.0f | %.0f%% | %.1f ms | %.0f s |\n",
                    (Long) c.plan().engine().settings().get("max_num_seqs"), r.outputThroughput(), r.preemptions(), r.recomputedTokens(), r.meanRunning(),
                    100 * r.peakKvUtil(), 1e3 * r.tpot().p50(), r.e2e().p99()));
        }
        md.append(String.format(Locale.ROOT, "%nKV pool: %,d tokens; winner: %s.%n%n",
                res.winner().prediction().scheduler().kvTokens(), res.winner().label()));
    }

    private static void cliff(StringBuilder md, Map<String, Prediction> sim) {
        md.append("### The reasoning cliff\n\nLlama-3.1-405B FP8, TP8, one offline batch (plans/study/cliff.plan and "
                + "`llama_405b_tp8` for 2,000).\n\n");
        md.append("| requests | output tok/s | preemptions | recomputed tokens | mean running | peak KV use | TPOT p50 | makespan |\n");
        md.append("|---|---|---|---|---|---|---|---|\n");
        for (String name : List.of("llama_405b_tp8_batch500", "llama_405b_tp8_batch1000", "llama_405b_tp8", "llama_405b_tp8_batch5000")) {
            Prediction pr = sim.get(name);
            SimResult r = pr.result();
            md.append(String.format(Locale.ROOT, "| %,d | %,.0f | %,d | %,d | %.0f | %.0f%% | %.1f ms | %.0f s |\n",
                    r.requests(), r.outputThroughput(), r.preemptions(), r.recomputedTokens(), r.meanRunning(),
                    100 * r.peakKvUtil(), 1e3 * r.tpot().p50(), r.makespan()));
        }
        md.append('\n');
    }

    private void crossover(StringBuilder md, Map<String, Search> searches) {
        md.append("### The crossover\n\n`shardplan search plans/study/crossover.plan --search crossover_<size>`: every dp × tp "
                + "split of the 8 GPUs (output tok/s; preemptions in brackets; – does not fit).\n\n");
        md.append("| model | dp8 | dp4 tp2 | dp2 tp4 | tp8 | best |\n|---|---|---|---|---|---|\n");
        for (String n : List.of("crossover_8b", "crossover_14b", "crossover_32b", "crossover_70b")) {
            var res = run(searches.get(n));
            md.append("| ").append(res.space().model().name());
            for (int tp : new int[]{1, 2, 4, 8}) {
                String cell = "–";
                for (var c : res.ranked()) {
                    if (c.plan().parallel().tp() == tp) {
                        cell = String.format(Locale.ROOT, "%,.0f (%,d)", c.result().outputThroughput(), c.result().preemptions());
                    }
                }
                md.append(" | ").append(cell);
            }
            var w = res.winner().plan().parallel();
            md.append(" | ").append(w.dp() > 1 ? "dp" + w.dp() + (w.tp() > 1 ? " tp" + w.tp() : "") : "tp" + w.tp()).append(" |\n");
        }
        md.append('\n');
    }
}
