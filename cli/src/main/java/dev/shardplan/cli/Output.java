package dev.shardplan.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.shardplan.diag.Diagnostic;
import dev.shardplan.diag.HumanRenderer;
import dev.shardplan.diag.JsonRenderer;
import dev.shardplan.diag.Jsons;
import dev.shardplan.diag.Severity;
import dev.shardplan.diag.Sources;
import dev.shardplan.diag.Suppressed;

import java.io.PrintWriter;
import java.util.List;

/** Prints diagnostics in the chosen format and a summary line. */
final class Output {
    private Output() {}

    enum Format { human, json }

    enum Color { auto, always, never }

    static boolean colour(Color c) {
        return switch (c) {
            case always -> true;
            case never -> false;
            case auto -> System.console() != null && System.getenv("NO_COLOR") == null && !"dumb".equals(System.getenv("TERM"));
        };
    }

    /**
     * Diagnostics, then one summary line that says what was counted ({@code what}, e.g. "checked 2
     * files: 3 plans") and how many errors and warnings there were. With diagnostics the summary
     * goes to stderr after them, else to stdout. In JSON, the diagnostics object with
     * {@code extra}'s fields added. Findings an {@code allow} suppressed are printed one line
     * each after the diagnostics, with the reason; the summary counts them by code, and JSON lists
     * them in full under {@code suppressed}.
     */
    static void print(List<Diagnostic> ds, List<Suppressed> suppressed, Sources sources, Format f, Color c, PrintWriter out,
                      PrintWriter err, String what, ObjectNode extra) {
        if (f == Format.json) {
            ObjectNode root = (ObjectNode) readTree(JsonRenderer.render(ds, suppressed));
            if (extra != null) root.setAll(extra);
            out.print(Jsons.canonical(root));
            return;
        }
        HumanRenderer r = new HumanRenderer(sources, colour(c));
        for (Diagnostic d : ds) err.println(r.render(d));
        for (Suppressed x : suppressed) err.println(HumanRenderer.oneLine(x));
        if (!suppressed.isEmpty()) err.println();
        long e = ds.stream().filter(d -> d.severity() == Severity.ERROR).count();
        long w = ds.stream().filter(d -> d.severity() == Severity.WARNING).count();
        if (e > 0 || w > 0) {
            err.println(what + "; " + count(e, "error") + ", " + count(w, "warning") + suppressedSummary(suppressed));
        } else {
            out.println(what + suppressedSummary(suppressed));
        }
    }

    static void print(List<Diagnostic> ds, Sources sources, Format f, Color c, PrintWriter out, PrintWriter err, String what,
                      ObjectNode extra) {
        print(ds, List.of(), sources, f, c, out, err, what, extra);
    }

    /** "; 2 suppressed by allow (SP0403, SP0807)", or nothing when no finding was suppressed. */
    static String suppressedSummary(List<Suppressed> suppressed) {
        if (suppressed.isEmpty()) return "";
        java.util.TreeSet<String> codes = new java.util.TreeSet<>();
        for (Suppressed s : suppressed) codes.add(s.diagnostic().code().id());
        return "; " + suppressed.size() + " suppressed by allow (" + String.join(", ", codes) + ")";
    }

    static void print(List<Diagnostic> ds, Sources sources, Format f, Color c, PrintWriter out, PrintWriter err, String what) {
        print(ds, sources, f, c, out, err, what, null);
    }

    private static com.fasterxml.jackson.databind.JsonNode readTree(String s) {
        try {
            return Jsons.MAPPER.readTree(s);
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }

    static String count(long n, String noun) {
        return count(n, noun, noun + "s");
    }

    static String count(long n, String noun, String plural) {
        return n + " " + (n == 1 ? noun : plural);
    }

    /** "1 file: 2 plans (1 with errors), 1 search": what a check counted. */
    static String counted(dev.shardplan.api.CheckResult r) {
        StringBuilder sb = new StringBuilder(count(r.files(), "file"));
        int plans = r.declaredPlans().size(), searches = r.declaredSearches().size();
        sb.append(": ").append(count(plans, "plan"));
        if (r.failedPlans() > 0) sb.append(" (").append(r.failedPlans()).append(" with errors)");
        if (searches > 0) sb.append(", ").append(count(searches, "search", "searches"));
        return sb.toString();
    }
}
