package dev.shardplan.engine;

import dev.shardplan.model.EngineKind;

import java.util.List;

/**
 * The inference scheduler that joins a disaggregated plan's pools on Kubernetes, in the form llm-d
 * deploys it: the Gateway API Inference Extension's InferencePool over the pool pods, llm-d's
 * endpoint picker (EPP) choosing a decode pod and a prefill pod per request, and llm-d's routing
 * sidecar in each decode pod, which sends the prompt to the chosen prefill pod before decoding.
 * The one home of its releases, images, labels, flag spellings and plugin names.
 *
 * <p>Read at llm-d/llm-d-inference-scheduler tag v0.8.0 (05c91f0d655fbd7ea71fc50949c899c360d06f07),
 * whose go.mod pins sigs.k8s.io/gateway-api-inference-extension v1.5.0
 * (df9f8909fe06fe2dfd4a6fc0bd0c01a0acabf849); the EPP binary is GAIE's runner
 * (cmd/epp/runner) with llm-d's plugins registered (pkg/epp/framework/plugins/register.go).
 */
public final class LlmdScheduler {
    private LlmdScheduler() {}

    public static final String RELEASE = "v0.8.0";
    public static final String GAIE_RELEASE = "v1.5.0";
    /** .github/workflows/ci-release.yaml + ci-build-images.yaml: ghcr.io/llm-d/&lt;name&gt;:&lt;tag&gt;. */
    public static final String EPP_IMAGE = "ghcr.io/llm-d/llm-d-inference-scheduler:" + RELEASE;
    public static final String SIDECAR_IMAGE = "ghcr.io/llm-d/llm-d-routing-sidecar:" + RELEASE;

    /** The InferencePool's API (GAIE config/crd/bases/inference.networking.k8s.io_inferencepools.yaml, served v1). */
    public static final String INFERENCE_POOL_API = "inference.networking.k8s.io/v1";
    public static final String INFERENCE_POOL_GROUP = "inference.networking.k8s.io";
    /** The EPP's configuration file type (GAIE apix/config/v1alpha1 EndpointPickerConfig). */
    public static final String CONFIG_API = "inference.networking.x-k8s.io/v1alpha1";
    public static final String CONFIG_KIND = "EndpointPickerConfig";

    /**
     * Pod labels: the role the EPP's prefill-filter and decode-filter select on
     * (pkg/epp/framework/plugins/scheduling/filter/bylabel/roles.go RoleLabel, values "prefill" and
     * "decode"), and the two labels llm-d's InferencePools select the serving pods by
     * (test/sidecar/config/nixl/inferencepool.yaml at v0.8.0).
     */
    public static final String ROLE_LABEL = "llm-d.ai/role";
    public static final String SERVING_LABEL = "llm-d.ai/inferenceServing";
    public static final String MODEL_LABEL = "llm-d.ai/model";

    // ---- the EPP (GAIE v1.5.0 pkg/epp/server/options.go AddFlags and defaults) ----

    public static final String EPP_POOL_NAME = "--pool-name";
    public static final String EPP_POOL_NAMESPACE = "--pool-namespace";
    public static final String EPP_CONFIG_FILE = "--config-file";
    public static final String EPP_GRPC_PORT = "--grpc-port";
    public static final String EPP_GRPC_HEALTH_PORT = "--grpc-health-port";
    public static final String EPP_METRICS_PORT = "--metrics-port";
    /** Bool flags (pflag): only the "--flag=false" form turns them off. */
    public static final String EPP_METRICS_AUTH = "--metrics-endpoint-auth";
    public static final String EPP_TRACING = "--tracing";
    /** DefaultGrpcPort, and the health and metrics ports' defaults. */
    public static final int EPP_GRPC = 9002;
    public static final int EPP_HEALTH = 9003;
    public static final int EPP_METRICS = 9090;
    /** The gRPC health services the EPP answers (cmd/epp/runner/health.go LivenessCheckService, ReadinessCheckService). */
    public static final String HEALTH_LIVENESS = "liveness";
    public static final String HEALTH_READINESS = "readiness";

    /**
     * The model-server metrics the EPP scrapes for queue depth, running requests and KV use. Its
     * defaults are vLLM's (options.go NewOptions); SGLang's come from GAIE's chart for
     * modelServerType sglang (config/charts/epplib/templates/_deployment.yaml at v1.5.0).
     */
    public record Metric(String flag, String sglang) {}

    public static final List<Metric> METRICS = List.of(
            new Metric("--total-queued-requests-metric", "sglang:num_queue_reqs"),
            new Metric("--total-running-requests-metric", "sglang:num_running_reqs"),
            new Metric("--kv-cache-usage-percentage-metric", "sglang:token_usage"),
            new Metric("--cache-info-metric", "sglang:cache_config_info"));

    // ---- the routing sidecar (pkg/sidecar/proxy/options.go AddFlags at v0.8.0) ----

    public static final String SIDECAR_PORT = "--port";
    public static final String SIDECAR_VLLM_PORT = "--vllm-port";
    public static final String SIDECAR_KV_CONNECTOR = "--kv-connector";
    /** Defaults to true (a self-signed TLS listener); llm-d's P/D pods run it plain behind the gateway. */
    public static final String SIDECAR_SECURE = "--secure-proxy";
    /**
     * Where the decode engine listens behind the sidecar, which takes the plan's API port (the
     * InferencePool's target port); llm-d's P/D examples put vLLM on 8200 behind 8000
     * (deploy/components/vllm-sim-pd/deployments.yaml).
     */
    public static final int ENGINE_BEHIND_SIDECAR_OFFSET = 200;

    /**
     * The sidecar's KV protocol per engine (proxy.go KVConnectorNIXLV2 "nixlv2" for vLLM's
     * NixlConnector, KVConnectorSGLang "sglang", which sends the prefill pod's bootstrap host, the
     * port of SGLANG_BOOTSTRAP_PORT (default 8998, connector_sglang.go) and a room id with both requests).
     */
    public static String sidecarConnector(EngineKind engine) {
        return switch (engine) {
            case VLLM -> "nixlv2";
            case SGLANG -> "sglang";
            case TRTLLM -> null;
        };
    }

    /** The sidecar's SGLang bootstrap port: its default, SGLang's default --disaggregation-bootstrap-port. */
    public static final int SGLANG_BOOTSTRAP_PORT = KvConnectors.SGLANG_BOOTSTRAP_PORT_BASE;

    // ---- plugins of the EPP configuration (register.go at v0.8.0; GAIE runner.go registerInTreePlugins) ----

    /** Sets the header that names the chosen prefill pod for the sidecar (disagg_headers_handler.go). */
    public static final String DISAGG_HEADERS_HANDLER = "disagg-headers-handler";
    /** Runs the prefill profile when its decider says so, then the decode profile (disagg_profile_handler.go). */
    public static final String DISAGG_PROFILE_HANDLER = "disagg-profile-handler";
    /** Prefills every request in the prefill pool, as the plan (and shardplan's simulation) does. */
    public static final String ALWAYS_DISAGG_DECIDER = "always-disagg-pd-decider";
    public static final String PREFILL_FILTER = "prefill-filter";
    public static final String DECODE_FILTER = "decode-filter";
    /** GAIE's: the pod with the shortest waiting queue, and the free KV cache; the highest score wins. */
    public static final String QUEUE_SCORER = "queue-scorer";
    public static final String KV_CACHE_SCORER = "kv-cache-utilization-scorer";
    public static final String MAX_SCORE_PICKER = "max-score-picker";
    /** The scheduling profiles' names the profile handler runs by default (defaultPrefillProfile, defaultDecodeProfile). */
    public static final String PREFILL_PROFILE = "prefill";
    public static final String DECODE_PROFILE = "decode";
}
