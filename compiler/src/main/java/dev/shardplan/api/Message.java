package dev.shardplan.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.shardplan.diag.Diagnostic;
import dev.shardplan.diag.HumanRenderer;
import dev.shardplan.diag.Jsons;
import dev.shardplan.diag.Label;
import dev.shardplan.diag.Severity;
import dev.shardplan.diag.Suppressed;

import java.util.ArrayList;
import java.util.List;

/**
 * A diagnostic as build tools print it: one line {@code file:line:col: error[CODE]: message}
 * ({@link HumanRenderer#oneLine}) and detail lines (secondary locations, notes, help) that follow
 * it indented. Plain text, so that a build cache can keep it and show it again. {@code suppressed}
 * is null for a reported finding; for one an {@code allow} hides it says where and why
 * ("allowed at a.plan:16:3: reviewed, batch job"), and the finding counts for nothing.
 */
public record Message(Severity severity, String line, List<String> details, String suppressed) {
    public Message {
        details = List.copyOf(details);
    }

    /** A reported (not suppressed) message. */
    public Message(Severity severity, String line, List<String> details) {
        this(severity, line, details, null);
    }

    public boolean isSuppressed() {
        return suppressed != null;
    }

    /** A suppressed finding: its line and why it is accepted; details are left out, it was reviewed. */
    public static Message of(Suppressed s) {
        return new Message(s.diagnostic().severity(), HumanRenderer.oneLine(s.diagnostic()), List.of(),
                "allowed at " + s.by().where() + ": " + s.by().reason());
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
        if (suppressed != null) n.put("suppressed", suppressed);
        return n;
    }

    static Message fromJson(JsonNode n) {
        Severity s = null;
        for (Severity x : Severity.values()) if (x.label().equals(n.path("severity").asText())) s = x;
        String line = n.path("line").asText(null);
        if (s == null || line == null) return null;
        List<String> details = new ArrayList<>();
        for (JsonNode d : n.path("details")) details.add(d.asText());
        return new Message(s, line, details, n.path("suppressed").asText(null));
    }
}
