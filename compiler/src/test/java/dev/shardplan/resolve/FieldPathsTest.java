package dev.shardplan.resolve;

import dev.shardplan.api.Frontend;
import dev.shardplan.api.FrontendResult;
import dev.shardplan.model.Plan;
import org.junit.jupiter.api.Test;

import java.io.IOException;
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
 * The field paths diagnostics point at are the schema's: every path a later stage asks a plan
 * for ({@code plan.spanOf("parallel.tp")}, {@code ctx.span("workload.max_length", ...)}) is one
 * a resolved plan can hold, and every path the resolver records is one of the schema's. A path
 * that is read but never written would silently point at the plan's name instead.
 */
class FieldPathsTest {
    static final Path MAIN = Path.of("src", "main", "java", "dev", "shardplan");
    /** A string literal passed to spanOf(...) or a CheckContext's span(...). */
    static final Pattern CALL = Pattern.compile("(?:spanOf|ctx\\.span)\\(([^;]*?)\\)[,;. ]");
    static final Pattern LITERAL = Pattern.compile("\"([a-z_.]+)\"(\\s*\\+)?");

    @Test
    void everyPathALaterStageAsksForIsASchemaPath() throws IOException {
        List<String> bad = new ArrayList<>();
        int seen = 0;
        for (String pkg : List.of("analysis", "emit", "predict", "report", "api")) {
            try (Stream<Path> files = Files.walk(MAIN.resolve(pkg))) {
                for (Path f : files.filter(p -> p.toString().endsWith(".java")).sorted().toList()) {
                    String src = Files.readString(f, StandardCharsets.UTF_8);
                    Matcher m = CALL.matcher(src);
                    while (m.find()) {
                        Matcher lit = LITERAL.matcher(m.group(1));
                        while (lit.find()) {
                            String path = lit.group(1);
                            // "engine." + name, "deploy." + key: a prefix the code completes
                            if (lit.group(2) != null) path = path + "x";
                            seen++;
                            if (path.endsWith(".x") ? !prefixOk(path) : !LanguageFields.isPlanPath(path)) {
                                bad.add(MAIN.relativize(f) + ": \"" + lit.group(1) + "\"");
                            }
                        }
                    }
                }
            }
        }
        assertTrue(seen > 50, "the scan found the calls (" + seen + ")");
        assertEquals(List.of(), bad, "field paths no resolved plan holds (see LanguageFields.isPlanPath)");
    }

    private static boolean prefixOk(String path) {
        String head = path.substring(0, path.length() - 2);
        return head.equals("engine") || head.equals("workload") || LanguageFields.table("plan." + head) != null;
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
