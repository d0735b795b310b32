package dev.shardplan.lsp;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;

/**
 * What hover says about a field of the language: doc line, unit and range, from fields.tsv. The
 * field names themselves are the compiler's ({@code LanguageFields}); a test keeps the two equal.
 */
final class FieldDocs {
    /** One row; {@code range} and {@code unit} are "-" where they do not apply. */
    record Doc(String context, String field, String unit, String range, String doc) {}

    private static final Map<String, Doc> ROWS = load();

    private FieldDocs() {}

    private static Map<String, Doc> load() {
        Map<String, Doc> m = new TreeMap<>();
        try (InputStream in = FieldDocs.class.getResourceAsStream("fields.tsv")) {
            if (in == null) throw new IllegalStateException("fields.tsv is missing from the language server's jar");
            BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
            String line;
            while ((line = r.readLine()) != null) {
                if (line.isBlank() || line.startsWith("#")) continue;
                String[] c = line.split("\t", -1);
                if (c.length != 5) throw new IllegalStateException("fields.tsv: 5 columns expected in: " + line);
                m.put(c[0] + " " + c[1], new Doc(c[0], c[1], c[2], c[3], c[4]));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return Collections.unmodifiableMap(m);
    }

    /** Every row, keyed by "context field". */
    static Map<String, Doc> all() {
        return ROWS;
    }

    /**
     * The doc of a field in a context ("plan.parallel", "dp"); a search's deploy, slo and tuning
     * blocks are a plan's; a context's "*" row covers fields without their own.
     */
    static Doc of(String context, String field) {
        Doc d = ROWS.get(context + " " + field);
        if (d == null && context.startsWith("search.")) d = ROWS.get("plan." + context.substring(7) + " " + field);
        if (d == null) d = ROWS.get(context + " *");
        if (d == null && context.startsWith("search.")) d = ROWS.get("plan." + context.substring(7) + " *");
        return d;
    }
}
