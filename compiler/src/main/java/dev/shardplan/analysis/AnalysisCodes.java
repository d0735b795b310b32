package dev.shardplan.analysis;

import dev.shardplan.diag.Code;
import dev.shardplan.diag.Severity;

/**
 * Codes of the analysis stage: SP04xx memory and KV capacity, SP05xx placement and interconnect,
 * SP0601-SP0649 parallelism rules (SP0611/SP0612: disaggregated pools) that hold for every launcher. Each has docs/diagnostics/ID.md.
 */
public final class AnalysisCodes {
    private AnalysisCodes() {}

    // ---- memory and KV capacity
    public static final Code WEIGHTS_DO_NOT_FIT = new Code("SP0401", "weights-do-not-fit", Severity.ERROR,
            "a rank's weights, activations and runtime buffers leave no memory for the KV cache");
    public static final Code MAX_LENGTH_DOES_NOT_FIT = new Code("SP0402", "max-length-does-not-fit", Severity.ERROR,
            "one sequence of the maximum length does not fit in a replica's KV pool");
    public static final Code CAPACITY_TRAP = new Code("SP0403", "capacity-trap", Severity.WARNING,
            "the KV pool holds fewer full-length sequences than the plan runs at once; the engine will preempt");
    public static final Code SHORT_KV_POOL = new Code("SP0405", "kv-pool-shorter-than-context", Severity.WARNING,
            "the KV pool holds less than one sequence of the maximum length; the engine starts but cannot run the longest requests");
    public static final Code HEADROOM_TOO_SMALL = new Code("SP0406", "buffers-exceed-headroom", Severity.WARNING,
            "buffers the engine allocates after its KV pool (SGLang's DeepEP all-to-all buffers) do not fit in the memory its fraction leaves");
    public static final Code STRANDED_DP_CAPACITY = new Code("SP0404", "stranded-dp-capacity", Severity.NOTE,
            "data-parallel replicas keep separate KV pools; free blocks in one cannot serve another");

    // ---- placement and interconnect
    public static final Code TP_CROSSES_DOMAIN = new Code("SP0501", "tp-crosses-scale-up-domain", Severity.WARNING,
            "a tensor-parallel group spans more than one NVLink/scale-up domain");
    public static final Code NETWORK_BOUND = new Code("SP0502", "network-bound-collectives", Severity.WARNING,
            "collectives over the network take a large share of the step time");
    public static final Code KV_TRANSFER_EXCEEDS_NETWORK = new Code("SP0503", "kv-transfer-exceeds-network", Severity.WARNING,
            "a disaggregated plan's KV transfers need more bandwidth on a link than it has at the workload's rate");

    // ---- parallelism rules that hold for every launcher
    public static final Code HEADS_NOT_DIVISIBLE = new Code("SP0601", "heads-not-divisible-by-tp", Severity.ERROR,
            "the attention heads do not split evenly over the tensor-parallel ranks");
    public static final Code KV_HEADS_VS_TP = new Code("SP0602", "kv-heads-incompatible-with-tp", Severity.ERROR,
            "KV heads neither split evenly over TP ranks nor replicate evenly");
    public static final Code EXPERTS_NOT_DIVISIBLE = new Code("SP0603", "experts-not-divisible-by-ep", Severity.ERROR,
            "the routed experts do not split evenly over the expert-parallel ranks");
    public static final Code QUANT_BLOCK_MISALIGNED = new Code("SP0604", "quant-block-misaligned", Severity.ERROR,
            "a sharded weight's width is not a multiple of the quantisation block or group");
    public static final Code WORLD_EXCEEDS_CLUSTER = new Code("SP0605", "world-size-exceeds-cluster", Severity.ERROR,
            "dp x tp x pp needs more GPUs than the cluster has");
    public static final Code IDLE_GPUS = new Code("SP0606", "idle-gpus", Severity.NOTE,
            "the plan uses fewer GPUs than the cluster has");
    public static final Code INVALID_PLACEMENT = new Code("SP0607", "invalid-placement", Severity.ERROR,
            "an explicit placement does not give one distinct GPU of the cluster to every rank");
    public static final Code UNEVEN_PP_SPLIT = new Code("SP0608", "uneven-pp-split", Severity.NOTE,
            "pipeline stages hold different numbers of layers");
    public static final Code INVALID_LAYER_SPLIT = new Code("SP0609", "invalid-layer-split", Severity.ERROR,
            "an explicit layer split does not match pp or the model's layers");
    public static final Code AGAINST_STUDY = new Code("SP0610", "pure-dp-for-large-reasoning-model", Severity.NOTE,
            "pure data parallelism for a ~32B+ model on a reasoning workload, where right-sized TP holds far more sequences");
    public static final Code IDLE_POOL = new Code("SP0611", "idle-pool", Severity.WARNING,
            "a disaggregated plan's pool ratio leaves the prefill or the decode pool idle more than half the time");
    public static final Code POOL_STRADDLES_NODES = new Code("SP0612", "pool-instance-straddles-nodes", Severity.ERROR,
            "an instance of a prefill or decode pool would take GPUs of two nodes");
}
