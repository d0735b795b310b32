package dev.shardplan.emit;

import dev.shardplan.diag.Code;
import dev.shardplan.diag.Severity;

/**
 * Diagnostic codes of the emit stage: launcher-specific rules (SP0650 and up; the rule and the
 * launcher source it comes from are on each code's catalogue page) and output problems (SP08xx).
 */
public final class EmitCodes {
    private EmitCodes() {}

    // ---- vLLM ----
    public static final Code VLLM_EP_SIZE = code("SP0650", "vllm-expert-parallel-size", Severity.ERROR,
            "vLLM's expert-parallel size is tp × dp; the plan asks for another");
    public static final Code VLLM_NODE_LAYOUT = code("SP0651", "vllm-node-layout", Severity.ERROR,
            "vLLM's multi-node modes need an even split of ranks, or whole DP replicas, per node");

    // ---- SGLang ----
    public static final Code SGLANG_DP_ATTENTION = code("SP0660", "sglang-dp-attention-divisibility", Severity.ERROR,
            "SGLang's DP attention needs tp divisible by dp");
    public static final Code SGLANG_NODES = code("SP0661", "sglang-nodes-divisibility", Severity.ERROR,
            "SGLang needs tp × pp divisible by the number of nodes");
    public static final Code SGLANG_MULTI_NODE_DP = code("SP0662", "sglang-multi-node-dp", Severity.ERROR,
            "SGLang runs data parallelism across nodes only with DP attention");
    public static final Code SGLANG_EP_SIZE = code("SP0663", "sglang-expert-parallel-size", Severity.ERROR,
            "SGLang's expert-parallel size must divide its tp size");

    // ---- TensorRT-LLM ----
    public static final Code TRTLLM_ATTENTION_DP = code("SP0670", "trtllm-attention-dp-tp", Severity.ERROR,
            "TensorRT-LLM's attention DP runs attention with tp 1 (dp = tp_size)");
    public static final Code TRTLLM_EP_SIZE = code("SP0671", "trtllm-expert-parallel-size", Severity.ERROR,
            "TensorRT-LLM needs moe_tp × moe_ep = tp_size");
    public static final Code TRTLLM_WORLD_SIZE = code("SP0672", "trtllm-world-size", Severity.ERROR,
            "TensorRT-LLM needs exactly tp × pp MPI ranks");
    public static final Code TRTLLM_EXPERTS = code("SP0673", "trtllm-experts-per-rank", Severity.ERROR,
            "TensorRT-LLM needs the routed experts divisible by the EP size");

    // ---- output ----
    public static final Code OUTPUT_OUTSIDE = code("SP0801", "output-path-outside", Severity.ERROR,
            "a generated file would land outside the output folder");
    public static final Code OUTPUT_FAILED = code("SP0802", "output-write-failed", Severity.ERROR,
            "the output folder could not be written; the previous output is intact");
    public static final Code TEMPLATE_ERROR = code("SP0803", "template-error", Severity.ERROR,
            "a template refers to a value its view model does not have (a bug in shardplan)");
    public static final Code UNSUPPORTED = code("SP0804", "target-cannot-express-plan", Severity.ERROR,
            "this target cannot launch the plan's layout");
    public static final Code INVALID_NAME = code("SP0805", "invalid-name-for-target", Severity.ERROR,
            "a name the target restricts (Kubernetes names, Slurm partition) has characters it refuses");
    public static final Code UNQUOTABLE = code("SP0806", "unquotable-string", Severity.ERROR,
            "a string contains NUL, which no command line can carry");
    public static final Code DEFAULT_IMAGE = code("SP0807", "default-container-image", Severity.NOTE,
            "no container image given; the image of the engine release the plan assumes is used");
    public static final Code UNKNOWN_REASONING_PARSER = code("SP0808", "unknown-reasoning-parser", Severity.WARNING,
            "the model's reasoning parser has no known spelling for this launcher; the flag is left out");
    public static final Code RELEASE_LACKS_FEATURE = code("SP0809", "release-cannot-launch-layout", Severity.ERROR,
            "the plan's engine release has no launcher flags for this layout (data parallelism, multi-node wiring)");
    public static final Code NOT_CARRIED = code("SP0811", "setting-not-carried", Severity.WARNING,
            "a deploy setting the target's launcher has no flag for is left out");
    public static final Code IMAGE_RELEASE_MISMATCH = code("SP0810", "image-release-mismatch", Severity.WARNING,
            "the container image's tag names another release than the one the plan's figures and flags are for");

    public static final Code MODEL_NOT_LOADABLE = code("SP0812", "model-not-loadable", Severity.ERROR,
            "the model has no path or Hugging Face id an engine could load; its name is not one");
    public static final Code GATED_WITHOUT_TOKEN = code("SP0813", "gated-model-without-token", Severity.ERROR,
            "the model's Hugging Face repository is gated and the deployment passes no token");
    public static final Code DEPLOY_DEFAULT = code("SP0814", "deployment-default", Severity.NOTE,
            "a deployment setting the plan leaves out takes a default that the cluster may not match");

    public static final Code UNKNOWN_TOOL_PARSER = code("SP0815", "unknown-tool-parser", Severity.WARNING,
            "the model's tool-call format has no parser in the target's release; the flag is left out");
    public static final Code RECIPE_MISMATCH = code("SP0816", "recipe-does-not-apply", Severity.ERROR,
            "a serving recipe the plan asks for does not apply to its model or layout");

    private static Code code(String id, String name, Severity s, String summary) {
        return new Code(id, name, s, summary);
    }
}
