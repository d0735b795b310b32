package dev.shardplan.diag;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/** Canonical JSON: keys sorted recursively, two-space indent, "\n" line ends, trailing newline. */
public final class Jsons {
    public static final ObjectMapper MAPPER = new ObjectMapper()
            .enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS)
            .enable(SerializationFeature.INDENT_OUTPUT);

    private Jsons() {}

    public static String canonical(JsonNode node) {
        try {
            String s = MAPPER.writer(new com.fasterxml.jackson.core.util.DefaultPrettyPrinter()
                            .withObjectIndenter(new com.fasterxml.jackson.core.util.DefaultIndenter("  ", "\n")))
                    .writeValueAsString(sortKeys(node));
            return s + "\n";
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A copy of the tree with every object's fields in key order. */
    public static JsonNode sortKeys(JsonNode n) {
        if (n.isObject()) {
            ObjectNode out = MAPPER.createObjectNode();
            List<String> names = new ArrayList<>();
            n.fieldNames().forEachRemaining(names::add);
            Collections.sort(names);
            for (String k : names) out.set(k, sortKeys(n.get(k)));
            return out;
        }
        if (n.isArray()) {
            var out = MAPPER.createArrayNode();
            for (JsonNode c : n) out.add(sortKeys(c));
            return out;
        }
        return n;
    }
}
