package dev.shardplan.predict;

import dev.shardplan.model.DType;
import dev.shardplan.model.Model;
import dev.shardplan.model.Parallel;
import dev.shardplan.model.Quantization;

/**
 * What one rank of the busiest pipeline stage reads and computes per step: the inputs of the
 * step-time model. Derived from the model and the parallel degrees the way vLLM shards a
 * checkpoint (docs/predictions.md, "per-rank load"): attention and dense FFN split over TP, KV
 * heads replicated when TP exceeds them, MLA latent not split, routed experts split over EP (or
 * over TP when EP is 1), layers split over PP (the largest stage decides the pace).
 *
 * @param layers            decoder layers of the largest stage
 * @param moeLayers         MoE layers among them
 * @param fixedWeightBytes  bytes every step reads whatever the batch: attention, dense FFN, shared
 *                          experts, routers, norms of the stage, and the LM head (counted on the
 *                          stage that has it; a conservative upper bound for the slowest stage)
 * @param expertBytes       bytes of one routed expert's slice on this rank
 * @param expertsPerRank    routed experts held per MoE layer on this rank
 * @param experts           routed experts per MoE layer (E)
 * @param topK              experts per token (k)
 * @param epTokenScale      tokens a MoE layer of this rank sees per token of its own replica (the MoE
 *                          group over tp: the replicas the group spans)
 * @param kvBytesPerToken   KV bytes one cached token costs on this rank (its stage's layers)
 * @param linearFlopsPerToken FLOPs of the linear layers per token on this rank
 * @param attnFlopsPerPair  attention FLOPs per (query token, cached token) pair on this rank
 * @param computeDtype      the GEMM input type (FP8 checkpoints run FP8 GEMMs)
 * @param hidden            hidden size (for collective messages)
 * @param tp                tensor-parallel degree
 * @param pp                pipeline-parallel degree
 * @param ep                expert-parallel degree
 * @param residentWeightBytes weights the rank holds in memory: its stage's layers with all of its
 *                          experts, the embedding and LM head slices (both counted: an upper bound
 *                          for the first and last stage)
 * @param gemms             linear-layer GEMM kernels one step runs on this rank (besides the fused
 *                          MoE calls): per layer the attention projections (QKV and O; MLA's five),
 *                          the dense MLP's two or a MoE layer's router and shared expert's two, and
 *                          the LM head
 * @param vocab             vocabulary size (the sampler works on a full row of logits per sequence)
 * @param shapedGemms       the GEMMs among {@code gemms} whose shard shape is known, which the
 *                          step-time model prices by shape ({@link KernelShape}): per layer the
 *                          fused QKV and O projections (not MLA's), a dense MLP's gate_up and down,
 *                          a MoE layer's router and shared expert's two; the LM head. Their weights
 *                          are part of {@code fixedWeightBytes}, their FLOPs of {@code linearFlopsPerToken}
 * @param expertFlopsPerToken the routed experts' share of {@code linearFlopsPerToken} (the fused-MoE
 *                          grouped GEMMs: k experts per token, its group's share)
 */
public record RankLoad(int layers, int moeLayers, double fixedWeightBytes, double expertBytes, int expertsPerRank,
                       int experts, int topK, double epTokenScale, double kvBytesPerToken,
                       double linearFlopsPerToken, double attnFlopsPerPair, DType computeDtype, int hidden,
                       int tp, int pp, int ep, double residentWeightBytes, int gemms, int vocab, java.util.List<Gemm> shapedGemms,
                       double expertFlopsPerToken) {

    /**
     * {@code count} GEMMs per step of one rank with an {@code n} × {@code k} weight shard (n output
     * features, k input features) of {@code bytes} per weight.
     */
    public record Gemm(String what, double n, double k, int count, double bytes) {
        public double weightBytes() {
            return count * n * k * bytes;
        }

        public double flopsPerToken() {
            return 2.0 * count * n * k;
        }
    }

    /** Activation bytes per element on the wire (collectives carry BF16 hidden states). */
    public static final double ACT_BYTES = 2.0;

    /**
     * The load of one rank of {@code model} under {@code par}, KV stored as {@code kvDtype}, with
     * the MoE layers split as {@code layout} splits them (its EP size, expert-slice TP and MoE group).
     */
    public static RankLoad of(Model model, Parallel par, DType kvDtype, dev.shardplan.layout.RankLayout layout) {
        if (!model.isMoe()) return of(model, par, kvDtype, 1, par.tp(), par.tp());
        return of(model, par, kvDtype, layout.epSize(), layout.moeTp(), layout.moeGroupSize());
    }

    /**
     * The load of one rank of {@code model} under {@code par}, KV stored as {@code kvDtype}; experts
     * split over {@code par.ep()} ranks when it is above 1, else sliced over the TP group.
     */
    public static RankLoad of(Model model, Parallel par, DType kvDtype) {
        int ep = model.isMoe() ? Math.max(1, par.ep()) : 1;
        return of(model, par, kvDtype, ep, ep > 1 ? 1 : par.tp(), ep > 1 ? ep : par.tp());
    }

    /**
     * The load with an explicit MoE split: {@code epSize} ranks hold different experts, each expert
     * sliced {@code moeTp} ways, over a group of {@code moeGroup} = epSize x moeTp ranks that spans
     * moeGroup / tp replicas (their tokens all reach the group's experts).
     */
    static RankLoad of(Model model, Parallel par, DType kvDtype, int epSize, int moeTp, int moeGroup) {
        int tp = par.tp(), pp = par.pp();
        int ep = model.isMoe() ? Math.max(1, epSize) : 1;
        int stageLayers = largestStage(model.layers(), par);
        // MoE layers of the largest stage: dense layers come first (first_k_dense_replace), so the
        // first stage holds them; the pace is set by the stage with the most MoE layers.
        int moeLayers = model.isMoe() ? Math.min(stageLayers, model.moe().moeLayers(model.layers())) : 0;
        int denseLayers = stageLayers - moeLayers;

        Quantization q = model.quant();
        double linB = q == null ? model.dtype().bytes() : q.weights().bytes();
        double attnB = q != null && q.keepBf16().contains("attention") ? model.dtype().bytes() : (q != null && q.expertsOnly() ? model.dtype().bytes() : linB);
        double denseB = q != null && q.expertsOnly() ? model.dtype().bytes() : linB;
        double routerB = model.dtype().bytes();
        double headB = q == null || q.keepBf16().contains("lm_head") || q.expertsOnly() ? model.dtype().bytes() : linB;

        long h = model.hidden();
        // attention of one layer on one rank: Q and O split over TP; K and V split over TP until each
        // rank has one KV head, then replicated (vLLM get_num_kv_heads); MLA projections split over TP.
        double attnParams;
        if (model.isMla()) {
            attnParams = (double) model.attentionParams() / tp;
        } else {
            double qo = 2.0 * h * model.heads() * model.headDim();
            double kv = 2.0 * h * model.kvHeads() * model.headDim();
            double kvShare = Math.max(1.0 / tp, 1.0 / Math.max(1, model.kvHeads()));
            attnParams = qo / tp + kv * kvShare;
        }
        double fixed = stageLayers * attnParams * attnB + stageLayers * model.layerNormParams() * model.dtype().bytes();
        fixed += denseLayers * (double) model.denseFfnParams() / tp * denseB;
        double expertBytes = 0;
        int expertsPerRank = 0;
        if (model.isMoe()) {
            fixed += moeLayers * ((double) model.sharedExpertParams() / tp * linB + model.routerParams() * routerB);
            // expert slice: E/ep experts per rank, each a 1/moeTp slice (whole experts under EP)
            expertBytes = (double) model.expertParams() / Math.max(1, moeTp) * linB;
            expertsPerRank = model.moe().experts() / ep;
        }
        // LM head (or the tied embedding used as one), vocabulary-parallel over TP
        fixed += (double) model.vocab() * h / tp * headB;

        // KV per token on this rank (vLLM kv_cache_interface: AttentionSpec / MLAAttentionSpec)
        double kvPerLayer = model.isMla() ? model.mla().cachedPerToken()
                : 2.0 * Math.max(1, model.kvHeads() / tp) * model.headDim();
        double kvBytesPerToken = stageLayers * kvPerLayer * kvDtype.bytes();

        // linear FLOPs: 2 per weight a token passes through
        double perTokenParams = stageLayers * attnParams + denseLayers * (double) model.denseFfnParams() / tp;
        if (model.isMoe()) {
            // the group's ranks share the k experts' work of every token of the moeGroup / tp replicas
            // it spans: k·expert / moeGroup per token, for moeGroup / tp tokens per token of a replica
            perTokenParams += moeLayers * ((double) model.sharedExpertParams() / tp + model.routerParams()
                    + model.moe().topK() * model.expertParams() / (double) tp);
        }
        perTokenParams += (double) model.vocab() * h / tp;
        double linearFlops = 2.0 * perTokenParams;
        double expertFlops = model.isMoe() ? 2.0 * moeLayers * model.moe().topK() * model.expertParams() / (double) tp : 0;

        // attention: QK^T and PV, 2 FLOPs per multiply-add, per head of this rank
        double headsPerRank = (double) model.heads() / tp;
        double attnDim = model.isMla()
                ? (model.mla().kvLoraRank() + model.mla().qkRopeHeadDim()) + model.mla().kvLoraRank() // absorbed MLA
                : 2.0 * model.headDim();
        double attnFlopsPerPair = 2.0 * headsPerRank * attnDim * stageLayers;

        DType compute = q != null && (q.weights() == DType.FP8 || q.weights() == DType.FP4) ? q.weights() : model.dtype();
        double epScale = model.isMoe() ? Math.max(1.0, (double) moeGroup / tp) : 1.0;
        double resident = fixed + moeLayers * expertsPerRank * expertBytes
                + (double) model.vocab() * h / tp * model.dtype().bytes() * (model.tiedEmbeddings() ? 0 : 1);
        // GEMM kernels: fused QKV and O (MLA: q down/up, kv down, the absorbed k and v up-projections, O),
        // gate_up and down of a dense MLP, a MoE layer's router and its shared expert's two, the LM head
        int attnGemms = model.isMla() ? 6 : 2;
        int moeGemms = model.isMoe() ? 1 + (model.sharedExpertParams() > 0 ? 2 : 0) : 0;
        int gemms = stageLayers * attnGemms + denseLayers * 2 + moeLayers * moeGemms + 1;
        // their shard shapes (vLLM's QKVParallelLinear / RowParallelLinear, MergedColumnParallelLinear,
        // the replicated router, ParallelLMHead): n output features, k input features on this rank
        java.util.List<Gemm> shaped = new java.util.ArrayList<>();
        if (!model.isMla()) {
            double qPerRank = (double) model.heads() / tp, kvPerRank = Math.max(1.0, (double) model.kvHeads() / tp);
            shaped.add(new Gemm("qkv", (qPerRank + 2 * kvPerRank) * model.headDim(), h, stageLayers, attnB));
            shaped.add(new Gemm("o", h, qPerRank * model.headDim(), stageLayers, attnB));
        }
        if (denseLayers > 0) {
            shaped.add(new Gemm("gate_up", 2.0 * model.ffn() / tp, h, denseLayers, denseB));
            shaped.add(new Gemm("down", h, (double) model.ffn() / tp, denseLayers, denseB));
        }
        if (moeLayers > 0) {
            shaped.add(new Gemm("router", model.moe().experts(), h, moeLayers, routerB));
            if (model.moe().sharedFfn() > 0) {
                shaped.add(new Gemm("shared_gate_up", 2.0 * model.moe().sharedFfn() / tp, h, moeLayers, linB));
                shaped.add(new Gemm("shared_down", h, (double) model.moe().sharedFfn() / tp, moeLayers, linB));
            }
        }
        shaped.add(new Gemm("lm_head", (double) model.vocab() / tp, h, 1, headB));
        return new RankLoad(stageLayers, moeLayers, fixed, expertBytes, expertsPerRank,
                model.isMoe() ? model.moe().experts() : 0, model.isMoe() ? model.moe().topK() : 0, epScale,
                kvBytesPerToken, linearFlops, attnFlopsPerPair, compute, model.hidden(), tp, pp, ep, resident,
                gemms, model.vocab(), java.util.List.copyOf(shaped), expertFlops);
    }

    /** Layers of the largest pipeline stage: the explicit split's maximum, or ceil(L / pp). */
    static int largestStage(int layers, Parallel par) {
        if (!par.layerSplit().isEmpty()) {
            int m = 0;
            for (int x : par.layerSplit()) m = Math.max(m, x);
            return m;
        }
        return (layers + par.pp() - 1) / par.pp();
    }

    /**
     * Expected distinct experts of this rank that {@code tokens} tokens activate in one MoE layer:
     * each token picks k of E experts, so a given expert is missed by all of them with probability
     * (1 − k/E)^tokens; this rank holds {@code expertsPerRank} of them.
     */
    public double activeExperts(double tokens) {
        if (experts == 0 || tokens <= 0) return 0;
        double t = tokens * epTokenScale;
        double miss = Math.pow(1.0 - (double) topK / experts, t);
        return expertsPerRank * (1.0 - miss);
    }

    /** Weight bytes one step reads when it carries {@code tokens} tokens. */
    public double weightBytes(double tokens) {
        return fixedWeightBytes + moeLayers * activeExperts(tokens) * expertBytes;
    }
}
