package dev.shardplan.engine;

import dev.shardplan.model.Model;
import dev.shardplan.resolve.StdLibrary;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every std model's reasoning and tool-call parsers reach every engine's current release: each
 * engine spells each parser a std model names, or the gap is one listed here with the reason the
 * engine has no parser for it (then SP0808/SP0815 say so at compile time). A model added to std
 * with a parser no engine table knows fails here, not in a user's launch.
 */
class StdModelParsersTest {
    /** Engine:format pairs the engine's current release has no parser for, and why. */
    static final Map<String, String> KNOWN_GAPS = Map.of(
            "trtllm:tool:llama3_json", "trtllm-serve's ToolParserFactory registers no Llama JSON tool parser",
            "trtllm:tool:mistral", "trtllm-serve's ToolParserFactory registers no Mistral tool parser");

    @Test
    void everyStdModelsParsersHaveASpellingInEveryEngine() {
        List<String> missing = new ArrayList<>();
        Set<String> gapsSeen = new TreeSet<>();
        int checked = 0;
        for (Object o : StdLibrary.declarations("models")) {
            Model m = (Model) o;
            for (EngineSpec spec : Engines.all()) {
                Release r = spec.newest();
                String engine = spec.kind().id();
                if (m.reasoningParser() != null && !m.reasoningParser().isEmpty()) {
                    checked++;
                    String key = "reasoning:" + m.reasoningParser().toLowerCase(java.util.Locale.ROOT).replace('-', '_');
                    if (spec.reasoningParser(r, key.substring("reasoning:".length())).isEmpty()) note(engine + ":" + key, m, r, missing, gapsSeen);
                }
                if (m.toolParser() != null && !m.toolParser().isEmpty()) {
                    checked++;
                    String key = "tool:" + m.toolParser();
                    if (spec.toolParser(r, m.toolParser()).isEmpty()) note(engine + ":" + key, m, r, missing, gapsSeen);
                }
            }
        }
        assertEquals(List.of(), missing, "std models' parsers without a spelling");
        // A listed gap that no std model hits any more is stale: the engine got the parser or the model went.
        assertEquals(new TreeSet<>(KNOWN_GAPS.keySet()), gapsSeen, "known gaps that still apply");
        assertTrue(checked >= 30, "parsers checked: " + checked);
    }

    private static void note(String key, Model m, Release r, List<String> missing, Set<String> gapsSeen) {
        if (KNOWN_GAPS.containsKey(key)) gapsSeen.add(key);
        else missing.add(key + " (model " + m.name() + ", " + r.label() + ")");
    }
}
