package dev.shardplan.emit;

import dev.shardplan.emit.Command.Val;

/**
 * Where a node's command runs, which decides how it learns the head node's address and its own
 * node index: a generated script (variables set at its top), a Slurm step, or a Kubernetes pod
 * of a LeaderWorkerSet (LWS_* variables, expanded by Kubernetes).
 */
public record Site(Val headAddr, Val workerIndex, boolean kubernetes) {
    public static final Site SCRIPT = new Site(new Val.Env("HEAD_ADDR", ""), null, false);
    public static final Site KUBERNETES = new Site(new Val.Env("LWS_LEADER_ADDRESS", ""),
            new Val.Env("LWS_WORKER_INDEX", ""), true);

    /** The head address followed by ":port". */
    public Val head(int port) {
        Val.Env e = (Val.Env) headAddr;
        return new Val.Env(e.var(), ":" + port);
    }

    /** The node index as a value: the literal index, or the pod's worker index on Kubernetes workers. */
    public Val nodeIndex(int node) {
        return workerIndex != null && node > 0 ? workerIndex : Val.lit(node);
    }
}
