package dev.shardplan.robust;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Random;

/**
 * Mutates a Hugging Face config.json: sets fields (top-level, or inside quantization_config and
 * rope_scaling) to the values importers meet in the wild and choke on (0, -1, 2^31-1, 2^31,
 * 10^400, fractions, strings, null, arrays, objects), removes them, or breaks the text itself.
 */
final class HfMutator {
    private HfMutator() {}

    static final ObjectMapper JSON = new ObjectMapper();

    /** Raw JSON texts for values; 1e400 overflows a double on purpose. */
    static final List<String> VALUES = List.of("0", "-1", "1", "2", "2147483647", "2147483648", "9223372036854775808", "1e400", "-1e400",
            "1.5", "0.0", "\"x\"", "\"7\"", "null", "true", "[]", "[128, 64]", "[0, 0]", "{}", "{\"rope_type\": \"yarn\"}", "65536", "4096");

    static String mutate(String config, Random r, int mutations) {
        if (mutations == 0) return config;
        if (r.nextInt(20) == 0) {
            // the text itself: truncated, or one byte changed
            int cut = r.nextInt(config.length() + 1);
            return r.nextBoolean() ? config.substring(0, cut) : config.substring(0, cut) + "}" + config.substring(Math.min(config.length(), cut + 1));
        }
        ObjectNode root;
        try {
            root = (ObjectNode) JSON.readTree(config);
        } catch (IOException | ClassCastException e) {
            return config;
        }
        StringBuilder raw = new StringBuilder();
        for (int i = 0; i < mutations; i++) {
            ObjectNode target = root;
            if (r.nextInt(4) == 0) {
                List<String> nested = new ArrayList<>();
                for (Iterator<String> it = root.fieldNames(); it.hasNext(); ) {
                    String k = it.next();
                    if (root.get(k).isObject()) nested.add(k);
                }
                if (!nested.isEmpty()) target = (ObjectNode) root.get(nested.get(r.nextInt(nested.size())));
            }
            List<String> keys = new ArrayList<>();
            target.fieldNames().forEachRemaining(keys::add);
            String key = keys.isEmpty() || r.nextInt(10) == 0 ? "num_key_value_heads" : keys.get(r.nextInt(keys.size()));
            if (r.nextInt(6) == 0) {
                target.remove(key);
                continue;
            }
            String v = VALUES.get(r.nextInt(VALUES.size()));
            // a placeholder replaced in the text, so that 1e400 and 2^63 stay as written
            String mark = "__fuzz_" + i + "__";
            target.put(key, mark);
            raw.append(mark).append('\u0000').append(v).append('\u0000');
        }
        String text = root.toString();
        String[] parts = raw.toString().split("\u0000");
        for (int i = 0; i + 1 < parts.length; i += 2) text = text.replace("\"" + parts[i] + "\"", parts[i + 1]);
        return text;
    }
}
