package dev.shardplan.emit;

import dev.shardplan.analysis.Fixtures;
import dev.shardplan.model.Plan;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * TRT-LLM's servers (one per DP replica without attention DP) are found in one pass over the
 * ranks. The fuzzing long run's fourth finding: a 32B model at dp 65,535 on MI300X nodes took 12 s
 * of CPU because each server scanned all ranks (65,535 x 65,535).
 */
class TrtllmServersTest {
    @Test
    void eachReplicaIsItsOwnServerOnItsOwnNodes() {
        Plan plan = Fixtures.plan("""
                node n { gpus 8 x MI300X; fabric nvswitch; nics 8 x 400 Gb/s }
                cluster c { nodes 8192 x n }
                plan p {
                  model deepseek_r1_distill_qwen_32b
                  cluster c
                  workload natural_reasoning
                  parallel { tp 2; dp 32768 }
                  engine trtllm { }
                }
                """, "p");
        List<TrtllmLaunch.Server> servers = TrtllmLaunch.servers(EmitTesting.input(plan));
        assertEquals(32_768, servers.size());
        for (TrtllmLaunch.Server s : List.of(servers.get(0), servers.get(3), servers.get(4), servers.get(32_767))) {
            int i = servers.indexOf(s);
            assertEquals(List.of(i), s.replicas(), "server " + i);
            assertEquals(List.of(i / 4), s.nodes(), "server " + i + ": 4 replicas of tp 2 per 8-GPU node");
            assertEquals(2, s.ranksPerNode().get(i / 4), "server " + i);
        }
    }
}
