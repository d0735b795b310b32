package dev.shardplan.resolve;

import dev.shardplan.ast.Nodes.*;
import dev.shardplan.diag.Diagnostics;
import dev.shardplan.diag.Span;
import dev.shardplan.model.*;

import java.util.*;

/** `search` declarations: the fixed parts of a plan and the values to try for the rest. */
final class SearchResolver {
    static final Field OBJECTIVE = Field.word("objective", "throughput", "throughput_per_gpu", "latency").fallback("throughput")
            .example("objective throughput").doc("What the search maximises or minimises.");
    static final Field EXPLORE = Field.block("explore").example("explore { tp 1, 2, 4 }").doc("The values to try for each degree or setting.");

    static final FieldTable FIELDS = FieldTable.of("search",
            PlanResolver.MODEL, PlanResolver.CLUSTER, PlanResolver.WORKLOAD,
            Field.other("engine", "vllm | sglang | trtllm { settings }").fallback("vllm").example("engine vllm { }")
                    .doc("The serving engine and its fixed settings."),
            PlanResolver.SLO.doc("Targets the winner must meet."), OBJECTIVE, EXPLORE,
            PlanResolver.DEPLOY.doc("Deployment details of the winner."), PlanResolver.TUNING,
            PlanResolver.ALLOW.doc("Accepts a reviewed warning or note of the search: CODE \"reason\"; never an error."));

    private static Field degrees(String name, String doc) {
        return Field.counts(name, Schema.DEGREE).example(name + " 1, 2, 4").doc(doc);
    }

    static final Field MAX_NUM_SEQS = Field.counts("max_num_seqs", Schema.CONCURRENCY).example("max_num_seqs 64, 256")
            .doc("Concurrent-sequence limits to try.");
    static final Field MAX_NUM_BATCHED_TOKENS = Field.counts("max_num_batched_tokens", Schema.STEP_TOKENS)
            .example("max_num_batched_tokens 2048, 8192")
            .doc("Step token budgets to try (the engine's max_num_batched_tokens, SGLang chunked_prefill_size, TensorRT-LLM max_num_tokens).");
    static final Field KV_DTYPE = Field.word("kv_dtype", "bf16", "fp16", "fp8").example("kv_dtype bf16, fp8").doc("KV cache dtypes to try.");
    static final Field DP_ATTENTION = Field.word("dp_attention", "true", "false").example("dp_attention true, false")
            .doc("Whether to try attention data parallelism.");

    static final Field DISAGGREGATED = Field.word("disaggregated", "true", "false").example("disaggregated false, true")
            .doc("Whether to try the GPUs split into prefill and decode pools (true) beside one aggregated plan (false); absent: aggregated only.");
    static final Field PREFILL_INSTANCES = Field.counts("prefill_instances", Schema.PREFILL_INSTANCES).example("prefill_instances 1, 2")
            .doc("How many of a split's engine instances prefill; absent: every split that leaves one or more to decode (of 16 instances or fewer; of more, the 15 splits at sixteenths).");

    static final FieldTable EXPLORE_FIELDS = FieldTable.of("search.explore", degrees("dp", "Data-parallel replicas to try."),
            degrees("tp", "Tensor-parallel degrees to try."), degrees("pp", "Pipeline stages to try."),
            degrees("ep", "Expert-parallel degrees to try."), MAX_NUM_SEQS, MAX_NUM_BATCHED_TOKENS, KV_DTYPE, DP_ATTENTION,
            DISAGGREGATED, PREFILL_INSTANCES);

    private final Resolver r;
    private final Diagnostics diags;

    SearchResolver(Resolver r, Diagnostics diags) {
        this.r = r;
        this.diags = diags;
    }

    Search resolve(Resolver.Located l) {
        Decl d = l.decl();
        Module m = l.module();
        Allows.Read allowed = Allows.read(Resolver.what(d), d.body(), diags);
        Fields f = new Fields(Resolver.what(d), d.name().span(), allowed.rest(), FIELDS, diags);
        Map<String, Span> spans = new HashMap<>();
        Model model = r.ref(m, "model", f.name(PlanResolver.MODEL), Model.class);
        Cluster cluster = r.ref(m, "cluster", f.name(PlanResolver.CLUSTER), Cluster.class);
        Workload workload = r.ref(m, "workload", f.name(PlanResolver.WORKLOAD), Workload.class);
        EngineBlock engine = Engines.engine(f, spans, diags, false);
        List<Slo> slos = Slos.slos(f, diags);
        String objective = f.word(OBJECTIVE);
        Map<String, List<String>> explore = new TreeMap<>();
        Entry ex = f.entry(EXPLORE);
        if (ex != null && ex.body() != null) {
            Fields ef = new Fields("explore", ex.span(), ex.body(), EXPLORE_FIELDS, diags);
            for (Field k : GpuResolver.sorted(EXPLORE_FIELDS)) {
                Entry e = ef.entry(k);
                if (e == null) continue;
                List<String> vals = new ArrayList<>();
                for (Seq s : e.values()) {
                    for (Value v : s.items()) {
                        if (k.type() == Field.Type.WORD) {
                            String w = ef.word(v, k.name(), Set.copyOf(k.choices()));
                            if (w != null) vals.add(w);
                        } else {
                            Long n = ef.integer(v, k.name(), (long) k.min(), (long) k.max());
                            if (n != null) vals.add(String.valueOf(n));
                        }
                    }
                }
                explore.put(k.name(), vals);
            }
        }
        Deploy deploy = Deployments.deploy(f, spans, model, diags);
        Map<String, Double> tuning = Engines.tuning(f, diags);
        if (model == null || cluster == null || workload == null || engine == null || deploy == null && f.has(PlanResolver.DEPLOY)) return null;
        // the candidates' profile, as a plan that names none gets it
        EfficiencyProfile eff = EfficiencyProfile.select(r.stdEfficiencies(d.name().span()), cluster.gpu().name(), engine.kind());
        return new Search(d.name().text(), l.module().id(), model, cluster, workload, engine, slos,
                objective == null ? "throughput" : objective, explore, deploy, tuning, spans, d.name().span(), allowed.allows(), eff);
    }
}
