package dev.shardplan.resolve;

import dev.shardplan.ast.Nodes.Body;
import dev.shardplan.ast.Nodes.Entry;
import dev.shardplan.ast.Nodes.Name;
import dev.shardplan.ast.Nodes.Value;
import dev.shardplan.diag.Codes;
import dev.shardplan.diag.Diagnostic;
import dev.shardplan.diag.Diagnostics;
import dev.shardplan.diag.Span;
import dev.shardplan.engine.EngineSpec;
import dev.shardplan.engine.KvConnectors;
import dev.shardplan.engine.Release;
import dev.shardplan.model.Disaggregation;
import dev.shardplan.model.EngineBlock;
import dev.shardplan.model.Parallel;
import dev.shardplan.model.Pool;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.BiFunction;

/**
 * The {@code pool prefill { ... }} / {@code pool decode { ... }} entries of a plan and its
 * {@code kv_transfer { connector nixl }} block: a disaggregated plan. A pool has its own
 * {@code parallel} block (required), {@code replicas} (engine instances, default 1) and an
 * optional {@code engine KIND { ... }} whose settings go over the plan's engine block (same
 * engine and release: the two pools must speak one connector protocol).
 */
final class Pools {
    private Pools() {}

    static final String POOL = "pool";
    static final String KV_TRANSFER = "kv_transfer";
    private static final Set<String> ROLES = Set.of("prefill", "decode");
    static final Field PARALLEL = Field.block("parallel").required("parallel { tp 8 }").doc("The pool's parallel degrees, as a plan's `parallel`.");
    static final Field REPLICAS = Field.count("replicas", 1, 65536).byDefault(1).example("replicas 1").doc("Engine instances of the pool.");
    static final Field ENGINE = Field.other("engine", "vllm | sglang | trtllm { settings }").fallback("the plan's engine block")
            .example("engine vllm { max_num_seqs 64 }").doc("Settings over the plan's engine block (same engine and release).");
    static final FieldTable POOL_FIELDS = FieldTable.of("plan.pool", PARALLEL, REPLICAS, ENGINE);
    static final Field CONNECTOR = Field.word("connector", Set.copyOf(KvConnectors.allNames())).required("connector nixl")
            .doc("The KV connector the pools transfer over (vllm: nixl; sglang: nixl, mooncake).");
    static final FieldTable TRANSFER_FIELDS = FieldTable.of("plan.kv_transfer", CONNECTOR);

    /** The pool entries found, and the body without them (for the plan's field table). */
    record Split(List<Entry> pools, Body rest) {}

    static Split split(Body body) {
        if (body == null) return new Split(List.of(), null);
        List<Entry> pools = new ArrayList<>(), rest = new ArrayList<>();
        for (Entry e : body.entries()) (e.key().text().equals(POOL) ? pools : rest).add(e);
        return new Split(pools, new Body(rest, body.loc()));
    }

    /**
     * The plan's pools, or null when it has none or they are wrong (reported). {@code plan} is the
     * plan's engine block (null when it did not resolve); {@code parallel} reads a pool's
     * {@code parallel} block with its spans.
     */
    static Disaggregation read(String what, Span planSpan, List<Entry> entries, Fields f, EngineBlock plan, Diagnostics diags,
                               BiFunction<Fields, Map<String, Span>, Parallel> parallel) {
        Entry kt = f.entry(KV_TRANSFER);
        if (entries.isEmpty()) {
            if (kt != null) {
                diags.add(Diagnostic.of(Codes.INVALID_POOLS, kt.key().span(), "`kv_transfer` in " + what + ", which has no pools")
                        .note("the KV cache moves between a prefill and a decode pool; an aggregated plan keeps it on the GPU that made it")
                        .help("add `pool prefill { parallel { ... } }` and `pool decode { parallel { ... } }`, or remove `kv_transfer`").build());
            }
            return null;
        }
        boolean ok = true;
        if (f.has("parallel")) {
            diags.add(Diagnostic.of(Codes.INVALID_POOLS, f.entry("parallel").key().span(), "`parallel` in " + what + ", which has pools")
                    .label(entries.get(0).key().span(), "the pools are declared here")
                    .note("each pool runs its own layout; a plan-wide one would say nothing")
                    .help("move the degrees into each pool's `parallel` block and remove this one").build());
            ok = false;
        }
        Map<Pool.Role, Pool> pools = new EnumMap<>(Pool.Role.class);
        Map<Pool.Role, Entry> first = new EnumMap<>(Pool.Role.class);
        for (Entry e : entries) {
            Value v = e.values().size() == 1 && e.values().get(0).items().size() == 1 ? e.values().get(0).items().get(0) : null;
            if (!(v instanceof Name n)) {
                diags.add(Diagnostic.of(Codes.TYPE_MISMATCH, e.span(), "`pool` takes its role and a block")
                        .help("write `pool prefill { parallel { tp 4 } }` or `pool decode { ... }`").build());
                ok = false;
                continue;
            }
            String role = f.word(v, "pool", ROLES);
            if (role == null) {
                ok = false;
                continue;
            }
            Pool.Role r = Pool.Role.valueOf(role.toUpperCase(Locale.ROOT));
            Entry prev = first.putIfAbsent(r, e);
            if (prev != null) {
                diags.add(Diagnostic.of(Codes.DUPLICATE_FIELD, n.span(), "pool `" + role + "` is given twice in " + what)
                        .label(prev.values().get(0).span(), "first given here")
                        .help("a plan has one prefill pool and one decode pool; set `replicas` for more instances").build());
                ok = false;
                continue;
            }
            if (e.body() == null) {
                diags.add(Diagnostic.of(Codes.TYPE_MISMATCH, e.span(), "pool `" + role + "` needs a block")
                        .help("write `pool " + role + " { parallel { tp 4 } }`").build());
                ok = false;
                continue;
            }
            Pool p = pool(what, r, e, plan, diags, parallel);
            if (p == null) ok = false;
            else pools.put(r, p);
        }
        for (Pool.Role r : Pool.Role.values()) {
            if (!first.containsKey(r) && ok) {
                String other = r == Pool.Role.PREFILL ? "decode" : "prefill";
                diags.add(Diagnostic.of(Codes.MISSING_FIELD, entries.get(0).key().span(), what + " has a " + other + " pool but no " + r.id() + " pool")
                        .help("add `pool " + r.id() + " { parallel { ... } }`, or remove the pool for an aggregated plan with `parallel`").build());
                ok = false;
            }
        }
        String connector = null;
        Span connectorSpan = null;
        if (kt == null) {
            diags.add(Diagnostic.of(Codes.MISSING_FIELD, entries.get(0).key().span(), "missing field `kv_transfer` in " + what + ", which has pools")
                    .help("add `kv_transfer { connector nixl }`").build());
            ok = false;
        } else if (kt.body() == null || !kt.values().isEmpty()) {
            diags.add(Diagnostic.of(Codes.TYPE_MISMATCH, kt.span(), "`kv_transfer` takes a block")
                    .help("write `kv_transfer { connector nixl }`").build());
            ok = false;
        } else {
            Fields tf = new Fields("kv_transfer", kt.span(), kt.body(), TRANSFER_FIELDS, diags);
            connector = tf.word(CONNECTOR);
            connectorSpan = tf.span(CONNECTOR);
            if (connector == null) ok = false;
            else if (plan != null && !connectorIn(plan, connector, connectorSpan, diags)) ok = false;
        }
        if (!ok || plan == null) return null;
        return new Disaggregation(pools.get(Pool.Role.PREFILL), pools.get(Pool.Role.DECODE), connector, connectorSpan, entries.get(0).span());
    }

    /** Whether the plan's engine and release have {@code connector} (reported when not). */
    private static boolean connectorIn(EngineBlock plan, String connector, Span at, Diagnostics diags) {
        EngineSpec spec = dev.shardplan.engine.Engines.spec(plan.kind());
        Release r = release(spec, plan);
        var c = KvConnectors.find(plan.kind(), connector);
        if (c.isEmpty()) {
            List<String> names = KvConnectors.names(plan.kind());
            diags.add(Diagnostic.of(Codes.BAD_ENUM, at, spec.title() + " has no `" + connector + "` KV connector")
                    .help(names.isEmpty() ? "shardplan knows no disaggregated serving for " + spec.title() + " yet; use vllm or sglang"
                            : "use one of: " + String.join(", ", names)).build());
            return false;
        }
        if (!c.get().in(r)) {
            diags.add(Diagnostic.of(Codes.NOT_IN_RELEASE, at, r.label() + " has no `" + connector + "` KV connector (" + c.get().engineValue() + ")")
                    .note("it arrived in " + spec.title() + " " + c.get().since() + " (" + c.get().source() + ")")
                    .help("use `version \"" + c.get().since() + "\"` or later in the engine block").build());
            return false;
        }
        return true;
    }

    private static Release release(EngineSpec spec, EngineBlock b) {
        return b.version() == null ? spec.newest() : spec.release(b.version()).orElse(spec.newest());
    }

    private static Pool pool(String what, Pool.Role role, Entry e, EngineBlock plan, Diagnostics diags,
                             BiFunction<Fields, Map<String, Span>, Parallel> parallel) {
        String where = "pool `" + role.id() + "` of " + what;
        Fields pf = new Fields(where, e.key().span(), e.body(), POOL_FIELDS, diags);
        Map<String, Span> spans = new HashMap<>();
        Parallel par = parallel.apply(pf, spans);
        long replicas = pf.integerOr(REPLICAS);
        if (pf.has(REPLICAS)) spans.put(REPLICAS.name(), pf.span(REPLICAS));
        EngineBlock engine = plan;
        if (pf.has("engine")) {
            Map<String, Span> es = new HashMap<>();
            EngineBlock own = Engines.engine(pf, es, diags, false);
            if (own == null || plan == null) return null;
            if (own.kind() != plan.kind()) {
                diags.add(Diagnostic.of(Codes.INVALID_POOLS, es.get("engine"), where + " runs " + own.kind().id() + ", but the plan's engine is " + plan.kind().id())
                        .note("prefill and decode instances must speak one KV connector protocol")
                        .help("write `engine " + plan.kind().id() + " { ... }` in the pool").build());
                return null;
            }
            if (own.version() != null && !own.version().equals(plan.version())) {
                diags.add(Diagnostic.of(Codes.INVALID_POOLS, es.get("engine.version"), where + " pins release " + own.version()
                                + ", the plan's engine " + (plan.version() == null ? "the newest" : plan.version()))
                        .help("give `version` once, in the plan's engine block").build());
                return null;
            }
            EngineSpec spec = dev.shardplan.engine.Engines.spec(plan.kind());
            Release r = release(spec, plan);
            Map<String, Object> settings = new TreeMap<>(plan.settings());
            for (var s : own.settings().entrySet()) {
                // The pool's block was read against the newest release; the plan may pin an older one.
                if (spec.setting(r, s.getKey()).isEmpty()) {
                    diags.add(Diagnostic.of(Codes.NOT_IN_RELEASE, es.get("engine." + s.getKey()), r.label() + " has no setting `" + s.getKey() + "`")
                            .help("remove it, or pin a release that has it in the plan's engine block").build());
                    return null;
                }
                settings.put(s.getKey(), s.getValue());
            }
            for (var s : es.entrySet()) if (s.getKey().startsWith("engine.")) spans.put(s.getKey(), s.getValue());
            engine = new EngineBlock(plan.kind(), plan.version(), settings);
        }
        if (par == null || engine == null) return null;
        return new Pool(role, par, engine, (int) replicas, spans, e.span());
    }
}
