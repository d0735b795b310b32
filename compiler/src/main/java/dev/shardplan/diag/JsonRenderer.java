package dev.shardplan.diag;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.List;

/** Machine-readable diagnostics: one JSON document, keys sorted, diagnostics in sorted order. */
public final class JsonRenderer {
    private static final ObjectMapper MAPPER = new ObjectMapper()
            .enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS)
            .enable(SerializationFeature.INDENT_OUTPUT);

    public static ArrayNode toJson(List<Diagnostic> ds) {
        ArrayNode arr = MAPPER.createArrayNode();
        for (Diagnostic d : ds) arr.add(toJson(d));
        return arr;
    }

    public static ObjectNode toJson(Diagnostic d) {
        ObjectNode o = MAPPER.createObjectNode();
        o.put("code", d.code().id());
        o.put("name", d.code().name());
        o.put("severity", d.severity().label());
        o.put("message", d.message());
        o.set("span", span(d.span()));
        ArrayNode labels = o.putArray("labels");
        for (Label l : d.labels()) {
            ObjectNode lo = labels.addObject();
            lo.put("message", l.message());
            lo.set("span", span(l.span()));
        }
        ArrayNode notes = o.putArray("notes");
        d.notes().forEach(notes::add);
        o.put("help", d.help());
        return o;
    }

    private static ObjectNode span(Span s) {
        ObjectNode o = MAPPER.createObjectNode();
        if (s.isNone()) return o;
        o.put("file", s.file());
        o.put("line", s.line());
        o.put("column", s.column());
        o.put("end_line", s.endLine());
        o.put("end_column", s.endColumn());
        return o;
    }

    /** The whole report: {"diagnostics": [...], "errors": n, "warnings": n}. */
    public static String render(List<Diagnostic> ds) {
        return render(ds, List.of());
    }

    /**
     * A suppressed finding: the diagnostic's fields and {@code suppressed_by}, the {@code allow}
     * that hides it (its code, reason, and span; an empty span for the project's list).
     */
    public static ObjectNode toJson(Suppressed s) {
        ObjectNode o = toJson(s.diagnostic());
        ObjectNode by = o.putObject("suppressed_by");
        by.put("code", s.by().code().id());
        by.put("reason", s.by().reason());
        by.set("span", span(s.by().span()));
        return o;
    }

    /**
     * The whole report: {"diagnostics": [...], "errors": n, "warnings": n, "suppressed": [...]};
     * the counts are of the reported diagnostics, suppressed findings are listed apart.
     */
    public static String render(List<Diagnostic> ds, List<Suppressed> suppressed) {
        ObjectNode root = MAPPER.createObjectNode();
        ArrayNode sup = root.putArray("suppressed");
        for (Suppressed s : suppressed) sup.add(toJson(s));
        root.set("diagnostics", toJson(ds));
        root.put("errors", ds.stream().filter(d -> d.severity() == Severity.ERROR).count());
        root.put("warnings", ds.stream().filter(d -> d.severity() == Severity.WARNING).count());
        try {
            return Jsons.canonical(root);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
