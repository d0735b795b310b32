package dev.shardplan.predict;

import dev.shardplan.api.CheckResult;
import dev.shardplan.api.Compiler;
import dev.shardplan.model.Plan;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * SP0705 cannot come from a plan file: the resolver applies the tuning keys and ranges of
 * resolve.Schema.TUNING (SP0201, SP0207), the same ones Efficiency enforces. A plan built as a
 * record skips the resolver, and the predictor still refuses its tuning.
 */
class HandBuiltTuningTest {
    @TempDir
    Path root;

    @Test
    void aHandBuiltPlanWithATuningOutOfRangeIsSp0705() throws Exception {
        Files.writeString(root.resolve("p.plan"), """
                import "std:nodes"
                import "std:models"
                import "std:workloads"
                cluster c { nodes 1 x HGX_H100 }
                plan p {
                  model llama_3_1_8b
                  cluster c
                  workload chat
                  parallel { dp 8 }
                  engine vllm { gpu_memory_utilization 0.90; max_num_seqs 128 }
                  tuning { hbm_efficiency 0.9 }
                }
                """);
        CheckResult r = Compiler.check(root, List.of(root.resolve("p.plan")));
        assertTrue(!r.hasErrors(), () -> r.diagnostics().toString());
        Plan p = r.plans().get(0);
        Plan bad = new Plan(p.name(), p.sourceFile(), p.model(), p.cluster(), p.workload(), p.parallel(), p.engine(), p.slos(),
                p.emit(), p.deploy(), Map.of("hbm_efficiency", 1.5), p.efficiency(), p.spans(), p.span(), p.allows());
        Prediction pr = dev.shardplan.api.Predictions.simulate(bad, Predictor.DEFAULT_SEED);
        assertTrue(pr.diagnostics().stream().anyMatch(d -> d.code().id().equals("SP0705") && d.message().contains("1.5")),
                () -> pr.diagnostics().toString());
        // through the file, the same value is the schema's range error
        Files.writeString(root.resolve("p.plan"), Files.readString(root.resolve("p.plan")).replace("0.9 }\n}", "1.5 }\n}"));
        CheckResult again = Compiler.check(root, List.of(root.resolve("p.plan")));
        assertTrue(again.diagnostics().stream().anyMatch(d -> d.code().id().equals("SP0207")), () -> again.diagnostics().toString());
    }
}
