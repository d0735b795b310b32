package dev.shardplan.diag;

import dev.shardplan.analysis.AnalysisCodes;
import dev.shardplan.api.CheckResult;
import dev.shardplan.api.Compiler;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

/** The fixes diagnostics carry are the ones their help proposes, in a form a tool can apply. */
class FixTest {
    @TempDir
    Path root;

    private List<Diagnostic> check(String text) {
        Path f = root.resolve("p.plan");
        CheckResult r = Compiler.check(root, List.of(), List.of(f), Map.of(f, text));
        return r.diagnostics();
    }

    private static Diagnostic find(List<Diagnostic> ds, Code code) {
        for (Diagnostic d : ds) if (d.code().equals(code)) return d;
        throw new AssertionError("no " + code + " in " + ds);
    }

    static String plan(String model, String parallel, String engine) {
        return "import \"std:models\"\nimport \"std:nodes\"\nimport \"std:workloads\"\ncluster c { nodes 1 x HGX_H100 }\n"
                + "plan p {\n  model " + model + "\n  cluster c\n  workload natural_reasoning\n  parallel { " + parallel + " }\n  engine " + engine + "\n}\n";
    }

    @Test
    void aMisspeltNameIsReplacedByTheDeclaredOne() {
        String text = plan("llama_3_1_8c", "dp 8", "vllm { }");
        Diagnostic d = find(check(text), Codes.UNKNOWN_NAME);
        Fix.Replace f = assertInstanceOf(Fix.Replace.class, d.fix());
        assertEquals("llama_3_1_8b", f.text());
        assertEquals("llama_3_1_8c", text.substring(f.span().start(), f.span().end()));
    }

    @Test
    void misspeltFieldsSettingsAndWordsCarryTheirReplacement() {
        Diagnostic field = find(check(plan("llama_3_1_8b", "dp 8; dp_atention false", "vllm { }")), Codes.UNKNOWN_FIELD);
        assertEquals("dp_attention", assertInstanceOf(Fix.Replace.class, field.fix()).text());
        Diagnostic setting = find(check(plan("llama_3_1_8b", "dp 8", "vllm { max_num_seq 256 }")), Codes.UNKNOWN_FIELD);
        assertEquals("max_num_seqs", assertInstanceOf(Fix.Replace.class, setting.fix()).text());
    }

    @Test
    void noSuggestionNoFix() {
        Diagnostic d = find(check(plan("zzzzzzzzzzzzzzzzzz", "dp 8", "vllm { }")), Codes.UNKNOWN_NAME);
        assertNull(d.fix());
    }

    @Test
    void aRecheckedPlanVariantIsAFixOfItsFields() {
        // 4 of 8 GPUs used: the re-checked fix is dp 4 -> 8.
        Diagnostic d = find(check(plan("llama_3_1_8b", "dp 4", "vllm { }")), AnalysisCodes.IDLE_GPUS);
        Fix.SetFields f = assertInstanceOf(Fix.SetFields.class, d.fix());
        assertEquals("p", f.plan());
        assertEquals(Map.of("parallel.dp", "8"), f.fields());
        assertEquals("dp 4 -> 8", f.title());
        assertNotNull(f.planSpan());
    }
}
