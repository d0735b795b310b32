package dev.shardplan.diag;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A mutable collector used inside one phase; phases hand out sorted immutable lists. Like javac
 * and rustc, it keeps at most {@link #PER_FILE} diagnostics per file and counts the rest: a file
 * with a million mistakes costs a number, not a million messages held in memory.
 */
public final class Diagnostics {
    /** Diagnostics kept per file; the rest are counted in one SP0905 summary per file. */
    public static final int PER_FILE = 100;

    private final LinkedHashSet<Diagnostic> items = new LinkedHashSet<>();
    private final Map<String, Integer> kept = new HashMap<>();
    private final Map<String, long[]> dropped = new TreeMap<>();

    public Diagnostic add(Diagnostic d) {
        if (d.code() == Codes.TOO_MANY_DIAGNOSTICS) {
            long[] n = countOf(d);
            if (n != null) {
                long[] t = dropped.computeIfAbsent(d.span().file(), k -> new long[2]);
                t[0] += n[0];
                t[1] += n[1];
                return d;
            }
        }
        if (items.contains(d)) return d;
        String file = d.span().file();
        int k = kept.merge(file, 1, Integer::sum);
        if (k > PER_FILE) {
            long[] t = dropped.computeIfAbsent(file, x -> new long[2]);
            t[0]++;
            if (d.isError()) t[1]++;
            return d;
        }
        items.add(d);
        return d;
    }

    public Diagnostic error(Code code, Span span, String message, String help) {
        return add(Diagnostic.of(code, span, message).severity(Severity.ERROR).help(help).build());
    }

    public void addAll(List<Diagnostic> ds) {
        for (Diagnostic d : ds) add(d);
    }

    public boolean hasErrors() {
        for (Diagnostic d : items) if (d.isError()) return true;
        for (long[] t : dropped.values()) if (t[1] > 0) return true;
        return false;
    }

    public int size() {
        return items.size();
    }

    /** Sorted by file, position, code; duplicates removed; per file at most {@link #PER_FILE} and a summary of the rest. */
    public List<Diagnostic> sorted() {
        List<Diagnostic> all = new ArrayList<>(items);
        for (var e : dropped.entrySet()) all.add(summary(e.getKey(), e.getValue()[0], e.getValue()[1]));
        return sort(all);
    }

    /** Sorted, without duplicates, capped per file as {@link #sorted()} is. */
    public static List<Diagnostic> sort(List<Diagnostic> ds) {
        Diagnostics d = new Diagnostics();
        List<Diagnostic> copy = new ArrayList<>(new LinkedHashSet<>(ds));
        Collections.sort(copy);
        if (copy.size() > PER_FILE || copy.stream().anyMatch(x -> x.code() == Codes.TOO_MANY_DIAGNOSTICS)) {
            for (Diagnostic x : copy) d.add(x);
            List<Diagnostic> out = new ArrayList<>(d.items);
            for (var e : d.dropped.entrySet()) out.add(summary(e.getKey(), e.getValue()[0], e.getValue()[1]));
            copy = out;
            Collections.sort(copy);
        }
        return List.copyOf(copy);
    }

    private static final Pattern COUNT = Pattern.compile("^(\\d+) more diagnostics? \\((\\d+) errors?\\)");

    /**
     * The summary of what was not shown for a file: it sorts after the file's diagnostics (its
     * span starts past any text) and is an error when an error was among them, so that the
     * exit status does not depend on which ones were kept.
     */
    static Diagnostic summary(String file, long count, long errors) {
        Span at = new Span(file, 0, 0, 0, 0, Integer.MAX_VALUE, Integer.MAX_VALUE);
        return Diagnostic.of(Codes.TOO_MANY_DIAGNOSTICS, at, count + " more diagnostic" + (count == 1 ? "" : "s") + " (" + errors
                        + " error" + (errors == 1 ? "" : "s") + ") in `" + file + "` not shown")
                .severity(errors > 0 ? Severity.ERROR : Severity.WARNING)
                .note("the first " + PER_FILE + " diagnostics of a file are shown")
                .help("fix these and check again; often one mistake repeated causes the rest").build();
    }

    /** The counts a summary carries (from its message, the only place they are kept). */
    private static long[] countOf(Diagnostic d) {
        Matcher m = COUNT.matcher(d.message());
        return m.find() ? new long[] {Long.parseLong(m.group(1)), Long.parseLong(m.group(2))} : null;
    }
}
