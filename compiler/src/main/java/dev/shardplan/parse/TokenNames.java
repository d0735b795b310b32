package dev.shardplan.parse;

import dev.shardplan.grammar.PlanLexer;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/** Readable placeholders for token types, used in "expected ..." messages. */
final class TokenNames {
    private TokenNames() {}

    private static final Map<Integer, String> NAMES = Map.ofEntries(
            Map.entry(PlanLexer.IMPORT, "`import`"),
            Map.entry(PlanLexer.FROM, "`from`"),
            Map.entry(PlanLexer.X, "`x`"),
            Map.entry(PlanLexer.UNIT, "a unit"),
            Map.entry(PlanLexer.NUMBER, "a number"),
            Map.entry(PlanLexer.ID, "a name"),
            Map.entry(PlanLexer.STRING, "a string"),
            Map.entry(PlanLexer.LBRACE, "`{`"),
            Map.entry(PlanLexer.RBRACE, "`}`"),
            Map.entry(PlanLexer.LPAREN, "`(`"),
            Map.entry(PlanLexer.RPAREN, "`)`"),
            Map.entry(PlanLexer.LBRACK, "`[`"),
            Map.entry(PlanLexer.RBRACK, "`]`"),
            Map.entry(PlanLexer.COMMA, "`,`"),
            Map.entry(PlanLexer.SEMI, "`;`"),
            Map.entry(PlanLexer.SLASH, "`/`"),
            Map.entry(PlanLexer.PERCENT, "`%`"),
            Map.entry(PlanLexer.MINUS, "`-`"),
            Map.entry(PlanLexer.LE, "`<=`"),
            Map.entry(PlanLexer.GE, "`>=`"),
            Map.entry(PlanLexer.LT, "`<`"),
            Map.entry(PlanLexer.GT, "`>`"),
            Map.entry(PlanLexer.EQ, "`=`"),
            Map.entry(PlanLexer.NL, "end of line"),
            Map.entry(-1, "end of file"));

    static String name(int type) {
        return NAMES.getOrDefault(type, "token " + type);
    }

    /** "a name or `}`" style list; a `name` also covers the keywords usable as names. */
    static String describe(org.antlr.v4.runtime.misc.IntervalSet set) {
        TreeSet<String> names = new TreeSet<>();
        boolean name = set.contains(PlanLexer.ID);
        for (int t : set.toList()) {
            if (name && (t == PlanLexer.FROM || t == PlanLexer.IMPORT) ) continue;
            names.add(name(t));
        }
        List<String> l = new ArrayList<>(names);
        if (l.isEmpty()) return "something else";
        if (l.size() == 1) return l.get(0);
        return String.join(", ", l.subList(0, l.size() - 1)) + " or " + l.get(l.size() - 1);
    }
}
