package dev.shardplan.emit;

import java.math.BigDecimal;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Writes YAML from a tree of maps (in their iteration order), lists and scalars, so that no
 * value can change the document's structure: strings that could be read as anything but
 * themselves are double-quoted with escapes, multi-line text uses a literal block when it safely
 * can. Output uses "\n" and two-space indentation.
 */
public final class Yaml {
    /** Safe plain scalars; a trailing ':' would make "- a:" a one-key mapping, so it is quoted. */
    private static final Pattern PLAIN = Pattern.compile("[A-Za-z_/](?:[A-Za-z0-9_./:@-]*[A-Za-z0-9_./@-])?");
    private static final Pattern RESERVED = Pattern.compile(
            "(?i)y|n|yes|no|on|off|true|false|null|~|\\.nan|\\.inf|[-+]?\\.inf");

    private Yaml() {}

    /** A document: optional comment lines (escaped), then the tree. */
    public static String document(List<String> comments, Map<String, ?> tree) {
        StringBuilder b = new StringBuilder();
        for (String c : comments) b.append("# ").append(escapeNonPrintable(ShellQuote.comment(c))).append('\n');
        writeMap(b, tree, 0);
        return b.toString();
    }

    private static void writeMap(StringBuilder b, Map<String, ?> map, int indent) {
        for (Map.Entry<String, ?> e : map.entrySet()) {
            pad(b, indent);
            b.append(scalarString(e.getKey())).append(':');
            writeValueAfterKey(b, e.getValue(), indent);
        }
    }

    @SuppressWarnings("unchecked")
    private static void writeValueAfterKey(StringBuilder b, Object v, int indent) {
        if (v instanceof Map<?, ?> m && !m.isEmpty()) {
            b.append('\n');
            writeMap(b, (Map<String, ?>) m, indent + 2);
        } else if (v instanceof List<?> l && !l.isEmpty()) {
            b.append('\n');
            writeList(b, l, indent);
        } else if (v instanceof String s && literalBlockOk(s)) {
            writeLiteral(b, s, indent + 2);
        } else {
            b.append(' ').append(scalar(v)).append('\n');
        }
    }

    @SuppressWarnings("unchecked")
    private static void writeList(StringBuilder b, List<?> list, int indent) {
        for (Object item : list) {
            pad(b, indent);
            b.append('-');
            if (item instanceof Map<?, ?> m && !m.isEmpty()) {
                boolean firstKey = true;
                for (Map.Entry<String, ?> e : ((Map<String, ?>) m).entrySet()) {
                    if (firstKey) b.append(' ');
                    else pad(b, indent + 2);
                    firstKey = false;
                    b.append(scalarString(e.getKey())).append(':');
                    writeValueAfterKey(b, e.getValue(), indent + 2);
                }
            } else if (item instanceof List<?> l && !l.isEmpty()) {
                b.append('\n');
                writeList(b, l, indent + 2);
            } else if (item instanceof String s && literalBlockOk(s)) {
                writeLiteral(b, s, indent + 2);
            } else {
                b.append(' ').append(scalar(item)).append('\n');
            }
        }
    }

    private static void writeLiteral(StringBuilder b, String s, int indent) {
        String body = s.endsWith("\n") ? s.substring(0, s.length() - 1) : s;
        b.append(s.endsWith("\n") ? " |\n" : " |-\n");
        for (String line : body.split("\n", -1)) {
            if (!line.isEmpty()) pad(b, indent);
            b.append(line).append('\n');
        }
    }

    /** A literal block keeps text verbatim only for printable multi-line text without edge cases. */
    private static boolean literalBlockOk(String s) {
        if (s.indexOf('\n') < 0) return false;
        if (s.startsWith(" ") || s.startsWith("\n") || s.endsWith("\n\n")) return false;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\n') continue;
            if (c == '\r' || c != '\t' && !printable(c) || c == 0x85 || c == 0x2028 || c == 0x2029 || c == 0xFEFF) return false;
        }
        for (String line : s.split("\n", -1)) if (line.endsWith(" ") || line.endsWith("\t")) return false;
        return true;
    }

    static String scalar(Object v) {
        if (v == null) return "null";
        if (v instanceof Boolean bo) return bo.toString();
        if (v instanceof Integer || v instanceof Long) return v.toString();
        if (v instanceof Double d) return number(d);
        if (v instanceof Map<?, ?>) return "{}";
        if (v instanceof List<?>) return "[]";
        if (v instanceof String s) return scalarString(s);
        throw new IllegalArgumentException("not a YAML scalar: " + v.getClass());
    }

    /** Plain decimal with at least one fractional digit (YAML 1.1 and 1.2 both read it as a float). */
    static String number(double d) {
        String s = BigDecimal.valueOf(d).stripTrailingZeros().toPlainString();
        return s.contains(".") ? s : s + ".0";
    }

    static String scalarString(String s) {
        if (PLAIN.matcher(s).matches() && !RESERVED.matcher(s).matches()) return s;
        StringBuilder b = new StringBuilder("\"");
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\t' -> b.append("\\t");
                case '\r' -> b.append("\\r");
                default -> {
                    if (!printable(c) || c == 0x85 || c == 0x2028 || c == 0x2029 || c == 0xFEFF)
                        b.append(String.format("\\u%04x", (int) c));
                    else b.append(c);
                }
            }
        }
        return b.append('"').toString();
    }

    /**
     * YAML 1.1/1.2 c-printable, per UTF-16 unit: tab, LF, CR, 0x20-0x7E, NEL, 0xA0-0xFFFD without
     * the C1 controls (surrogate pairs pass as their two halves).
     */
    static boolean printable(char c) {
        return c == '\t' || c == '\n' || c == '\r' || (c >= 0x20 && c <= 0x7e) || c == 0x85
                || (c >= 0xa0 && c <= 0xfffd);
    }

    private static String escapeNonPrintable(String s) {
        StringBuilder b = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (printable(c) && c != 0x85 && c != 0xFEFF) b.append(c);
            else b.append(String.format("\\u%04x", (int) c));
        }
        return b.toString();
    }

    private static void pad(StringBuilder b, int n) {
        b.append(" ".repeat(n));
    }
}
