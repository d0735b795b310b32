package dev.shardplan.parse;

import dev.shardplan.grammar.PlanLexer;
import org.antlr.v4.runtime.CharStreams;
import org.antlr.v4.runtime.Token;

import java.util.ArrayList;
import java.util.List;

/**
 * The lexer's tokens of some text as plain values: for tools that read text which need not parse
 * (an editor completing half a line), so that they know the language's tokens without knowing
 * ANTLR. The lexer never fails (a catch-all token), so any text has an answer.
 */
public final class Lexemes {
    private Lexemes() {}

    /** What a tool tells apart; every other token (names, numbers, units, strings, operators) is a {@link #WORD}. */
    public enum Kind { OPEN_BLOCK, CLOSE_BLOCK, OPEN_GROUP, CLOSE_GROUP, END_OF_STATEMENT, WORD }

    /** One token: its kind, its text and its code-point offsets in the text, {@code stop} inclusive. */
    public record Lexeme(Kind kind, String text, int start, int stop) {}

    /** The tokens of {@code text} in order; comments and blanks are not tokens. */
    public static List<Lexeme> of(String text) {
        PlanLexer lexer = new PlanLexer(CharStreams.fromString(text));
        lexer.removeErrorListeners();
        List<Lexeme> out = new ArrayList<>();
        for (Token t = lexer.nextToken(); t.getType() != Token.EOF; t = lexer.nextToken()) {
            out.add(new Lexeme(kind(t.getType()), t.getText(), t.getStartIndex(), t.getStopIndex()));
        }
        return out;
    }

    private static Kind kind(int type) {
        return switch (type) {
            case PlanLexer.LBRACE -> Kind.OPEN_BLOCK;
            case PlanLexer.RBRACE -> Kind.CLOSE_BLOCK;
            case PlanLexer.LPAREN, PlanLexer.LBRACK -> Kind.OPEN_GROUP;
            case PlanLexer.RPAREN, PlanLexer.RBRACK -> Kind.CLOSE_GROUP;
            case PlanLexer.NL, PlanLexer.SEMI -> Kind.END_OF_STATEMENT;
            default -> Kind.WORD;
        };
    }
}
