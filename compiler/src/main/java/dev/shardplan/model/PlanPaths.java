package dev.shardplan.model;

/**
 * The field paths later stages point diagnostics at: the fields a resolved plan records spans for
 * ({@link Plan#spans()}), one constant per row of the language's field tables
 * (resolve.LanguageFields.recordedPaths). Generated from those tables by resolve.FieldPathsTest
 * ({@code -Dshardplan.rewrite=true} rewrites it): a field is added to its table, not here.
 */
public final class PlanPaths {
    private PlanPaths() {}

    public static final FieldPath MODEL = new FieldPath("model");
    public static final FieldPath CLUSTER = new FieldPath("cluster");
    public static final FieldPath WORKLOAD = new FieldPath("workload");
    public static final FieldPath PARALLEL = new FieldPath("parallel");
    public static final FieldPath ENGINE = new FieldPath("engine");
    public static final FieldPath KV_TRANSFER = new FieldPath("kv_transfer");
    public static final FieldPath SLO = new FieldPath("slo");
    public static final FieldPath EMIT = new FieldPath("emit");
    public static final FieldPath DEPLOY = new FieldPath("deploy");
    public static final FieldPath TUNING = new FieldPath("tuning");
    public static final FieldPath EFFICIENCY = new FieldPath("efficiency");
    public static final FieldPath PARALLEL_DP = new FieldPath("parallel.dp");
    public static final FieldPath PARALLEL_TP = new FieldPath("parallel.tp");
    public static final FieldPath PARALLEL_PP = new FieldPath("parallel.pp");
    public static final FieldPath PARALLEL_EP = new FieldPath("parallel.ep");
    public static final FieldPath PARALLEL_DP_ATTENTION = new FieldPath("parallel.dp_attention");
    public static final FieldPath PARALLEL_LAYER_SPLIT = new FieldPath("parallel.layer_split");
    public static final FieldPath PARALLEL_PLACEMENT = new FieldPath("parallel.placement");
    public static final FieldPath DEPLOY_MODEL_PATH = new FieldPath("deploy.model_path");
    public static final FieldPath DEPLOY_SERVED_NAME = new FieldPath("deploy.served_name");
    public static final FieldPath DEPLOY_IMAGE = new FieldPath("deploy.image");
    public static final FieldPath DEPLOY_HOSTS = new FieldPath("deploy.hosts");
    public static final FieldPath DEPLOY_PORT = new FieldPath("deploy.port");
    public static final FieldPath DEPLOY_MASTER_PORT = new FieldPath("deploy.master_port");
    public static final FieldPath DEPLOY_NAMESPACE = new FieldPath("deploy.namespace");
    public static final FieldPath DEPLOY_PARTITION = new FieldPath("deploy.partition");
    public static final FieldPath DEPLOY_ACCOUNT = new FieldPath("deploy.account");
    public static final FieldPath DEPLOY_NETWORK_INTERFACE = new FieldPath("deploy.network_interface");
    public static final FieldPath DEPLOY_HF_TOKEN_SECRET = new FieldPath("deploy.hf_token_secret");
    public static final FieldPath DEPLOY_MODEL_CACHE = new FieldPath("deploy.model_cache");
    public static final FieldPath DEPLOY_MODEL_CACHE_SIZE = new FieldPath("deploy.model_cache_size");
    public static final FieldPath DEPLOY_STORAGE_CLASS = new FieldPath("deploy.storage_class");
    public static final FieldPath DEPLOY_NODE_SELECTOR = new FieldPath("deploy.node_selector");
    public static final FieldPath DEPLOY_TOLERATIONS = new FieldPath("deploy.tolerations");
    public static final FieldPath DEPLOY_TOPOLOGY_KEY = new FieldPath("deploy.topology_key");
    public static final FieldPath DEPLOY_RDMA_RESOURCE = new FieldPath("deploy.rdma_resource");
    public static final FieldPath DEPLOY_CPU = new FieldPath("deploy.cpu");
    public static final FieldPath DEPLOY_MEMORY = new FieldPath("deploy.memory");
    public static final FieldPath DEPLOY_SHM_SIZE = new FieldPath("deploy.shm_size");
    public static final FieldPath WORKLOAD_REQUESTS = new FieldPath("workload.requests");
    public static final FieldPath WORKLOAD_ARRIVAL = new FieldPath("workload.arrival");
    public static final FieldPath WORKLOAD_BURSTINESS = new FieldPath("workload.burstiness");
    public static final FieldPath WORKLOAD_CONCURRENCY = new FieldPath("workload.concurrency");
    public static final FieldPath WORKLOAD_PROMPT = new FieldPath("workload.prompt");
    public static final FieldPath WORKLOAD_OUTPUT = new FieldPath("workload.output");
    public static final FieldPath WORKLOAD_MAX_LENGTH = new FieldPath("workload.max_length");
    public static final FieldPath WORKLOAD_PREFIX = new FieldPath("workload.prefix");
    public static final FieldPath WORKLOAD_SAMPLING = new FieldPath("workload.sampling");
    public static final FieldPath REPLICAS = new FieldPath("replicas");

    /** An engine setting by the engine's own name ("engine.max_num_seqs"): the engine's table for the plan's release has the names. */
    public static FieldPath engine(String setting) {
        return ENGINE.child(setting);
    }
}
