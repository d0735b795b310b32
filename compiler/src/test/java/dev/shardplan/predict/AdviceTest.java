package dev.shardplan.predict;

import dev.shardplan.analysis.Analyzer;
import dev.shardplan.analysis.CheckContext;
import dev.shardplan.analysis.PlanAnalysis;
import dev.shardplan.api.CheckResult;
import dev.shardplan.api.Compiler;
import dev.shardplan.api.Predictions;
import dev.shardplan.diag.Code;
import dev.shardplan.diag.Diagnostic;
import dev.shardplan.diag.Severity;
import dev.shardplan.model.Plan;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every help suggestion of {@code check}, applied, over every plan in plans/ and the test plans
 * (issue 12 item 4): its diagnostic goes away, no new error or warning appears, and the simulated
 * objective (output throughput) does not drop. A plan with an error cannot start, and its checks stop
 * before the memory and capacity checks; a fix that makes it start may meet their warnings (SP0403
 * at the default max_num_seqs, say), so for such a plan only new errors count. Suggestions that the simulator finds worse are
 * listed in {@link #KNOWN_WORSE} with their figures, and the list must be exact: a fix that stops
 * being worse must leave it, a new one fails the test.
 */
class AdviceTest {
    static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
    static final Path RES = Path.of("src/test/resources").toAbsolutePath();

    /** plan -> change the simulator finds lowers throughput by more than 1% (not fixed yet). */
    static final Set<String> KNOWN_WORSE = Set.of(
            // SP0501's fix keeps TP inside the NVLink pairs and moves the split to PP over PCIe: the
            // warning goes, but the simulator finds it 22% slower (3,485 -> 2,718 tok/s). Not fixed:
            // the analysis' checks cannot simulate (stage rule), so this check cannot weigh it.
            "tp4_over_pairs: tp 4 -> 2, pp 1 -> 2");

    @Test
    void everySuggestionAppliedClearsItsDiagnosticAddsNoWarningAndIsNotSlower() throws IOException {
        List<Plan> plans = new ArrayList<>();
        plans.addAll(resolved(ROOT, List.of(ROOT.resolve("plans"))));
        plans.addAll(resolved(RES.resolve("report"), List.of(RES.resolve("report/plans.plan"))));
        plans.addAll(resolved(RES.resolve("study"), List.of(RES.resolve("study/distill_70b_dp8.plan"))));
        try (Stream<Path> s = Files.list(RES.resolve("golden"))) {
            for (Path d : s.sorted().toList()) {
                if (Files.exists(d.resolve("input.plan"))) plans.addAll(resolved(d, List.of(d.resolve("input.plan"))));
            }
        }
        assertTrue(plans.size() > 60, "plans: " + plans.size());
        int fixes = 0, simulated = 0;
        Set<String> worse = new TreeSet<>();
        List<String> problems = new ArrayList<>();
        for (Plan p : plans) {
            PlanAnalysis before = Analyzer.analyze(p);
            Set<String> had = serious(before);
            boolean broken = before.diagnostics().stream().anyMatch(Diagnostic::isError);
            for (CheckContext.Fix f : Analyzer.fixes(p)) {
                fixes++;
                String what = p.name() + ": " + dev.shardplan.analysis.Variants.describe(p, f.plan());
                PlanAnalysis after = Analyzer.analyze(f.plan());
                Set<String> codes = f.codes().stream().map(Code::id).collect(Collectors.toSet());
                for (Diagnostic d : after.diagnostics()) {
                    if (codes.contains(d.code().id())) problems.add(what + " leaves " + d.code().id() + ": " + d.message());
                    else if ((d.isError() || !broken && d.severity() == Severity.WARNING) && !had.contains(d.code().id()))
                        problems.add(what + " raises " + d.code().id() + ": " + d.message());
                }
                if (broken) continue;
                Prediction a = Predictions.simulate(p, before, Predictor.DEFAULT_SEED);
                Prediction b = Predictions.simulate(f.plan(), after, Predictor.DEFAULT_SEED);
                if (!a.simulated() || !b.simulated()) continue;
                simulated++;
                double ta = a.result().outputThroughput(), tb = b.result().outputThroughput();
                if (tb < 0.99 * ta) worse.add(String.format(Locale.ROOT, "%s (%.0f -> %.0f tok/s)", what, ta, tb));
            }
        }
        assertTrue(problems.isEmpty(), String.join("\n", problems));
        assertTrue(fixes > 10, "suggestions checked: " + fixes);
        assertEquals(KNOWN_WORSE, worse.stream().map(w -> w.substring(0, w.lastIndexOf(" ("))).collect(Collectors.toSet()),
                "suggestions the simulator finds slower (" + fixes + " suggestions, " + simulated + " simulated):\n" + String.join("\n", worse));
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
