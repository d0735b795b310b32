package dev.shardplan.resolve;

import dev.shardplan.api.Frontend;
import dev.shardplan.api.FrontendResult;
import dev.shardplan.model.FieldPath;
import dev.shardplan.model.Plan;
import dev.shardplan.model.PlanPaths;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.lang.reflect.Modifier;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The field paths diagnostics point at are the schema's. Later stages name them by the typed
 * constants of {@link PlanPaths}, generated from the field tables, never by a string
 * ({@code plan.spanOf("parallel.tp")} would silently point at the plan's name if no plan held it);
 * every constant is a path a resolved plan can hold, and every path the resolver records is one
 * of the schema's.
 */
class FieldPathsTest {
    static final Path MAIN = Path.of("src", "main", "java", "dev", "shardplan");
    /** A string literal where a later stage asks a plan (or pool) for a field's span. */
    static final Pattern STRING_PATH = Pattern.compile("(?:spanOf|ctx\\.span|spans\\(\\)\\.(?:get|getOrDefault|containsKey))\\(\\s*\"");
    static final Pattern TYPED = Pattern.compile("PlanPaths\\.");

    @Test
    void laterStagesAskForFieldsByTheirTypedPaths() throws IOException {
        List<String> bad = new ArrayList<>();
        int typed = 0;
        for (String pkg : List.of("analysis", "emit", "predict", "report", "api")) {
            try (Stream<Path> files = Files.walk(MAIN.resolve(pkg))) {
                for (Path f : files.filter(p -> p.toString().endsWith(".java")).sorted().toList()) {
                    String src = Files.readString(f, StandardCharsets.UTF_8);
                    Matcher m = STRING_PATH.matcher(src);
                    while (m.find()) {
                        int line = src.substring(0, m.start()).split("\n", -1).length;
                        bad.add(MAIN.relativize(f) + ":" + line);
                    }
                    Matcher t = TYPED.matcher(src);
                    while (t.find()) typed++;
                }
            }
        }
        assertTrue(typed > 50, "the scan found the typed paths (" + typed + ")");
        assertEquals(List.of(), bad, "a field path spelt as a string: use model.PlanPaths");
    }

    static final Path GENERATED = MAIN.resolve(Path.of("model", "PlanPaths.java"));

    /** model/PlanPaths.java as the field tables make it: one constant per recorded path ("parallel.tp" is PARALLEL_TP). */
    static String planPathsSource() {
        StringBuilder b = new StringBuilder();
        b.append("package dev.shardplan.model;\n\n");
        b.append("/**\n");
        b.append(" * The field paths later stages point diagnostics at: the fields a resolved plan records spans for\n");
        b.append(" * ({@link Plan#spans()}), one constant per row of the language's field tables\n");
        b.append(" * (resolve.LanguageFields.recordedPaths). Generated from those tables by resolve.FieldPathsTest\n");
        b.append(" * ({@code -Dshardplan.rewrite=true} rewrites it): a field is added to its table, not here.\n");
        b.append(" */\n");
        b.append("public final class PlanPaths {\n");
        b.append("    private PlanPaths() {}\n\n");
        for (String path : LanguageFields.recordedPaths()) {
            b.append("    public static final FieldPath ").append(path.toUpperCase(java.util.Locale.ROOT).replace('.', '_'))
                    .append(" = new FieldPath(\"").append(path).append("\");\n");
        }
        b.append("\n");
        b.append("    /** An engine setting by the engine's own name (\"engine.max_num_seqs\"): the engine's table for the plan's release has the names. */\n");
        b.append("    public static FieldPath engine(String setting) {\n");
        b.append("        return ENGINE.child(setting);\n");
        b.append("    }\n");
        b.append("}\n");
        return b.toString();
    }

    @Test
    void theTypedPathsAreGeneratedFromTheTables() throws IOException {
        String want = planPathsSource();
        if (Boolean.getBoolean("shardplan.rewrite")) {
            Files.writeString(GENERATED, want, StandardCharsets.UTF_8);
            return;
        }
        assertEquals(want, Files.readString(GENERATED, StandardCharsets.UTF_8),
                GENERATED + " is stale: rerun FieldPathsTest with -Dshardplan.rewrite=true");
    }

    @Test
    void everyTypedPathIsASchemaPath() throws IllegalAccessException {
        List<String> bad = new ArrayList<>();
        int n = 0;
        for (java.lang.reflect.Field c : PlanPaths.class.getFields()) {
            if (c.getType() != FieldPath.class || !Modifier.isStatic(c.getModifiers())) continue;
            n++;
            String path = ((FieldPath) c.get(null)).path();
            if (!LanguageFields.isPlanPath(path)) bad.add(c.getName() + " = " + path);
        }
        assertTrue(n > 20, "PlanPaths' constants (" + n + ")");
        if (!LanguageFields.isPlanPath(PlanPaths.engine("max_num_seqs").path())) bad.add("engine(\"max_num_seqs\")");
        assertEquals(List.of(), bad, "paths no resolved plan holds (see LanguageFields.isPlanPath)");
    }

    @Test
    void everyPathTheResolverRecordsIsASchemaPath() throws IOException {
        Path plans = Path.of("..", "plans");
        List<Path> files;
        try (Stream<Path> s = Files.list(plans)) {
            files = s.filter(p -> p.toString().endsWith(".plan")).sorted().toList();
        }
        FrontendResult r = Frontend.check(plans, files);
        TreeSet<String> keys = new TreeSet<>();
        for (Plan p : r.plans()) keys.addAll(p.spans().keySet());
        assertTrue(keys.contains("parallel.tp") && keys.contains("workload.max_length") && keys.contains("engine"), keys.toString());
        List<String> bad = keys.stream().filter(k -> !LanguageFields.isPlanPath(k)).toList();
        assertEquals(List.of(), bad, "paths the resolver records that the schema does not declare");
    }
}
