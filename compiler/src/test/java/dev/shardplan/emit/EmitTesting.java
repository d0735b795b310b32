package dev.shardplan.emit;

import dev.shardplan.api.Frontend;
import dev.shardplan.api.FrontendResult;
import dev.shardplan.diag.Diagnostic;
import dev.shardplan.model.Plan;
import dev.shardplan.model.Target;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.fail;

/** Shared helpers: load plans through the real front end, compare rendered files with a folder. */
final class EmitTesting {
    static final Path FIXTURES = Path.of("src/test/resources/emit");
    static final boolean UPDATE = Boolean.getBoolean("shardplan.golden.update");

    private EmitTesting() {}

    /** Resolves the .plan files under {@code root/dir}, failing on any front-end error. */
    static List<EmitInput> load(Path root, String dir) {
        FrontendResult fr = Frontend.check(root.toAbsolutePath().normalize(), List.of(root.resolve(dir)));
        List<Diagnostic> errors = fr.diagnostics().stream().filter(Diagnostic::isError).toList();
        assertFalse(!errors.isEmpty(), () -> "front-end errors: " + errors);
        List<EmitInput> out = new ArrayList<>();
        for (Plan p : fr.plans()) out.add(input(p));
        return out;
    }

    /**
     * The emit stage's input for a plan, from its core analysis (layout, engine, budgets; no
     * checks): what api hands the emitters, for tests that build plans without the api.
     */
    static EmitInput input(Plan p) {
        // A pool plan's launchers read each pool's analysis, which only the whole analysis makes.
        if (p.disaggregated()) return EmitInput.of(p, dev.shardplan.analysis.Analyzer.analyze(p, dev.shardplan.analysis.StepTimeModel.ROOFLINE));
        return EmitInput.of(p, dev.shardplan.analysis.Analyzer.core(p, dev.shardplan.analysis.StepTimeModel.ROOFLINE));
    }

    /** The plan at another release of its engine, its pools' engine blocks too (they are resolved over the plan's). */
    static Plan atVersion(Plan p, String v) {
        Plan at = p.withEngine(p.engine().withVersion(v));
        if (!p.disaggregated()) return at;
        var d = p.disagg();
        var pre = d.prefill();
        var dec = d.decode();
        var nd = new dev.shardplan.model.Disaggregation(
                new dev.shardplan.model.Pool(pre.role(), pre.parallel(), pre.engine().withVersion(v), pre.replicas(), pre.spans(), pre.span()),
                new dev.shardplan.model.Pool(dec.role(), dec.parallel(), dec.engine().withVersion(v), dec.replicas(), dec.spans(), dec.span()),
                d.connector(), d.connectorSpan(), d.span());
        return new Plan(at.name(), at.sourceFile(), at.model(), at.cluster(), at.workload(), at.parallel(), at.engine(), at.slos(), at.emit(),
                at.deploy(), at.tuning(), at.efficiency(), at.spans(), at.span(), at.allows(), nd);
    }

    static Map<String, EmitInput> byName(List<EmitInput> ins) {
        Map<String, EmitInput> m = new TreeMap<>();
        for (EmitInput i : ins) m.put(i.plan().name(), i);
        return m;
    }

    static Emit.Rendered render(List<EmitInput> ins) {
        Emit.Rendered r = Emit.standard().render(ins, Set.of());
        List<Diagnostic> errors = r.diagnostics().stream().filter(Diagnostic::isError).toList();
        assertFalse(!errors.isEmpty(), () -> "emit errors: " + errors);
        return r;
    }

    /**
     * Compares rendered files with {@code expected/<plan>/<path>}; with -Dshardplan.golden.update=true
     * rewrites the folder instead. Missing, extra and differing files are all reported.
     */
    static void compare(Map<String, List<OutputFile>> plans, Path expected, String regenerate) throws IOException {
        if (UPDATE) {
            OutputWriter.write(expected, plans);
            return;
        }
        Map<String, String> want = new TreeMap<>();
        for (var e : plans.entrySet())
            for (OutputFile f : e.getValue()) want.put(e.getKey() + "/" + f.path(), f.content());
        Set<String> have = new TreeSet<>();
        if (Files.isDirectory(expected)) {
            try (Stream<Path> s = Files.walk(expected)) {
                s.filter(Files::isRegularFile).forEach(p -> have.add(expected.relativize(p).toString().replace('\\', '/')));
            }
        }
        List<String> problems = new ArrayList<>();
        for (var e : want.entrySet()) {
            Path p = expected.resolve(e.getKey());
            if (!Files.isRegularFile(p)) {
                problems.add("missing " + e.getKey());
                continue;
            }
            String text = Files.readString(p, StandardCharsets.UTF_8);
            if (!text.equals(e.getValue())) problems.add("differs " + e.getKey() + firstDifference(text, e.getValue()));
        }
        for (String h : have) {
            String plan = h.substring(0, h.indexOf('/') < 0 ? h.length() : h.indexOf('/'));
            if (plans.containsKey(plan) && !want.containsKey(h)) problems.add("stale " + h);
        }
        if (!problems.isEmpty())
            fail(expected + " is out of date (" + problems.size() + " file(s)); regenerate with: " + regenerate
                    + "\n  " + String.join("\n  ", problems));
    }

    private static String firstDifference(String a, String b) {
        String[] x = a.split("\n", -1), y = b.split("\n", -1);
        for (int i = 0; i < Math.max(x.length, y.length); i++) {
            String l = i < x.length ? x[i] : "<end>", r = i < y.length ? y[i] : "<end>";
            if (!l.equals(r)) return " at line " + (i + 1) + ": expected `" + l + "`, generated `" + r + "`";
        }
        return "";
    }

    static Set<Target> all() {
        return Set.of(Target.VLLM, Target.SGLANG, Target.TRTLLM, Target.KUBERNETES, Target.SLURM);
    }
}
