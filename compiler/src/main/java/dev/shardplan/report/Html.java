package dev.shardplan.report;

import dev.shardplan.units.Fmt;
import java.util.List;
import java.util.Locale;

/** HTML pieces of the report: escaping, tables, legends, figures. */
final class Html {
    private Html() {}

    static String esc(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }

    /** A legend: one swatch and name per series, in drawing order. */
    static String legend(String chart, List<String> names, List<String> colours, List<String> styles) {
        StringBuilder s = new StringBuilder("<ul class=\"legend\" data-legend-for=\"" + chart + "\">");
        for (int i = 0; i < names.size(); i++) {
            String style = styles == null ? "box" : styles.get(i);
            s.append("<li><span class=\"swatch ").append(style).append("\" style=\"")
                    .append(style.equals("box") ? "background:" : "border-color:").append(colours.get(i)).append("\"></span>")
                    .append(esc(names.get(i))).append("</li>");
        }
        return s.append("</ul>\n").toString();
    }

    /** A figure: heading, legend (may be empty), the chart, and a caption that says what is drawn. */
    static String figure(String title, String legend, String svg, String caption) {
        return "<figure>\n<figcaption class=\"title\">" + esc(title) + "</figcaption>\n" + legend + svg
                + "<figcaption class=\"caption\">" + esc(caption) + "</figcaption>\n</figure>\n";
    }

    /** A table: header cells, then rows; the first column is left-aligned, numbers right. */
    static String table(String cls, List<String> head, List<List<String>> rows) {
        StringBuilder s = new StringBuilder("<table class=\"" + cls + "\"><thead><tr>");
        for (String h : head) s.append("<th>").append(esc(h)).append("</th>");
        s.append("</tr></thead><tbody>\n");
        for (List<String> r : rows) {
            s.append("<tr>");
            for (String c : r) s.append("<td>").append(esc(c)).append("</td>");
            s.append("</tr>\n");
        }
        return s.append("</tbody></table>\n").toString();
    }

    static String gib(double bytes) {
        return Fmt.gib(bytes, 1);
    }

    static String seconds(double s) {
        if (s < 1e-3) return String.format(Locale.ROOT, "%.0f µs", s * 1e6);
        if (s < 1) return String.format(Locale.ROOT, "%.1f ms", s * 1e3);
        if (s < 120) return String.format(Locale.ROOT, "%.2f s", s);
        return String.format(Locale.ROOT, "%.0f s (%.1f min)", s, s / 60);
    }

    static String num(double v) {
        return Fmt.num(Math.round(v));
    }

    static final String STYLE = """
            :root{--ink:#1f2328;--muted:#59636e;--line:#d0d7de;--bg:#fff;--soft:#f6f8fa}
            body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;color:var(--ink);background:var(--bg);margin:24px auto;max-width:1040px;padding:0 16px}
            h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid var(--line);padding-bottom:4px}
            h3{font-size:15px;margin:18px 0 6px}
            p.lead{color:var(--muted);margin:0 0 12px}
            .cards{display:flex;flex-wrap:wrap;gap:10px;margin:12px 0}
            .card{border:1px solid var(--line);border-radius:6px;padding:8px 12px;min-width:150px;background:var(--soft)}
            .card b{display:block;font-size:18px}.card span{color:var(--muted);font-size:12px}
            .card.bad{border-color:#cf222e;background:#ffebe9}.card.good{border-color:#1a7f37;background:#dafbe1}
            figure{margin:14px 0 20px;padding:0}figure svg{display:block;max-width:100%;height:auto}
            figcaption.title{font-weight:600;margin-bottom:4px}figcaption.caption{color:var(--muted);font-size:12.5px;margin-top:4px;max-width:900px}
            ul.legend{list-style:none;margin:0 0 4px;padding:0;display:flex;flex-wrap:wrap;gap:4px 16px;font-size:12.5px}
            ul.legend li{display:flex;align-items:center;gap:6px}
            .swatch{display:inline-block;width:12px;height:12px;border-radius:2px}
            .swatch.line{width:18px;height:0;border-top:3px solid;border-radius:0}.swatch.dash{width:18px;height:0;border-top:2px dashed;border-radius:0}
            .swatch.dot{width:10px;height:10px;border-radius:50%;border:5px solid;box-sizing:border-box}
            table{border-collapse:collapse;margin:8px 0 16px;font-size:13px}
            th,td{border:1px solid var(--line);padding:3px 8px;text-align:right;vertical-align:top}
            th{background:var(--soft)}td:first-child,th:first-child{text-align:left}
            table.text td,table.text th{text-align:left}table.ranking td:nth-child(2),table.ranking th:nth-child(2){text-align:left}table.derivation td:nth-child(3){font-family:ui-monospace,"DejaVu Sans Mono",monospace;font-size:12px}
            tbody tr:nth-child(even){background:#fafbfc}
            .ok{color:#1a7f37;font-weight:600}.miss{color:#cf222e;font-weight:600}.na{color:var(--muted)}
            ul.findings{padding-left:20px}ul.findings li{margin:4px 0}
            .sev{font-family:ui-monospace,"DejaVu Sans Mono",monospace;font-size:12.5px}
            .sev.error{color:#cf222e}.sev.warning{color:#9a6700}.sev.note{color:var(--muted)}
            .help{color:var(--muted)}
            .grid{stroke:#e6e9ed;stroke-width:1}.axis{stroke:#57606a;stroke-width:1}
            .tick{font-size:11px;fill:#57606a}.tick.sub{fill:#8c959f}.axis-title{font-size:12px;fill:#1f2328}.plan-label{font-size:12px;font-weight:600;fill:#1f2328}
            .ref{stroke-width:1.5;stroke-dasharray:6 4}.ref-label{font-size:11px}
            .leader{stroke:#8c959f;stroke-width:.8}
            .plabel{font-size:11px;fill:#1f2328}.plabel.front{font-weight:600}
            .value{font-size:10.5px;fill:#1f2328}.miss-label{fill:#cf222e;font-weight:600}.value.inverse{fill:#fff}
            nav.toc{font-size:13px;color:var(--muted)}nav.toc a{color:#0969da;text-decoration:none;margin-right:12px}
            """;
}
