package dev.shardplan.predict;

import com.fasterxml.jackson.databind.JsonNode;
import dev.shardplan.diag.Jsons;
import dev.shardplan.model.DType;
import dev.shardplan.model.Slo;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Renders a search report in headless Chromium and reads back, through the DOM, that every chart
 * drew its marks and no script error occurred. Skips only when Chromium is absent outside CI.
 */
class ReportBrowserTest {
    static SearchSpace smallSearch() {
        var w = Study.reasoning(200);
        return new SearchSpace("r8b", Study.distill8b(), Study.hgxH200(), w, Study.vllm(256),
                List.of(new Slo("tpot", 50, "<", 0.060, dev.shardplan.diag.Span.NONE)), SearchSpace.Objective.THROUGHPUT,
                4, true, List.of(), List.of(), List.of(1), List.of(), List.of(64, 256), List.of(DType.BF16), Map.of(),
                dev.shardplan.diag.Span.NONE);
    }

    static Path chromium() {
        for (String c : List.of("/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome")) {
            Path p = Path.of(c);
            if (Files.isExecutable(p)) return p;
        }
        return null;
    }

    @Test
    void everyChartDrawsItsMarksWithoutErrors(@TempDir Path tmp) throws Exception {
        Path chrome = chromium();
        boolean ci = "true".equalsIgnoreCase(System.getenv("CI"));
        Assumptions.assumeTrue(chrome != null || ci, "chromium not installed (outside CI)");
        if (chrome == null) throw new AssertionError("CI=true but chromium is not installed");

        Search.Result res = Search.run(smallSearch(), 1);
        String html = HtmlReport.of(res);
        assertTrue(!html.contains("http://") || html.indexOf("http://") == html.indexOf("http://www.w3.org/2000/svg"),
                "the report must not load external resources");
        Path file = tmp.resolve("report.html");
        Files.writeString(file, html, StandardCharsets.UTF_8);
        Process p = new ProcessBuilder(chrome.toString(), "--headless", "--no-sandbox", "--disable-gpu",
                "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
                "--user-data-dir=" + tmp.resolve("profile"), "--dump-dom", file.toUri().toString())
                .redirectError(tmp.resolve("stderr.txt").toFile()).start();
        byte[] out = p.getInputStream().readAllBytes();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "chromium did not finish");
        String dom = new String(out, StandardCharsets.UTF_8);
        int a = dom.indexOf("<pre id=\"render-summary\">");
        assertTrue(a >= 0, "no summary in the DOM:\n" + dom.substring(0, Math.min(500, dom.length())));
        String json = dom.substring(dom.indexOf('>', a) + 1, dom.indexOf("</pre>", a)).replace("&quot;", "\"").replace("&amp;", "&");
        JsonNode s = Jsons.MAPPER.readTree(json);
        assertEquals(0, s.get("errors").size(), "script errors: " + s.get("errors"));
        for (String chart : List.of("memory", "kv", "cliff", "pareto")) {
            assertTrue(s.get("charts").has(chart), "chart missing: " + chart);
            assertTrue(s.get("charts").get(chart).asInt() > 0, "chart drew no marks: " + chart + " " + s);
        }
    }
}
