package dev.shardplan.model;

/**
 * Mixture of experts. {@code denseLayers}: leading layers with a dense FFN (DeepSeek's
 * first_k_dense_replace); {@code sharedFfn}: total width of the shared experts (0: none);
 * {@code expertBias}: experts carry biases (gpt-oss); {@code routerBias}: the router's linear layer
 * has a bias (gpt-oss); {@code sharedExpertGate}: a sigmoid gate [1, hidden] scales the shared
 * experts' output (Qwen2-MoE); {@code routing}: how router logits become expert weights.
 */
public record Moe(int experts, int topK, int expertFfn, int sharedExperts, int sharedFfn, int denseLayers,
                  boolean expertBias, boolean routerBias, boolean sharedExpertGate, Routing routing) {
    public int moeLayers(int layers) {
        return Math.max(0, layers - denseLayers);
    }
}
