package dev.shardplan.emit;

import dev.shardplan.layout.Shard;
import dev.shardplan.layout.Rank;
import dev.shardplan.layout.Range;
import dev.shardplan.layout.GroupKind;
import dev.shardplan.layout.Group;
import dev.shardplan.engine.MemoryBudget;
import dev.shardplan.diag.Version;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.shardplan.diag.Diagnostic;
import dev.shardplan.diag.Jsons;
import dev.shardplan.engine.EngineJson;
import dev.shardplan.engine.EngineConfig;
import dev.shardplan.model.Mla;
import dev.shardplan.model.Model;
import dev.shardplan.model.Moe;
import dev.shardplan.model.Plan;
import dev.shardplan.model.Quantization;
import dev.shardplan.model.RopeScaling;
import dev.shardplan.model.Routing;

import java.util.List;
import java.util.Map;

/**
 * plan.json, the compiled plan in the format of docs/plan-ir.md (schema docs/plan.schema.json):
 * built as a Jackson tree and written with sorted keys. It is always emitted.
 */
public final class PlanJsonEmitter {
    /** Format version of plan.json; bumped on an incompatible change. */
    public static final int FORMAT_VERSION = 1;

    private static final JsonNodeFactory F = JsonNodeFactory.instance;

    private PlanJsonEmitter() {}

    public static List<Diagnostic> check(EmitInput in) {
        return List.of();
    }

    public static List<OutputFile> emit(EmitInput in) {
        return emit(in, false);
    }

    /** plan.json; with {@code shim} it names the shim archive the compile writes next to the plans, with its SHA-256. */
    public static List<OutputFile> emit(EmitInput in, boolean shim) {
        return emit(in, shim, java.util.Set.of());
    }

    /**
     * plan.json; {@code foreign} are the other engines the plan's targets launch, each written
     * under "launch" with the settings carried to it and how (docs/emit.md).
     */
    public static List<OutputFile> emit(EmitInput in, boolean shim, java.util.Set<dev.shardplan.model.EngineKind> foreign) {
        ObjectNode root = tree(in);
        if (!foreign.isEmpty()) {
            ObjectNode launch = root.putObject("launch");
            for (dev.shardplan.model.EngineKind k : new java.util.TreeSet<>(foreign)) {
                EngineArgs ea = EngineArgs.of(in, k);
                launch.set(k.id(), EngineJson.carried(new dev.shardplan.engine.Translation.Carried(ea.cfg(), ea.carried(), ea.notCarried())));
            }
        }
        if (shim) {
            ObjectNode s = root.putObject("shim");
            s.put("archive", "../" + ShimArchive.fileName());
            s.put("sha256", ShimArchive.get().sha256());
        }
        return List.of(OutputFile.text("plan.json", Jsons.canonical(root)));
    }

    static ObjectNode tree(EmitInput in) {
        Plan plan = in.plan();
        ObjectNode root = F.objectNode();
        root.put("format", "shardplan-plan");
        root.put("version", FORMAT_VERSION);
        root.put("compiler", Version.VERSION);
        root.put("plan", plan.name());
        root.put("source", in.source());
        root.set("model", model(plan, in.engine()));
        ObjectNode par = root.putObject("parallel");
        par.put("dp", plan.parallel().dp());
        par.put("tp", plan.parallel().tp());
        par.put("pp", plan.parallel().pp());
        par.put("ep", Math.max(1, plan.parallel().ep()));
        par.put("world_size", plan.parallel().worldSize());
        if (plan.disaggregated()) root.set("pools", pools(plan));
        root.set("engine", EngineJson.of(in.engine(), plan.parallel()));
        ArrayNode ranks = root.putArray("ranks");
        for (Rank r : in.layout().ranks()) ranks.add(rank(in, r));
        ObjectNode groups = root.putObject("groups");
        for (GroupKind k : GroupKind.values()) {
            List<Group> gs = in.layout().groups(k);
            // plan-ir.md: without expert parallelism the ranks that share a MoE layer's experts are the TP group.
            if (k == GroupKind.EP && gs.isEmpty()) gs = in.layout().groups(GroupKind.TP);
            ArrayNode outer = groups.putArray(k.id());
            for (Group grp : gs) {
                ArrayNode a = outer.addArray();
                grp.ranks().forEach(a::add);
            }
        }
        if (in.predictions() != null) root.set("predictions", in.predictions().deepCopy());
        return root;
    }

    /**
     * The model section: every architecture field the runtime shim needs to build the model as its
     * family defines it (docs/plan-ir.md describes each key); the KV dtype is the engine's.
     */
    private static ObjectNode model(Plan plan, EngineConfig cfg) {
        Model m = plan.model();
        ObjectNode o = F.objectNode();
        o.put("name", m.name());
        o.put("family", m.family().id());
        o.put("layers", m.layers());
        o.put("hidden", m.hidden());
        o.put("heads", m.heads());
        o.put("kv_heads", m.kvHeads());
        o.put("head_dim", m.headDim());
        o.put("ffn", m.ffn());
        o.put("vocab", m.vocab());
        o.put("tied_embeddings", m.tiedEmbeddings());
        o.put("attention", m.attention().id());
        o.put("qkv_bias", m.qkvBias());
        o.put("o_bias", m.oBias());
        o.put("qk_norm", m.qkNorm());
        o.put("attention_sinks", m.attentionSinks());
        o.put("sliding_window", m.slidingWindow());
        ArrayNode types = o.putArray("layer_types");
        for (int i = 0; i < m.layers(); i++) types.add(m.isSlidingLayer(i) ? "sliding_attention" : "full_attention");
        o.put("swiglu_limit", m.swigluLimit());
        Mla mla = m.mla();
        if (mla == null || !m.isMla()) o.putNull("mla");
        else {
            ObjectNode x = o.putObject("mla");
            x.put("q_lora_rank", mla.qLoraRank());
            x.put("kv_lora_rank", mla.kvLoraRank());
            x.put("qk_nope_head_dim", mla.qkNopeHeadDim());
            x.put("qk_rope_head_dim", mla.qkRopeHeadDim());
            x.put("v_head_dim", mla.vHeadDim());
            x.put("index_topk", mla.indexTopK());
            x.put("index_head_dim", mla.indexHeadDim());
        }
        Moe moe = m.moe();
        if (moe == null) o.putNull("moe");
        else {
            ObjectNode x = o.putObject("moe");
            x.put("experts", moe.experts());
            x.put("shared_experts", moe.sharedExperts());
            x.put("shared_ffn", moe.sharedFfn());
            x.put("top_k", moe.topK());
            x.put("expert_ffn", moe.expertFfn());
            x.put("dense_layers", moe.denseLayers());
            x.put("expert_bias", moe.expertBias());
            x.put("router_bias", moe.routerBias());
            x.put("shared_expert_gate", moe.sharedExpertGate());
            Routing rt = moe.routing();
            x.put("scoring", rt.scoring().id());
            x.put("norm_topk_prob", rt.normTopKProb());
            x.put("n_group", rt.nGroup());
            x.put("topk_group", rt.topkGroup());
            x.put("correction_bias", rt.correctionBias());
            x.put("routed_scaling_factor", rt.routedScalingFactor());
        }
        o.put("rope_theta", m.ropeTheta());
        o.put("rope_interleave", m.ropeInterleave());
        RopeScaling rs = m.ropeScaling();
        if (rs == null) o.putNull("rope_scaling");
        else {
            ObjectNode x = o.putObject("rope_scaling");
            x.put("type", rs.kind().id());
            x.put("factor", rs.factor());
            switch (rs.kind()) {
                case LINEAR -> { }
                case LLAMA3 -> {
                    x.put("original_max_position", rs.originalMaxPosition());
                    x.put("low_freq_factor", rs.lowFreqFactor());
                    x.put("high_freq_factor", rs.highFreqFactor());
                }
                case YARN -> {
                    x.put("original_max_position", rs.originalMaxPosition());
                    x.put("beta_fast", rs.betaFast());
                    x.put("beta_slow", rs.betaSlow());
                    x.put("mscale", rs.mscale());
                    x.put("mscale_all_dim", rs.mscaleAllDim());
                    x.put("truncate", rs.truncate());
                }
            }
        }
        o.put("dtype", m.dtype().id());
        o.put("weight_dtype", m.quant() != null ? m.quant().weights().id() : m.dtype().id());
        Quantization q = m.quant();
        if (q == null || !q.covers("experts", m.dtype()) && !q.covers("attention", m.dtype()) && !q.covers("dense_ffn", m.dtype())
                && !q.covers("shared_experts", m.dtype())) o.putNull("quantization");
        else {
            ObjectNode x = o.putObject("quantization");
            x.put("scheme", q.scheme());
            x.put("weights", q.weights().id());
            x.put("block", q.blockSize());
            x.put("group", q.groupSize());
            ArrayNode parts = x.putArray("parts");
            for (String part : Quantization.PARTS) if (q.covers(part, m.dtype())) parts.add(part);
        }
        o.put("kv_dtype", cfg.kvDtype().id());
        o.put("norm_eps", m.normEps());
        o.put("params_total", m.totalParams());
        o.put("params_active", m.activeParams(true));
        return o;
    }

    private static ObjectNode rank(EmitInput in, Rank r) {
        ObjectNode o = F.objectNode();
        int node = Math.max(0, r.node());
        Shard s = r.shard();
        o.put("rank", r.rank());
        o.put("node", node);
        o.put("local_gpu", Math.max(0, r.localGpu()));
        o.put("host", in.host(node));
        o.put("dp", r.dp());
        o.put("pp", r.pp());
        o.put("tp", r.tp());
        o.put("ep", r.ep());
        range(o, "layers", s.layers());
        range(o, "q_heads", s.qHeads());
        range(o, "kv_heads", s.kvHeads());
        range(o, "ffn", s.ffn());
        ArrayNode ex = o.putArray("experts");
        for (int e = s.experts().start(); e < s.experts().end(); e++) ex.add(e);
        range(o, "expert_ffn", s.expertFfn());
        range(o, "shared_ffn", s.sharedFfn());
        range(o, "vocab", s.vocab());
        MemoryBudget m = in.memory(r.rank());
        ObjectNode mem = o.putObject("memory");
        mem.put("total", m.total());
        mem.put("weights", m.weights());
        mem.put("activation", m.activation());
        mem.put("non_torch", m.nonTorch());
        mem.put("cuda_graph", m.cudaGraph());
        mem.put("kv_pool", m.kvPool());
        mem.put("kv_blocks", m.kvBlocks());
        mem.put("kv_tokens", m.kvBlocks() * m.blockSize());
        return o;
    }

    private static void range(ObjectNode o, String key, Range r) {
        ArrayNode a = o.putArray(key);
        a.add(r.start());
        a.add(r.end());
    }

    /**
     * A disaggregated plan's pools: each pool's instance layout, its instances' first GPUs on the
     * cluster, and the connector (the engine's own value). parallel, engine, ranks and groups
     * describe one decode instance.
     */
    private static ObjectNode pools(dev.shardplan.model.Plan plan) {
        var d = plan.disagg();
        ObjectNode o = JsonNodeFactory.instance.objectNode();
        for (var pool : java.util.List.of(d.prefill(), d.decode())) {
            ObjectNode x = o.putObject(pool.role().id());
            x.put("replicas", pool.replicas());
            ObjectNode par = x.putObject("parallel");
            par.put("dp", pool.parallel().dp());
            par.put("tp", pool.parallel().tp());
            par.put("pp", pool.parallel().pp());
            par.put("ep", Math.max(1, pool.parallel().ep()));
            par.put("world_size", pool.parallel().worldSize());
            ArrayNode first = x.putArray("first_gpus");
            for (int i = 0; i < pool.replicas(); i++) first.add(d.firstGpu(pool.role(), i));
        }
        ObjectNode t = o.putObject("kv_transfer");
        t.put("connector", d.connector());
        t.put("engine_value", dev.shardplan.engine.KvConnectors.find(plan.engine().kind(), d.connector())
                .map(dev.shardplan.engine.KvConnectors.Connector::engineValue).orElseThrow());
        return o;
    }
}
