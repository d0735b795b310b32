package dev.shardplan.emit;

import dev.shardplan.diag.Diagnostic;
import dev.shardplan.model.Target;

import java.util.List;

/** Produces one target's files for a plan. Paths start with the target's folder ("vllm/..."). */
public interface Emitter {
    Target target();

    /** The rules this target's launcher enforces, checked before anything is emitted; warnings included. */
    List<Diagnostic> check(EmitInput in);

    /** Whether this target launches a disaggregated plan's pools (its check then judges a pool plan too). */
    default boolean launchesPools() {
        return false;
    }

    /** The files, for an input that {@link #check} passed without errors. */
    List<OutputFile> emit(EmitInput in);
}
