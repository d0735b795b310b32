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

    /**
     * A finding of the fuzzing long run (seed 32, case 4360539505842698373): 2,000 requests whose
     * outputs follow normal(mean 100, stddev 10^6) up to 1M tokens, at pp 2 (the pipeline simulator
     * steps every decode iteration): check weighed the plan and its two fixes for over three
     * minutes. Past {@link Advice#MAX_OUTPUT_TOKENS} output tokens a fix is not simulated during check.
     */
    @Test
    void aWorkloadWithMoreOutputTokensThanTheBoundIsNotSimulatedAndTheHelpSaysSo() {
        Plan p = Fixtures.plan("""
                cluster c { nodes 4 x HGX_H200 }
                workload w { requests 2000; prompt lognormal(median 4500, p95 16000) tokens; output normal(mean 100, stddev 1000000) tokens; max_length 1M tokens }
                plan p {
                  model deepseek_r1_distill_qwen_32b
                  cluster c
                  workload w
                  parallel { tp 8; dp 1; pp 2; layer_split 40, 16 }
                  engine trtllm { version "1.0.0" }
                }
                """, "p");
        var a = Analyzer.analyze(p);
        List<Diagnostic> weighed = Advice.weigh(p, a);
        boolean said = weighed.stream().anyMatch(d -> d.help() != null && d.help().contains("not simulated during check (2,000 requests of ")
                && d.help().contains("output tokens in all, more than 16,000,000"));
        assertTrue(said, "the fix's help says it was not weighed: " + weighed.stream().map(Diagnostic::help).toList());
    }
}
