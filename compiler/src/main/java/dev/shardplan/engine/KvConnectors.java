package dev.shardplan.engine;

import dev.shardplan.model.EngineKind;

import java.util.List;
import java.util.Optional;

/**
 * The KV transfer connectors a disaggregated plan may name ({@code kv_transfer { connector nixl }}),
 * per engine, with the engine's own spelling and the first supported release that accepts it.
 * The one home of these facts: the resolver, the analyses and the emitters read them here.
 */
public final class KvConnectors {
    private KvConnectors() {}

    /**
     * A connector: shardplan's name, the engine's value for it, and the first of the engine's
     * supported releases (engine.Vllm / engine.Sglang RELEASES) whose code accepts it.
     */
    public record Connector(EngineKind engine, String name, String engineValue, String since, String source) {
        public boolean in(Release r) {
            return r.engine() == engine && r.atLeast(since);
        }
    }

    public static final List<Connector> ALL = List.of(
            // vllm/distributed/kv_transfer/kv_connector/factory.py registers "NixlConnector" at
            // v0.9.2 (a5dd03c1) through v0.20.1 (132765e3); v0.8.5 (ba41cc90) has no such entry.
            // The value is KVTransferConfig.kv_connector in --kv-transfer-config's JSON.
            new Connector(EngineKind.VLLM, "nixl", "NixlConnector", "0.9.2",
                    "vllm/distributed/kv_transfer/kv_connector/factory.py at v0.9.2 and v0.20.1"),
            // python/sglang/srt/server_args.py: --disaggregation-transfer-backend choices
            // ["mooncake", "nixl"] at 0.4.6.post5 (7e257cd6), and later releases keep both
            // (DISAGG_TRANSFER_BACKEND_CHOICES at 0.5.6.post2, 0.5.10, 0.5.18); default mooncake.
            new Connector(EngineKind.SGLANG, "nixl", "nixl", "0.4.6",
                    "python/sglang/srt/server_args.py --disaggregation-transfer-backend choices, 0.4.6.post5 to 0.5.18"),
            new Connector(EngineKind.SGLANG, "mooncake", "mooncake", "0.4.6",
                    "python/sglang/srt/server_args.py --disaggregation-transfer-backend choices, 0.4.6.post5 to 0.5.18"),
            // tensorrt_llm/llmapi/llm_args.py CacheTransceiverConfig.backend Literal["DEFAULT", "UCX",
            // "NIXL", "MPI"] (and "MOONCAKE" in a later version), the LLM-API key
            // cache_transceiver_config.backend, as the search index stores the main branch; no release's
            // llm_args.py could be read (engine.Trtllm), and an older stored version spells the values
            // in lower case: not release-verified, like TensorRT-LLM's other keys.
            new Connector(EngineKind.TRTLLM, "nixl", "NIXL", "1.0.0",
                    "tensorrt_llm/llmapi/llm_args.py CacheTransceiverConfig.backend (main branch; not release-verified)"));

    /**
     * vLLM's kv_role for a NixlConnector server: "kv_both" on prefill and decode alike, as vLLM's
     * NIXL examples run them (the router, not the role, decides which side prefills).
     * KVTransferConfig accepts kv_producer, kv_consumer and kv_both (KVRole in vllm/config.py at
     * v0.9.2, vllm/config/kv_transfer.py at v0.20.1).
     */
    public static final String VLLM_NIXL_KV_ROLE = "kv_both";

    /**
     * The environment variables NixlConnector reads for its handshake side channel (vllm/envs.py at
     * v0.9.2 and v0.20.1): the address other instances reach this one at (default "localhost",
     * which only works on one node) and the base port; the connector adds data_parallel_rank ×
     * tensor_parallel_size (v0.9.2, nixl_connector.py) or data_parallel_index (v0.20.1,
     * nixl/scheduler.py) to the port, both below the instance's GPU count.
     */
    public static final String VLLM_NIXL_HOST_ENV = "VLLM_NIXL_SIDE_CHANNEL_HOST";
    public static final String VLLM_NIXL_PORT_ENV = "VLLM_NIXL_SIDE_CHANNEL_PORT";
    /** The default of VLLM_NIXL_SIDE_CHANNEL_PORT at v0.20.1 (5557 at v0.9.2); shardplan always sets it. */
    public static final int VLLM_NIXL_PORT_BASE = 5600;

    /**
     * SGLang's default --disaggregation-bootstrap-port (ServerArgs.disaggregation_bootstrap_port,
     * server_args.py at 0.4.6.post5 and 0.5.10): where a prefill server hands a decode server the
     * KV transfer's metadata; shardplan always writes it, offset per server on a node.
     */
    public static final int SGLANG_BOOTSTRAP_PORT_BASE = 8998;

    /** The connector of that name for the engine, in any release. */
    public static Optional<Connector> find(EngineKind engine, String name) {
        return ALL.stream().filter(c -> c.engine() == engine && c.name().equals(name)).findFirst();
    }

    /** The names the engine has a connector for, sorted. */
    public static List<String> names(EngineKind engine) {
        return ALL.stream().filter(c -> c.engine() == engine).map(Connector::name).sorted().distinct().toList();
    }

    /** Every connector name of any engine (the language's vocabulary), sorted. */
    public static List<String> allNames() {
        return ALL.stream().map(Connector::name).sorted().distinct().toList();
    }
}
