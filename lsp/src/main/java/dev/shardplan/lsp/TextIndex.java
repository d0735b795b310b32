package dev.shardplan.lsp;

import dev.shardplan.diag.Span;
import org.eclipse.lsp4j.Position;
import org.eclipse.lsp4j.Range;

import java.util.ArrayList;
import java.util.List;

/**
 * Converts between the compiler's offsets (code points into the text the parser saw, after a byte
 * order mark) and LSP positions (line and UTF-16 code unit, the protocol's default encoding).
 */
final class TextIndex {
    private final String text;
    private final int[] lineStarts;
    private final boolean surrogates;
    private final int bom;

    TextIndex(String text) {
        this.text = text;
        this.bom = text.startsWith("\uFEFF") ? 1 : 0;
        List<Integer> starts = new ArrayList<>();
        starts.add(0);
        boolean sur = false;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '\n') starts.add(i + 1);
            else if (Character.isSurrogate(c)) sur = true;
        }
        this.lineStarts = starts.stream().mapToInt(Integer::intValue).toArray();
        this.surrogates = sur;
    }

    String text() {
        return text;
    }

    /** The LSP position of a compiler offset. */
    Position position(int offset) {
        int cu = codeUnit(offset + bom);
        int line = lineOf(cu);
        return new Position(line, cu - lineStarts[line]);
    }

    /** The compiler offset of an LSP position (clamped to the text). */
    int offset(Position p) {
        int line = Math.max(0, Math.min(p.getLine(), lineStarts.length - 1));
        int end = line + 1 < lineStarts.length ? lineStarts[line + 1] : text.length();
        int cu = Math.max(lineStarts[line], Math.min(lineStarts[line] + Math.max(0, p.getCharacter()), end));
        int cp = surrogates ? text.codePointCount(0, cu) : cu;
        return Math.max(0, cp - bom);
    }

    /** The range of a span; an empty span covers the character it stands on, so it can be seen. */
    Range range(Span s) {
        if (s == null || s.isNone()) return new Range(new Position(0, 0), new Position(0, 0));
        int start = s.start(), end = Math.max(s.start(), s.end());
        if (end == start && codeUnit(end + bom) < text.length()) end++;
        return new Range(position(start), position(end));
    }

    /** The text of lines {@code [from, to)} (0-based), for showing a declaration. */
    String lines(int from, int to) {
        int a = lineStarts[Math.max(0, Math.min(from, lineStarts.length - 1))];
        int b = to < lineStarts.length ? lineStarts[to] : text.length();
        return text.substring(a, Math.max(a, b));
    }

    int lineCount() {
        return lineStarts.length;
    }

    Position end() {
        return position(surrogates ? text.codePointCount(0, text.length()) - bom : text.length() - bom);
    }

    private int codeUnit(int cp) {
        if (cp <= 0) return 0;
        if (!surrogates) return Math.min(cp, text.length());
        int n = text.codePointCount(0, text.length());
        return text.offsetByCodePoints(0, Math.min(cp, n));
    }

    private int lineOf(int cu) {
        int lo = 0, hi = lineStarts.length - 1;
        while (lo < hi) {
            int mid = (lo + hi + 1) >>> 1;
            if (lineStarts[mid] <= cu) lo = mid;
            else hi = mid - 1;
        }
        return lo;
    }
}
