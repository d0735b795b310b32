package dev.shardplan.engine;

import dev.shardplan.model.Derivation;

import dev.shardplan.layout.WeightBytes;
import dev.shardplan.model.EngineKind;

import java.util.List;

/**
 * One rank's memory the way its engine accounts for it (bytes). {@code usable}: what the engine
 * lets itself use (vLLM: utilisation x total; SGLang: mem_fraction_static x total; TRT-LLM: total).
 * {@code kvPool}: what is left for the KV cache; {@code kvBlocks}: the pool in blocks of
 * {@code blockSize} tokens before the clamp to the smallest worker. {@code pageBytes}: one block of
 * one layer; {@code kvBytesPerToken}: one token over this rank's {@code kvLayers} layers.
 * {@code afterPool}: what the engine allocates only after sizing its KV pool, from the
 * {@code headroom} its memory fraction leaves outside the pool (SGLang's DeepEP buffers, created at
 * the first dispatch); 0 for both where the engine has no such allocation.
 */
public record MemoryBudget(int stage, EngineKind engine, long total, double fraction, long usable,
                           WeightBytes weightParts, long weights, long activation, long nonTorch, long cudaGraph,
                           long kvPool, int kvLayers, int blockSize, long pageBytes, long kvBytesPerToken,
                           long kvBlocks, long afterPool, long headroom, List<Derivation> derivation) {
    public MemoryBudget {
        derivation = List.copyOf(derivation);
    }

    /** Whether anything is left for the KV cache. */
    public boolean fits() {
        return kvPool > 0 && kvBlocks > 0;
    }
}
