package dev.shardplan.lsp;

import dev.shardplan.parse.Lexemes;
import dev.shardplan.parse.Lexemes.Lexeme;

import java.util.ArrayList;
import java.util.List;

/**
 * The blocks open at the end of some text and the statement being written there, from the
 * lexer's tokens alone (the parse stage's {@link Lexemes}): what completion needs while the file
 * does not parse. Every prefix of any text has an answer.
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
        List<Frame> frames = new ArrayList<>();
        List<String> stmt = new ArrayList<>();
        int parens = 0;
        Lexeme last = null;
        for (Lexeme t : Lexemes.of(prefix)) {
            last = t;
            switch (t.kind()) {
                case OPEN_BLOCK -> {
                    frames.add(new Frame(stmt.isEmpty() ? "" : stmt.get(0), stmt.size() > 1 ? stmt.get(1) : null));
                    stmt.clear();
                    parens = 0;
                }
                case CLOSE_BLOCK -> {
                    if (!frames.isEmpty()) frames.remove(frames.size() - 1);
                    stmt.clear();
                    parens = 0;
                }
                case END_OF_STATEMENT -> {
                    if (parens == 0) stmt.clear();
                }
                case OPEN_GROUP -> {
                    parens++;
                    stmt.add(t.text());
                }
                case CLOSE_GROUP -> {
                    parens = Math.max(0, parens - 1);
                    stmt.add(t.text());
                }
                case WORD -> stmt.add(t.text());
            }
        }
        // The cursor right after a word: that word is being typed, not finished.
        boolean typing = last != null && last.stop() + 1 >= prefix.codePointCount(0, prefix.length())
                && !prefix.isEmpty() && (Character.isLetterOrDigit(prefix.charAt(prefix.length() - 1)) || prefix.endsWith("_"));
        return new Lexical(List.copyOf(frames), List.copyOf(stmt), typing);
    }
}
