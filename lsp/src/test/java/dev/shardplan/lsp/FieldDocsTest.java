package dev.shardplan.lsp;

import dev.shardplan.resolve.LanguageFields;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/** Hover's field docs cover every field the compiler accepts (both read the schema's tables). */
class FieldDocsTest {
    @Test
    void everyFieldHasADocAndEveryDocAField() {
        List<String> missing = new ArrayList<>();
        for (Map.Entry<String, Set<String>> e : LanguageFields.all().entrySet()) {
            for (String f : e.getValue()) {
                FieldDocs.Doc d = FieldDocs.of(e.getKey(), f);
                if (d == null || d.doc().isBlank()) missing.add(e.getKey() + " " + f);
            }
        }
        assertEquals(List.of(), missing, "fields without a doc line in their table (resolve/*Resolver FIELDS)");
    }

    @Test
    void aSearchsSharedBlocksReadThePlansDocs() {
        assertEquals(FieldDocs.of("plan.deploy", "port"), FieldDocs.of("search.deploy", "port"));
        assertFalse(FieldDocs.of("plan.tuning", "hbm_efficiency").doc().isBlank());
    }
}
