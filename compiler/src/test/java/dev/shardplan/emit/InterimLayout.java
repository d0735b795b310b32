package dev.shardplan.emit;

import dev.shardplan.model.DType;
import dev.shardplan.model.EngineKind;
import dev.shardplan.model.Model;
import dev.shardplan.model.Parallel;
import dev.shardplan.model.Plan;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A test oracle: the rank layout and a first-order memory budget derived from the plan alone,
 * independently of the analysis stage, following docs/plan-ir.md (vLLM's rank order, even PP
 * split, vocabulary padding and linear expert placement; weights only, activation, CUDA graph and
 * non-torch memory left at 0). AnalysisLayoutTest checks the analysis stage against it.
 */
final class InterimLayout {
    /** The oracle's rank table and communicator groups, as plan.json writes them. */
    record Layout(int gpusPerNode, List<Rank> ranks, Map<String, List<List<Integer>>> groups) {}

    /** A half-open range [start, end). */
    record Range(long start, long end) {
        long size() {
            return end - start;
        }
    }

    /** Bytes per GPU; kv_blocks and kv_tokens are counts. */
    record Memory(long total, long weights, long activation, long nonTorch, long cudaGraph, long kvPool, long kvBlocks, long kvTokens) {}

    /** One rank: where it runs, its coordinates, its shard and its memory. */
    record Rank(int rank, int node, int localGpu, String host, int dp, int pp, int tp, int ep, Range layers, Range qHeads,
                Range kvHeads, Range ffn, List<Integer> experts, Range expertFfn, Range sharedFfn, Range vocab, Memory memory) {}

    /** vLLM pads the vocabulary to a multiple of 64 (DEFAULT_VOCAB_PADDING_SIZE, vocab_parallel_embedding.py). */
    static final int VOCAB_PADDING = 64;

    private InterimLayout() {}

    public static Layout of(Plan plan) {
        Parallel par = plan.parallel();
        Model m = plan.model();
        int dp = par.dp(), tp = par.tp(), pp = par.pp(), ep = Math.max(1, par.ep());
        int gpn = plan.cluster().node().gpus();
        int[] split = layerSplit(m.layers(), pp, par.layerSplit());
        long paddedVocab = ceilDiv(m.vocab(), VOCAB_PADDING) * VOCAB_PADDING;
        long vocabPerRank = ceilDiv(paddedVocab, tp);

        List<Rank> ranks = new ArrayList<>();
        for (int d = 0; d < dp; d++) {
            for (int p = 0; p < pp; p++) {
                for (int t = 0; t < tp; t++) {
                    int g = global(d, p, t, tp, pp);
                    int gpu = par.placement().isEmpty() ? g : par.placement().get(g);
                    int node = gpu / gpn;
                    String host = plan.deploy() != null && node < plan.deploy().hosts().size()
                            ? plan.deploy().hosts().get(node) : "node" + node;
                    int layerStart = 0;
                    for (int i = 0; i < p; i++) layerStart += split[i];
                    Range layers = new Range(layerStart, layerStart + split[p]);
                    Range q = slice(m.heads(), tp, t);
                    Range kv = m.kvHeads() >= tp ? slice(m.kvHeads(), tp, t)
                            : new Range((long) t * m.kvHeads() / tp, (long) t * m.kvHeads() / tp + 1);
                    Range ffn = slice(m.ffn(), tp, t);
                    int epIndex = ep > 1 ? (d * tp + t) % ep : 0;
                    List<Integer> experts = experts(m, ep, epIndex);
                    boolean holdsVocab = p == 0 || p == pp - 1;
                    Range vocab = holdsVocab
                            ? new Range(Math.min(paddedVocab, t * vocabPerRank), Math.min(paddedVocab, (t + 1) * vocabPerRank))
                            : new Range(0, 0);
                    Memory mem = memory(plan, layers, kv, experts.size(), vocab, p == 0, p == pp - 1);
                    ranks.add(new Rank(g, node, gpu % gpn, host, d, p, t, epIndex, layers, q, kv, ffn, experts, new Range(0, 0),
                            new Range(0, 0), vocab, mem));
                }
            }
        }
        return new Layout(gpn, ranks, groups(dp, tp, pp, ep));
    }

    static int global(int d, int p, int t, int tp, int pp) {
        return d * (pp * tp) + p * tp + t;
    }

    /**
     * Layers per PP stage: the explicit split, or vLLM's get_pp_indices (vllm/distributed/utils.py):
     * layers // pp each, the remainder added one by one to the stages before the last, from the back.
     */
    static int[] layerSplit(int layers, int pp, List<Integer> explicit) {
        int[] s = new int[pp];
        if (explicit.size() == pp) {
            for (int i = 0; i < pp; i++) s[i] = explicit.get(i);
            return s;
        }
        java.util.Arrays.fill(s, layers / pp);
        int rem = layers % pp;
        for (int i = 2; i < rem + 2; i++) s[Math.floorMod(pp - i, pp)] += 1;
        return s;
    }

    private static Range slice(long n, int parts, int i) {
        return new Range(n * i / parts, n * (i + 1) / parts);
    }

    /** Routed experts of a rank: all of them (TP-sharded) without EP; vLLM's linear placement with EP. */
    private static List<Integer> experts(Model m, int ep, int e) {
        if (!m.isMoe()) return List.of();
        int n = m.moe().experts();
        int base = n / ep, rem = n % ep;
        int count = ep == 1 ? n : base + (e < rem ? 1 : 0);
        int start = ep == 1 ? 0 : e * base + Math.min(e, rem);
        List<Integer> out = new ArrayList<>(count);
        for (int i = 0; i < count; i++) out.add(start + i);
        return out;
    }

    private static Memory memory(Plan plan, Range layers, Range kv, int expertsHeld, Range vocab, boolean first, boolean last) {
        Model m = plan.model();
        int tp = plan.parallel().tp();
        boolean ep = plan.parallel().ep() > 1;
        double w = 0;
        for (long i = layers.start(); i < layers.end(); i++) {
            w += m.attentionParams() / (double) tp * bytes(plan, "attention");
            w += m.layerNormParams() * m.dtype().bytes();
            if (m.isMoeLayer((int) i)) {
                double experts = (double) expertsHeld * m.expertParams() / (ep ? 1 : tp);
                w += experts * bytes(plan, "experts");
                w += m.sharedExpertParams() / (double) tp * bytes(plan, "ffn");
                w += m.routerParams() * bytes(plan, "router");
            } else {
                w += m.denseFfnParams() / (double) tp * bytes(plan, "ffn");
            }
        }
        if (first) w += vocab.size() * m.hidden() * bytes(plan, "embedding");
        if (last) w += vocab.size() * m.hidden() * bytes(plan, "lm_head") + m.hidden() * m.dtype().bytes();
        long weights = (long) Math.ceil(w);
        long total = plan.cluster().gpu().memory();
        var cfg = dev.shardplan.engine.Engines.configure(plan);
        double f = cfg.memoryFraction();
        // The fraction's meaning is the engine's (model.Engine): vLLM and SGLang count it of total
        // memory including weights, TRT-LLM of the memory left after weights.
        long kvPool = plan.engine().kind() == EngineKind.TRTLLM
                ? (long) Math.floor((total - weights) * f)
                : (long) Math.floor(total * f) - weights;
        kvPool = Math.max(0, kvPool);
        long perLayer = m.isMla() ? m.mla().cachedPerToken() : 2L * kv.size() * m.headDim();
        double perToken = layers.size() * perLayer * cfg.kvDtype().bytes();
        int block = cfg.blockSize();
        long blocks = perToken <= 0 ? 0 : (long) Math.floor(kvPool / (perToken * block));
        return new Memory(total, weights, 0, 0, 0, kvPool, blocks, blocks * block);
    }

    /**
     * Bytes per element of a part of the model. Linear layers (attention, ffn, experts) take the
     * checkpoint's quantised type unless the part is kept unquantised; embeddings, LM head, router
     * and norms stay in the model's compute dtype (bf16 when that is an 8-bit or smaller type).
     */
    private static double bytes(Plan plan, String part) {
        Model m = plan.model();
        double unquantised = m.dtype().bytes() >= 2 ? m.dtype().bytes() : DType.BF16.bytes();
        var q = m.quant();
        boolean linear = part.equals("attention") || part.equals("ffn") || part.equals("experts");
        if (!linear) return unquantised;
        if (q == null) return m.dtype().bytes();
        if (q.keepBf16().contains(part)) return DType.BF16.bytes();
        if (q.expertsOnly() && !part.equals("experts")) return unquantised;
        return q.weights().bytes();
    }

    private static Map<String, List<List<Integer>>> groups(int dp, int tp, int pp, int ep) {
        Map<String, List<List<Integer>>> g = new LinkedHashMap<>();
        List<List<Integer>> tpG = new ArrayList<>(), ppG = new ArrayList<>(), dpG = new ArrayList<>(), epG = new ArrayList<>();
        for (int d = 0; d < dp; d++)
            for (int p = 0; p < pp; p++) {
                List<Integer> l = new ArrayList<>();
                for (int t = 0; t < tp; t++) l.add(global(d, p, t, tp, pp));
                tpG.add(l);
            }
        for (int d = 0; d < dp; d++)
            for (int t = 0; t < tp; t++) {
                List<Integer> l = new ArrayList<>();
                for (int p = 0; p < pp; p++) l.add(global(d, p, t, tp, pp));
                ppG.add(l);
            }
        for (int p = 0; p < pp; p++)
            for (int t = 0; t < tp; t++) {
                List<Integer> l = new ArrayList<>();
                for (int d = 0; d < dp; d++) l.add(global(d, p, t, tp, pp));
                dpG.add(l);
            }
        if (ep > 1) {
            // vLLM's EP group: the dp × tp ranks of one PP stage, in (dp, tp) order, cut into groups of ep.
            for (int p = 0; p < pp; p++) {
                List<Integer> stage = new ArrayList<>();
                for (int d = 0; d < dp; d++) for (int t = 0; t < tp; t++) stage.add(global(d, p, t, tp, pp));
                for (int i = 0; i < stage.size(); i += ep) epG.add(List.copyOf(stage.subList(i, Math.min(stage.size(), i + ep))));
            }
        } else {
            epG.addAll(tpG);
        }
        g.put("dp", dpG);
        g.put("ep", epG);
        g.put("pp", ppG);
        g.put("tp", tpG);
        return g;
    }

    private static long ceilDiv(long a, long b) {
        return (a + b - 1) / b;
    }
}
