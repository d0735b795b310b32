package dev.shardplan.lsp;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.shardplan.grammar.PlanLexer;
import dev.shardplan.model.EngineKind;
import dev.shardplan.resolve.LanguageFields;
import dev.shardplan.units.Units;
import org.antlr.v4.runtime.CharStreams;
import org.antlr.v4.runtime.Token;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The VS Code package names the grammar and server it ships, and the TextMate grammar knows the
 * language's words: every declaration kind, every unit the lexer accepts, every engine; each
 * number-with-unit in plans/ and the std library highlights as one quantity.
 */
class EditorPackageTest {
    static final Path VSCODE = Path.of("..", "editors", "vscode");

    static JsonObject json(Path p) throws Exception {
        return JsonParser.parseString(Files.readString(p)).getAsJsonObject();
    }

    static Pattern pattern(JsonObject grammar, String rule) {
        return Pattern.compile(grammar.getAsJsonObject("repository").getAsJsonObject(rule).get("match").getAsString());
    }

    @Test
    void packageStartsTheServerAndShipsTheGrammar() throws Exception {
        JsonObject pkg = json(VSCODE.resolve("package.json"));
        JsonObject contributes = pkg.getAsJsonObject("contributes");
        JsonObject lang = contributes.getAsJsonArray("languages").get(0).getAsJsonObject();
        assertEquals("shardplan", lang.get("id").getAsString());
        assertEquals(".plan", lang.getAsJsonArray("extensions").get(0).getAsString());
        assertTrue(Files.isRegularFile(VSCODE.resolve(lang.get("configuration").getAsString())));
        JsonObject g = contributes.getAsJsonArray("grammars").get(0).getAsJsonObject();
        assertTrue(Files.isRegularFile(VSCODE.resolve(g.get("path").getAsString())));
        assertEquals(g.get("scopeName").getAsString(), json(VSCODE.resolve(g.get("path").getAsString())).get("scopeName").getAsString());
        JsonArray cmd = contributes.getAsJsonObject("configuration").getAsJsonObject("properties")
                .getAsJsonObject("shardplan.server.command").getAsJsonArray("default");
        assertEquals("[\"shardplan\",\"lsp\"]", cmd.toString());
        assertEquals(PlanLanguageServer.DEFAULT_DEBOUNCE_MS, contributes.getAsJsonObject("configuration").getAsJsonObject("properties")
                .getAsJsonObject("shardplan.server.debounceMs").get("default").getAsLong());
        assertTrue(Files.readString(VSCODE.resolve(pkg.get("main").getAsString())).contains("initializationOptions: { debounceMs"));
    }

    @Test
    void theGrammarKnowsTheLanguagesWords() throws Exception {
        JsonObject g = json(VSCODE.resolve("syntaxes/shardplan.tmLanguage.json"));
        Pattern decl = pattern(g, "declaration");
        for (String k : LanguageFields.kinds()) assertTrue(decl.matcher(k + " x").lookingAt(), "declaration kind " + k);
        Pattern q = pattern(g, "quantities");
        for (String u : Units.symbols().keySet()) {
            Matcher m = q.matcher("8 " + u);
            assertTrue(m.matches() && u.equals(m.group(2)), "unit " + u);
        }
        Matcher bw = q.matcher("400 Gb/s");
        assertTrue(bw.matches() && bw.group(2).equals("Gb/s"));
        String names = g.getAsJsonObject("repository").getAsJsonObject("names").toString();
        for (EngineKind k : EngineKind.values()) assertTrue(names.contains(k.id()), "engine " + k.id());
    }

    @Test
    void everyQuantityInPlansHighlightsAsOne() throws Exception {
        Pattern q = pattern(json(VSCODE.resolve("syntaxes/shardplan.tmLanguage.json")), "quantities");
        List<String> seen = new ArrayList<>();
        java.util.Map<String, String> texts = new java.util.TreeMap<>();
        for (String id : dev.shardplan.resolve.Loader.stdModules()) texts.put(id, dev.shardplan.resolve.Loader.stdSource(id.substring(4)));
        try (Stream<Path> s = Files.walk(Path.of("..", "plans"))) {
            for (Path p : (Iterable<Path>) s.filter(x -> x.toString().endsWith(".plan"))::iterator) texts.put(p.toString(), Files.readString(p));
        }
        {
            for (java.util.Map.Entry<String, String> p : texts.entrySet()) {
                PlanLexer lx = new PlanLexer(CharStreams.fromString(p.getValue()));
                lx.removeErrorListeners();
                List<? extends Token> ts = lx.getAllTokens();
                for (int i = 0; i + 1 < ts.size(); i++) {
                    if (ts.get(i).getType() != PlanLexer.NUMBER || ts.get(i + 1).getType() != PlanLexer.UNIT) continue;
                    String unit = ts.get(i + 1).getText();
                    if (i + 3 < ts.size() && ts.get(i + 2).getType() == PlanLexer.SLASH) unit += "/" + ts.get(i + 3).getText();
                    String text = ts.get(i).getText() + " " + unit;
                    Matcher m = q.matcher(text);
                    assertTrue(m.matches() && m.group(2).equals(unit), p.getKey() + ": " + text);
                    seen.add(text);
                }
            }
        }
        assertTrue(seen.size() > 100, seen.toString());
    }
}
