package dev.shardplan.report;

import dev.shardplan.api.Reports;
import dev.shardplan.predict.Predictor;
import dev.shardplan.predict.Search;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What each report page must hold, read from its HTML: real axes on every chart, legends for
 * every chart of several series, the whole Pareto front labelled, the winner and runner-up, the
 * MoE and does-not-fit views; and nothing a reader should not see (scripts, harness output, Java
 * names, external resources).
 */
class ReportPagesTest {
    static List<String> charts(String html) {
        List<String> out = new ArrayList<>();
        Matcher m = Pattern.compile("<svg data-chart=\"([^\"]+)\".*?</svg>", Pattern.DOTALL).matcher(html);
        while (m.find()) out.add(m.group());
        return out;
    }

    static String name(String svg) {
        Matcher m = Pattern.compile("data-chart=\"([^\"]+)\"").matcher(svg);
        assertTrue(m.find());
        return m.group(1);
    }

    static int count(String s, String needle) {
        int n = 0;
        for (int i = s.indexOf(needle); i >= 0; i = s.indexOf(needle, i + needle.length())) n++;
        return n;
    }

    @Test
    void everyChartHasTicksGridlinesAnAxisTitleAndMarks() {
        ReportFixtures.pages().forEach((page, html) -> {
            List<String> cs = charts(html);
            assertTrue(cs.size() >= (page.equals("unfit") ? 1 : 3), page + " has its charts: " + cs.size());
            for (String svg : cs) {
                String n = page + "/" + name(svg);
                assertTrue(count(svg, "class=\"tick") >= 3, n + " has tick labels");
                assertTrue(count(svg, "class=\"grid\"") >= 3, n + " has gridlines");
                assertTrue(count(svg, "class=\"axis-title\"") >= 1, n + " names its axis");
                assertTrue(svg.contains("class=\"axis\""), n + " draws its axes");
                assertTrue(count(svg, "class=\"mark") >= 1, n + " draws data");
                assertTrue(svg.contains("<desc>"), n + " is described");
                Matcher units = Pattern.compile("class=\"axis-title\"[^>]*>([^<]+)<").matcher(svg);
                boolean unit = false;
                while (units.find()) unit |= units.group(1).matches(".*\\((GiB|ms|s|min|tokens|tokens/s|% of pool)\\).*|rank.*");
                assertTrue(unit, n + " states the unit of an axis");
            }
        });
    }

    @Test
    void chartsOfSeveralSeriesHaveALegendEntryPerSeries() {
        String compare = ReportFixtures.pages().get("compare");
        for (String chart : List.of("kv", "cliff", "tradeoff")) {
            Matcher m = Pattern.compile("<ul class=\"legend\" data-legend-for=\"" + chart + "\">(.*?)</ul>").matcher(compare);
            assertTrue(m.find(), "legend of " + chart);
            assertEquals(4, count(m.group(1), "<li>"), chart + " lists the four plans");
            for (String p : List.of("qwen32b_dp8", "qwen32b_tp8", "qwen32b_dp4_tp2", "qwen32b_tp4_pp2")) assertTrue(m.group(1).contains(p), chart + " names " + p);
        }
        String dense = ReportFixtures.pages().get("dense");
        assertTrue(dense.contains("data-legend-for=\"memory\""), "the memory chart's components have a legend");
        for (String c : Charts.MEM_NAMES) assertTrue(dense.contains(Html.esc(c) + "</li>"), "legend names " + c);
    }

    @Test
    void theParetoChartDrawsEveryCandidateAndLabelsTheWholeFront() {
        Search.Result res = ReportFixtures.search();
        String svg = charts(ReportFixtures.pages().get("search")).stream().filter(s -> name(s).equals("pareto")).findFirst().orElseThrow();
        assertTrue(res.ranked().size() > 10 && res.pareto().size() >= 3, "the fixture search is a real one (its simulated candidates): "
                + res.ranked().size() + " candidates, front " + res.pareto().size());
        assertEquals(res.ranked().size(), count(svg, "<circle class=\"mark\""), "one point per simulated candidate");
        assertEquals(res.pareto().size(), count(svg, "#e15759\" stroke=\"#fff\""), "the front's points");
        for (Search.Candidate c : res.pareto()) {
            assertTrue(svg.contains(">" + c.label() + "</text>") || svg.contains(">" + c.label() + " (winner)</text>"),
                    "front point labelled with its layout: " + c.label());
        }
        assertTrue(svg.contains("class=\"mark line\""), "the front is joined");
        assertTrue(svg.contains("class=\"mark winner\""), "the winner is marked");
    }

    @Test
    void aSearchShowsItsWinnerAndRunnerUp() {
        String html = ReportFixtures.pages().get("search");
        Search.Result res = ReportFixtures.search();
        String w = res.ranked().get(0).label(), r = res.ranked().get(1).label();
        Matcher kv = Pattern.compile("<ul class=\"legend\" data-legend-for=\"kv\">(.*?)</ul>").matcher(html);
        assertTrue(kv.find());
        assertTrue(kv.group(1).contains(w) && kv.group(1).contains(r), "KV timelines of the winner and the runner-up: " + kv.group(1));
        assertTrue(html.contains("(winner)") && html.contains("(runner-up)"));
    }

    @Test
    void theMemoryChartStacksComponentsPerRankWithTheBudgetLine() {
        String svg = charts(ReportFixtures.pages().get("dense")).stream().filter(s -> name(s).equals("memory")).findFirst().orElseThrow();
        for (String c : List.of("weights", "activation peak", "KV cache pool")) assertTrue(svg.contains(": " + c + " "), "bar segment " + c);
        assertTrue(svg.contains("engine budget"), "budget line");
        String pp = Reports.plan(ReportFixtures.analysis("qwen32b_dp4_tp2"), Predictor.DEFAULT_SEED);
        assertEquals(pp, ReportFixtures.pages().get("dense"), "the same inputs give the same page, byte for byte");
    }

    @Test
    void theMoePageShowsExpertsPerRankAndTheExpertParallelShare() {
        String html = ReportFixtures.pages().get("moe");
        assertTrue(html.contains("data-chart=\"experts\""));
        assertTrue(html.contains("of the decode step in expert-parallel all-to-all"));
        assertTrue(html.contains("16 of 128 routed experts"), "each of the 8 ranks holds 16 experts");
        assertTrue(html.contains("ep all-to-all"), "the decode step shows the all-to-all");
        // A TTFT bound on an offline batch is reported as not judged, not as met or missed.
        assertTrue(html.contains("not judged: the workload is an offline batch"));
    }

    @Test
    void aPlanThatDoesNotFitGetsAPageThatSaysWhy() {
        String html = ReportFixtures.pages().get("unfit");
        assertTrue(html.contains("does not fit"));
        assertTrue(html.contains("SP0401"));
        assertTrue(html.contains("over by "), "the bar says by how much it overflows");
        assertFalse(html.contains("data-chart=\"kv\""), "nothing was simulated");
    }

    @Test
    void theComparisonPutsThePlansSideBySide() {
        String html = ReportFixtures.pages().get("compare");
        assertTrue(html.contains("<th>qwen32b_dp8</th><th>qwen32b_tp8</th><th>qwen32b_dp4_tp2</th><th>qwen32b_tp4_pp2</th>"), "columns in the order asked for");
        String mem = charts(html).stream().filter(s -> name(s).equals("memory")).findFirst().orElseThrow();
        for (String p : List.of("qwen32b_dp8", "qwen32b_tp8", "qwen32b_dp4_tp2", "qwen32b_tp4_pp2")) assertTrue(mem.contains(">" + p + "</text>"), "memory of " + p);
    }

    @Test
    void pagesShowNoHarnessScriptsJavaNamesOrExternalResources() {
        Pattern javaName = Pattern.compile("\\b[A-Z][a-z]+[A-Z][A-Za-z]*\\.[a-z]\\w*\\(|\\.java\\b|dev\\.shardplan");
        ReportFixtures.pages().forEach((page, html) -> {
            assertFalse(html.contains("<script"), page + " has no scripts");
            assertFalse(html.contains("render-summary") || html.contains("\"charts\":{"), page + " shows no harness output");
            Matcher m = javaName.matcher(html);
            assertFalse(m.find(), page + " cites no Java names: " + (m.hitEnd() ? "" : html.substring(Math.max(0, m.start() - 60), Math.min(html.length(), m.end() + 20))));
            assertEquals(html.indexOf("http"), html.indexOf("http://www.w3.org/2000/svg"), page + " loads nothing from outside");
        });
    }
}
