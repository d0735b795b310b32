package dev.shardplan.parse;

import dev.shardplan.ast.Nodes.SourceFile;
import dev.shardplan.diag.Codes;
import dev.shardplan.diag.Diagnostic;
import dev.shardplan.diag.Diagnostics;
import dev.shardplan.diag.Span;
import dev.shardplan.grammar.PlanLexer;
import dev.shardplan.grammar.PlanParser;
import org.antlr.v4.runtime.BaseErrorListener;
import org.antlr.v4.runtime.CharStreams;
import org.antlr.v4.runtime.CommonTokenStream;
import org.antlr.v4.runtime.InputMismatchException;
import org.antlr.v4.runtime.NoViableAltException;
import org.antlr.v4.runtime.Parser;
import org.antlr.v4.runtime.RecognitionException;
import org.antlr.v4.runtime.Recognizer;
import org.antlr.v4.runtime.Token;
import org.antlr.v4.runtime.atn.PredictionMode;
import org.antlr.v4.runtime.misc.IntervalSet;
import org.antlr.v4.runtime.misc.ParseCancellationException;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;

/**
 * Text to AST. Lexical problems and unbalanced brackets are found before parsing so that one
 * cause gives one error (an unclosed block points at where it opened); of the parser's own errors
 * only the first is reported, because ANTLR's recovery makes the rest echoes of it.
 */
public final class PlanFileParser {
    /** Deeper nesting is refused before parsing, which keeps recursion bounded. */
    public static final int MAX_DEPTH = 64;

    private PlanFileParser() {}

    /** Longer texts are refused before lexing, which keeps memory bounded (the loader's byte limit). */
    public static final int MAX_CHARS = 4 << 20;

    /**
     * Files with more tokens are refused before parsing: a parse tree and AST cost about 400
     * bytes a token, so 4 MiB of one-character entries needed more than a 1 GB heap. The whole
     * standard library has about 6,000 tokens; 200,000 is some 30 times more, in one file.
     */
    public static final int MAX_TOKENS = 200_000;

    public static ParseResult parse(String path, String text) {
        Diagnostics diags = new Diagnostics();
        if (text.length() > MAX_CHARS) {
            diags.add(Diagnostic.of(Codes.FILE_TOO_LARGE, new Span(path, 1, 1, 1, 1, 0, 0),
                            "`" + path + "` has " + text.length() + " characters, over the " + MAX_CHARS + "-character limit")
                    .help("plan files are small; split the file or check that it is the right one").build());
            return new ParseResult(null, diags.sorted());
        }
        Token deep = tooDeep(text);
        if (deep != null) {
            diags.add(deep.getType() == Token.EOF ? tooManyTokens(path, text) : tooDeepDiagnostic(path, deep));
            return new ParseResult(null, diags.sorted());
        }
        PlanLexer lexer = new PlanLexer(CharStreams.fromString(text, path));
        lexer.removeErrorListeners();
        CommonTokenStream tokens = new CommonTokenStream(lexer);
        tokens.fill();
        List<Token> all = tokens.getTokens();

        for (Token t : all) {
            if (t.getType() == PlanLexer.ERROR_CHAR) {
                String ch = t.getText();
                diags.add(Diagnostic.of(Codes.BAD_CHAR, Spans.of(path, t), "unexpected character " + quoteChar(ch))
                        .help(helpForChar(ch)).build());
            } else if (t.getType() == PlanLexer.UNTERMINATED_STRING) {
                diags.add(Diagnostic.of(Codes.BAD_STRING, Spans.of(path, t), "unterminated string")
                        .help("close the string with `\"` on the same line; strings are single lines").build());
            }
        }
        if (diags.hasErrors()) return new ParseResult(null, diags.sorted());

        if (!checkBrackets(path, all, diags)) return new ParseResult(null, diags.sorted());

        tokens.seek(0);
        PlanParser parser = new PlanParser(tokens);
        parser.removeErrorListeners();
        FirstError first = new FirstError(path);
        parser.addErrorListener(first);
        parser.getInterpreter().setPredictionMode(PredictionMode.SLL);
        PlanParser.FileContext tree;
        try {
            tree = parser.file();
        } catch (ParseCancellationException stop) {
            tree = null; // the first error is recorded; recovering over the rest of a huge file costs time and memory
        }
        if (first.diagnostic != null) {
            diags.add(first.diagnostic);
            return new ParseResult(null, diags.sorted());
        }
        AstBuilder builder = new AstBuilder(path, diags, all);
        SourceFile file = builder.build(tree);
        return new ParseResult(diags.hasErrors() ? null : file, diags.sorted());
    }

    private static boolean checkBrackets(String path, List<Token> all, Diagnostics diags) {
        Deque<Token> open = new ArrayDeque<>();
        for (Token t : all) {
            int ty = t.getType();
            if (ty == PlanLexer.LBRACE || ty == PlanLexer.LPAREN || ty == PlanLexer.LBRACK) {
                open.push(t);
                if (open.size() > MAX_DEPTH) {
                    diags.add(tooDeepDiagnostic(path, t));
                    return false;
                }
            } else if (ty == PlanLexer.RBRACE || ty == PlanLexer.RPAREN || ty == PlanLexer.RBRACK) {
                if (open.isEmpty()) {
                    diags.add(Diagnostic.of(Codes.SYNTAX, Spans.of(path, t), "unmatched `" + t.getText() + "`")
                            .help("remove it, or add the opening `" + opener(ty) + "` it closes").build());
                    return false;
                }
                Token o = open.pop();
                if (closer(o.getType()) != ty) {
                    diags.add(Diagnostic.of(Codes.UNCLOSED, Spans.of(path, o), "unclosed `" + o.getText() + "`")
                            .label(Spans.of(path, t), "`" + t.getText() + "` found here instead of `" + closerText(o.getType()) + "`")
                            .help("add `" + closerText(o.getType()) + "` before this `" + t.getText() + "`").build());
                    return false;
                }
            }
        }
        if (!open.isEmpty()) {
            Token o = open.peek(); // the innermost unclosed bracket
            diags.add(Diagnostic.of(Codes.UNCLOSED, Spans.of(path, o), "unclosed `" + o.getText() + "`: the file ends before it is closed")
                    .label(Spans.eof(path, all), "file ends here")
                    .help("add `" + closerText(o.getType()) + "` to close the " + what(o.getType()) + " opened at line " + o.getLine()).build());
            return false;
        }
        return true;
    }

    private static Diagnostic tooDeepDiagnostic(String path, Token t) {
        return Diagnostic.of(Codes.TOO_DEEP, Spans.of(path, t), "nesting deeper than " + MAX_DEPTH + " levels")
                .help("flatten the structure; plans never need more than a few levels").build();
    }

    private static Diagnostic tooManyTokens(String path, String text) {
        return Diagnostic.of(Codes.FILE_TOO_LARGE, new Span(path, 1, 1, 1, 1, 0, 0),
                        "`" + path + "` has more than " + MAX_TOKENS + " tokens (" + text.length() + " characters), over the limit")
                .help("plan files are small; split the file or check that it is the right one").build();
    }

    /**
     * The first bracket nested deeper than the limit, or an EOF token when the text has more than
     * {@link #MAX_TOKENS} tokens, found while streaming tokens so that a pathological file is
     * refused before its tokens are all held in memory.
     */
    private static Token tooDeep(String text) {
        PlanLexer lexer = new PlanLexer(CharStreams.fromString(text));
        lexer.removeErrorListeners();
        int depth = 0, count = 0;
        for (Token t = lexer.nextToken(); t.getType() != Token.EOF; t = lexer.nextToken()) {
            if (++count > MAX_TOKENS) return new org.antlr.v4.runtime.CommonToken(Token.EOF);
            int ty = t.getType();
            if (ty == PlanLexer.LBRACE || ty == PlanLexer.LPAREN || ty == PlanLexer.LBRACK) {
                if (++depth > MAX_DEPTH) return t;
            } else if (ty == PlanLexer.RBRACE || ty == PlanLexer.RPAREN || ty == PlanLexer.RBRACK) {
                depth = Math.max(0, depth - 1);
            }
        }
        return null;
    }

    private static int closer(int open) {
        return switch (open) {
            case PlanLexer.LBRACE -> PlanLexer.RBRACE;
            case PlanLexer.LPAREN -> PlanLexer.RPAREN;
            default -> PlanLexer.RBRACK;
        };
    }

    private static String closerText(int open) {
        return switch (open) {
            case PlanLexer.LBRACE -> "}";
            case PlanLexer.LPAREN -> ")";
            default -> "]";
        };
    }

    private static String opener(int close) {
        return switch (close) {
            case PlanLexer.RBRACE -> "{";
            case PlanLexer.RPAREN -> "(";
            default -> "[";
        };
    }

    private static String what(int open) {
        return switch (open) {
            case PlanLexer.LBRACE -> "block";
            case PlanLexer.LPAREN -> "argument list";
            default -> "list";
        };
    }

    private static String quoteChar(String ch) {
        int cp = ch.codePointAt(0);
        if (cp < 0x20 || cp == 0x7f) return String.format("U+%04X", cp);
        return "`" + ch + "` (U+" + String.format("%04X", cp) + ")";
    }

    private static String helpForChar(String ch) {
        return switch (ch) {
            case "'" -> "strings use double quotes: \"...\"";
            case ":" -> "write `key value`, without a colon";
            case "+", "*" -> "the language has no arithmetic; write the value out";
            default -> "remove the character; names are letters, digits, `_`, `-` and `.`";
        };
    }

    /** Keeps the first syntax error only. */
    private static final class FirstError extends BaseErrorListener {
        private final String path;
        Diagnostic diagnostic;

        FirstError(String path) {
            this.path = path;
        }

        @Override
        public void syntaxError(Recognizer<?, ?> recognizer, Object offending, int line, int col, String msg, RecognitionException e) {
            if (diagnostic != null) return;
            Token t = (Token) offending;
            Parser p = (Parser) recognizer;
            IntervalSet expected;
            try {
                expected = e != null && e.getExpectedTokens() != null ? e.getExpectedTokens() : p.getExpectedTokens();
            } catch (RuntimeException ex) {
                expected = new IntervalSet();
            }
            String found = t == null ? "something unexpected" : describeFound(t);
            String exp = TokenNames.describe(expected);
            Span span = t == null ? Span.NONE : Spans.of(path, t);
            Diagnostic.Builder b = Diagnostic.of(Codes.SYNTAX, span, "expected " + exp + ", found " + found);
            b.help(helpFor(t, expected, e));
            diagnostic = b.build();
            throw new ParseCancellationException(msg);
        }

        private static String describeFound(Token t) {
            if (t.getType() == Token.EOF) return "end of file";
            if (t.getType() == PlanLexer.NL) return "end of line";
            String text = t.getText();
            if (text.length() > 30) text = text.substring(0, 30) + "…";
            String name = TokenNames.name(t.getType());
            // punctuation and keywords are named by their text already: "found `{`", not "found `{` `{`"
            return name.startsWith("`") ? name : name + " `" + text + "`";
        }

        private static String helpFor(Token t, IntervalSet expected, RecognitionException e) {
            if (t != null && t.getType() == PlanLexer.LBRACE && expected.contains(PlanLexer.ID))
                return "a declaration needs a kind and a name: e.g. `plan my_plan { ... }`";
            if (expected.contains(PlanLexer.NL) || expected.contains(PlanLexer.SEMI))
                return "put each entry on its own line or separate entries with `;`";
            if (e instanceof NoViableAltException || e instanceof InputMismatchException)
                return "see docs/language.md for the syntax of entries and values";
            return "see docs/language.md for the syntax";
        }
    }
}
