package dev.shardplan.diag;

import java.util.List;

/**
 * Renders diagnostics the way rustc does:
 * <pre>
 * error[SP0202]: missing field `tp`
 *   --> plans/a.plan:3:3
 *    |
 *  3 |   parallel { dp 4 }
 *    |   ^^^^^^^^ required here
 *    = note: ...
 *    = help: ...
 * </pre>
 * Colour only when asked (the CLI asks when stdout is a terminal).
 */
public final class HumanRenderer {
    private static final int MAX_LINE = 200;
    private final Sources sources;
    private final boolean colour;

    public HumanRenderer(Sources sources, boolean colour) {
        this.sources = sources;
        this.colour = colour;
    }

    public String render(List<Diagnostic> ds) {
        StringBuilder sb = new StringBuilder();
        for (Diagnostic d : ds) {
            sb.append(render(d)).append('\n');
        }
        return sb.toString();
    }

    public String render(Diagnostic d) {
        StringBuilder sb = new StringBuilder();
        String sev = d.severity().label();
        String head = sev + "[" + d.code().id() + "]";
        sb.append(paint(head, sevColour(d.severity()))).append(": ").append(paint(d.message(), "1")).append('\n');
        Span s = d.span();
        int gutter = 1;
        if (!s.isNone()) gutter = Math.max(gutter, String.valueOf(s.line()).length());
        for (Label l : d.labels()) if (!l.span().isNone()) gutter = Math.max(gutter, String.valueOf(l.span().line()).length());
        String pad = " ".repeat(gutter);
        if (!s.isNone()) {
            sb.append(pad).append(paint("--> ", "34")).append(s.file()).append(':').append(s.line()).append(':').append(s.column()).append('\n');
            String src = sources == null ? null : sources.line(s.file(), s.line());
            if (src != null) {
                sb.append(pad).append(paint(" |", "34")).append('\n');
                frame(sb, pad, gutter, s, src, null, sevColour(d.severity()), '^');
                for (Label l : d.labels()) {
                    Span ls = l.span();
                    if (ls.isNone() || !ls.file().equals(s.file())) continue;
                    String lsrc = sources.line(ls.file(), ls.line());
                    if (lsrc != null) frame(sb, pad, gutter, ls, lsrc, l.message(), "34", '-');
                }
            }
        }
        for (Label l : d.labels()) {
            Span ls = l.span();
            if (!ls.isNone() && (s.isNone() || !ls.file().equals(s.file()))) {
                sb.append(pad).append(paint(" = ", "34")).append("note: ").append(l.message()).append(" (").append(ls).append(")\n");
            }
        }
        for (String n : d.notes()) {
            sb.append(pad).append(paint(" = ", "34")).append(paint("note", "1")).append(": ").append(indent(n, pad + "   ")).append('\n');
        }
        if (!d.help().isEmpty()) {
            sb.append(pad).append(paint(" = ", "34")).append(paint("help", "1")).append(": ").append(indent(d.help(), pad + "   ")).append('\n');
        }
        return sb.toString();
    }

    private void frame(StringBuilder sb, String pad, int gutter, Span s, String src, String msg, String col, char mark) {
        String shown = src.replace('\t', ' ');
        if (shown.length() > MAX_LINE) shown = shown.substring(0, MAX_LINE) + "…";
        String num = String.format("%" + gutter + "d", s.line());
        sb.append(paint(num + " |", "34")).append(' ').append(shown).append('\n');
        int startCol = Math.max(1, s.column());
        int width;
        if (s.endLine() == s.line()) width = Math.max(1, s.endColumn() - s.column() + 1);
        else width = Math.max(1, shown.length() - startCol + 1);
        if (startCol - 1 > MAX_LINE) return;
        width = Math.min(width, MAX_LINE - startCol + 2);
        sb.append(pad).append(paint(" |", "34")).append(' ').append(" ".repeat(startCol - 1))
                .append(paint(String.valueOf(mark).repeat(Math.max(1, width)) + (msg == null ? "" : " " + msg), col)).append('\n');
    }

    private static String indent(String text, String pad) {
        return text.replace("\n", "\n" + pad);
    }

    private String sevColour(Severity s) {
        return switch (s) {
            case ERROR -> "1;31";
            case WARNING -> "1;33";
            case NOTE -> "1;36";
        };
    }

    private String paint(String text, String ansi) {
        return colour ? "\u001b[" + ansi + "m" + text + "\u001b[0m" : text;
    }

    /** One line per diagnostic: {@code file:line:col: error[CODE]: message}, as build tools print. */
    public static String oneLine(Diagnostic d) {
        Span s = d.span();
        String where = s.isNone() ? "" : s.file() + ":" + s.line() + ":" + s.column() + ": ";
        return where + d.severity().label() + "[" + d.code().id() + "]: " + d.message();
    }

    /**
     * One line for a finding an {@code allow} hides:
     * {@code suppressed: file:line:col: warning[CODE]: message (allowed at file:line:col: reason)}.
     */
    public static String oneLine(Suppressed s) {
        return "suppressed: " + oneLine(s.diagnostic()) + " (allowed at " + s.by().where() + ": " + s.by().reason() + ")";
    }
}
