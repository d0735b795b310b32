package dev.shardplan.parse;

import dev.shardplan.ast.Ident;
import dev.shardplan.ast.Loc;
import dev.shardplan.ast.Nodes.*;
import dev.shardplan.diag.Codes;
import dev.shardplan.diag.Diagnostic;
import dev.shardplan.diag.Diagnostics;
import dev.shardplan.grammar.PlanLexer;
import dev.shardplan.grammar.PlanParser;
import org.antlr.v4.runtime.ParserRuleContext;
import org.antlr.v4.runtime.Token;
import org.antlr.v4.runtime.tree.TerminalNode;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;

/** Turns parser contexts into immutable AST nodes; contexts never leave this package. */
final class AstBuilder {
    private final String path;
    private final Diagnostics diags;
    private final List<Token> tokens;

    AstBuilder(String path, Diagnostics diags, List<Token> tokens) {
        this.path = path;
        this.diags = diags;
        this.tokens = tokens;
    }

    SourceFile build(PlanParser.FileContext ctx) {
        List<Import> imports = new ArrayList<>();
        List<Decl> decls = new ArrayList<>();
        for (PlanParser.TopItemContext item : ctx.topItem()) {
            if (item instanceof PlanParser.ImportItemContext imp) {
                imports.add(new Import(unquote(imp.STRING().getSymbol()), loc(imp)));
            } else if (item instanceof PlanParser.DeclItemContext d) {
                From from = null;
                if (d.fromClause() != null) {
                    var f = d.fromClause();
                    from = new From(ident(f.source), new Str(unquote(f.STRING().getSymbol()), loc(f.STRING().getSymbol())), loc(f));
                }
                decls.add(new Decl(ident(d.kind), ident(d.name), from, body(d.body()), loc(d)));
            }
        }
        return new SourceFile(path, imports, decls, loc(ctx));
    }

    private Body body(PlanParser.BodyContext ctx) {
        List<Entry> entries = new ArrayList<>();
        for (PlanParser.EntryContext e : ctx.entry()) {
            List<Seq> values = e.valueList() == null ? List.of() : valueList(e.valueList());
            Body nested = e.body() == null ? null : body(e.body());
            entries.add(new Entry(ident(e.key), values, nested, loc(e)));
        }
        return new Body(entries, loc(ctx));
    }

    private List<Seq> valueList(PlanParser.ValueListContext ctx) {
        List<Seq> out = new ArrayList<>();
        for (PlanParser.ValueSeqContext s : ctx.valueSeq()) out.add(seq(s));
        return out;
    }

    private Seq seq(PlanParser.ValueSeqContext ctx) {
        List<Value> items = new ArrayList<>();
        for (PlanParser.ValueContext v : ctx.value()) items.add(value(v));
        return new Seq(items, loc(ctx));
    }

    private Value value(PlanParser.ValueContext ctx) {
        if (ctx instanceof PlanParser.QuantityValueContext q) {
            return quantity(q.MINUS() != null, q.NUMBER().getSymbol(), q.unit(), loc(q));
        } else if (ctx instanceof PlanParser.StringValueContext s) {
            return new Str(unquote(s.STRING().getSymbol()), loc(s));
        } else if (ctx instanceof PlanParser.IdentValueContext i) {
            return new Name(i.ident().getText(), loc(i));
        } else if (ctx instanceof PlanParser.CallValueContext c) {
            List<Arg> args = new ArrayList<>();
            for (PlanParser.ArgContext a : c.arg()) {
                if (a instanceof PlanParser.NumberArgContext n) {
                    Quantity q = quantity(n.MINUS() != null, n.NUMBER().getSymbol(), n.unit(), locTokens(n.MINUS() != null ? n.MINUS().getSymbol() : n.NUMBER().getSymbol(), n.unit() != null ? n.unit().getStop() : n.NUMBER().getSymbol()));
                    args.add(new Arg(n.name == null ? null : new Ident(n.name.getText(), loc(n.name)), q, loc(n)));
                } else if (a instanceof PlanParser.StringArgContext s) {
                    args.add(new Arg(null, new Str(unquote(s.STRING().getSymbol()), loc(s.STRING().getSymbol())), loc(s)));
                }
            }
            return new Call(ident(c.ident()), args, c.unit() == null ? null : unitText(c.unit()), loc(c));
        } else if (ctx instanceof PlanParser.ListValueContext l) {
            List<Seq> items = new ArrayList<>();
            for (PlanParser.ValueSeqContext s : l.valueSeq()) items.add(seq(s));
            return new ListV(items, loc(l));
        } else if (ctx instanceof PlanParser.OpValueContext o) {
            String t = o.op.getText();
            return new Op(t.equals("==") ? "=" : t, loc(o));
        } else if (ctx instanceof PlanParser.TimesValueContext t) {
            return new Times(loc(t));
        }
        throw new IllegalStateException("unhandled value alternative " + ctx.getClass().getSimpleName());
    }

    private Quantity quantity(boolean negative, Token num, PlanParser.UnitContext unit, Loc loc) {
        String text = num.getText();
        BigDecimal v = parseNumber(text, num);
        if (negative) v = v.negate();
        // `8MiB` lexes as `8M` + `iB`: the suffix swallowed the unit's first letter.
        int next = num.getTokenIndex() + 1;
        if (next < tokens.size()) {
            Token nt = tokens.get(next);
            if (nt.getStartIndex() == num.getStopIndex() + 1 && (nt.getType() == PlanLexer.ID || nt.getType() == PlanLexer.UNIT)
                    && Character.isLetter(text.charAt(text.length() - 1))) {
                diags.add(Diagnostic.of(Codes.BAD_NUMBER, Spans.of(path, num).to(Spans.of(path, nt)),
                                "number `" + text + nt.getText() + "` runs into a unit")
                        .help("write a space between the number and its unit, e.g. `" + text.substring(0, text.length() - 1) + " " + text.charAt(text.length() - 1) + nt.getText() + "`").build());
            }
        }
        return new Quantity(v, (negative ? "-" : "") + text, unit == null ? null : unitText(unit), loc);
    }

    private BigDecimal parseNumber(String text, Token t) {
        String digits = text.replace("_", "");
        BigDecimal scale = BigDecimal.ONE;
        char last = digits.charAt(digits.length() - 1);
        if (last == 'k' || last == 'K') { scale = BigDecimal.valueOf(1000); digits = digits.substring(0, digits.length() - 1); }
        else if (last == 'M') { scale = BigDecimal.valueOf(1_000_000); digits = digits.substring(0, digits.length() - 1); }
        try {
            BigDecimal v = new BigDecimal(digits);
            if (Math.abs(v.scale()) > 60 || v.precision() > 60) throw new NumberFormatException("too large");
            return v.multiply(scale);
        } catch (NumberFormatException | ArithmeticException e) {
            diags.add(Diagnostic.of(Codes.BAD_NUMBER, Spans.of(path, t), "number `" + abbreviate(text) + "` is out of range")
                    .help("numbers may have at most 60 significant digits and exponents up to 60").build());
            return BigDecimal.ZERO;
        }
    }

    private static String abbreviate(String s) {
        return s.length() > 24 ? s.substring(0, 24) + "…" : s;
    }

    private static String unitText(PlanParser.UnitContext u) {
        if (u.PERCENT() != null) return "%";
        List<TerminalNode> units = u.UNIT();
        return units.size() == 1 ? units.get(0).getText() : units.get(0).getText() + "/" + units.get(1).getText();
    }

    private Ident ident(PlanParser.IdentContext ctx) {
        return new Ident(ctx.getText(), loc(ctx));
    }

    private Loc loc(ParserRuleContext ctx) {
        return new Loc(trimmed(ctx));
    }

    private Loc loc(Token t) {
        return new Loc(Spans.of(path, t));
    }

    private Loc locTokens(Token a, Token b) {
        return new Loc(Spans.of(path, a).to(Spans.of(path, b)));
    }

    /** Context span without trailing newline/semicolon tokens, so carets sit under the text. */
    private dev.shardplan.diag.Span trimmed(ParserRuleContext ctx) {
        Token a = ctx.getStart();
        Token b = ctx.getStop() == null ? a : ctx.getStop();
        int bi = b.getTokenIndex();
        int ai = a.getTokenIndex();
        while (bi > ai && (tokens.get(bi).getType() == PlanLexer.NL || tokens.get(bi).getType() == PlanLexer.SEMI
                || tokens.get(bi).getType() == Token.EOF || tokens.get(bi).getChannel() != Token.DEFAULT_CHANNEL)) bi--;
        while (ai < bi && (tokens.get(ai).getType() == PlanLexer.NL || tokens.get(ai).getType() == PlanLexer.SEMI)) ai++;
        return Spans.of(path, tokens.get(ai)).to(Spans.of(path, tokens.get(bi)));
    }

    /** String literal contents with escapes resolved. */
    /**
     * The string's value; a value holding a control character (a tab, a newline written as \\n),
     * an unpaired surrogate or a bidirectional override is SP0008. Those would not survive the
     * trip into launch scripts and manifests unchanged (a lone surrogate has no UTF-8 form; a
     * newline ends a YAML scalar or a comment; an override makes the text read differently
     * from what it is), so they are refused here rather than substituted later.
     */
    private String unquote(Token t) {
        String v = decode(t);
        String why = invalidCharacter(v);
        if (why != null) {
            diags.add(Diagnostic.of(Codes.BAD_STRING_CHAR, Spans.of(path, t), "string holds " + why)
                    .help("remove it; strings in plans are single lines of printable text").build());
        }
        return v;
    }

    /** What makes a string value unusable, or null: the first control character, unpaired surrogate or bidi override. */
    static String invalidCharacter(String v) {
        for (int i = 0; i < v.length(); i++) {
            char c = v.charAt(i);
            if (Character.isHighSurrogate(c)) {
                if (i + 1 < v.length() && Character.isLowSurrogate(v.charAt(i + 1))) {
                    i++;
                    continue;
                }
                return String.format("an unpaired surrogate \\u%04X at character %d", (int) c, i + 1);
            }
            if (Character.isLowSurrogate(c)) return String.format("an unpaired surrogate \\u%04X at character %d", (int) c, i + 1);
            if (Character.getType(c) == Character.CONTROL) return String.format("the control character U+%04X at character %d", (int) c, i + 1);
            if (c >= '\u202A' && c <= '\u202E' || c >= '\u2066' && c <= '\u2069')
                return String.format("the bidirectional control U+%04X at character %d", (int) c, i + 1);
        }
        return null;
    }

    static String decode(Token t) {
        String s = t.getText();
        s = s.substring(1, s.length() - 1);
        StringBuilder sb = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c != '\\') { sb.append(c); continue; }
            char n = s.charAt(++i);
            switch (n) {
                case 'n' -> sb.append('\n');
                case 't' -> sb.append('\t');
                case 'r' -> sb.append('\r');
                case 'u' -> { sb.append((char) Integer.parseInt(s.substring(i + 1, i + 5), 16)); i += 4; }
                default -> sb.append(n);
            }
        }
        return sb.toString();
    }
}
