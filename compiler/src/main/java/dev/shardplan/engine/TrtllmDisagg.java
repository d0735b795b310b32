package dev.shardplan.engine;

/**
 * TensorRT-LLM's disaggregated serving with separate servers (examples/disaggregated/README.md):
 * every context (prefill) and generation (decode) instance is a plain {@code trtllm-serve} whose
 * LLM-API options carry {@code cache_transceiver_config}, and {@code trtllm-serve disaggregated -c
 * CONFIG} runs the OpenAI-compatible server that sends each request to a context server, then to a
 * generation server. The one home of these spellings. Like TensorRT-LLM's other flags and keys
 * they follow the main branch as the search index stores it, not a release (engine.Trtllm).
 */
public final class TrtllmDisagg {
    private TrtllmDisagg() {}

    /** The sub-command (tensorrt_llm/commands/serve.py @00209af1, @click.command("disaggregated")). */
    public static final String COMMAND = "disaggregated";
    /** Its options at that commit: the config file, the wait for the servers, the per-request timeout (both default 180 s). */
    public static final String CONFIG_FILE = "-c";
    public static final String SERVER_START_TIMEOUT = "-t";
    public static final String REQUEST_TIMEOUT = "-r";
    /**
     * The per-request timeout shardplan writes: an hour. The default 180 s would cut a reasoning
     * answer of tens of thousands of tokens, which streams for many minutes.
     */
    public static final int REQUEST_TIMEOUT_SECONDS = 3600;

    /**
     * The disaggregated server's configuration keys (tensorrt_llm/llmapi/disagg_utils.py
     * extract_disagg_cfg and extract_ctx_gen_cfgs, main branch @0228a712): where it listens, and
     * per side the number of instances and their "host:port" URLs (their count must equal
     * num_instances). Other top-level keys are passed to both sides' servers as LLM arguments.
     */
    public static final String HOSTNAME = "hostname";
    public static final String PORT = "port";
    public static final String CONTEXT_SERVERS = "context_servers";
    public static final String GENERATION_SERVERS = "generation_servers";
    public static final String NUM_INSTANCES = "num_instances";
    public static final String URLS = "urls";

    /** LLM-API keys of a disaggregated server (llm_args.py BaseLlmArgs.cache_transceiver_config, CacheTransceiverConfig). */
    public static final String CACHE_TRANSCEIVER = "cache_transceiver_config";
    public static final String BACKEND = "backend";
    /** "Set it >= the maximum ISL (Input Sequence Length) for best performance" (examples/disaggregated/README.md, main). */
    public static final String MAX_TOKENS_IN_BUFFER = "max_tokens_in_buffer";
    /**
     * TorchLlmArgs.disable_overlap_scheduler, set on context servers: "The overlap scheduler for
     * context servers is currently disabled, as it is not yet supported in disaggregated context
     * server architectures" (examples/disaggregated/README.md, main; the 1.0 docs' example sets it too).
     */
    public static final String DISABLE_OVERLAP_SCHEDULER = "disable_overlap_scheduler";
}
