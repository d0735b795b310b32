package dev.shardplan.api;

import dev.shardplan.analysis.Analyzer;
import dev.shardplan.analysis.CheckContext;
import dev.shardplan.analysis.PlanAnalysis;
import dev.shardplan.analysis.Variants;
import dev.shardplan.diag.Diagnostic;
import dev.shardplan.model.Plan;
import dev.shardplan.model.Slo;
import dev.shardplan.predict.Prediction;
import dev.shardplan.predict.Predictor;
import dev.shardplan.predict.SimResult;
import dev.shardplan.predict.SimulationMemo;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Weighs every fix a check offered by simulating it against the plan (issue 12 item 4: one
 * optimiser behind every suggestion). The analysis stage re-checks a fix against every check but
 * cannot simulate (the stages run in order); this step, which runs both, adds to the help line
 * what applying the change does to the plan's prediction: output throughput before and after,
 * preemptions, and the SLOs it meets. Both simulations use the same seed and request set, so the
 * figure is the same one {@code shardplan simulate} gives for each plan.
 */
final class Advice {
    private Advice() {}

    /**
     * The largest workload check simulates to weigh a fix (~0.15 s a simulation at the study's
     * lengths, docs/benchmarks.md); a larger one would make every check of the plan, and an
     * editor's diagnostics as you type, wait seconds. Its help says how to weigh the fix instead.
     */
    static final long MAX_REQUESTS = 50_000, MAX_LENGTH = 1_000_000;

    /**
     * The most output tokens (of the request set the simulation draws) check simulates to weigh a
     * fix: the pipeline simulator steps every decode iteration, ~1 s per 10M tokens, and the study's
     * 2,000 reasoning requests hold ~12.5M. The fuzzing suite found 2,000 requests with outputs of
     * normal(mean 100, stddev 10^6) up to 1M tokens (~460M tokens) at pp 2 weighing for minutes.
     */
    static final long MAX_OUTPUT_TOKENS = 16_000_000;

    /**
     * The most replicas check simulates to weigh a fix: the simulators' cost grows with the
     * replicas they schedule, and the fix of an idle-GPU note can be dp 1 -> 32,768 on a large
     * cluster (the fuzzing suite found such a weighing running past 150 s). The help says how to
     * weigh it instead.
     */
    static final int MAX_REPLICAS = 1_024;

    /**
     * {@code a}'s diagnostics, with the help line of each one whose fix the checks offered ending
     * in the simulated gain. A plan with pools is left as it is (its fixes are its instances').
     */
    static List<Diagnostic> weigh(Plan p, PlanAnalysis a) {
        return new Weighing(false).start(p, a).get();
    }

    /**
     * The weighing of one check's plans. Its simulations are shared between the plans (one
     * {@link SimulationMemo}: a plan's fix is often another plan of the same check, and the same
     * plan is often in two files) and, when {@code parallel}, start on worker threads as soon as a
     * plan's fixes are known, while the check goes on with the next plans (the plans are
     * independent); whoever waits for a simulation not yet started runs it itself. What the help
     * lines say does not depend on which thread ran what: each figure is the result of its own
     * simulation, a function of its plan alone.
     */
    static final class Weighing {
        private final SimulationMemo memo = new SimulationMemo();
        private final boolean parallel;

        Weighing(boolean parallel) {
            this.parallel = parallel;
        }

        /**
         * Starts the simulations that weigh {@code a}'s offered fixes; the supplier gives {@code a}'s
         * diagnostics as {@link #weigh} does, waiting for them. An error of a simulation (out of
         * memory) is thrown by the supplier, as {@link #weigh} would throw it.
         */
        Supplier<List<Diagnostic>> start(Plan p, PlanAnalysis a) {
            if (a.fixes().isEmpty() || p.disaggregated()) return a::diagnostics;
            List<Diagnostic> ds = a.diagnostics();
            List<CheckContext.Fix> offered = new ArrayList<>(ds.size());
            for (Diagnostic d : ds) offered.add(offered(p, a, d));
            String large = tooLarge(p);
            boolean simulated = large == null && !tooWide(p);
            // A plan with an error cannot start: there is nothing to compare the fix against.
            Background.Task<Prediction> before = simulated && !a.hasErrors() && offered.stream().anyMatch(f -> f != null && !tooWide(f.plan()))
                    ? submit(() -> simulate(p, a)) : null;
            Map<Plan, Background.Task<Prediction>> after = new HashMap<>();
            if (simulated) {
                for (CheckContext.Fix f : offered) {
                    if (f != null && !tooWide(f.plan())) after.computeIfAbsent(f.plan(), q -> submit(() -> simulate(q, null)));
                }
            }
            return () -> {
                Prediction b4 = before == null ? null : before.join();
                Map<CheckContext.Fix, Offer> offers = new HashMap<>();
                List<Diagnostic> out = new ArrayList<>(ds.size());
                for (int i = 0; i < ds.size(); i++) {
                    Diagnostic d = ds.get(i);
                    CheckContext.Fix f = offered.get(i);
                    if (f == null) {
                        out.add(d);
                        continue;
                    }
                    if (large != null || tooWide(p) || tooWide(f.plan())) {
                        String gain = large != null ? "not simulated during check (" + large + "): `shardplan simulate` the plan and the change to weigh it"
                                : String.format(Locale.ROOT, "not simulated during check (dp %,d -> %,d: more than %,d replicas): "
                                        + "`shardplan simulate` the plan and the change to weigh it", p.parallel().dp(), f.plan().parallel().dp(), MAX_REPLICAS);
                        out.add(new Diagnostic(d.code(), d.severity(), d.message(), d.span(), d.labels(), d.notes(), d.help() + "; " + gain, d.fix()));
                        continue;
                    }
                    out.add(offers.computeIfAbsent(f, g -> choose(p, g, b4, after.get(g.plan()).join())).applyTo(p, d));
                }
                return out;
            };
        }

        /**
         * What the help offers for fix {@code f} of plan {@code p}: the fix itself unless the
         * simulator finds it more than 1% slower than the plan (issue 12: a suggestion, applied,
         * never lowers the simulated objective); then the next verified candidate its check tried
         * ({@link Analyzer#alternative}) that is not slower, up to {@link #MAX_ALTERNATIVES} of them;
         * else none, and the help says what the fix would cost.
         */
        private Offer choose(Plan p, CheckContext.Fix f, Prediction b4, Prediction first) {
            if (!slower(b4, first)) return new Offer(f.plan(), gain(b4, first), List.of());
            List<String> slower = new ArrayList<>();
            slower.add(loss(p, f.plan(), b4, first));
            CheckContext.Fix cur = f;
            for (int k = 0; k < MAX_ALTERNATIVES; k++) {
                var next = Analyzer.alternative(p, cur);
                if (next.isEmpty()) break;
                cur = next.get();
                if (tooWide(cur.plan())) break;
                Prediction pr = simulate(cur.plan(), null);
                if (pr == null || !pr.simulated()) break;
                if (!slower(b4, pr)) return new Offer(cur.plan(), gain(b4, pr), slower);
                slower.add(loss(p, cur.plan(), b4, pr));
            }
            return new Offer(null, null, slower);
        }

        private Prediction simulate(Plan p, PlanAnalysis a) {
            try {
                // One simulation each: the help needs the figures, not the plan's own findings' suggestions.
                var in = a == null ? Predictions.inputs().apply(p) : dev.shardplan.predict.AnalysisInputs.of(p, a);
                return Predictor.simulateOnce(p, in, Predictor.DEFAULT_SEED, memo);
            } catch (RuntimeException e) {
                // A simulation that cannot run (a request set past the heap) leaves the gain unstated, said so.
                return null;
            }
        }

        private Background.Task<Prediction> submit(java.util.concurrent.Callable<Prediction> work) {
            return Background.start(parallel, work);
        }
    }

    /** The most further candidates check weighs when a fix is slower than the plan (each costs an analysis and a simulation). */
    static final int MAX_ALTERNATIVES = 3;

    /**
     * The help line's offer for one fix: the plan it proposes (null: none, as every verified
     * candidate weighed was slower), the simulated gain, and the slower candidates passed over.
     */
    private record Offer(Plan plan, String gain, List<String> slower) {
        Diagnostic applyTo(Plan p, Diagnostic d) {
            String passed = slower.isEmpty() ? "" : "; " + String.join("; ", slower) + " also clear" + (slower.size() == 1 ? "s" : "")
                    + " it but " + (slower.size() == 1 ? "is" : "are") + " slower";
            if (plan == null) {
                return new Diagnostic(d.code(), d.severity(), d.message(), d.span(), d.labels(), d.notes(),
                        "no change is offered: " + String.join("; ", slower) + (slower.size() == 1 ? " clears" : " clear")
                                + " this (re-checked) but the simulator finds " + (slower.size() == 1 ? "it" : "each")
                                + " slower than the plan as written, so the warning costs less than the fix", null);
            }
            // the check's own fix keeps its help line and edit; an alternative gets its own
            boolean own = slower.isEmpty();
            String head = own ? d.help() : "use " + Variants.describe(p, plan) + " (re-checked: this diagnostic goes away, no new error or warning)";
            return new Diagnostic(d.code(), d.severity(), d.message(), d.span(), d.labels(), d.notes(), head + "; " + gain + passed,
                    own ? d.fix() : Variants.fix(p, plan));
        }
    }

    /** The share of the plan's output throughput a fix may lose and still count as not slower (simulation noise between layouts). */
    static final double SLOWER = 0.01;

    /** Whether {@code after} simulates more than {@link #SLOWER} below {@code before} (both simulated, the plan producing output). */
    private static boolean slower(Prediction before, Prediction after) {
        if (before == null || !before.simulated() || after == null || !after.simulated()) return false;
        double q = before.result().outputThroughput();
        return q > 0 && after.result().outputThroughput() < (1 - SLOWER) * q;
    }

    /** "tp 4 -> 2, pp 1 -> 2 (simulated ≈ -25%: 3,207 -> 2,409 tok/s)". */
    private static String loss(Plan p, Plan q, Prediction before, Prediction after) {
        double a = before.result().outputThroughput(), b = after.result().outputThroughput();
        return String.format(Locale.ROOT, "%s (simulated ≈ %+.0f%%: %s -> %s tok/s)", Variants.describe(p, q), 100 * (b / a - 1), num(a), num(b));
    }

    private static boolean tooWide(Plan p) {
        return p.parallel().dp() > MAX_REPLICAS;
    }

    /**
     * Why check does not simulate {@code p}'s workload to weigh a fix (its requests, their length or
     * the output tokens of the request set a simulation draws: drawing 50,000 requests costs
     * milliseconds), or null when it does.
     */
    private static String tooLarge(Plan p) {
        var w = p.workload();
        if (w.requests() > MAX_REQUESTS || w.maxLength() > MAX_LENGTH)
            return String.format(Locale.ROOT, "%,d requests of up to %,d tokens", w.requests(), w.maxLength());
        long out = dev.shardplan.predict.RequestSet.draw(w, Predictor.DEFAULT_SEED).outputTokens();
        if (out > MAX_OUTPUT_TOKENS)
            return String.format(Locale.ROOT, "%,d requests of %,d output tokens in all, more than %,d", w.requests(), out, MAX_OUTPUT_TOKENS);
        return null;
    }

    /** The fix behind {@code d}'s help line: one of its codes, and the help proposes that variant. */
    private static CheckContext.Fix offered(Plan p, PlanAnalysis a, Diagnostic d) {
        for (CheckContext.Fix f : a.fixes()) {
            if (f.codes().stream().noneMatch(c -> c.id().equals(d.code().id()))) continue;
            if (d.help().startsWith("use " + Variants.describe(p, f.plan()))) return f;
        }
        return null;
    }

    /** What the fix's prediction gains over the plan's: "simulated ≈ +26% output throughput (2,714 -> 3,433 tok/s), no preemption". */
    static String gain(Prediction before, Prediction after) {
        if (after == null || !after.simulated()) {
            return "not simulated" + (after == null ? "" : ": " + after.inputs().reason());
        }
        SimResult r = after.result();
        String pre = preemptions(r.preemptions());
        String slo = slos(after);
        if (before == null || !before.simulated()) {
            return String.format(Locale.ROOT, "simulated: %s output tok/s, %s%s (the plan as written %s)", num(r.outputThroughput()), pre, slo,
                    before == null ? "cannot start" : "does not fit");
        }
        SimResult q = before.result();
        if (!(q.outputThroughput() > 0)) {
            return String.format(Locale.ROOT, "simulated: %s output tok/s, %s%s (the plan as written produces no output)", num(r.outputThroughput()), pre, slo);
        }
        double change = r.outputThroughput() / q.outputThroughput() - 1;
        String was = q.preemptions() == r.preemptions() ? "" : " (was " + (q.preemptions() == 0 ? "none" : String.format(Locale.ROOT, "%,d", q.preemptions())) + ")";
        return String.format(Locale.ROOT, "simulated ≈ %+.0f%% output throughput (%s -> %s tok/s), %s%s%s", 100 * change,
                num(q.outputThroughput()), num(r.outputThroughput()), pre, was, slo);
    }

    private static String preemptions(long n) {
        return n == 0 ? "no preemption" : String.format(Locale.ROOT, "%,d preemptions", n);
    }

    /** ", meets every SLO" / ", misses 1 of 3 SLOs"; empty when the plan states none that apply. */
    private static String slos(Prediction pr) {
        int judged = 0, missed = 0;
        for (Slo s : pr.plan().slos()) {
            double v = Predictor.value(pr.result(), s);
            if (Double.isNaN(v) || Predictor.notApplicable(pr.plan(), s) != null) continue;
            judged++;
            if (!s.satisfiedBy(v)) missed++;
        }
        if (judged == 0) return "";
        return missed == 0 ? ", meets every SLO" : String.format(Locale.ROOT, ", misses %d of %d SLOs", missed, judged);
    }

    private static String num(double tokPerSecond) {
        return String.format(Locale.ROOT, "%,.0f", tokPerSecond);
    }
}
