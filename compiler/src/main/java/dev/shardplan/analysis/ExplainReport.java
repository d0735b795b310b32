package dev.shardplan.analysis;

import dev.shardplan.units.Fmt;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.shardplan.diag.Jsons;
import dev.shardplan.engine.Effective;
import dev.shardplan.engine.EngineJson;
import dev.shardplan.engine.KvGroups;
import dev.shardplan.engine.MemoryBudget;
import dev.shardplan.model.Derivation;
import dev.shardplan.graph.GraphSummary;
import dev.shardplan.layout.Group;
import dev.shardplan.layout.GroupKind;
import dev.shardplan.layout.Range;
import dev.shardplan.layout.Rank;
import dev.shardplan.layout.RankLayout;
import dev.shardplan.layout.Shard;
import dev.shardplan.layout.WeightBytes;
import dev.shardplan.model.Plan;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Renders an analysis for {@code shardplan explain PLAN}: per-rank tables (memory breakdown, KV
 * capacity at the workload's length percentiles, communication per step), as text or canonical
 * JSON; with {@code derivation} every figure comes with its formula, numbers and source.
 */
public final class ExplainReport {
    private ExplainReport() {}

    // ------------------------------------------------------------------ human

    public static String human(PlanAnalysis a, boolean derivation) {
        StringBuilder sb = new StringBuilder();
        if (a.pools() != null) sb.append(PoolsReport.human(a.pools()));
        Plan p = a.plan();
        RankLayout l = a.layout();
        GraphSummary g = a.graph();
        sb.append("plan ").append(p.name()).append(": model ").append(p.model().name()).append(" on cluster ")
                .append(p.cluster().name()).append(" (").append(p.cluster().nodes()).append(" x ").append(p.cluster().node().name())
                .append("), engine ").append(a.engine().release().label()).append(a.engine().releaseFromPlan() ? "" : " (newest supported)").append('\n');
        sb.append("device graph: ").append(g.gpus()).append(" gpus in ").append(g.nodes()).append(" nodes, ")
                .append(g.fabric().id()).append(" domains of ").append(g.domainGpus()).append(" gpus (")
                .append(g.domains()).append(" domains), ").append(g.nics()).append(" nics; ")
                .append(g.vertices()).append(" vertices, ").append(g.edges()).append(" edges\n");
        sb.append("layout: dp ").append(l.dp()).append(" x pp ").append(l.pp()).append(" x tp ").append(l.tp())
                .append(" = ").append(l.worldSize()).append(" ranks, ").append(a.engine().kind().id())
                .append(" order (global = dp*(pp*tp) + pp*tp + tp)").append(l.explicitPlacement() ? ", explicit placement" : "");
        if (p.model().moe() != null) sb.append("; moe: ").append(l.moeGroupSize()).append(" ranks share each layer's experts (ep ")
                .append(l.epSize()).append(" x expert-tp ").append(l.moeTp()).append(")");
        sb.append('\n').append("stages: ");
        List<String> st = new ArrayList<>();
        for (Range r : l.stages()) st.add(r.toString());
        sb.append(String.join(" ", st)).append("\n\n");

        sb.append("engine settings (").append(a.engine().release().label()).append(")\n");
        Table et = new Table("setting", "value", "set by", "rule");
        for (Effective e : a.engine().values()) et.row(e.name(), String.valueOf(e.value()), e.origin().id(), e.why());
        sb.append(et.render()).append('\n');

        sb.append("ranks (memory in GiB)\n");
        Table t = new Table("rank", "gpu", "node", "dp", "pp", "tp", "ep", "layers", "q heads", "kv heads", "ffn", "experts",
                "vocab", "weights", "activ", "non-torch", "graphs", "kv pool", "blocks");
        for (Rank r : l.ranks()) {
            Shard s = r.shard();
            MemoryBudget m = a.memory(r.rank());
            t.row(String.valueOf(r.rank()), r.placed() ? String.valueOf(r.gpu()) : "-", r.placed() ? String.valueOf(r.node()) : "-",
                    String.valueOf(r.dp()), String.valueOf(r.pp()), String.valueOf(r.tp()), String.valueOf(r.ep()),
                    s.layers().toString(), s.qHeads().toString(), s.kvHeads().isEmpty() ? "latent" : s.kvHeads().toString(),
                    s.ffn().isEmpty() ? "-" : s.ffn().toString(), s.experts().isEmpty() ? "-" : s.experts().toString(),
                    s.vocab().isEmpty() ? "-" : s.vocab().toString(), gib(m.weights()), gib(m.activation()), gib(m.nonTorch()),
                    gib(m.cudaGraph()), gib(m.kvPool()), Fmt.num(m.kvBlocks()));
        }
        sb.append(t.render()).append('\n');

        KvCapacity kv = a.kv();
        sb.append("kv cache per replica (clamped to rank ").append(kv.limitingRank()).append("): ").append(Fmt.num(kv.blocks()))
                .append(" blocks").append(kv.groups().count() > 1 ? " / " + kv.groups().count() + " kv cache groups" : "")
                .append(" x ").append(kv.blockSize()).append(" = ").append(Fmt.num(kv.tokens())).append(" tokens, ")
                .append(Fmt.num(kv.bytesPerToken())).append(" B/token; ").append(kv.replicas()).append(" replica")
                .append(kv.replicas() == 1 ? "" : "s").append(", ").append(Fmt.num(kv.totalTokens())).append(" tokens in all\n");
        Table c = new Table("length", "tokens", "blocks/seq", "sequences/replica", "sequences total");
        for (SeqCapacity s : kv.at()) c.row(s.label(), Fmt.num(s.length()), Fmt.num(s.blocksPerSeq()), Fmt.num(s.sequences()),
                Fmt.num(s.sequences() * kv.replicas()));
        sb.append(c.render()).append('\n');
        if (kv.offload() != null) {
            KvCapacity.Offload o = kv.offload();
            sb.append("kv offload to host memory: ").append(gib(o.bytesPerRank())).append(" GiB per rank = ").append(Fmt.num(o.tokens()))
                    .append(" tokens per replica (").append(Fmt.num(kv.bytesPerToken())).append(" B/token); holds");
            for (SeqCapacity s : o.at()) sb.append(' ').append(Fmt.num(s.sequences())).append(" at ").append(s.label());
            sb.append(" (preempted and cached sequences wait there instead of being recomputed; running sequences stay in the GPU pool)\n");
        }

        Interconnect ic = a.interconnect();
        sb.append("communicator groups (slowest of each kind, all groups of a kind active at once)\n");
        Table gt = new Table("group", "count", "size", "bandwidth", "latency", "domains", "nodes", "network", "bottleneck");
        for (GroupKind k : GroupKind.values()) {
            List<Group> gs = l.groups(k);
            if (gs.isEmpty()) continue;
            GroupCost w = InterconnectModel.worst(ic.groups(), k);
            if (w == null) {
                gt.row(k.id(), String.valueOf(gs.size()), String.valueOf(gs.get(0).size()), "-", "-", "-", "-", "-", "no traffic");
                continue;
            }
            gt.row(k.id(), String.valueOf(gs.size()), String.valueOf(w.size()), Fmt.gbps(w.bandwidth()), Fmt.us(w.latency()),
                    String.valueOf(w.domains()), String.valueOf(w.nodes()), w.overNetwork() ? "yes" : "no", w.bottleneck());
        }
        sb.append(gt.render()).append('\n');
        step(sb, "decode step (" + ic.decodeBatch() + " sequences per replica, mean context "
                + Fmt.num(Math.round(ic.decodeContext())) + " tokens)", ic.decode(), ic.decodeStep(), derivation);
        step(sb, "prefill chunk (" + ic.prefillStep().tokens() + " tokens)", ic.prefill(), ic.prefillStep(), derivation);

        if (derivation) {
            sb.append("derivation\n");
            Map<MemoryBudget, Boolean> seen = new IdentityHashMap<>();
            for (Rank r : l.ranks()) {
                MemoryBudget m = a.memory(r.rank());
                if (seen.put(m, Boolean.TRUE) != null) continue;
                sb.append("  rank ").append(r.rank()).append(" (stage ").append(m.stage()).append(", and every rank with the same shard)\n");
                WeightBytes w = m.weightParts();
                sb.append("    weights = attention ").append(w.attention()).append(" + ffn ").append(w.ffn()).append(" + experts ")
                        .append(w.experts()).append(" + shared ").append(w.sharedExperts()).append(" + router ").append(w.router())
                        .append(" + norms ").append(w.norms()).append(" + embedding ").append(w.embedding()).append(" + lm head ")
                        .append(w.lmHead()).append(" = ").append(w.total()).append(" B\n");
                for (Derivation d : m.derivation()) {
                    sb.append("    ").append(d.quantity()).append(" = ").append(d.formula()).append('\n')
                            .append("      = ").append(d.numbers()).append('\n')
                            .append("      [").append(d.source()).append("]\n");
                }
            }
            KvGroups kg = a.kv().groups();
            if (kg.hybrid()) {
                sb.append("  sequences at length L = blocks // (").append(kg.fullGroups()).append(" x ceil(L / block_size) + ")
                        .append(kg.slidingGroups()).append(" x (ceil(min(").append(kg.slidingTokens())
                        .append(" = window - 1 + max_num_batched_tokens, L) / block_size) + 1)) (vllm kv_cache_interface.py SlidingWindowSpec, kv_cache_utils max concurrency)\n");
            } else {
                sb.append("  sequences at length L = blocks // ceil(L / block_size) (vllm kv_cache_utils max concurrency)\n");
            }
        }
        return sb.toString();
    }

    private static void step(StringBuilder sb, String title, List<Collective> cs, StepCost s, boolean derivation) {
        sb.append(title).append(": compute ").append(Fmt.ms(s.computeSeconds())).append(" (roofline: ")
                .append(gib(s.hbmBytes())).append(" GiB read, ").append(Fmt.dec(s.flops() / 1e12, 2)).append(" TFLOP), collectives ")
                .append(Fmt.ms(s.commSeconds())).append(" (").append(Fmt.pct(s.commShare())).append(" of the step; network ")
                .append(Fmt.pct(s.networkShare())).append(")\n");
        if (cs.isEmpty()) {
            sb.append("  no collectives\n\n");
            return;
        }
        Table t = new Table("collective", "per step", "message", "wire/rank", "bandwidth", "latency", "time", "network");
        for (Collective c : cs) t.row(c.name(), String.valueOf(c.count()), Fmt.num(c.messageBytes()) + " B",
                Fmt.num(c.wireBytesPerRank()) + " B", Fmt.gbps(c.bandwidth()), Fmt.us(c.latency()),
                Double.isFinite(c.seconds()) ? Fmt.ms(c.seconds()) : "no route", c.overNetwork() ? "yes" : "no");
        sb.append(t.render());
        if (derivation) for (Collective c : cs) sb.append("  ").append(c.name()).append(": ").append(c.formula()).append('\n');
        sb.append('\n');
    }

    private static String gib(double bytes) {
        return Fmt.dec(bytes / (1024.0 * 1024 * 1024), 2);
    }

    /** A left-aligned text table. */
    static final class Table {
        private final String[] head;
        private final List<String[]> rows = new ArrayList<>();

        Table(String... head) {
            this.head = head;
        }

        void row(String... cells) {
            rows.add(cells);
        }

        String render() {
            int[] w = new int[head.length];
            for (int i = 0; i < head.length; i++) w[i] = head[i].length();
            for (String[] r : rows) for (int i = 0; i < r.length; i++) w[i] = Math.max(w[i], r[i].length());
            StringBuilder sb = new StringBuilder();
            line(sb, head, w);
            for (String[] r : rows) line(sb, r, w);
            return sb.toString();
        }

        private static void line(StringBuilder sb, String[] cells, int[] w) {
            StringBuilder l = new StringBuilder("  ");
            for (int i = 0; i < cells.length; i++) {
                l.append(cells[i]);
                if (i + 1 < cells.length) l.append(" ".repeat(w[i] - cells[i].length() + 2));
            }
            sb.append(l.toString().stripTrailing()).append('\n');
        }
    }

    // ------------------------------------------------------------------ json

    public static String json(PlanAnalysis a, boolean derivation) {
        return Jsons.canonical(tree(a, derivation));
    }

    /** The JSON tree (keys sorted on output). */
    public static ObjectNode tree(PlanAnalysis a, boolean derivation) {
        ObjectNode root = Jsons.MAPPER.createObjectNode();
        Plan p = a.plan();
        RankLayout l = a.layout();
        root.put("plan", p.name());
        root.put("model", p.model().name());
        root.put("cluster", p.cluster().name());
        root.set("engine", EngineJson.of(a.engine()));
        GraphSummary g = a.graph();
        ObjectNode gn = root.putObject("graph");
        gn.put("gpus", g.gpus()).put("nodes", g.nodes()).put("gpus_per_node", g.gpusPerNode()).put("fabric", g.fabric().id())
                .put("domain_gpus", g.domainGpus()).put("domains", g.domains()).put("switches", g.switches()).put("nics", g.nics())
                .put("vertices", g.vertices()).put("edges", g.edges());
        num(gn, "scale_up_bandwidth", g.scaleUpBandwidth());
        num(gn, "nic_bandwidth", g.nicBandwidth());
        ObjectNode ln = root.putObject("parallel");
        ln.put("dp", l.dp()).put("pp", l.pp()).put("tp", l.tp()).put("ep_size", l.epSize()).put("moe_tp", l.moeTp())
                .put("moe_group", l.moeGroupSize()).put("world_size", l.worldSize()).put("order", a.engine().kind().id())
                .put("explicit_placement", l.explicitPlacement()).put("padded_vocab", l.paddedVocab());
        ArrayNode stages = ln.putArray("stages");
        for (Range r : l.stages()) stages.add(range(r));
        ArrayNode ranks = root.putArray("ranks");
        for (Rank r : l.ranks()) {
            ObjectNode rn = ranks.addObject();
            Shard s = r.shard();
            rn.put("rank", r.rank()).put("gpu", r.gpu()).put("node", r.node()).put("local_gpu", r.localGpu())
                    .put("dp", r.dp()).put("pp", r.pp()).put("tp", r.tp()).put("ep", r.ep());
            rn.set("layers", range(s.layers()));
            rn.set("q_heads", range(s.qHeads()));
            rn.set("kv_heads", range(s.kvHeads()));
            rn.set("ffn", range(s.ffn()));
            rn.set("experts", range(s.experts()));
            rn.set("expert_ffn", range(s.expertFfn()));
            rn.set("shared_ffn", range(s.sharedFfn()));
            rn.set("vocab", range(s.vocab()));
            MemoryBudget m = a.memory(r.rank());
            ObjectNode mn = rn.putObject("memory");
            mn.put("total", m.total()).put("usable", m.usable()).put("weights", m.weights()).put("activation", m.activation())
                    .put("non_torch", m.nonTorch()).put("cuda_graph", m.cudaGraph()).put("kv_pool", m.kvPool())
                    .put("kv_blocks", m.kvBlocks()).put("kv_tokens", m.kvBlocks() / a.kv().groups().count() * m.blockSize())
                    .put("page_bytes", m.pageBytes()).put("kv_bytes_per_token", m.kvBytesPerToken());
            num(mn, "fraction", m.fraction());
            WeightBytes w = m.weightParts();
            mn.putObject("weight_parts").put("attention", w.attention()).put("ffn", w.ffn()).put("experts", w.experts())
                    .put("shared_experts", w.sharedExperts()).put("router", w.router()).put("norms", w.norms())
                    .put("embedding", w.embedding()).put("lm_head", w.lmHead()).put("scales", w.scales()).put("params", w.params());
            if (derivation) {
                ArrayNode dn = mn.putArray("derivation");
                for (Derivation d : m.derivation()) dn.addObject().put("quantity", d.quantity()).put("formula", d.formula())
                        .put("numbers", d.numbers()).put("source", d.source());
            }
        }
        ObjectNode groups = root.putObject("groups");
        for (GroupKind k : GroupKind.values()) {
            ArrayNode arr = groups.putArray(k.id());
            for (Group gr : l.groups(k)) {
                ArrayNode x = arr.addArray();
                for (int r : gr.ranks()) x.add(r);
            }
        }
        ArrayNode costs = root.putArray("group_costs");
        for (GroupCost c : a.interconnect().groups()) {
            ObjectNode cn = costs.addObject();
            cn.put("kind", c.kind().id()).put("index", c.index()).put("size", c.size()).put("domains", c.domains())
                    .put("nodes", c.nodes()).put("over_network", c.overNetwork()).put("bottleneck", c.bottleneck());
            num(cn, "bandwidth", c.bandwidth());
            num(cn, "latency", c.latency());
        }
        KvCapacity kv = a.kv();
        ObjectNode kn = root.putObject("kv");
        kn.put("blocks", kv.blocks()).put("block_size", kv.blockSize()).put("tokens", kv.tokens())
                .put("bytes_per_token", kv.bytesPerToken()).put("limiting_rank", kv.limitingRank())
                .put("replicas", kv.replicas()).put("total_tokens", kv.totalTokens());
        if (kv.groups().hybrid()) {
            kn.putObject("groups").put("full", kv.groups().fullGroups()).put("sliding_window", kv.groups().slidingGroups())
                    .put("layers_per_group", kv.groups().groupSize()).put("window", kv.groups().window())
                    .put("sliding_tokens", kv.groups().slidingTokens());
        }
        ArrayNode at = kn.putArray("capacity");
        for (SeqCapacity s : kv.at()) at.addObject().put("label", s.label()).put("length", s.length())
                .put("blocks_per_seq", s.blocksPerSeq()).put("sequences", s.sequences());
        if (kv.offload() != null) {
            ObjectNode on = kn.putObject("offload");
            on.put("bytes_per_rank", kv.offload().bytesPerRank()).put("tokens", kv.offload().tokens());
            ArrayNode oa = on.putArray("capacity");
            for (SeqCapacity s : kv.offload().at()) oa.addObject().put("label", s.label()).put("length", s.length()).put("sequences", s.sequences());
        }
        Interconnect ic = a.interconnect();
        ObjectNode in = root.putObject("interconnect");
        in.put("decode_batch", ic.decodeBatch());
        num(in, "decode_context", ic.decodeContext());
        in.set("decode", collectives(ic.decode(), derivation));
        in.set("prefill", collectives(ic.prefill(), derivation));
        in.set("decode_step", stepNode(ic.decodeStep()));
        in.set("prefill_step", stepNode(ic.prefillStep()));
        ArrayNode diags = root.putArray("diagnostics");
        for (var d : a.diagnostics()) diags.addObject().put("code", d.code().id()).put("severity", d.severity().label())
                .put("message", d.message()).put("help", d.help());
        return root;
    }

    private static ArrayNode collectives(List<Collective> cs, boolean derivation) {
        ArrayNode arr = Jsons.MAPPER.createArrayNode();
        for (Collective c : cs) {
            ObjectNode n = arr.addObject();
            n.put("name", c.name()).put("group", c.group().id()).put("count", c.count()).put("message_bytes", c.messageBytes())
                    .put("wire_bytes_per_rank", c.wireBytesPerRank()).put("over_network", c.overNetwork());
            num(n, "bandwidth", c.bandwidth());
            num(n, "latency", c.latency());
            num(n, "seconds", c.seconds());
            if (derivation) n.put("formula", c.formula());
        }
        return arr;
    }

    private static ObjectNode stepNode(StepCost s) {
        ObjectNode n = Jsons.MAPPER.createObjectNode();
        n.put("phase", s.phase()).put("tokens", s.tokens());
        num(n, "hbm_bytes", s.hbmBytes());
        num(n, "flops", s.flops());
        num(n, "compute_seconds", s.computeSeconds());
        num(n, "comm_seconds", s.commSeconds());
        num(n, "network_seconds", s.networkSeconds());
        num(n, "comm_share", s.commShare());
        num(n, "network_share", s.networkShare());
        return n;
    }

    private static ArrayNode range(Range r) {
        ArrayNode a = Jsons.MAPPER.createArrayNode();
        a.add(r.start()).add(r.end());
        return a;
    }

    private static void num(ObjectNode n, String k, double v) {
        if (Double.isFinite(v)) n.put(k, v);
        else n.putNull(k);
    }
}
