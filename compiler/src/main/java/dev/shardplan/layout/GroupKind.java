package dev.shardplan.layout;

/** Communicator groups of a plan. */
public enum GroupKind {
    /** Tensor parallel: the ranks that split each layer; two all-reduces per layer. */
    TP,
    /** Pipeline parallel: one rank per stage; activations are sent stage to stage. */
    PP,
    /** Data parallel: replicas; no traffic in the forward pass of a dense model. */
    DP,
    /** Expert parallel: the ranks that hold the routed experts of a MoE layer; dispatch and combine all-to-all. */
    EP;

    public String id() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
