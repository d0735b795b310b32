package dev.shardplan.predict;

import dev.shardplan.analysis.Analyzer;
import dev.shardplan.analysis.CheckContext;
import dev.shardplan.analysis.PlanAnalysis;
import dev.shardplan.api.CheckResult;
import dev.shardplan.api.Compiler;
import dev.shardplan.api.Predictions;
import dev.shardplan.diag.Code;
import dev.shardplan.diag.Diagnostic;
import dev.shardplan.diag.Fix;
import dev.shardplan.diag.Severity;
import dev.shardplan.model.Plan;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every help suggestion of {@code check}, applied, over every plan in plans/ and the test plans
 * (issue 12 item 4): its diagnostic goes away, no new error or warning appears, and the simulated
 * objective (output throughput) does not drop. A plan with an error cannot start, and its checks stop
 * before the memory and capacity checks; a fix that makes it start may meet their warnings (SP0403
 * at the default max_num_seqs, say), so for such a plan only new errors count. The analysis
 * verifies its fixes against every check; the throughput is judged on what check finally offers
 * (the edit attached to each help line), after the advice has weighed each fix by simulation and
 * passed over the slower ones.
 */
class AdviceTest {
    static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
    static final Path RES = Path.of("src/test/resources").toAbsolutePath();

    /** The checks the test runs: a project root and the files checked in it. */
    static List<Map.Entry<Path, List<Path>>> checks() throws IOException {
        List<Map.Entry<Path, List<Path>>> out = new ArrayList<>();
        out.add(Map.entry(ROOT, List.of(ROOT.resolve("plans"))));
        out.add(Map.entry(RES.resolve("report"), List.of(RES.resolve("report/plans.plan"))));
        out.add(Map.entry(RES.resolve("study"), List.of(RES.resolve("study/distill_70b_dp8.plan"))));
        try (Stream<Path> s = Files.list(RES.resolve("golden"))) {
            for (Path d : s.sorted().toList()) {
                if (Files.exists(d.resolve("input.plan"))) out.add(Map.entry(d, List.of(d.resolve("input.plan"))));
            }
        }
        return out;
    }

    @Test
    void everyVerifiedFixClearsItsDiagnosticAndAddsNoWarning() throws IOException {
        List<Plan> plans = new ArrayList<>();
        for (var c : checks()) plans.addAll(resolved(c.getKey(), c.getValue()));
        assertTrue(plans.size() > 60, "plans: " + plans.size());
        int fixes = 0;
        List<String> problems = new ArrayList<>();
        for (Plan p : plans) {
            PlanAnalysis before = Analyzer.analyze(p);
            for (CheckContext.Fix f : Analyzer.fixes(p)) {
                fixes++;
                problems.addAll(problems(p, before, f.plan(), f.codes().stream().map(Code::id).collect(Collectors.toSet())));
            }
        }
        assertTrue(problems.isEmpty(), String.join("\n", problems));
        assertTrue(fixes > 10, "suggestions checked: " + fixes);
    }

    @Test
    void everyOfferedFixAppliedIsNotSlowerAndClearsItsDiagnostic() throws IOException {
        int offered = 0, simulated = 0, withdrawn = 0, passedOver = 0;
        List<String> problems = new ArrayList<>();
        for (var c : checks()) {
            CheckResult r = Compiler.check(c.getKey(), c.getValue());
            Map<String, Plan> byName = new java.util.HashMap<>();
            for (Plan p : r.plans()) byName.put(p.name(), p);
            for (Diagnostic d : r.diagnostics()) {
                if (d.help().startsWith("no change is offered:")) withdrawn++;
                if (!(d.fix() instanceof Fix.SetFields sf) || !d.help().startsWith("use ") || !d.help().contains("(re-checked")) continue;
                Plan p = byName.get(sf.plan());
                if (p == null) continue;
                offered++;
                if (d.help().contains(" also clear")) passedOver++;
                Plan q = applied(p, sf);
                String what = p.name() + ": " + sf.title();
                if (q == null) {
                    problems.add(what + " is not one of the verified variants of its plan");
                    continue;
                }
                PlanAnalysis before = Analyzer.analyze(p);
                problems.addAll(problems(p, before, q, Set.of(d.code().id())));
                if (before.hasErrors()) continue;
                Prediction a = Predictions.simulate(p, before, Predictor.DEFAULT_SEED);
                Prediction b = Predictions.simulate(q, Analyzer.analyze(q), Predictor.DEFAULT_SEED);
                if (!a.simulated() || !b.simulated()) continue;
                simulated++;
                double ta = a.result().outputThroughput(), tb = b.result().outputThroughput();
                if (tb < 0.99 * ta) problems.add(String.format(Locale.ROOT, "%s is slower on the simulator (%.0f -> %.0f tok/s)", what, ta, tb));
            }
        }
        assertTrue(problems.isEmpty(), String.join("\n", problems));
        assertTrue(offered > 5 && simulated > 3, "offered " + offered + ", simulated " + simulated);
        // tp4_over_pairs (golden SP0501): every candidate that keeps tp inside the NVLink pairs is slower
        assertTrue(withdrawn >= 1, "withdrawn suggestions: " + withdrawn);
        // tp4_8b_over_pairs (golden SP0501-slower-fix-passed-over): tp 2 x pp 2 is slower, dp 4 x tp 2 offered instead
        assertTrue(passedOver >= 1, "suggestions offered in place of a slower one: " + passedOver);
    }

    /** The variant of {@code p} that edit {@code sf} makes: among the analysis' verified fixes and the alternatives after each. */
    static Plan applied(Plan p, Fix.SetFields sf) {
        for (CheckContext.Fix f : Analyzer.fixes(p)) {
            java.util.Optional<CheckContext.Fix> g = java.util.Optional.of(f);
            for (int k = 0; g.isPresent() && k <= 8; k++, g = Analyzer.alternative(p, g.get())) {
                if (dev.shardplan.analysis.Variants.fix(p, g.get().plan()).equals(sf)) return g.get().plan();
            }
        }
        return null;
    }

    /** What is wrong with fix {@code q} of {@code p}: a diagnostic of {@code codes} left, or a new error (a new warning too, when {@code p} has no error). */
    static List<String> problems(Plan p, PlanAnalysis before, Plan q, Set<String> codes) {
        Set<String> had = serious(before);
        boolean broken = before.diagnostics().stream().anyMatch(Diagnostic::isError);
        String what = p.name() + ": " + dev.shardplan.analysis.Variants.describe(p, q);
        List<String> out = new ArrayList<>();
        for (Diagnostic d : Analyzer.analyze(q).diagnostics()) {
            if (codes.contains(d.code().id())) out.add(what + " leaves " + d.code().id() + ": " + d.message());
            else if ((d.isError() || !broken && d.severity() == Severity.WARNING) && !had.contains(d.code().id()))
                out.add(what + " raises " + d.code().id() + ": " + d.message());
        }
        return out;
    }

    static Set<String> serious(PlanAnalysis a) {
        Set<String> out = new TreeSet<>();
        for (Diagnostic d : a.diagnostics()) if (d.isError() || d.severity() == Severity.WARNING) out.add(d.code().id());
        return out;
    }

    /** Help lines of every check above, to see that each offered fix states its simulated gain. */
    static final List<Diagnostic> CHECKED = new ArrayList<>();

    static List<Plan> resolved(Path root, List<Path> inputs) {
        CheckResult r = Compiler.check(root, inputs);
        CHECKED.addAll(r.diagnostics());
        return r.plans();
    }

    /**
     * Every help line that proposes a re-checked plan variant says what the simulator finds it
     * gains ("simulated ≈ +26% output throughput (...), no preemption"), or, for a plan that cannot
     * start as written, what the fixed plan does (issue 12 item 4).
     */
    @Test
    void everyOfferedFixStatesItsSimulatedGain() {
        CHECKED.clear();
        resolved(ROOT, List.of(ROOT.resolve("plans")));
        try (Stream<Path> s = Files.list(RES.resolve("golden"))) {
            for (Path d : s.sorted().toList()) {
                if (Files.exists(d.resolve("input.plan"))) resolved(d, List.of(d.resolve("input.plan")));
            }
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        int offered = 0;
        List<String> silent = new ArrayList<>();
        for (Diagnostic d : CHECKED) {
            if (!d.help().startsWith("use ") || !d.help().contains("(re-checked")) continue;
            offered++;
            if (!d.help().contains("simulated")) silent.add(d.code().id() + " at " + d.span() + ": " + d.help());
        }
        assertTrue(offered > 5, "offered fixes: " + offered);
        assertTrue(silent.isEmpty(), "help lines without their gain:\n" + String.join("\n", silent));
    }
}
