package dev.shardplan.api;

import dev.shardplan.analysis.Analyzer;
import dev.shardplan.analysis.Fixtures;
import dev.shardplan.diag.Diagnostic;
import dev.shardplan.model.Plan;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A fix past {@link Advice#MAX_REPLICAS} replicas is not simulated during check, and its help says
 * how to weigh it. Found by the fuzzing suite: gpt-oss-20b at pp 4 on 131,072 GPUs, whose idle-GPU
 * note offers dp 1 -> 32,768; weighing it ran past 150 s.
 */
class AdviceBoundTest {
    @Test
    void aFixWithMoreReplicasThanTheBoundIsNotSimulatedAndTheHelpSaysSo() {
        Plan p = Fixtures.plan("""
                node n { gpus 2 x L40S; fabric nvswitch; nics 4 x 200 Gb/s }
                cluster c { nodes 65536 x n }
                plan p {
                  model gpt_oss_20b
                  cluster c
                  workload natural_reasoning
                  parallel { pp 4 }
                  engine trtllm { free_gpu_memory_fraction 0.64; max_batch_size 2048 }
                }
                """, "p");
        var a = Analyzer.analyze(p);
        List<Diagnostic> weighed = Advice.weigh(p, a);
        boolean said = weighed.stream().anyMatch(d -> d.help() != null && d.help().contains("not simulated during check (dp 1 -> ")
                && d.help().contains("more than 1,024 replicas"));
        assertTrue(said, "the wide fix's help says it was not weighed: " + weighed.stream().map(Diagnostic::help).toList());
    }
}
