package dev.shardplan.engine;

import dev.shardplan.model.DType;
import dev.shardplan.model.EngineKind;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The engine configuration a plan runs with: the engine, its release (the plan's, or the newest
 * supported when the plan names none), and every setting of that release's table in effect, each
 * with its origin. Computed once per plan by {@link Engines#configure}; later stages read it and
 * never fill in a default of their own.
 */
public record EngineConfig(EngineSpec spec, Release release, boolean releaseFromPlan, List<Effective> values, DType kvDtype) {
    public EngineConfig {
        values = List.copyOf(values);
    }

    public EngineKind kind() {
        return spec.kind();
    }

    /** The effective value of a setting by its plan name. */
    public Effective get(String name) {
        for (Effective e : values) if (e.name().equals(name)) return e;
        throw new IllegalArgumentException(release + " has no setting " + name);
    }

    public Optional<Effective> role(Role r) {
        for (Effective e : values) if (e.setting().role() == r) return Optional.of(e);
        return Optional.empty();
    }

    private Effective need(Role r) {
        return role(r).orElseThrow(() -> new IllegalStateException(release + " declares no " + r + " setting"));
    }

    /** The settings the plan wrote, in table order. */
    public List<Effective> fromPlan() {
        List<Effective> out = new ArrayList<>();
        for (Effective e : values) if (e.fromPlan()) out.add(e);
        return out;
    }

    /** The memory fraction, in the engine's own meaning (see {@link Role#MEMORY_FRACTION}). */
    public double memoryFraction() {
        return need(Role.MEMORY_FRACTION).number();
    }

    /** The engine's cap on running sequences as it counts it; 0 when the engine decides it at start-up. */
    public int maxSeqs() {
        return (int) need(Role.MAX_SEQS).count();
    }

    /** Tokens per scheduler step (the profile run's size in vLLM and TensorRT-LLM). */
    public int maxBatchedTokens() {
        return (int) need(Role.MAX_BATCHED_TOKENS).count();
    }

    public int blockSize() {
        return (int) need(Role.BLOCK_SIZE).count();
    }

    /** The kv cache dtype as the engine spells it ("auto", "fp8", ...). */
    public String kvCacheDtype() {
        return need(Role.KV_CACHE_DTYPE).word();
    }

    public long maxModelLen() {
        return need(Role.MAX_MODEL_LEN).count();
    }

    public boolean cudaGraphs() {
        return need(Role.CUDA_GRAPHS).bool();
    }

    /** Chunked prefill: its own switch, or (SGLang) a positive chunk size. */
    public boolean chunkedPrefill() {
        return role(Role.CHUNKED_PREFILL).map(Effective::bool).orElseGet(() -> maxBatchedTokens() > 0);
    }

    public boolean prefixCaching() {
        return need(Role.PREFIX_CACHING).bool();
    }
}
