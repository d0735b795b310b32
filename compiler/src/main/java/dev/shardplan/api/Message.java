package dev.shardplan.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.shardplan.diag.Diagnostic;
import dev.shardplan.diag.HumanRenderer;
import dev.shardplan.diag.Jsons;
import dev.shardplan.diag.Label;
import dev.shardplan.diag.Severity;

import java.util.ArrayList;
import java.util.List;

/**
 * A diagnostic as build tools print it: one line {@code file:line:col: error[CODE]: message}
 * ({@link HumanRenderer#oneLine}) and detail lines (secondary locations, notes, help) that follow
 * it indented. Plain text, so that a build cache can keep it and show it again.
 */
public record Message(Severity severity, String line, List<String> details) {
    public Message {
        details = List.copyOf(details);
    }

    public static Message of(Diagnostic d) {
        List<String> details = new ArrayList<>();
        for (Label l : d.labels()) {
            if (!l.span().isNone()) details.add(l.span() + ": " + l.message());
        }
        for (String n : d.notes()) details.add("note: " + n);
        if (!d.help().isEmpty()) details.add("help: " + d.help());
        return new Message(d.severity(), HumanRenderer.oneLine(d), details);
    }

    JsonNode toJson() {
        ObjectNode n = Jsons.MAPPER.createObjectNode();
        n.put("severity", severity.label());
        n.put("line", line);
        var ds = n.putArray("details");
        details.forEach(ds::add);
        return n;
    }

    static Message fromJson(JsonNode n) {
        Severity s = null;
        for (Severity x : Severity.values()) if (x.label().equals(n.path("severity").asText())) s = x;
        String line = n.path("line").asText(null);
        if (s == null || line == null) return null;
        List<String> details = new ArrayList<>();
        for (JsonNode d : n.path("details")) details.add(d.asText());
        return new Message(s, line, details);
    }
}
