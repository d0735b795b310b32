package dev.shardplan.lsp;

import dev.shardplan.grammar.PlanLexer;
import org.antlr.v4.runtime.CharStreams;
import org.antlr.v4.runtime.Token;

import java.util.ArrayList;
import java.util.List;

/**
 * The blocks open at the end of some text and the statement being written there, from the
 * lexer's tokens alone: what completion needs while the file does not parse. The lexer never
 * fails (a catch-all token), so every prefix of any text has an answer.
 */
record Lexical(List<Frame> frames, List<String> statement, boolean typingWord) {
    /** An open block: the key that opened it ({@code plan}, {@code parallel}, {@code engine}) and the word after it. */
    record Frame(String key, String arg) {}

    /** "plan.parallel": the declaration kind and keys of the open blocks. */
    String context() {
        List<String> ks = new ArrayList<>();
        for (Frame f : frames) ks.add(f.key());
        return String.join(".", ks);
    }

    static Lexical before(String prefix) {
        PlanLexer lexer = new PlanLexer(CharStreams.fromString(prefix));
        lexer.removeErrorListeners();
        List<Frame> frames = new ArrayList<>();
        List<String> stmt = new ArrayList<>();
        int parens = 0;
        Token last = null;
        for (Token t = lexer.nextToken(); t.getType() != Token.EOF; t = lexer.nextToken()) {
            last = t;
            switch (t.getType()) {
                case PlanLexer.LBRACE -> {
                    frames.add(new Frame(stmt.isEmpty() ? "" : stmt.get(0), stmt.size() > 1 ? stmt.get(1) : null));
                    stmt.clear();
                    parens = 0;
                }
                case PlanLexer.RBRACE -> {
                    if (!frames.isEmpty()) frames.remove(frames.size() - 1);
                    stmt.clear();
                    parens = 0;
                }
                case PlanLexer.NL, PlanLexer.SEMI -> {
                    if (parens == 0) stmt.clear();
                }
                case PlanLexer.LPAREN, PlanLexer.LBRACK -> {
                    parens++;
                    stmt.add(t.getText());
                }
                case PlanLexer.RPAREN, PlanLexer.RBRACK -> {
                    parens = Math.max(0, parens - 1);
                    stmt.add(t.getText());
                }
                default -> stmt.add(t.getText());
            }
        }
        // The cursor right after a word: that word is being typed, not finished.
        boolean typing = last != null && last.getStopIndex() + 1 >= prefix.codePointCount(0, prefix.length())
                && !prefix.isEmpty() && (Character.isLetterOrDigit(prefix.charAt(prefix.length() - 1)) || prefix.endsWith("_"));
        return new Lexical(List.copyOf(frames), List.copyOf(stmt), typing);
    }
}
