package dev.shardplan.lsp;

import org.eclipse.lsp4j.Diagnostic;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

/**
 * How long a client waits from didChange to the diagnostics of that version, in-process over the
 * protocol, for plans in plans/ and a large file, with the default debounce and with none. Prints
 * medians for docs/benchmarks.md; timings are never asserted. Run:
 * mvn -B -o -pl grammar,compiler,lsp -am test -Dsurefire.excludedGroups= -Dgroups=benchmark -Dtest=DiagnosticsLatencyBenchmark -Dsurefire.failIfNoSpecifiedTests=false
 */
@Tag("benchmark")
class DiagnosticsLatencyBenchmark {
    static final int WARMUP = 200, RUNS = 100;

    @TempDir
    Path ws;
    @TempDir
    Path std;

    @Test
    void latency() throws Exception {
        Path plans = Path.of("..", "plans");
        try (Stream<Path> s = Files.walk(plans)) {
            for (Path p : (Iterable<Path>) s::iterator) {
                Path to = ws.resolve(plans.relativize(p).toString());
                if (Files.isDirectory(p)) Files.createDirectories(to);
                else Files.copy(p, to);
            }
        }
        // A large file: the 2-plan qwen32b file repeated as 40 plans (20 variants of each), ~700 lines.
        String q = Files.readString(ws.resolve("qwen32b.plan"));
        StringBuilder big = new StringBuilder(q);
        String body = q.substring(q.indexOf("\nplan ") + 1);
        for (int i = 1; i < 20; i++) big.append('\n').append(body.replace("plan qwen32b_dp8", "plan qwen32b_dp8_" + i).replace("plan qwen32b_tp8", "plan qwen32b_tp8_" + i));
        Files.writeString(ws.resolve("large.plan"), big.toString());

        List<String> rows = new ArrayList<>();
        for (long debounce : new long[]{0, PlanLanguageServer.DEFAULT_DEBOUNCE_MS, 0}) {
            try (LspHarness lsp = LspHarness.start(ws, std, debounce)) {
                for (String file : List.of("qwen32b.plan", "deepseek_r1.plan", "llama8b.plan", "large.plan")) {
                    Path f = ws.resolve(file);
                    String text = Files.readString(f);
                    String uri = lsp.open(f, text);
                    if (lsp.diagnostics(uri).stream().anyMatch(d -> d.getSeverity() == org.eclipse.lsp4j.DiagnosticSeverity.Error)) {
                        throw new AssertionError(file + " must check without errors, or the benchmark times a short cut");
                    }
                    // An edit a user makes: a degree or a setting value changes, back and forth.
                    String[] variants = {text, text.replaceFirst("gpu_memory_utilization 0.90", "gpu_memory_utilization 0.85")};
                    int lines = text.split("\n", -1).length;
                    List<Double> ms = new ArrayList<>();
                    int count = -1;
                    for (int i = 0; i < WARMUP + RUNS; i++) {
                        long t0 = System.nanoTime();
                        lsp.change(uri, variants[(i + 1) % 2]);
                        List<Diagnostic> ds = lsp.diagnostics(uri);
                        double dt = (System.nanoTime() - t0) / 1e6;
                        if (i >= WARMUP) ms.add(dt);
                        count = ds.size();
                    }
                    Collections.sort(ms);
                    rows.add(String.format(Locale.ROOT, "| %s (%d lines, %d diagnostics) | %d ms | %.1f ms | %.1f ms | %.1f ms |", file, lines,
                            count, debounce, ms.get(ms.size() / 2), ms.get(0), ms.get(ms.size() * 9 / 10)));
                }
            }
        }
        System.out.println("| file | debounce | median | min | p90 |");
        System.out.println("|---|---|---|---|---|");
        rows.forEach(System.out::println);
    }
}
