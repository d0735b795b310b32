package dev.shardplan.engine;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A release number as the engines spell them: {@code 0.6.6.post1}, {@code 0.11.0}, {@code 1.0.0rc3},
 * {@code 0.4.6.post5}. Ordered numerically by its numeric parts, then pre-releases ({@code rcN})
 * before the release, then post-releases ({@code .postN}) after it (PEP 440 order, which all three
 * engines' Python packages follow).
 */
public record Version(List<Integer> parts, int pre, int post, String text) implements Comparable<Version> {
    private static final Pattern FORM = Pattern.compile("v?(\\d+(?:\\.\\d+){0,3})(?:rc(\\d+))?(?:\\.post(\\d+))?");

    public Version {
        parts = List.copyOf(parts);
    }

    /** Parses a release number, or returns null when it is not one. */
    public static Version parse(String s) {
        if (s == null) return null;
        Matcher m = FORM.matcher(s.strip());
        if (!m.matches()) return null;
        List<Integer> p = new ArrayList<>();
        for (String x : m.group(1).split("\\.")) {
            if (x.length() > 6) return null;
            p.add(Integer.parseInt(x));
        }
        int pre = m.group(2) == null ? Integer.MAX_VALUE : Integer.parseInt(m.group(2));
        int post = m.group(3) == null ? -1 : Integer.parseInt(m.group(3));
        return new Version(p, pre, post, s.strip().replaceFirst("^v", ""));
    }

    /** A version known to be well formed (the release tables). */
    public static Version of(String s) {
        Version v = parse(s);
        if (v == null) throw new IllegalArgumentException("not a release number: " + s);
        return v;
    }

    @Override
    public int compareTo(Version o) {
        int n = Math.max(parts.size(), o.parts.size());
        for (int i = 0; i < n; i++) {
            int a = i < parts.size() ? parts.get(i) : 0, b = i < o.parts.size() ? o.parts.get(i) : 0;
            if (a != b) return Integer.compare(a, b);
        }
        if (pre != o.pre) return Integer.compare(pre, o.pre);
        return Integer.compare(post, o.post);
    }

    public boolean atLeast(String other) {
        return compareTo(of(other)) >= 0;
    }

    public boolean before(String other) {
        return compareTo(of(other)) < 0;
    }

    @Override
    public String toString() {
        return text;
    }
}
