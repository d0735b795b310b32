package dev.shardplan.parse;

import dev.shardplan.diag.Span;
import org.antlr.v4.runtime.ParserRuleContext;
import org.antlr.v4.runtime.Token;

import java.util.List;

/** Spans from ANTLR tokens and contexts (ANTLR columns are 0-based; ours are 1-based). */
final class Spans {
    private Spans() {}

    static Span of(String file, Token t) {
        String text = t.getText() == null ? "" : t.getText();
        int len = Math.max(1, text.codePointCount(0, text.length()));
        if (t.getType() == Token.EOF) len = 1;
        return new Span(file, t.getLine(), t.getCharPositionInLine() + 1, t.getLine(),
                t.getCharPositionInLine() + len, t.getStartIndex(), Math.max(t.getStartIndex(), t.getStopIndex()) + 1);
    }

    static Span of(String file, ParserRuleContext ctx) {
        Token a = ctx.getStart();
        Token b = ctx.getStop() == null ? a : ctx.getStop();
        if (b.getTokenIndex() < a.getTokenIndex()) b = a;
        Span sa = of(file, a);
        Span sb = of(file, b);
        return new Span(file, sa.line(), sa.column(), sb.endLine(), sb.endColumn(), sa.start(), sb.end());
    }

    static Span eof(String file, List<Token> all) {
        Token last = all.get(all.size() - 1);
        return new Span(file, last.getLine(), last.getCharPositionInLine() + 1, last.getLine(),
                last.getCharPositionInLine() + 1, last.getStartIndex(), last.getStartIndex());
    }
}
