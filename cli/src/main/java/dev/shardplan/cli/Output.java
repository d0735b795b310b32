package dev.shardplan.cli;

import dev.shardplan.diag.Diagnostic;
import dev.shardplan.diag.HumanRenderer;
import dev.shardplan.diag.JsonRenderer;
import dev.shardplan.diag.Severity;
import dev.shardplan.diag.Sources;

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

    static void print(List<Diagnostic> ds, Sources sources, Format f, Color c, PrintWriter out, PrintWriter err, String summary) {
        if (f == Format.json) {
            out.print(JsonRenderer.render(ds));
            return;
        }
        HumanRenderer r = new HumanRenderer(sources, colour(c));
        for (Diagnostic d : ds) err.println(r.render(d));
        long e = ds.stream().filter(d -> d.severity() == Severity.ERROR).count();
        long w = ds.stream().filter(d -> d.severity() == Severity.WARNING).count();
        if (e > 0 || w > 0) {
            err.println((e > 0 ? "error: " : "warning: ") + summary + ": " + e + " error" + (e == 1 ? "" : "s") + ", " + w + " warning" + (w == 1 ? "" : "s"));
        } else {
            out.println(summary);
        }
    }
}
