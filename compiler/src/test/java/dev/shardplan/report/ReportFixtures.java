package dev.shardplan.report;

import dev.shardplan.analysis.PlanAnalysis;
import dev.shardplan.api.CheckResult;
import dev.shardplan.api.Compiler;
import dev.shardplan.api.Predictions;
import dev.shardplan.api.Reports;
import dev.shardplan.model.Search;
import dev.shardplan.predict.Predictor;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The report pages of src/test/resources/report/plans.plan, built once per test run the way the
 * CLI builds them: a dense plan, an MoE plan, a search, a comparison and a plan that does not fit.
 */
final class ReportFixtures {
    private ReportFixtures() {}

    static final Path DIR = Path.of("src/test/resources/report").toAbsolutePath();

    private static CheckResult check;
    private static dev.shardplan.predict.Search.Result search;
    private static Map<String, String> pages;

    static synchronized CheckResult check() {
        if (check == null) check = Compiler.check(DIR, List.of(DIR.resolve("plans.plan")));
        return check;
    }

    static PlanAnalysis analysis(String plan) {
        PlanAnalysis a = check().analyses().get(plan);
        if (a == null) throw new AssertionError("no analysis of " + plan + ": " + check().diagnostics());
        return a;
    }

    static synchronized dev.shardplan.predict.Search.Result search() {
        if (search == null) {
            Search s = check().searches().stream().filter(x -> x.name().equals("qwen32b_on_h200")).findFirst().orElseThrow();
            search = dev.shardplan.predict.Search.run(Predictions.space(s), Predictor.DEFAULT_SEED, Predictions.inputs());
        }
        return search;
    }

    /** page name -> HTML: dense, moe, search, compare, unfit. */
    static synchronized Map<String, String> pages() {
        if (pages == null) {
            Map<String, String> m = new LinkedHashMap<>();
            m.put("dense", Reports.plan(analysis("qwen32b_dp4_tp2"), Predictor.DEFAULT_SEED));
            m.put("moe", Reports.plan(analysis("qwen3_235b_dp8_ep8"), Predictor.DEFAULT_SEED));
            m.put("search", Reports.search(search()));
            List<PlanAnalysis> cmp = new ArrayList<>();
            for (String n : List.of("qwen32b_dp8", "qwen32b_tp8", "qwen32b_dp4_tp2", "qwen32b_tp4_pp2")) cmp.add(analysis(n));
            m.put("compare", Reports.compare(cmp, Predictor.DEFAULT_SEED));
            m.put("unfit", Reports.plan(analysis("llama405b_tp4_h100"), Predictor.DEFAULT_SEED));
            pages = m;
        }
        return pages;
    }
}
