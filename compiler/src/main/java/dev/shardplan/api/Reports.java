package dev.shardplan.api;

import dev.shardplan.analysis.Analyzer;
import dev.shardplan.analysis.PlanAnalysis;
import dev.shardplan.analysis.StepTimeModel;
import dev.shardplan.predict.AnalysisInputs;
import dev.shardplan.predict.CliffSweep;
import dev.shardplan.predict.Prediction;
import dev.shardplan.predict.Predictor;
import dev.shardplan.predict.Search;
import dev.shardplan.report.HtmlReport;
import dev.shardplan.report.PlanReport;

import java.util.ArrayList;
import java.util.List;

/**
 * Runs the stages a report shows, once each, and hands their results to {@link HtmlReport}: the
 * prediction of an analysed plan (from the analysis the check already made), its reasoning-cliff
 * sweep, and for a search the analysis of the winner and runner-up, whose per-rank figures the
 * search itself does not keep.
 */
public final class Reports {
    private Reports() {}

    /** An analysed plan's report input: its prediction with {@code seed}, and its cliff sweep. */
    public static PlanReport of(PlanAnalysis a, long seed) {
        return of(a.plan().name(), a, Predictor.simulate(a.plan(), AnalysisInputs.of(a), seed));
    }

    /** The report input of a plan whose prediction was already made from analysis {@code a}. */
    public static PlanReport of(String label, PlanAnalysis a, Prediction p) {
        return new PlanReport(label, a, p, CliffSweep.of(p));
    }

    /** The report of one analysed plan (or, when it does not fit, of why). */
    public static String plan(PlanAnalysis a, long seed) {
        return HtmlReport.plan(of(a, seed));
    }

    /** The comparison of analysed plans, simulated with one seed. */
    public static String compare(List<PlanAnalysis> as, long seed) {
        List<PlanReport> rs = new ArrayList<>();
        for (PlanAnalysis a : as) rs.add(of(a, seed));
        return HtmlReport.compare(rs);
    }

    /** The report of a search's result: the winner and the runner-up analysed for their per-rank figures. */
    public static String search(Search.Result res) {
        List<PlanReport> top = new ArrayList<>();
        for (int i = 0; i < Math.min(2, res.ranked().size()); i++) {
            Search.Candidate c = res.ranked().get(i);
            PlanAnalysis a = Analyzer.core(c.plan(), StepTimeModel.ROOFLINE);
            top.add(of(c.label(), a, c.prediction()));
        }
        return HtmlReport.search(res, top);
    }
}
