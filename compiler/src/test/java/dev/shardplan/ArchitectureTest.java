package dev.shardplan;

import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.JavaAccess;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.domain.JavaCodeUnit;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchCondition;
import com.tngtech.archunit.lang.ArchRule;
import com.tngtech.archunit.lang.ConditionEvents;
import com.tngtech.archunit.lang.EvaluationResult;
import com.tngtech.archunit.lang.SimpleConditionEvent;
import com.tngtech.archunit.library.Architectures;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The compiler's structure as rules, so that it stays: packages form one-way layers in the
 * order of the pipeline (STYLE.md practice 1), libraries stay behind the package that wraps
 * them, and no stage runs the work of an earlier one (practice 14). Rules read the compiled
 * classes (main code only), not the sources, so a fully qualified name in a method body counts
 * as much as an import. A module built on the compiler runs the same rules over its own packages
 * and the compiler's by extending this class with its packages as layers above api (the language
 * server's LspArchitectureTest; the compiler's test jar carries this class for that).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ArchitectureTest {
    static final String ROOT = "dev.shardplan";

    /**
     * The packages from the bottom up. A package may use only packages listed before it. The
     * order is the pipeline's: diagnostics and units under everything; syntax (the generated
     * parser, the AST, parsing); the model; the formatter (it may print a model as source, as
     * `search --emit` will); rank layout, then engine knowledge (engine/ reads layouts, and the
     * resolver, analyses and emitters read engine/); resolution; the device graph; analyses;
     * predictions; the HTML report; emitters; the api that runs them in order. The language
     * server, the CLI and the Maven plugin are other modules, above api (see {@link #layers()}).
     */
    static final List<String> LAYERS = List.of("diag", "units", "ast", "grammar", "parse", "model", "format", "layout",
            "engine", "resolve", "graph", "analysis", "predict", "report", "emit", "api");

    private JavaClasses classes;

    /**
     * The layers this module's classpath holds, bottom up: the compiler's {@link #LAYERS}, then,
     * in a module built on the compiler, that module's own packages above api.
     */
    List<String> layers() {
        return LAYERS;
    }

    /**
     * The packages whose classes the rules check: the whole compiler here; a module built on it
     * checks its own packages (their dependencies on the compiler are judged by the compiler's
     * layers), since this class already checked the compiler's.
     */
    String[] checked() {
        return new String[]{ROOT};
    }

    private boolean checksTheCompiler() {
        return List.of(checked()).contains(ROOT);
    }

    @BeforeAll
    void load() {
        classes = new ClassFileImporter()
                .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                // the compiler's test jar, when a module built on it runs these rules after packaging
                .withImportOption(location -> !location.contains("-tests.jar"))
                .importPackages(checked());
    }

    /** Each package uses only those below it in {@link #LAYERS}. */
    @Test
    void packagesFormOneWayLayers() {
        List<String> layers = layers();
        // The compiler's layers are empty where only a module built on it is imported.
        Architectures.LayeredArchitecture arch = Architectures.layeredArchitecture().consideringOnlyDependenciesInLayers()
                .withOptionalLayers(!checksTheCompiler());
        for (String l : layers) arch = arch.layer(l).definedBy(ROOT + "." + l + "..");
        for (int i = 0; i < layers.size(); i++) {
            arch = i == 0 ? arch.whereLayer(layers.get(i)).mayNotAccessAnyLayer()
                    : arch.whereLayer(layers.get(i)).mayOnlyAccessLayers(layers.subList(0, i).toArray(String[]::new));
        }
        arch.check(classes);
    }

    /** Every package on the classpath is in the layer list, so a new package must say where it sits. */
    @Test
    void everyPackageHasALayer() {
        List<String> unplaced = new ArrayList<>();
        for (var c : classes) {
            String p = c.getPackageName();
            if (!p.startsWith(ROOT + ".")) continue;
            String top = p.substring(ROOT.length() + 1).split("\\.")[0];
            if (!layers().contains(top) && !unplaced.contains(top)) unplaced.add(top);
        }
        assertTrue(unplaced.isEmpty(), "packages missing from the layers (" + getClass().getSimpleName() + ".layers()): " + unplaced);
    }

    @Test
    void noCyclesBetweenPackages() {
        slices().matching(ROOT + ".(*)..").should().beFreeOfCycles().check(classes);
    }

    /**
     * Stages after resolution work on the typed model, never on syntax: the AST, the parser and
     * the resolver are the front end's. (predict is left out while it reads std:efficiency
     * through the resolver; see {@link #noStageRunsAnEarlierOne}.)
     */
    @Test
    void laterStagesDoNotKnowTheSyntax() {
        noClasses().that().resideInAnyPackage(pkgs("layout", "engine", "graph", "analysis", "report", "emit"))
                .should().dependOnClassesThat().resideInAnyPackage(pkgs("ast", "grammar", "parse", "format", "resolve"))
                .allowEmptyShould(!checksTheCompiler()) // a module built on the compiler has none of these stages
                .check(classes);
    }

    /** Trino's rule: parser contexts (and ANTLR itself) stay in the packages that parse. */
    @Test
    void antlrStaysInTheParser() {
        noClasses().that().resideOutsideOfPackages(pkgs("parse", "format", "grammar"))
                .should().dependOnClassesThat().resideInAnyPackage("org.antlr..", ROOT + ".grammar..")
                .check(classes);
    }

    /** Mustache renders emitters' text formats only; JSON goes through Jackson. */
    @Test
    void mustacheOnlyInTheEmitters() {
        noClasses().that().resideOutsideOfPackage(ROOT + ".emit..")
                .should().dependOnClassesThat().resideInAPackage("com.github.mustachejava..")
                .check(classes);
    }

    /** The device graph is the one place that knows JGraphT; the others ask it. */
    @Test
    void jgraphtOnlyInTheDeviceGraph() {
        noClasses().that().resideOutsideOfPackage(ROOT + ".graph..")
                .should().dependOnClassesThat().resideInAPackage("org.jgrapht..")
                .check(classes);
    }

    // ------------------------------------------------------------------ each stage runs once

    /**
     * A stage's entry points: the calls that run it. Only api (which runs the stages in order and
     * hands each result down) and the stage's own package may call them.
     */
    record Stage(String pkg, String owner, Set<String> methods) {
        boolean isEntry(JavaAccess<?> a) {
            String target = a.getTargetOwner().getName();
            return (target.equals(owner) || target.startsWith(owner + "$"))
                    && (methods.isEmpty() || methods.contains(a.getName()));
        }
    }

    static final List<Stage> STAGES = List.of(
            new Stage("resolve", ROOT + ".resolve.Resolver", Set.of("<init>")),
            new Stage("resolve", ROOT + ".resolve.Loader", Set.of("<init>")),
            new Stage("resolve", ROOT + ".resolve.StdLibrary", Set.of()),
            new Stage("analysis", ROOT + ".analysis.Analyzer", Set.of("analyze", "core")),
            new Stage("predict", ROOT + ".predict.Predictor", Set.of("simulate")),
            new Stage("predict", ROOT + ".predict.Search", Set.of("run")),
            new Stage("predict", ROOT + ".predict.CliffSweep", Set.of("of")),
            new Stage("emit", ROOT + ".emit.Emit", Set.of("compile", "run", "render", "checkTargets", "standard")));

    /**
     * Calls that re-run an earlier stage today, each with the change that removes it (issue 11,
     * item 2: api runs each stage once and hands the result down). The test fails when one of
     * these no longer occurs, so that the exception is deleted and the rule tightens. None today.
     */
    static final List<String> KNOWN_RERUNS = List.of();

    /**
     * No class outside api and the stage itself calls a stage's entry point, and no static
     * initializer runs one (nothing runs at class load).
     */
    @Test
    void noStageRunsAnEarlierOne() {
        ArchCondition<JavaCodeUnit> runsNoOtherStage = new ArchCondition<>("call no entry point of another stage") {
            @Override
            public void check(JavaCodeUnit unit, ConditionEvents events) {
                String from = unit.getOwner().getPackageName();
                // Calls and method references alike: `map(StdLibrary::declarations)` runs the stage too.
                List<JavaAccess<?>> runs = new ArrayList<>(unit.getCallsFromSelf());
                runs.addAll(unit.getCodeUnitReferencesFromSelf());
                for (JavaAccess<?> a : runs) {
                    for (Stage s : STAGES) {
                        if (!s.isEntry(a)) continue;
                        boolean own = from.equals(ROOT + "." + s.pkg()) || from.startsWith(ROOT + "." + s.pkg() + ".");
                        boolean api = from.equals(ROOT + ".api");
                        boolean atLoad = unit.getName().equals("<clinit>");
                        if ((own || api) && !atLoad) continue;
                        String who = atLoad ? "<clinit> of " + unit.getOwner().getName() : unit.getFullName();
                        events.add(SimpleConditionEvent.violated(unit,
                                who + " calls " + a.getTargetOwner().getName() + "." + a.getName()));
                    }
                }
            }
        };
        ArchRule rule = com.tngtech.archunit.lang.syntax.ArchRuleDefinition.codeUnits()
                .that(DescribedPredicate.describe("in " + ROOT, (JavaCodeUnit u) -> u.getOwner().getPackageName().startsWith(ROOT)))
                .should(runsNoOtherStage);
        EvaluationResult result = rule.evaluate(classes);
        List<String> found = result.getFailureReport().getDetails();
        List<String> unexpected = new ArrayList<>();
        for (String f : found) if (KNOWN_RERUNS.stream().noneMatch(f::startsWith)) unexpected.add(f);
        List<String> gone = new ArrayList<>();
        // The known re-runs are the compiler's: only a check of the compiler can see them gone.
        if (checksTheCompiler()) for (String k : KNOWN_RERUNS) if (found.stream().noneMatch(f -> f.startsWith(k))) gone.add(k);
        if (!unexpected.isEmpty()) fail("a stage runs another stage's work; take its result from api instead:\n  "
                + String.join("\n  ", unexpected));
        if (!gone.isEmpty()) fail("no longer re-run, delete from ArchitectureTest.KNOWN_RERUNS:\n  " + String.join("\n  ", gone));
    }

    private static String[] pkgs(String... names) {
        String[] out = new String[names.length];
        for (int i = 0; i < names.length; i++) out[i] = ROOT + "." + names[i] + "..";
        return out;
    }
}
