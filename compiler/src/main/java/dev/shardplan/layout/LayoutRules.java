package dev.shardplan.layout;

/**
 * How an engine lays a plan's ranks out, as far as it differs between engines (the engine package
 * declares each engine's rules with their sources; this package only applies them).
 *
 * @param remainder where an uneven PP split puts the extra layers
 * @param kvHeads how KV heads are divided over TP ranks when TP does not divide them
 * @param moeGroup which ranks share an MoE layer's experts
 * @param epOrder how the ranks of an MoE group are numbered by expert (EP) and width (MoE TP)
 */
public record LayoutRules(Remainder remainder, KvHeadRounding kvHeads, MoeGroup moeGroup, EpOrder epOrder) {
    /** Stages that take one extra layer each when pp does not divide the layers. */
    public enum Remainder {
        /** The stages before the last, from the second-to-last backwards (vLLM get_pp_indices). */
        BEFORE_LAST,
        /** The last stages (SGLang get_pp_indices). */
        LAST,
        /** The first stages (TensorRT-LLM mapping.pp_layers, torch.tensor_split). */
        FIRST
    }

    /** KV heads cached per rank. */
    public enum KvHeadRounding {
        /** max(1, kv // tp): heads are replicated when tp exceeds them. */
        FLOOR_AT_LEAST_ONE,
        /** ceil(kv / tp). */
        CEIL
    }

    public enum MoeGroup {
        /** The dp x tp ranks of a stage; experts split over all of them with EP, else their width. */
        DP_TIMES_TP,
        /** The TP group, or the dp x tp ranks of a stage with attention DP; EP divides it. */
        TP_OR_ATTENTION_DP
    }

    public enum EpOrder {
        /** Not used (the group is either all EP or all width). */
        NONE,
        /** ep rank = index / moe_tp (SGLang: EP groups strided inside a TP group). */
        EP_MAJOR,
        /** ep rank = index % ep (TensorRT-LLM mapping: EP contiguous). */
        EP_MINOR
    }
}
