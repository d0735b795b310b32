package dev.shardplan.format;

import dev.shardplan.grammar.PlanLexer;
import org.antlr.v4.runtime.CharStreams;
import org.antlr.v4.runtime.Token;

import java.util.ArrayList;
import java.util.List;

/**
 * Canonical layout of a plan file, computed from its tokens (so comments survive): two-space
 * indentation by block depth, one entry per line, single spaces between values, no space
 * before `,` `)` `]` or after `(` `[`, at most one blank line in a row, `;` separators turned
 * into newlines except inside one-line blocks, a final newline. Only call it on files that parse.
 */
public final class Formatter {
    private Formatter() {}

    private static final int COMMENT = -100;

    public static String format(String text) {
        List<Tok> toks = lex(text);
        StringBuilder out = new StringBuilder();
        StringBuilder line = new StringBuilder();
        int depth = 0;
        int parens = 0;
        int blank = 0;
        boolean lineStarted = false;
        // The current line continues a value list: after a `,` at the end of a line, or after a
        // line comment inside ( ) or [ ], which must end its line. Continuations indent 4 more.
        boolean cont = false;
        int lastCode = -1;
        Tok prev = null;
        // Which `{` open one-line blocks (closed on the same source line): they stay on one line.
        boolean[] oneLine = oneLineBlocks(toks);
        List<Boolean> blockStack = new ArrayList<>();
        for (int i = 0; i < toks.size(); i++) {
            Tok t = toks.get(i);
            boolean inOneLine = !blockStack.isEmpty() && blockStack.get(blockStack.size() - 1);
            if (t.type == PlanLexer.NL) {
                if (parens > 0 || inOneLine) continue;
                if (lineStarted) {
                    flush(out, line, depth, cont);
                    cont = lastCode == PlanLexer.COMMA;
                    lineStarted = false;
                    blank = 0;
                } else if (t.blankBefore && out.length() > 0) {
                    blank++;
                    if (blank == 1) out.append('\n');
                }
                prev = null;
                continue;
            }
            if (t.type == PlanLexer.SEMI) {
                if (inOneLine) {
                    line.append(";");
                    prev = t;
                    continue;
                }
                if (lineStarted) {
                    flush(out, line, depth, cont);
                    cont = false;
                    lineStarted = false;
                    blank = 0;
                }
                prev = null;
                continue;
            }
            if (t.type == PlanLexer.RBRACE) {
                boolean wasOneLine = !blockStack.isEmpty() && blockStack.remove(blockStack.size() - 1);
                if (wasOneLine) {
                    if (line.length() > 0 && line.charAt(line.length() - 1) == ';') line.setLength(line.length() - 1);
                    line.append(" }");
                    prev = t;
                    continue;
                }
                if (lineStarted) {
                    flush(out, line, depth, cont);
                    lineStarted = false;
                }
                cont = false;
                lastCode = t.type;
                depth = Math.max(0, depth - 1);
                line.append("}");
                lineStarted = true;
                prev = t;
                continue;
            }
            if (t.type == COMMENT && t.text.startsWith("//") || t.type == COMMENT && t.text.startsWith("#")) {
                // A trailing comment: its column is set by alignTrailingComments.
                if (lineStarted) line.append(TRAILING);
                line.append(t.text.stripTrailing());
                lineStarted = true;
                prev = t;
                if (parens > 0) {
                    // the source had a newline here, which ( ) and [ ] allow; keep one
                    flush(out, line, depth, cont);
                    cont = true;
                    lineStarted = false;
                }
                continue;
            }
            if (lineStarted && needsSpace(prev, t)) line.append(' ');
            line.append(t.text);
            lineStarted = true;
            lastCode = t.type;
            if (t.type == PlanLexer.LPAREN || t.type == PlanLexer.LBRACK) parens++;
            if (t.type == PlanLexer.RPAREN || t.type == PlanLexer.RBRACK) parens = Math.max(0, parens - 1);
            if (t.type == PlanLexer.LBRACE) {
                boolean ol = oneLine[i];
                blockStack.add(ol);
                if (!ol) {
                    flush(out, line, depth, cont);
                    cont = false;
                    lineStarted = false;
                    depth++;
                    prev = null;
                    continue;
                }
            }
            prev = t;
        }
        if (lineStarted) flush(out, line, depth, cont);
        String s = alignTrailingComments(out.toString());
        while (s.endsWith("\n\n")) s = s.substring(0, s.length() - 1);
        while (s.startsWith("\n")) s = s.substring(1);
        return s.isEmpty() ? "" : (s.endsWith("\n") ? s : s + "\n");
    }

    /** Marks where a trailing comment starts, until its column is known. */
    private static final char TRAILING = '\u0000';

    /**
     * Trailing comments of consecutive lines start in one column, two spaces after the longest
     * code among them (as gofmt aligns them), so that commented tables of values stay readable.
     */
    static String alignTrailingComments(String text) {
        String[] lines = text.split("\n", -1);
        int i = 0;
        while (i < lines.length) {
            if (lines[i].indexOf(TRAILING) < 0) {
                i++;
                continue;
            }
            int j = i, width = 0;
            while (j < lines.length && lines[j].indexOf(TRAILING) >= 0) {
                width = Math.max(width, lines[j].indexOf(TRAILING));
                j++;
            }
            for (int k = i; k < j; k++) {
                int at = lines[k].indexOf(TRAILING);
                lines[k] = lines[k].substring(0, at) + " ".repeat(width - at + 2) + lines[k].substring(at + 1);
            }
            i = j;
        }
        return String.join("\n", lines);
    }

    private static void flush(StringBuilder out, StringBuilder line, int depth, boolean cont) {
        if (line.length() == 0) return;
        out.append("  ".repeat(depth)).append(cont ? "    " : "").append(line).append('\n');
        line.setLength(0);
    }

    private static boolean needsSpace(Tok prev, Tok t) {
        if (prev == null) return false;
        int a = prev.type, b = t.type;
        if (b == PlanLexer.COMMA || b == PlanLexer.RPAREN || b == PlanLexer.RBRACK) return false;
        if (a == PlanLexer.LPAREN || a == PlanLexer.LBRACK) return false;
        if (b == PlanLexer.LPAREN && (a == PlanLexer.ID || a == PlanLexer.FROM || a == PlanLexer.IMPORT)) return false;
        if (a == PlanLexer.SLASH || b == PlanLexer.SLASH) return false;
        if (a == PlanLexer.MINUS && b == PlanLexer.NUMBER) return false;
        if (b == PlanLexer.PERCENT) return false;
        return true;
    }

    /** For each `{` token index: is the block closed on the same source line? */
    private static boolean[] oneLineBlocks(List<Tok> toks) {
        boolean[] r = new boolean[toks.size()];
        List<Integer> stack = new ArrayList<>();
        for (int i = 0; i < toks.size(); i++) {
            Tok t = toks.get(i);
            if (t.type == PlanLexer.LBRACE) stack.add(i);
            else if (t.type == PlanLexer.RBRACE && !stack.isEmpty()) {
                int o = stack.remove(stack.size() - 1);
                boolean same = true;
                boolean hasComment = false;
                for (int j = o; j <= i; j++) {
                    if (toks.get(j).type == PlanLexer.NL) same = false;
                    if (toks.get(j).type == COMMENT) hasComment = true;
                }
                r[o] = same && !hasComment;
                if (!r[o]) {
                    // an enclosing one-line block cannot hold a multi-line one
                }
            }
        }
        // A block nested in a one-line block is one-line too; a one-line block inside a
        // multi-line one stays one-line.
        return r;
    }

    private record Tok(int type, String text, boolean blankBefore) {}

    private static List<Tok> lex(String text) {
        PlanLexer lexer = new PlanLexer(CharStreams.fromString(text));
        lexer.removeErrorListeners();
        List<Tok> out = new ArrayList<>();
        // Comments are skipped by the lexer; recover them from the gaps between tokens.
        List<? extends Token> all = lexer.getAllTokens();
        int pos = 0;
        int nlRun = 0;
        for (Token t : all) {
            if (t.getStartIndex() > pos && addGap(text.substring(pos, t.getStartIndex()), out)) nlRun = 0;
            if (t.getType() == PlanLexer.NL) {
                nlRun++;
                out.add(new Tok(PlanLexer.NL, "\n", nlRun >= 2));
            } else {
                nlRun = 0;
                out.add(new Tok(t.getType(), t.getText(), false));
            }
            pos = t.getStopIndex() + 1;
        }
        if (pos < text.length()) addGap(text.substring(pos), out);
        return out;
    }

    private static boolean addGap(String gap, List<Tok> out) {
        int i = 0;
        boolean any = false;
        while (i < gap.length()) {
            char c = gap.charAt(i);
            if (c == '/' && i + 1 < gap.length() && gap.charAt(i + 1) == '/' || c == '#') {
                int end = gap.indexOf('\n', i);
                if (end < 0) end = gap.length();
                String cm = gap.substring(i, end);
                if (cm.endsWith("\r")) cm = cm.substring(0, cm.length() - 1);
                out.add(new Tok(COMMENT, cm, false));
                any = true;
                i = end;
            } else if (c == '/' && i + 1 < gap.length() && gap.charAt(i + 1) == '*') {
                int end = gap.indexOf("*/", i + 2);
                end = end < 0 ? gap.length() : end + 2;
                out.add(new Tok(COMMENT, gap.substring(i, end).replace("\n", " ").replace("\r", ""), false));
                any = true;
                i = end;
            } else i++;
        }
        return any;
    }
}
