package dev.shardplan.lsp;

import dev.shardplan.ast.Nodes.SourceFile;
import dev.shardplan.diag.Fix;
import dev.shardplan.diag.Span;
import dev.shardplan.parse.PlanFileParser;
import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/** Fields of a plan set, added and removed through its AST, in one-line and multi-line blocks. */
class FixEditsTest {
    static String fix(String text, Map<String, String> fields) {
        SourceFile ast = PlanFileParser.parse("p.plan", text).file();
        var edits = FixEdits.of(new Fix.SetFields("t", "p", Span.NONE, fields), ast, text);
        return edits == null ? null : FixEdits.apply(text, edits);
    }

    @Test
    void oneLineBlocks() {
        String t = "plan p {\n  parallel { tp 2; placement 0, 1 }\n  engine vllm { block_size 16 }\n}\n";
        Map<String, String> f = new HashMap<>();
        f.put("parallel.tp", "4");
        f.put("parallel.placement", null);
        f.put("parallel.dp", "2");
        f.put("engine.max_num_seqs", "256");
        assertEquals("plan p {\n  parallel { tp 4; dp 2 }\n  engine vllm { block_size 16; max_num_seqs 256 }\n}\n", fix(t, f));
    }

    @Test
    void multiLineBlocks() {
        String t = "plan p {\n  parallel {\n    tp 2\n    placement 0, 1\n  }\n  engine vllm {\n    block_size 16\n  }\n}\n";
        Map<String, String> f = new HashMap<>();
        f.put("parallel.placement", null);
        f.put("engine.gpu_memory_utilization", "0.85");
        assertEquals("plan p {\n  parallel {\n    tp 2\n  }\n  engine vllm {\n    block_size 16\n    gpu_memory_utilization 0.85\n  }\n}\n", fix(t, f));
    }

    @Test
    void aMissingParallelBlockIsWrittenAnEngineBlockIsNot() {
        String t = "plan p {\n  model m\n}\n";
        assertEquals("plan p {\n  model m\n  parallel { dp 8 }\n}\n", fix(t, Map.of("parallel.dp", "8")));
        assertNull(fix(t, Map.of("engine.max_num_seqs", "8")));
    }
}
