package dev.shardplan.resolve;

import dev.shardplan.api.Compiler;
import dev.shardplan.diag.Codes;
import dev.shardplan.diag.Diagnostic;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The field lists tools read are the ones the resolver accepts: each is known, a stranger is not. */
class LanguageFieldsTest {
    @TempDir
    Path root;

    private List<Diagnostic> unknown(String text) {
        Path f = root.resolve("p.plan");
        return Compiler.check(root, List.of(), List.of(f), Map.of(f, text)).diagnostics().stream()
                .filter(d -> d.code().equals(Codes.UNKNOWN_FIELD)).toList();
    }

    @Test
    void everyListedFieldOfAPlanAndItsBlocksIsAccepted() {
        StringBuilder sb = new StringBuilder("plan p {\n");
        for (String k : LanguageFields.of("plan")) {
            String ctx = "plan." + k;
            if (LanguageFields.all().containsKey(ctx)) {
                sb.append("  ").append(k).append(" {");
                for (String f : LanguageFields.of(ctx)) sb.append(' ').append(f).append(" 1;");
                sb.append(" }\n");
            } else {
                sb.append("  ").append(k).append(" x\n");
            }
        }
        sb.append("  zz_not_a_field 1\n}\n");
        List<Diagnostic> u = unknown(sb.toString());
        assertEquals(1, u.size(), u.toString());
        assertTrue(u.get(0).message().contains("zz_not_a_field"), u.toString());
    }

    @Test
    void kindsAndContextsAreListed() {
        assertTrue(LanguageFields.kinds().containsAll(List.of("gpu", "node", "cluster", "model", "workload", "plan", "search", "efficiency")));
        for (String ctx : LanguageFields.all().keySet()) {
            assertTrue(LanguageFields.kinds().contains(ctx.split("\\.")[0]), ctx);
            assertTrue(!LanguageFields.of(ctx).isEmpty(), ctx);
        }
    }
}
