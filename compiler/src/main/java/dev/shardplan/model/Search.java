package dev.shardplan.model;

import dev.shardplan.diag.Span;
import dev.shardplan.diag.Suppression;

import java.util.List;
import java.util.Map;

/**
 * A search over plans: the fixed parts (model, cluster, workload, engine, SLOs), an objective
 * (throughput, throughput_per_gpu, latency) and the candidate values of each explored knob
 * ("tp", "pp", "dp", "ep", "max_num_seqs", "kv_dtype" as ids); an absent knob means "all valid".
 * {@code allows} are the findings it accepts ({@code allow CODE "reason"}); its candidates carry them.
 * {@code efficiency} is the step-time profile its candidates carry: std:efficiency's for its GPU
 * and engine, attached by the resolver as it is to a plan that names none.
 */
public record Search(String name, String sourceFile, Model model, Cluster cluster, Workload workload, EngineBlock engine,
                     List<Slo> slos, String objective, Map<String, List<String>> explore, Deploy deploy,
                     Map<String, Double> tuning, Map<String, Span> spans, Span span, List<Suppression> allows,
                     EfficiencyProfile efficiency) {
    public Search {
        allows = List.copyOf(allows);
        slos = List.copyOf(slos);
        explore = Map.copyOf(explore);
        tuning = Map.copyOf(tuning);
        spans = Map.copyOf(spans);
    }
}
