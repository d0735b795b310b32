package dev.shardplan.model;

/**
 * Mixture of experts. {@code denseLayers}: leading layers with a dense FFN (DeepSeek's
 * first_k_dense_replace); {@code sharedFfn}: total width of the shared experts (0: none);
 * {@code expertBias}: experts and router carry biases (gpt-oss).
 */
public record Moe(int experts, int topK, int expertFfn, int sharedExperts, int sharedFfn, int denseLayers,
                  boolean expertBias, boolean routerBias) {
    public int moeLayers(int layers) {
        return Math.max(0, layers - denseLayers);
    }
}
