package dev.shardplan.report;

import com.fasterxml.jackson.databind.JsonNode;
import dev.shardplan.diag.Jsons;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Renders each report page in headless Chromium, as a reader's browser would. Through the DOM of
 * a copy with a measuring script added (the report itself has none): the page fits its width,
 * no chart text is cut off at its chart's edge, the Pareto labels do not overlap each other, and
 * the figures do not overlap. Through a screenshot: every chart's region holds a drawing (not a
 * blank box). {@code -Dshardplan.report.screenshots=DIR} also writes the screenshots there (the
 * ones in docs/report/ come from this). Skips only when Chromium is absent outside CI.
 */
class ReportBrowserTest {
    static final int WIDTH = 1100;

    static Path chromium() {
        for (String c : List.of("/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome")) {
            Path p = Path.of(c);
            if (Files.isExecutable(p)) return p;
        }
        return null;
    }

    /** Measures, after layout, the document, each figure and chart, and each chart's texts, into a pre#layout. */
    static final String MEASURE = """
            <script>(function(){
              function r(e){var b=e.getBoundingClientRect();return {x:b.left+scrollX,y:b.top+scrollY,w:b.width,h:b.height};}
              var out={width:document.documentElement.scrollWidth,height:document.documentElement.scrollHeight,figures:[],charts:[]};
              document.querySelectorAll('figure').forEach(function(f){out.figures.push(r(f));});
              document.querySelectorAll('svg[data-chart]').forEach(function(s){
                var c={name:s.getAttribute('data-chart'),box:r(s),texts:[],labels:[]};
                s.querySelectorAll('text').forEach(function(t){var b=r(t);b.text=t.textContent;c.texts.push(b);
                  if(t.classList.contains('plabel'))c.labels.push(b);});
                out.charts.push(c);});
              var pre=document.createElement('pre');pre.id='layout';pre.textContent=JSON.stringify(out);document.body.appendChild(pre);
            })();</script>
            """;

    static List<String> chrome(Path chrome, Path profile, String... args) {
        List<String> cmd = new ArrayList<>(List.of(chrome.toString(), "--headless", "--no-sandbox", "--disable-gpu",
                "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
                "--hide-scrollbars", "--force-device-scale-factor=1", "--user-data-dir=" + profile));
        cmd.addAll(List.of(args));
        return cmd;
    }

    static byte[] run(List<String> cmd, Path err) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectError(err.toFile()).start();
        byte[] out = p.getInputStream().readAllBytes();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "chromium did not finish");
        return out;
    }

    @Test
    void pagesLayOutCleanlyInABrowser(@TempDir Path tmp) throws Exception {
        Path chrome = chromium();
        boolean ci = "true".equalsIgnoreCase(System.getenv("CI"));
        Assumptions.assumeTrue(chrome != null || ci, "chromium not installed (outside CI)");
        if (chrome == null) throw new AssertionError("CI=true but chromium is not installed");
        String shots = System.getProperty("shardplan.report.screenshots");

        for (Map.Entry<String, String> e : ReportFixtures.pages().entrySet()) {
            String page = e.getKey();
            Path html = tmp.resolve(page + ".html");
            Files.writeString(html, e.getValue(), StandardCharsets.UTF_8);
            Path measured = tmp.resolve(page + "-measured.html");
            Files.writeString(measured, e.getValue().replace("</body>", MEASURE + "</body>"), StandardCharsets.UTF_8);

            String dom = new String(run(chrome(chrome, tmp.resolve("profile"), "--window-size=" + WIDTH + ",1200", "--dump-dom",
                    measured.toUri().toString()), tmp.resolve(page + "-dom.err")), StandardCharsets.UTF_8);
            int a = dom.indexOf("<pre id=\"layout\">");
            assertTrue(a >= 0, page + ": no layout in the DOM:\n" + dom.substring(0, Math.min(400, dom.length())));
            String json = dom.substring(dom.indexOf('>', a) + 1, dom.indexOf("</pre>", a)).replace("&quot;", "\"").replace("&amp;", "&")
                    .replace("&lt;", "<").replace("&gt;", ">");
            JsonNode l = Jsons.MAPPER.readTree(json);

            assertTrue(l.get("width").asInt() <= WIDTH, page + " is wider than the window: " + l.get("width"));
            List<double[]> figs = new ArrayList<>();
            for (JsonNode f : l.get("figures")) figs.add(box(f));
            for (int i = 0; i < figs.size(); i++) {
                for (int j = i + 1; j < figs.size(); j++) assertTrue(!overlap(figs.get(i), figs.get(j), 0), page + ": figures " + i + " and " + j + " overlap");
            }
            for (JsonNode c : l.get("charts")) {
                double[] sb = box(c.get("box"));
                String n = page + "/" + c.get("name").asText();
                assertTrue(sb[2] > 300 && sb[3] > 90, n + " is drawn at a readable size: " + c.get("box"));
                for (JsonNode t : c.get("texts")) {
                    double[] tb = box(t);
                    if (tb[2] == 0) continue;
                    assertTrue(tb[0] >= sb[0] - 1 && tb[1] >= sb[1] - 1 && tb[0] + tb[2] <= sb[0] + sb[2] + 1 && tb[1] + tb[3] <= sb[1] + sb[3] + 1,
                            n + ": text `" + t.get("text").asText() + "` is cut off at the chart's edge");
                }
                List<double[]> labels = new ArrayList<>();
                for (JsonNode t : c.get("labels")) labels.add(box(t));
                for (int i = 0; i < labels.size(); i++) {
                    for (int j = i + 1; j < labels.size(); j++) {
                        assertTrue(!overlap(labels.get(i), labels.get(j), 1), n + ": labels `" + c.get("labels").get(i).get("text").asText()
                                + "` and `" + c.get("labels").get(j).get("text").asText() + "` overlap");
                    }
                }
            }

            // The screenshot: the whole page, so that every chart's region can be looked at.
            int height = Math.min(16000, l.get("height").asInt() + 20);
            Path png = tmp.resolve(page + ".png");
            run(chrome(chrome, tmp.resolve("profile"), "--window-size=" + WIDTH + "," + height, "--screenshot=" + png,
                    html.toUri().toString()), tmp.resolve(page + "-shot.err"));
            BufferedImage img = ImageIO.read(png.toFile());
            assertEquals(WIDTH, img.getWidth(), page + " screenshot width");
            for (JsonNode c : l.get("charts")) {
                double[] b = box(c.get("box"));
                Region r = region(img, b);
                String n = page + "/" + c.get("name").asText();
                assertTrue(r.inked > 0.01, n + ": the chart's region is blank in the screenshot (" + r.inked + " inked)");
                assertTrue(r.colours >= 4, n + ": the chart's region shows " + r.colours + " colours; expected axes, text and data");
            }
            if (shots != null) {
                Path dir = Path.of(shots);
                Files.createDirectories(dir);
                // The first screenful and a bit: what a reader sees on opening the page.
                int keep = Math.min(img.getHeight(), 1800);
                ImageIO.write(img.getSubimage(0, 0, WIDTH, keep), "png", dir.resolve(page + ".png").toFile());
            }
        }
    }

    static double[] box(JsonNode n) {
        return new double[]{n.get("x").asDouble(), n.get("y").asDouble(), n.get("w").asDouble(), n.get("h").asDouble()};
    }

    static boolean overlap(double[] a, double[] b, double slack) {
        return a[0] + slack < b[0] + b[2] && b[0] + slack < a[0] + a[2] && a[1] + slack < b[1] + b[3] && b[1] + slack < a[1] + a[3];
    }

    record Region(double inked, int colours) {}

    /** The share of non-white pixels in a box of the screenshot, and how many colours it has (up to 64). */
    static Region region(BufferedImage img, double[] b) {
        int x0 = (int) Math.max(0, b[0]), y0 = (int) Math.max(0, b[1]);
        int x1 = (int) Math.min(img.getWidth(), b[0] + b[2]), y1 = (int) Math.min(img.getHeight(), b[1] + b[3]);
        long ink = 0, all = 0;
        Set<Integer> cs = new HashSet<>();
        for (int y = y0; y < y1; y++) {
            for (int x = x0; x < x1; x++) {
                int rgb = img.getRGB(x, y) & 0xffffff;
                all++;
                if (rgb != 0xffffff) ink++;
                if (cs.size() < 64) cs.add(rgb & 0xf0f0f0);
            }
        }
        return new Region(all == 0 ? 0 : (double) ink / all, cs.size());
    }
}
