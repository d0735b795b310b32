package dev.shardplan.api;

import dev.shardplan.analysis.Analyzer;
import dev.shardplan.analysis.StepTimeModel;
import dev.shardplan.diag.Findings;
import dev.shardplan.diag.Suppression;
import dev.shardplan.model.DType;
import dev.shardplan.model.Plan;
import dev.shardplan.model.Search;
import dev.shardplan.predict.AnalysisInputs;
import dev.shardplan.predict.PlanInputs;
import dev.shardplan.predict.Prediction;
import dev.shardplan.predict.Predictor;
import dev.shardplan.predict.SearchSpace;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/** Glue between checked plans and the predictions stage. */
public final class Predictions {
    private Predictions() {}

    /**
     * The analysis inputs of a plan (fit, KV blocks per replica, collective costs): api runs the
     * analysis' core (graph, layout, memory, KV, interconnect; not its checks, whose what-if
     * variants would cost a search more than its simulations) and hands the result down, so the
     * prediction stage never runs the analysis itself.
     */
    public static Function<Plan, PlanInputs> inputs() {
        return p -> AnalysisInputs.of(Analyzer.core(p, StepTimeModel.ROOFLINE));
    }

    /**
     * A search's pool candidates: each analysed here (both pools' instances with their checks, the
     * KV transfer) and simulated by the disaggregated simulator on the requests drawn with
     * {@code seed}; one whose pools do not pass the analysis comes back unsimulated, its first
     * error as the reason.
     */
    public static Function<Plan, Prediction> pools(long seed) {
        return p -> {
            var a = Analyzer.analyze(p);
            if (a.pools() != null) return dev.shardplan.predict.DisaggregatedSimulator.prediction(p, a.pools(), seed);
            String why = a.diagnostics().stream().filter(dev.shardplan.diag.Diagnostic::isError).findFirst()
                    .map(d -> d.code().id() + ": " + d.message()).orElse("its pools did not pass the analysis");
            var in = new PlanInputs(false, 0, why, null, a.engine(), null, null);
            return new Prediction(p, seed, in, null, null, null, null, null, List.of());
        };
    }

    /** Simulates {@code plan} after analysing it here (callers holding its analysis pass it instead). */
    public static Prediction simulate(Plan plan, long seed) {
        if (plan.disaggregated()) return simulate(plan, Analyzer.analyze(plan), seed);
        return Predictor.simulate(plan, inputs().apply(plan), seed);
    }

    /** Simulates {@code plan} with the inputs of its analysis {@code a} (from {@link CheckResult#analyses()}); null: analyse it. */
    public static Prediction simulate(Plan plan, dev.shardplan.analysis.PlanAnalysis a, long seed) {
        // A pool plan: separate prefill and decode schedulers with the transfer queue between them.
        if (plan.disaggregated() && a != null && a.pools() != null) return dev.shardplan.predict.DisaggregatedSimulator.prediction(plan, a.pools(), seed);
        if (plan.disaggregated()) {
            var in = new dev.shardplan.predict.PlanInputs(false, 0, "its pools did not pass the analysis", null, a == null ? null : a.engine(), null, null);
            return new Prediction(plan, seed, in, null, null, null, null, null, List.of(dev.shardplan.diag.Diagnostic.of(
                            dev.shardplan.predict.PredictCodes.NOT_SIMULATED, plan.span(), "plan '" + plan.name() + "' is not simulated: its pools did not pass the analysis")
                    .help("fix the errors the check reports for its pools first").build()));
        }
        return a == null ? simulate(plan, seed) : Predictor.simulate(plan, AnalysisInputs.of(plan, a), seed);
    }

    /**
     * A prediction's findings (missed SLOs, preemption, rejected requests) split by the plan's
     * {@code allow}s and {@code project}'s, with an SP0214 warning for each allow of a prediction
     * code that hid nothing.
     */
    public static Findings findings(Plan plan, Prediction pr, List<Suppression> project) {
        Findings f = Compiler.findings(plan, pr.diagnostics(), project);
        return f.plus(new Findings(Compiler.unusedAllows(plan, f, true), List.of()));
    }

    /** A resolved {@code search} declaration as the search's space. */
    public static SearchSpace space(Search s) {
        var ex = s.explore();
        return new SearchSpace(s.name(), s.model(), s.cluster(), s.workload(), s.engine(), s.slos(),
                SearchSpace.Objective.valueOf(s.objective().toUpperCase(java.util.Locale.ROOT)), 0,
                !s.objective().equals("throughput_per_gpu"),
                ints(ex.get("dp")), ints(ex.get("tp")), ints(ex.get("pp")), ints(ex.get("ep")),
                ints(ex.get("max_num_seqs")), dtypes(ex.get("kv_dtype")), s.tuning(), s.span(),
                ints(ex.get("max_num_batched_tokens")), bools(ex.get("dp_attention")), s.efficiency(), bools(ex.get("disaggregated")),
                ints(ex.get("prefill_instances")));
    }

    private static List<Boolean> bools(List<String> vs) {
        List<Boolean> out = new ArrayList<>();
        if (vs != null) for (String v : vs) out.add(Boolean.parseBoolean(v));
        return out;
    }

    private static List<Integer> ints(List<String> vs) {
        List<Integer> out = new ArrayList<>();
        if (vs != null) for (String v : vs) out.add(Integer.parseInt(v));
        return out;
    }

    private static List<DType> dtypes(List<String> vs) {
        List<DType> out = new ArrayList<>();
        if (vs != null) for (String v : vs) {
            DType d = DType.parse(v);
            if (d != null) out.add(d);
        }
        return out;
    }
}
