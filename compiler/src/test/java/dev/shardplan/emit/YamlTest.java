package dev.shardplan.emit;

import com.fasterxml.jackson.databind.JsonNode;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.StringLength;
import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Yaml writes structure that YAML parsers read back exactly, whatever the strings contain. */
class YamlTest {
    @Property(tries = 500)
    void anyStringRoundTrips(@ForAll @StringLength(max = 40) String s) throws Exception {
        if (s.indexOf('\0') >= 0 || hasLoneSurrogate(s)) return;
        Map<String, Object> tree = new LinkedHashMap<>();
        tree.put("k", s);
        tree.put("list", List.of(s, Map.of("v", s)));
        tree.put(s.isEmpty() ? "empty" : s, 1);
        JsonNode back = HostileStringTest.yaml(Yaml.document(List.of("c " + s), tree)).get(0);
        assertEquals(s, back.path("k").asText());
        assertEquals(s, back.path("list").get(0).asText());
        assertEquals(s, back.path("list").get(1).path("v").asText());
    }

    /** A trailing ':' made "- /models/:" a mapping (found by ArgvStructureTest): the value must come back a string. */
    @Test
    void reservedWordsAndNumbersStayStrings() throws Exception {
        for (String s : List.of("true", "no", "null", "~", "1.0", "0x10", "1e3", "08", "- x", "a: b", "#c", "0.0.0.0", "|", ">", "*a", "&a", "!t", "%",
                "a:", "/models/:", "x::"))
            assertEquals(s, HostileStringTest.yaml(Yaml.document(List.of(), Map.of("k", s))).get(0).path("k").textValue(), s);
    }

    @Test
    void controlCharactersAreEscaped() throws Exception {
        for (String s : List.of("\u0080", "a\r\nb", "x\n\ry", "\u0085\n", "tab\tend\n", "\ufeff", "\u2028z\n", "é\n\u009f"))
            assertEquals(s, HostileStringTest.yaml(Yaml.document(List.of("c" + s), Map.of("k", s))).get(0).path("k").textValue(),
                    s.chars().mapToObj(Integer::toHexString).toList().toString());
    }

    @Test
    void multiLineTextUsesALiteralBlock() throws Exception {
        String script = "set -e\nexec x \\\n  --y \"$z\"\n";
        String doc = Yaml.document(List.of(), Map.of("args", List.of(script)));
        assertEquals("args:\n- |\n  set -e\n  exec x \\\n    --y \"$z\"\n", doc);
        assertEquals(script, HostileStringTest.yaml(doc).get(0).path("args").get(0).asText());
    }

    private static boolean hasLoneSurrogate(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isHighSurrogate(c)) {
                if (i + 1 >= s.length() || !Character.isLowSurrogate(s.charAt(i + 1))) return true;
                i++;
            } else if (Character.isLowSurrogate(c)) return true;
        }
        return false;
    }
}
