package dev.shardplan.report;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * An SVG chart with real axes: ticks at round values (1, 2, 2.5 or 5 times a power of ten),
 * gridlines, axis titles that name the unit, and a plot area that data coordinates map into.
 * Every data mark carries class {@code mark} and a {@code <title>} (the tooltip, and what a
 * reader of the DOM sees); labels are placed so that they stay inside the chart.
 */
final class Chart {
    static final int LEFT = 78, RIGHT = 24, TOP = 18, BOTTOM = 54;
    static final double CHAR_W = 6.4; // width of one 11 px sans-serif character, for label boxes

    final String name;
    final int width, height;
    int left = LEFT, bottom = BOTTOM;
    final StringBuilder body = new StringBuilder();
    double x0, x1, y0, y1;
    private final List<double[]> labelBoxes = new ArrayList<>();

    Chart(String name, int width, int height) {
        this.name = name;
        this.width = width;
        this.height = height;
    }

    int plotLeft() { return left; }
    int plotRight() { return width - RIGHT; }
    int plotTop() { return TOP; }
    int plotBottom() { return height - bottom; }

    double px(double x) {
        return plotLeft() + (x - x0) / (x1 - x0) * (plotRight() - plotLeft());
    }

    double py(double y) {
        return plotBottom() - (y - y0) / (y1 - y0) * (plotBottom() - plotTop());
    }

    /** Round tick values covering [lo, hi], about {@code n} of them. */
    static double[] ticks(double lo, double hi, int n) {
        if (!(hi > lo)) hi = lo + 1;
        double raw = (hi - lo) / Math.max(1, n);
        double mag = Math.pow(10, Math.floor(Math.log10(raw)));
        double step = mag;
        for (double m : new double[]{1, 2, 2.5, 5, 10}) {
            step = m * mag;
            if (step >= raw) break;
        }
        double start = Math.floor(lo / step + 1e-9) * step;
        List<Double> out = new ArrayList<>();
        for (double v = start; v <= hi + step * 1e-6; v += step) out.add(Math.abs(v) < step * 1e-9 ? 0 : v);
        if (out.get(out.size() - 1) < hi - step * 1e-6) out.add(out.get(out.size() - 1) + step);
        return out.stream().mapToDouble(Double::doubleValue).toArray();
    }

    /** The y range as ticks from {@code lo} to at least {@code hi}; returns the ticks. */
    double[] yRange(double lo, double hi) {
        double[] t = ticks(lo, hi, 5);
        y0 = t[0];
        y1 = t[t.length - 1];
        return t;
    }

    double[] xRange(double lo, double hi) {
        double[] t = ticks(lo, hi, 6);
        x0 = t[0];
        x1 = t[t.length - 1];
        return t;
    }

    /** Horizontal gridlines and tick labels at {@code ticks}; the y axis title names the unit. */
    void yAxis(double[] ticks, String title, java.util.function.DoubleFunction<String> fmt) {
        for (double t : ticks) {
            double y = py(t);
            body.append(String.format(Locale.ROOT, "<line class=\"grid\" x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\"/>\n",
                    plotLeft(), y, plotRight(), y));
            body.append(String.format(Locale.ROOT, "<text class=\"tick\" x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%s</text>\n",
                    plotLeft() - 6, y + 4, Html.esc(fmt.apply(t))));
        }
        int mid = (plotTop() + plotBottom()) / 2;
        body.append(String.format(Locale.ROOT,
                "<text class=\"axis-title\" x=\"16\" y=\"%d\" text-anchor=\"middle\" transform=\"rotate(-90 16 %d)\">%s</text>\n",
                mid, mid, Html.esc(title)));
    }

    /** Vertical gridlines and tick labels at {@code ticks}; the x axis title names the unit. */
    void xAxis(double[] ticks, String title, java.util.function.DoubleFunction<String> fmt) {
        for (double t : ticks) {
            double x = px(t);
            body.append(String.format(Locale.ROOT, "<line class=\"grid\" x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\"/>\n",
                    x, plotTop(), x, plotBottom()));
            body.append(String.format(Locale.ROOT, "<text class=\"tick\" x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%s</text>\n",
                    x, plotBottom() + 16, Html.esc(fmt.apply(t))));
        }
        xTitle(title);
    }

    /**
     * Category labels under the plot, centred at the given x positions (pixels). Labels wider than
     * their slot lose a leading "rank "/"ranks " (the axis title says it), then are slanted;
     * sublabels that do not fit are left out (the caption gives them).
     */
    void xCategories(double[] centres, String[] labels, String[] sublabels, String title) {
        double slot = centres.length > 1 ? (centres[centres.length - 1] - centres[0]) / (centres.length - 1) : plotRight() - plotLeft();
        String[] ls = labels.clone();
        if (widest(ls) > slot - 6) for (int i = 0; i < ls.length; i++) ls[i] = ls[i].replaceFirst("^ranks? ", "");
        boolean slant = widest(ls) > slot - 6;
        boolean subs = sublabels != null && !slant && widest(sublabels) <= slot - 6;
        for (int i = 0; i < centres.length; i++) {
            if (slant) {
                body.append(String.format(Locale.ROOT, "<text class=\"tick\" x=\"%.1f\" y=\"%d\" text-anchor=\"end\" "
                        + "transform=\"rotate(-35 %.1f %d)\">%s</text>\n", centres[i] + 3, plotBottom() + 14, centres[i] + 3,
                        plotBottom() + 14, Html.esc(ls[i])));
            } else {
                body.append(String.format(Locale.ROOT, "<text class=\"tick\" x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%s</text>\n",
                        centres[i], plotBottom() + 16, Html.esc(ls[i])));
            }
            if (subs && sublabels[i] != null) {
                body.append(String.format(Locale.ROOT, "<text class=\"tick sub\" x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%s</text>\n",
                        centres[i], plotBottom() + 29, Html.esc(sublabels[i])));
            }
        }
        xTitle(title);
    }

    private static double widest(String[] ls) {
        double w = 0;
        for (String l : ls) if (l != null) w = Math.max(w, l.length() * CHAR_W);
        return w;
    }

    private void xTitle(String title) {
        body.append(String.format(Locale.ROOT, "<text class=\"axis-title\" x=\"%d\" y=\"%d\" text-anchor=\"middle\">%s</text>\n",
                (plotLeft() + plotRight()) / 2, height - 8, Html.esc(title)));
    }

    /** The axes' own lines, drawn over the gridlines. */
    void frame() {
        body.append(String.format(Locale.ROOT, "<line class=\"axis\" x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\"/>\n",
                plotLeft(), plotBottom(), plotRight(), plotBottom()));
        body.append(String.format(Locale.ROOT, "<line class=\"axis\" x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\"/>\n",
                plotLeft(), plotTop(), plotLeft(), plotBottom()));
    }

    void rect(double x, double y, double w, double h, String fill, String cls, String title) {
        body.append(String.format(Locale.ROOT, "<rect class=\"%s\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\">"
                + "<title>%s</title></rect>\n", cls, x, y, Math.max(0, w), Math.max(0, h), fill, Html.esc(title)));
    }

    void polyline(List<double[]> pts, String stroke, String title, boolean dashed) {
        StringBuilder p = new StringBuilder();
        for (double[] xy : pts) p.append(String.format(Locale.ROOT, "%.1f,%.1f ", xy[0], xy[1]));
        body.append(String.format(Locale.ROOT, "<polyline class=\"mark line\" fill=\"none\" stroke=\"%s\" stroke-width=\"2\"%s points=\"%s\">"
                + "<title>%s</title></polyline>\n", stroke, dashed ? " stroke-dasharray=\"6 4\"" : "", p.toString().trim(), Html.esc(title)));
    }

    void circle(double x, double y, double r, String fill, String title) {
        body.append(String.format(Locale.ROOT, "<circle class=\"mark\" cx=\"%.1f\" cy=\"%.1f\" r=\"%.1f\" fill=\"%s\" stroke=\"#fff\" "
                + "stroke-width=\"1\"><title>%s</title></circle>\n", x, y, r, fill, Html.esc(title)));
    }

    /** A horizontal reference line across the plot with its label at the right end, above the line. */
    void hline(double y, String stroke, String label, String cls) {
        double py = py(y);
        body.append(String.format(Locale.ROOT, "<line class=\"%s\" x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"%s\"/>\n",
                cls, plotLeft(), py, plotRight(), py, stroke));
        double w = label.length() * CHAR_W;
        double lx = plotRight() - 4 - w;
        double ly = py - 5;
        labelBoxes.add(new double[]{lx, ly - 11, lx + w, ly + 2});
        body.append(String.format(Locale.ROOT, "<text class=\"ref-label\" x=\"%.1f\" y=\"%.1f\" fill=\"%s\">%s</text>\n",
                lx, ly, stroke, Html.esc(label)));
    }

    /**
     * A label beside the point (px, py) in pixels: to its right, else its left, moved down (then
     * up) until it overlaps no earlier label and stays inside the chart. A thin leader joins a
     * label that had to move away from its point.
     */
    void pointLabel(double x, double y, String text, String cls) {
        double w = text.length() * CHAR_W, h = 13;
        List<double[]> tries = new ArrayList<>();
        for (int step = 0; step < 12; step++) {
            double dy = (step % 2 == 0 ? 1 : -1) * ((step + 1) / 2) * (h + 1);
            for (double dx : new double[]{8, 20}) {
                tries.add(new double[]{x + dx, y + 4 + dy});
                tries.add(new double[]{x - dx - w, y + 4 + dy});
            }
        }
        double[] best = tries.get(0);
        for (double[] t : tries) {
            double[] box = {t[0], t[1] - 10, t[0] + w, t[1] + 3};
            if (box[0] < plotLeft() + 2 || box[2] > width - 2 || box[1] < 2 || box[3] > plotBottom() - 2) continue;
            boolean clash = false;
            for (double[] b : labelBoxes) {
                if (box[0] < b[2] && box[2] > b[0] && box[1] < b[3] && box[3] > b[1]) {
                    clash = true;
                    break;
                }
            }
            if (!clash) {
                best = t;
                break;
            }
        }
        labelBoxes.add(new double[]{best[0], best[1] - 10, best[0] + w, best[1] + 3});
        if (Math.abs(best[1] - (y + 4)) > 2 || Math.abs(best[0] - x) > 12 && Math.abs(best[0] + w - x) > 12) {
            double lx = best[0] > x ? best[0] - 2 : best[0] + w + 2;
            body.append(String.format(Locale.ROOT, "<line class=\"leader\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n",
                    x, y, lx, best[1] - 4));
        }
        body.append(String.format(Locale.ROOT, "<text class=\"%s\" x=\"%.1f\" y=\"%.1f\">%s</text>\n", cls, best[0], best[1],
                Html.esc(text)));
    }

    /** Keeps labels off a mark of radius {@code r} at (x, y) in pixels. */
    void obstacle(double x, double y, double r) {
        labelBoxes.add(new double[]{x - r, y - r, x + r, y + r});
    }

    /** A plain text at (x, y) in pixels. */
    void text(double x, double y, String anchor, String cls, String text) {
        body.append(String.format(Locale.ROOT, "<text class=\"%s\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\">%s</text>\n",
                cls, x, y, anchor, Html.esc(text)));
    }

    /** The finished {@code <svg>}: a described image whose data-chart attribute names it. */
    String svg(String description) {
        return String.format(Locale.ROOT, "<svg data-chart=\"%s\" xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" width=\"%d\" height=\"%d\" "
                + "viewBox=\"0 0 %d %d\"><desc>%s</desc>\n%s</svg>\n", name, width, height, width, height, Html.esc(description), body);
    }

    /** Tick labels: 0, 950, 1.2k, 15k, 1.5M. */
    static String compact(double v) {
        double a = Math.abs(v);
        if (a >= 1e6) return trim(v / 1e6) + "M";
        if (a >= 1e4) return trim(v / 1e3) + "k";
        if (a >= 1000) return trim(v / 1e3) + "k";
        return trim(v);
    }

    static String trim(double v) {
        if (Math.abs(v - Math.rint(v)) < 1e-9) return String.valueOf((long) Math.rint(v));
        String s = String.format(Locale.ROOT, "%.2f", v);
        s = s.replaceAll("0+$", "");
        return s.endsWith(".") ? s.substring(0, s.length() - 1) : s;
    }
}
