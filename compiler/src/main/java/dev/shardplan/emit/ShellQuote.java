package dev.shardplan.emit;

import java.util.regex.Pattern;

/**
 * POSIX shell quoting for user-supplied strings. A quoted word is passed to the command exactly as
 * written, whatever it contains (spaces, quotes, {@code $(...)}, backticks, newlines, non-ASCII);
 * only NUL cannot be passed through an argv and is rejected before emitting (SP0806).
 */
public final class ShellQuote {
    private static final Pattern SAFE = Pattern.compile("[A-Za-z0-9_@%+=:,./-]+");

    private ShellQuote() {}

    /** One shell word whose value is {@code s}: bare when it has only safe characters, else single-quoted. */
    public static String quote(String s) {
        if (s.indexOf('\0') >= 0) throw new IllegalArgumentException("NUL cannot be passed in a shell word");
        if (!s.isEmpty() && SAFE.matcher(s).matches()) return s;
        // Inside single quotes nothing is special except the closing quote, written as '\''.
        return "'" + s.replace("'", "'\\''") + "'";
    }

    /**
     * Text for a {@code #} comment: control characters (newlines above all, which would end the
     * comment and start a command) are shown as escapes.
     */
    public static String comment(String s) {
        StringBuilder b = new StringBuilder(s.length());
        s.codePoints().forEach(cp -> {
            if (cp == '\n') b.append("\\n");
            else if (cp == '\r') b.append("\\r");
            else if (cp == '\t') b.append("\\t");
            else if (cp < 0x20 || cp == 0x7f || cp == 0x85 || cp == 0x2028 || cp == 0x2029)
                b.append(String.format("\\u%04x", cp));
            else b.appendCodePoint(cp);
        });
        return b.toString();
    }

    /** Kubernetes expands {@code $(VAR)} in command and args; {@code $$} is its escape for a literal {@code $}. */
    public static String kubernetesLiteral(String s) {
        return s.replace("$", "$$");
    }
}
