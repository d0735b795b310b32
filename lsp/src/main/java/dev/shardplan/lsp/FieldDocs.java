package dev.shardplan.lsp;

import dev.shardplan.resolve.Field;
import dev.shardplan.resolve.FieldTable;
import dev.shardplan.resolve.LanguageFields;

import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;

/**
 * What hover and completion say about a field of the language: its doc line, type and unit, range
 * and default, read from the compiler's schema ({@link LanguageFields}), where each is declared once.
 */
final class FieldDocs {
    /** One field; {@code range} and {@code unit} are "-" where they do not apply. */
    record Doc(String context, String field, String unit, String range, String presence, String doc) {}

    private static final Map<String, Doc> ROWS = load();

    private FieldDocs() {}

    private static Map<String, Doc> load() {
        Map<String, Doc> m = new TreeMap<>();
        for (FieldTable t : LanguageFields.tables()) {
            for (Field f : t.fields()) m.put(t.context() + " " + f.name(), doc(f));
        }
        return Collections.unmodifiableMap(m);
    }

    private static Doc doc(Field f) {
        String unit = f.typeText(), range = f.rangeText();
        return new Doc(f.context(), f.name(), unit.isEmpty() ? "-" : unit, range.isEmpty() ? "-" : range, f.presence(), f.doc());
    }

    /** Every field's doc, keyed by "context field". */
    static Map<String, Doc> all() {
        return ROWS;
    }

    /**
     * The doc of a field in a context ("plan.parallel", "dp"); a search's deploy, slo and tuning
     * blocks are a plan's (the schema says which contexts share a table); a "*" row covers free keys.
     */
    static Doc of(String context, String field) {
        Field f = LanguageFields.field(context, field);
        return f == null ? null : doc(f);
    }
}
