package dev.shardplan.predict;

import dev.shardplan.model.Cluster;
import dev.shardplan.model.EngineKind;
import dev.shardplan.model.Plan;

/**
 * A stand-in for the analysis stage's per-rank memory budget, following each engine's own
 * accounting (formulas.md §4, §7.3): vLLM and SGLang take their fraction of total memory and
 * subtract weights, the activation peak of a max_num_batched_tokens forward pass (AIConfigurator's
 * {@code 2·tokens·H·d·coeff[tp]} with its Llama coefficients), non-torch memory (0.25 GiB at TP 1,
 * 2 GiB above: NCCL and custom all-reduce buffers) and a CUDA-graph reserve (1 GiB); TensorRT-LLM
 * takes its fraction of what is free after weights and a 3 GiB reserve. The KV pool divided by the
 * bytes of a block gives the blocks.
 */
public final class MemoryEstimate {
    private MemoryEstimate() {}

    static final double GIB = 1L << 30;

    /** The inputs of the predictions for {@code plan}, estimated without the analysis stage. */
    public static PlanInputs of(Plan plan) {
        var par = plan.parallel();
        RankLoad load = RankLoad.of(plan.model(), par, plan.kvDtype());
        var gpu = plan.cluster().gpu();
        var eng = plan.engine();
        double mem = gpu.memory();
        double weights = load.residentWeightBytes();
        double pool;
        int tokens = engineBatchedTokens(plan);
        if (eng.kind() == EngineKind.TRTLLM) {
            pool = eng.memoryFraction() * (mem - weights - Calibration.TRTLLM_RESERVE);
        } else {
            double coeff = switch (Math.min(par.tp(), 8)) {
                case 1 -> 11;
                case 2 -> 6.5;
                default -> 5;
            };
            if (plan.model().isMoe()) coeff *= 2; // AIC MOE coefficients are twice the Llama ones
            double act = Math.max(70 * (1 << 20), 2.0 * tokens * plan.model().heads() * Math.max(1, plan.model().headDim()) * coeff / par.tp());
            double nonTorch = par.tp() > 1 || par.pp() > 1 ? 2 * GIB : 0.25 * GIB;
            double graphs = eng.cudaGraphs() ? 1 * GIB : 0;
            pool = eng.memoryFraction() * mem - weights - act - nonTorch - graphs;
        }
        long blocks = pool <= 0 ? 0 : (long) Math.floor(pool / (load.kvBytesPerToken() * blockSize(plan)));
        long maxLen = plan.maxModelLen();
        CollectiveCost comm = collectives(plan, Efficiency.defaults(gpu.name(), eng.kind()).with(plan.tuning()));
        if (pool <= 0) {
            return new PlanInputs(false, 0, String.format(java.util.Locale.ROOT,
                    "weights %.1f GiB per rank leave no KV pool in %.1f GiB × %.2f", weights / GIB, mem / GIB,
                    eng.memoryFraction()), comm);
        }
        if (blocks * blockSize(plan) < maxLen) {
            return new PlanInputs(false, blocks, String.format(java.util.Locale.ROOT,
                    "the KV pool holds %d tokens per replica, less than max_model_len %d", blocks * blockSize(plan), maxLen), comm);
        }
        return new PlanInputs(true, blocks, "", comm);
    }

    /** Block size in effect: the engine's, or its default (vLLM 16, SGLang 1 token pages, TRT-LLM 32). */
    public static int blockSize(Plan plan) {
        if (plan.engine().blockSize() > 0) return plan.engine().blockSize();
        return switch (plan.engine().kind()) {
            case VLLM -> 16;
            case SGLANG -> 1;
            case TRTLLM -> 32;
        };
    }

    /** Tokens per iteration in effect: the engine's, or its default (8192 for all three). */
    public static int engineBatchedTokens(Plan plan) {
        return plan.engine().maxNumBatchedTokens() > 0 ? plan.engine().maxNumBatchedTokens() : 8192;
    }

    /**
     * Ring collective costs: TP and EP groups inside one NVLink domain use the node's scale-up
     * bandwidth, else the per-GPU share of the network; a PP boundary crosses the network when the
     * replica spans nodes.
     */
    public static CollectiveCost collectives(Plan plan, Efficiency eff) {
        Cluster c = plan.cluster();
        var node = c.node();
        var par = plan.parallel();
        double up = node.scaleUpBandwidth() > 0 ? node.scaleUpBandwidth() : c.gpu().linkBandwidth();
        double net = node.nics() > 0 ? node.nics() * node.nicBandwidth() / Math.max(1, node.gpus()) : c.gpu().pcieBandwidth();
        if (net <= 0) net = up;
        int domain = c.domainGpus();
        double tpBw = par.tp() <= domain ? up : net;
        int epGroup = Math.max(1, par.ep());
        double epBw = epGroup <= domain ? up : net;
        double ppBw = par.tp() * par.pp() <= domain ? up : net;
        return CollectiveCost.ring(par.tp(), tpBw, epGroup, epBw, ppBw, eff.collectiveLatencyUs() * 1e-6, eff.linkEfficiency());
    }
}
