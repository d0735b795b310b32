package dev.shardplan.report;

import dev.shardplan.api.CompileResult;
import dev.shardplan.api.Compiler;
import dev.shardplan.api.Reports;
import dev.shardplan.model.Target;
import dev.shardplan.predict.Predictor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/** The report target writes the page `shardplan report` writes, from the compile's own analysis and prediction. */
class ReportTargetTest {
    @TempDir
    Path dir;

    @Test
    void theReportTargetIsTheReportOfThePlan() throws Exception {
        Files.writeString(dir.resolve("p.plan"), """
                import "std:models"
                import "std:nodes"
                import "std:workloads"
                cluster one { nodes 1 x HGX_H200 }
                plan p {
                  model qwen3_8b
                  cluster one
                  workload chat
                  parallel { dp 8 }
                  engine vllm { gpu_memory_utilization 0.90; max_num_seqs 256 }
                  emit report
                }
                """);
        CompileResult r = Compiler.compile(dir, List.of(dir.resolve("p.plan")), dir.resolve("out"), Set.of());
        assertFalse(r.hasErrors(), r.diagnostics().toString());
        String written = Files.readString(dir.resolve("out/p/report.html"));
        var check = Compiler.check(dir, List.of(dir.resolve("p.plan")));
        assertEquals(Reports.plan(check.analyses().get("p"), Predictor.DEFAULT_SEED), written);
        assertEquals(Set.of(Target.REPORT), check.plans().get(0).emit());
    }
}
