package dev.shardplan.engine;

import dev.shardplan.layout.LayoutRules;
import dev.shardplan.layout.Rank;
import dev.shardplan.layout.RankLayout;
import dev.shardplan.model.DType;
import dev.shardplan.model.EngineKind;
import dev.shardplan.model.Model;
import dev.shardplan.model.Plan;

import java.util.List;
import java.util.Optional;

/**
 * Everything shardplan knows about one serving engine, per supported release: its settings (names,
 * types, accepted values, defaults, launcher spellings), how it lays ranks out, how it sizes KV
 * entries, and how it accounts a rank's memory. One implementation per engine; nothing outside
 * this package switches on the engine kind.
 */
public interface EngineSpec {
    EngineKind kind();

    /** The engine's name as users write it in prose ("vLLM"). */
    String title();

    /** Supported releases, oldest first. */
    List<Release> releases();

    /** The release a plan gets when it names none. */
    default Release newest() {
        return releases().get(releases().size() - 1);
    }

    /** A supported release by its exact number. */
    default Optional<Release> release(String version) {
        Version v = Version.parse(version);
        if (v == null) return Optional.empty();
        for (Release r : releases()) if (r.version().compareTo(v) == 0) return Optional.of(r);
        return Optional.empty();
    }

    /** The settings a plan may write for this release, in the order their default rules resolve. */
    List<Setting> settings(Release r);

    default Optional<Setting> setting(Release r, String name) {
        for (Setting s : settings(r)) if (s.name().equals(name)) return Optional.of(s);
        return Optional.empty();
    }

    /** The setting that plays a role in this release, if the engine has one. */
    default Optional<Setting> setting(Release r, Role role) {
        for (Setting s : settings(r)) if (s.role() == role) return Optional.of(s);
        return Optional.empty();
    }

    /** Plan names of settings other releases of this engine have but {@code r} lacks, with the releases that have them. */
    default Optional<String> releasesWith(String name) {
        List<String> have = new java.util.ArrayList<>();
        for (Release r : releases()) if (setting(r, name).isPresent()) have.add(r.version().toString());
        return have.isEmpty() ? Optional.empty() : Optional.of(String.join(", ", have));
    }

    /** The release's kv_cache_dtype word for a storage dtype (other than "auto"), if it has one. */
    default Optional<String> kvWord(Release r, DType d, Model model) {
        Optional<Setting> s = setting(r, Role.KV_CACHE_DTYPE);
        if (s.isEmpty()) return Optional.empty();
        for (String c : s.get().choices()) if (!c.equals("auto") && kvDtype(c, model) == d) return Optional.of(c);
        return Optional.empty();
    }

    LayoutRules layoutRules();

    /** The launcher's structural flags (not plan settings), each with the releases that accept it. */
    List<LaunchFlag> launchFlags();

    /** Whether release {@code r} accepts the flag of {@code key}. */
    default boolean hasFlag(Release r, String key) {
        for (LaunchFlag f : launchFlags()) if (f.key().equals(key) && f.in(r)) return true;
        return false;
    }

    /** The spelling of a structural flag in release {@code r}; a key the release lacks is a bug of the caller's check. */
    default String flag(Release r, String key) {
        for (LaunchFlag f : launchFlags()) if (f.key().equals(key) && f.in(r)) return f.spelling();
        throw new IllegalArgumentException(r.label() + " has no launch flag " + key);
    }

    /**
     * The launcher's name for a model's reasoning parser in release {@code r} (the model names it
     * in shardplan's spelling, e.g. deepseek_r1), or empty when the release has none for it.
     */
    Optional<String> reasoningParser(Release r, String parser);

    /** The reasoning parsers release {@code r} knows, in its own spelling. */
    List<String> reasoningParsers(Release r);

    /** The dtype the KV cache stores for a kv_cache_dtype word of this release ("auto": the model's own). */
    DType kvDtype(String word, Model model);

    /** KV bytes one token takes in one layer on a rank of a tp-way group, with their derivation. */
    KvBytes kvBytes(EngineConfig cfg, Model model, int tp);

    /** How the engine divides a worker's KV pool between layers (vLLM's hybrid groups; one group otherwise). */
    KvGroups kvGroups(EngineConfig cfg, Model model);

    /**
     * Redundant expert copies EPLB places over the EP ranks, from the REDUNDANT_EXPERTS setting as
     * this engine counts it (vLLM num_redundant_experts and SGLang ep_num_redundant_experts count
     * the copies; TensorRT-LLM counts slots, experts + copies); 0 without the setting or for a dense model.
     */
    default long redundantExperts(EngineConfig cfg, Model model) {
        if (model.moe() == null) return 0;
        return cfg.role(Role.REDUNDANT_EXPERTS).map(Effective::count).orElse(0L);
    }

    /**
     * Whether the MoE layers of an expert-parallel plan ({@code p.ep()} > 1) exchange tokens with a
     * dispatch and combine all-to-all. Where they do not, every rank of the EP group already holds
     * all of its group's tokens, computes its own experts for them, and the MoE output is summed by
     * the tensor-parallel all-reduce the step already pays; each engine states its rule and source.
     */
    boolean epAllToAll(EngineConfig cfg, dev.shardplan.model.Parallel p);

    /**
     * What one token's hidden state takes on the wire in the expert-parallel dispatch and combine
     * of {@code cfg}'s all-to-all kernels (BF16 both ways unless the engine's kernels say otherwise).
     */
    default EpMessage epMessage(EngineConfig cfg, Model model, dev.shardplan.model.Parallel p) {
        return EpMessage.bf16(model);
    }

    /** One rank's memory, the way this release accounts for it. */
    MemoryBudget budget(EngineConfig cfg, Plan plan, RankLayout layout, Rank rank);

    /**
     * What the engine lets itself use on a GPU, in the user's words ("64.8 GiB vllm may use
     * (gpu_memory_utilization 0.90 x 72.0 GiB)"), for diagnostics.
     */
    String usableText(MemoryBudget b);

    /** Whether the engine refuses to start when one sequence of max_model_len tokens does not fit its KV pool. */
    boolean refusesShortPool();

    /** Tokens one prefill step processes: the step budget, or what the engine uses when chunking is off. */
    default long prefillTokens(EngineConfig cfg) {
        return cfg.maxBatchedTokens();
    }

    /**
     * Sequences one replica's scheduler runs at once, given its KV pool in tokens: the MAX_SEQS
     * setting as the engine counts it, or what the engine derives at start-up when it is unset.
     */
    default long runningCap(EngineConfig cfg, long kvTokens, dev.shardplan.model.Parallel p) {
        return cfg.maxSeqs();
    }

    /**
     * Whether the scheduler admits a request only when its whole max length fits the KV pool (no
     * preemption), as TensorRT-LLM's default GUARANTEED_NO_EVICT policy does; otherwise blocks
     * are taken as tokens are produced and a full pool preempts.
     */
    default boolean reservesWholeSequence() {
        return false;
    }

    /** The default API port of the engine's server. */
    int defaultPort();

    /**
     * How this release runs {@code plan}'s serving loop: CPU/GPU overlap, pipeline scheduling, CUDA
     * graph sizes, sampler, prefix cache and replica lockstep, each from the engine's code
     * ({@link EngineLoop}).
     */
    EngineLoop loop(EngineConfig cfg, Plan plan);

    /** The launcher's name for a model's tool-call format in release {@code r}, or empty when it has none. */
    Optional<String> toolParser(Release r, String parser);

    /** The tool-call parsers release {@code r} knows, in its own spelling. */
    List<String> toolParsers(Release r);

    /** Health endpoints and /dev/shm of the release's server. */
    Serving serving(Release r);

    /**
     * Over how many DP ranks one server divides a limit of this role: the value the launcher is
     * given is that many times what each rank's scheduler runs (SGLang under DP attention); 1 when
     * every rank's scheduler takes the value as it is (vLLM's engine cores, TensorRT-LLM's ranks).
     */
    default int limitRanks(Role role, dev.shardplan.model.Parallel p) {
        return 1;
    }

    /** Where the engine's counting of a limit is read from (for plan.json and the docs). */
    default String limitSource(Role role) {
        return title() + " applies " + (role == Role.MAX_SEQS ? "the sequence limit" : "the token budget") + " to each scheduler as given";
    }
}
