package dev.shardplan.predict;

import dev.shardplan.diag.Span;
import dev.shardplan.model.DType;
import dev.shardplan.engine.EngineSpec;
import dev.shardplan.engine.Engines;
import dev.shardplan.engine.Release;
import dev.shardplan.engine.Role;
import dev.shardplan.engine.Setting;
import dev.shardplan.model.EngineBlock;
import dev.shardplan.model.Parallel;
import dev.shardplan.model.Plan;
import dev.shardplan.model.Slo;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * Explores a search space: enumerates dp × tp × pp (× ep and attention DP for MoE) × max_num_seqs
 * × max_num_batched_tokens × KV dtype,
 * discards candidates that break a divisibility rule or do not fit in memory (they are never
 * simulated), simulates the rest on one request set, ranks them by the objective (plans that
 * meet every SLO first) and finds the Pareto front of throughput against median TPOT.
 * Placement is the engine's default order: on one NVLink domain every placement of a group is
 * equivalent, across domains TP stays inside one (the rank order vLLM uses).
 *
 * <p>Candidates are analysed and simulated on {@link Options#jobs} threads; the result does not
 * depend on their number. Two exact short cuts (docs/predictions.md, "Search"): candidates whose
 * simulations are the same (they differ only in a max_num_seqs above what a replica can hold)
 * share one; and a candidate is pruned, not simulated, when its {@link SimBounds} show that at
 * least {@link #EXACT_TOP} simulated candidates rank above it whatever it does and one of them
 * beats it on both axes of the Pareto front: the first {@value #EXACT_TOP} ranks, the winner's
 * explanation and the Pareto front are then exactly those of simulating every candidate.
 * Candidates are simulated in order of their bound, best first, so that pruning starts early;
 * which ones are pruned is decided in that order as if one at a time, so it is deterministic.
 */
public final class Search {
    private Search() {}

    /** Ranks that pruning keeps exact; the HTML report shows as many. */
    public static final int EXACT_TOP = 6;

    /**
     * A candidate: its plan and either its prediction or why it was discarded or pruned; and the
     * bounds its prediction was known to respect before simulating (null when it has none).
     */
    public record Candidate(Plan plan, Prediction prediction, String discarded, SimBounds.Bound bound) {
        public Candidate(Plan plan, Prediction prediction, String discarded) {
            this(plan, prediction, discarded, null);
        }

        public boolean simulated() {
            return prediction != null && prediction.simulated();
        }

        public SimResult result() {
            return prediction == null ? null : prediction.result();
        }

        public String label() {
            Parallel p = plan.parallel();
            StringBuilder sb = new StringBuilder();
            if (plan.disaggregated()) sb.append(plan.disagg().prefill().replicas()).append("p+").append(plan.disagg().decode().replicas()).append("d ");
            sb.append("dp").append(p.dp()).append(" tp").append(p.tp()).append(" pp").append(p.pp());
            if (plan.model().isMoe()) sb.append(" ep").append(p.ep());
            if (p.dpAttention()) sb.append(" adp");
            Object seqs = plan.engine().settings().get(settingName(plan.engine(), Role.MAX_SEQS));
            Object kv = plan.engine().settings().get(settingName(plan.engine(), Role.KV_CACHE_DTYPE));
            sb.append(" seqs ").append(seqs == null ? "default" : seqs);
            // the step budget only when the space explores it (the candidate's name says so), so
            // labels of other searches stay as they were
            Object tok = plan.engine().settings().get(settingName(plan.engine(), Role.MAX_BATCHED_TOKENS));
            if (tok != null && plan.name().contains("_tokens" + tok + "_")) sb.append(" tokens ").append(tok);
            sb.append(' ').append(kv == null ? "kv auto" : kv);
            return sb.toString();
        }
    }

    /**
     * Ranked simulated candidates, the discarded ones, those pruned by their bounds, the Pareto
     * front, the explanation, and how many simulations ran (candidates that share one count once).
     */
    public record Result(SearchSpace space, List<Candidate> ranked, List<Candidate> discarded, List<Candidate> pruned,
                         List<Candidate> pareto, String why, long seed, int simulations) {
        public Candidate winner() {
            return ranked.isEmpty() ? null : ranked.get(0);
        }

        /** Every candidate the space enumerates. */
        public int candidates() {
            return ranked.size() + discarded.size() + pruned.size();
        }
    }

    /**
     * How to run a search. {@code jobs}: threads; {@code prune}: skip candidates whose bounds settle
     * them (false: simulate every candidate); {@code progress}: told as candidates finish.
     */
    public record Options(int jobs, boolean prune, Progress progress) {
        public Options {
            if (jobs < 1) throw new IllegalArgumentException("jobs must be >= 1: " + jobs);
            if (progress == null) progress = Progress.NONE;
        }

        public static Options sequential() {
            return new Options(1, true, Progress.NONE);
        }
    }

    /** Where a search is: candidates settled (simulated, shared, pruned or discarded) of all, and the best so far. */
    public record Status(int done, int total, Candidate best, long elapsedNanos) {
        /** Seconds left at the rate so far; NaN before anything is done. */
        public double etaSeconds() {
            return done == 0 ? Double.NaN : elapsedNanos / 1e9 / done * (total - done);
        }
    }

    /** Told of progress, from the searching threads, one call at a time. */
    @FunctionalInterface
    public interface Progress {
        void update(Status s);

        Progress NONE = s -> {};
    }

    /** Searches on one thread; {@code inputs} gives each candidate plan's analysis inputs. */
    public static Result run(SearchSpace s, long seed, Function<Plan, PlanInputs> inputs) {
        return run(s, seed, inputs, Options.sequential());
    }

    /**
     * Searches; {@code inputs} gives each candidate plan's analysis inputs (called from several
     * threads). Runs on fewer threads than asked when only that fits in the heap.
     *
     * @throws TooLargeException when even one thread's simulation would not fit (SP0904)
     */
    public static Result run(SearchSpace s, long seed, Function<Plan, PlanInputs> inputs, Options opts) {
        return run(s, seed, inputs, null, opts);
    }

    /**
     * Searches a space that may split the GPUs into prefill and decode pools: {@code pools} gives a
     * pool candidate's prediction (its pools analysed and simulated by the disaggregated simulator,
     * on the requests this search draws with {@code seed}); null discards pool candidates.
     */
    public static Result run(SearchSpace s, long seed, Function<Plan, PlanInputs> inputs, Function<Plan, Prediction> pools, Options opts) {
        return new Run(s, seed, inputs, pools, opts).go();
    }

    /** One candidate on its way: its setup, bounds and, once known, its prediction. */
    private static final class Entry {
        final int index;
        final Plan plan;
        String discarded;
        Predictor.Setup setup;
        SimBounds.Bound bound;
        double maxScore;
        boolean mayMeetSlos;
        Key key;
        volatile Prediction prediction; // null until simulated (or when pruned)

        Entry(int index, Plan plan) {
            this.index = index;
            this.plan = plan;
        }
    }

    /** What a simulation depends on: equal keys, equal results. */
    private record Key(SchedulerConfig scheduler, RankLoad load, dev.shardplan.model.Gpu gpu, Efficiency efficiency,
                       dev.shardplan.analysis.CollectiveSchedule comm, dev.shardplan.engine.EngineLoop loop, dev.shardplan.model.Workload.Sampling sampling) {}

    private static final class Run {
        final SearchSpace space;
        final long seed;
        final Function<Plan, PlanInputs> inputs;
        final Function<Plan, Prediction> pools;
        final Options opts;
        final long started = System.nanoTime();
        final RequestSet reqs;
        final SimBounds.Requests reqBounds;
        final boolean e2eSlo;
        final Map<Key, java.util.concurrent.CompletableFuture<SimResult>> sims = new java.util.concurrent.ConcurrentHashMap<>();
        final List<Entry> settled = new ArrayList<>(); // simulated, in completion order (guarded by this)
        int done, total;

        Run(SearchSpace s, long seed, Function<Plan, PlanInputs> inputs, Function<Plan, Prediction> pools, Options opts) {
            this.space = s;
            this.seed = seed;
            this.inputs = inputs;
            this.pools = pools;
            // one request set and its bounds' tables for all; per thread a simulation and a candidate's bounds
            long n = Math.min(Integer.MAX_VALUE, s.workload().requests());
            long shared = Predictor.requestSetBytes(n) + 40 * n, perJob = Predictor.simulationBytes(n) + 17 * n;
            int jobs = opts.jobs();
            while (jobs > 1 && Predictor.tooLarge(n, shared, perJob, jobs, s.span()) != null) jobs--;
            var big = Predictor.tooLarge(n, shared, perJob, jobs, s.workload().span().isNone() ? s.span() : s.workload().span());
            if (big != null) throw new TooLargeException(big);
            this.opts = new Options(jobs, opts.prune(), opts.progress());
            reqs = RequestSet.draw(s.workload(), seed);
            reqBounds = new SimBounds.Requests(reqs);
            e2eSlo = s.slos().stream().anyMatch(x -> x.metric().equals("e2e"));
        }

        Result go() {
            List<Plan> plans = enumerate(space);
            total = plans.size();
            List<Entry> all = new ArrayList<>();
            for (int i = 0; i < plans.size(); i++) all.add(new Entry(i, plans.get(i)));
            parallel(all, this::prepare);
            List<Entry> order = new ArrayList<>();
            for (Entry e : all) if (e.discarded == null) order.add(e);
            order.sort(Comparator.comparingDouble((Entry e) -> -e.maxScore).thenComparingInt(e -> e.index));
            parallel(order, e -> {
                if (!prunable(e, snapshot(e))) simulate(e);
                settle(e);
            });
            // Decide in bound order, one at a time, against the candidates kept before: the same set
            // whatever the threads did. One pruned early by a candidate pruned here is simulated now.
            List<Entry> kept = new ArrayList<>();
            List<Candidate> ranked = new ArrayList<>(), discarded = new ArrayList<>(), pruned = new ArrayList<>();
            for (Entry e : order) {
                if (prunable(e, kept)) {
                    pruned.add(new Candidate(e.plan, null, pruneReason(e), e.bound));
                    continue;
                }
                if (e.prediction == null) simulate(e);
                kept.add(e);
            }
            for (Entry e : all) {
                if (e.discarded != null) discarded.add(new Candidate(e.plan, e.setup == null || e.setup.simulable() ? null : e.setup.unsimulated(), e.discarded));
            }
            for (Entry e : kept) ranked.add(new Candidate(e.plan, e.prediction, null, e.bound));
            ranked.sort(order(space));
            pruned.sort(Comparator.comparing(c -> c.plan().name()));
            // the simulations the result rests on (speculative ones of candidates pruned later do not count)
            int simulations = (int) kept.stream().filter(e -> e.key != null).map(e -> e.key).distinct().count()
                    + (int) kept.stream().filter(e -> e.key == null).count();
            return new Result(space, ranked, discarded, pruned, pareto(ranked), explain(space, ranked), seed, simulations);
        }

        /** Rules, analysis, scheduler and bounds of one candidate. */
        void prepare(Entry e) {
            dev.shardplan.diag.Deadline.check();
            String rule = rules(e.plan);
            if (rule != null) {
                e.discarded = rule;
            } else if (e.plan.disaggregated()) {
                // A pool candidate is simulated here, whole (prefill servers, transfers, decode):
                // it has no bounds, so it is never pruned, and it shares no simulation.
                Prediction pr = pools == null ? null : pools.apply(e.plan);
                if (pr == null) e.discarded = "pool candidates are not simulated by this caller";
                else if (!pr.simulated()) e.discarded = pr.inputs() == null || pr.inputs().reason().isEmpty() ? "not simulated" : pr.inputs().reason();
                else {
                    e.prediction = pr;
                    e.maxScore = Double.POSITIVE_INFINITY;
                    e.mayMeetSlos = true;
                }
            } else {
                PlanInputs in = inputs.apply(e.plan);
                if (!in.fits()) {
                    e.discarded = in.reason();
                } else {
                    e.setup = Predictor.setup(e.plan, in, seed);
                    if (!e.setup.simulable()) {
                        e.discarded = "not simulated";
                    } else {
                        var st = e.setup;
                        e.key = new Key(ServingSimulator.canonical(st.scheduler(), reqs), st.load(), e.plan.cluster().gpu(),
                                st.efficiency(), in.comm(), in.loop(), e.plan.workload().sampling());
                        e.bound = SimBounds.of(st.scheduler(), st.model().floor(), reqBounds, e2eSlo);
                        e.maxScore = e.bound == null ? Double.POSITIVE_INFINITY : maxScore(e);
                        e.mayMeetSlos = e.bound == null || mayMeetSlos(e);
                    }
                }
            }
            if (e.discarded != null) settle(e);
        }

        void simulate(Entry e) {
            if (e.plan.disaggregated()) return; // simulated when prepared
            var f = new java.util.concurrent.CompletableFuture<SimResult>();
            var mine = sims.putIfAbsent(e.key, f);
            SimResult r;
            if (mine == null) {
                try {
                    r = Simulation.run(e.setup.scheduler(), e.setup.model(), reqs);
                } catch (RuntimeException | Error x) {
                    f.completeExceptionally(x);
                    throw x;
                }
                f.complete(r);
            } else {
                r = mine.join();
            }
            e.prediction = e.setup.finish(r);
        }

        synchronized List<Entry> snapshot(Entry c) {
            List<Entry> out = new ArrayList<>();
            for (Entry d : settled) if (d.prediction != null && d.maxScore >= c.maxScore) out.add(d);
            return out;
        }

        synchronized void settle(Entry e) {
            done++;
            if (e.prediction != null) settled.add(e);
            Candidate best = null;
            Comparator<Candidate> ord = order(space);
            for (Entry d : settled) {
                Candidate c = new Candidate(d.plan, d.prediction, null);
                if (best == null || ord.compare(c, best) < 0) best = c;
            }
            opts.progress().update(new Status(done, total, best, System.nanoTime() - started));
        }

        /** Whether simulated candidates {@code others} already settle {@code c}'s place outside the exact part. */
        boolean prunable(Entry c, List<Entry> others) {
            if (c.bound == null || !opts.prune()) return false;
            int above = 0;
            boolean dominated = false;
            double lbTpot = c.bound.minTpot().p50();
            for (Entry d : others) {
                SimResult r = d.prediction.result();
                Candidate dc = new Candidate(d.plan, d.prediction, null);
                boolean meets = meetsSlos(dc);
                if ((meets && !c.mayMeetSlos) || ((meets || !c.mayMeetSlos) && score(space, dc) > c.maxScore)) above++;
                if (r.outputThroughput() > c.bound.maxOutputThroughput() && r.tpot().p50() <= lbTpot) dominated = true;
                if (above >= EXACT_TOP && dominated) return true;
            }
            return false;
        }

        String pruneReason(Entry e) {
            return String.format(Locale.ROOT, "pruned by bound: at most %.0f output tokens/s, tpot p50 at least %s",
                    e.bound.maxOutputThroughput(), PredictionRenderer.t(e.bound.minTpot().p50()));
        }

        /** The best score the candidate could reach: its objective at its bounds. */
        double maxScore(Entry e) {
            return switch (space.objective()) {
                case THROUGHPUT -> e.bound.maxOutputThroughput();
                case THROUGHPUT_PER_GPU -> e.bound.maxOutputThroughput() / gpus(e.plan);
                case LATENCY -> -e.bound.minTpot().p50();
            };
        }

        /** False when a bound shows that the candidate misses one of its SLOs. */
        boolean mayMeetSlos(Entry e) {
            for (Slo s : e.plan.slos()) {
                boolean below = s.op().equals("<") || s.op().equals("<=");
                boolean above = s.op().equals(">") || s.op().equals(">=");
                if (s.metric().equals("throughput")) {
                    if (above && !s.satisfiedBy(e.bound.maxOutputThroughput())) return false;
                } else if (below) {
                    double lb = e.bound.lowerBound(s.metric(), s.percentile());
                    if (!Double.isNaN(lb) && !s.satisfiedBy(lb)) return false;
                }
            }
            return true;
        }

        <T> void parallel(List<T> items, java.util.function.Consumer<T> work) {
            int jobs = Math.min(opts.jobs(), items.size());
            if (jobs <= 1) {
                for (T t : items) work.accept(t);
                return;
            }
            var next = new java.util.concurrent.atomic.AtomicInteger();
            // the caller's time limit holds on the workers too
            Object limit = dev.shardplan.diag.Deadline.current();
            var pool = java.util.concurrent.Executors.newFixedThreadPool(jobs, r -> {
                Thread t = new Thread(r, "shardplan-search");
                t.setDaemon(true);
                return t;
            });
            try {
                List<java.util.concurrent.Future<?>> fs = new ArrayList<>();
                for (int j = 0; j < jobs; j++) {
                    fs.add(pool.submit(() -> dev.shardplan.diag.Deadline.under(limit, () -> {
                        for (int i; (i = next.getAndIncrement()) < items.size(); ) work.accept(items.get(i));
                    })));
                }
                for (var f : fs) {
                    try {
                        f.get();
                    } catch (java.util.concurrent.ExecutionException x) {
                        next.set(items.size());
                        Throwable c = x.getCause();
                        if (c instanceof RuntimeException re) throw re;
                        if (c instanceof Error er) throw er;
                        throw new IllegalStateException(c);
                    } catch (InterruptedException x) {
                        Thread.currentThread().interrupt();
                        throw new IllegalStateException("search interrupted", x);
                    }
                }
            } finally {
                pool.shutdownNow();
            }
        }
    }

    /** Every candidate plan of the space, in a fixed order: the aggregated ones, then the pool splits. */
    public static List<Plan> enumerate(SearchSpace s) {
        int gpus = s.gpuCount();
        List<Plan> out = new ArrayList<>();
        // Worlds past the language's bound on ranks are not plans anyone could write, so not candidates.
        int maxWorld = Math.min(gpus, dev.shardplan.model.Parallel.MAX_RANKS);
        if (s.aggregated()) {
            for (int w = 1; w <= maxWorld; w++) {
                if (gpus % w == 0 && (!s.allGpus() || w == gpus)) layouts(s, w, out::add);
            }
        }
        if (s.pooled()) {
            // An instance of w GPUs, gpus / w of them: each split into prefill and decode instances
            // that leaves both pools one or more, every instance with the same layout and settings.
            for (int w = 1; w <= maxWorld; w++) {
                if (gpus % w != 0 || gpus / w < 2) continue;
                int n = gpus / w;
                List<Integer> splits = splits(s, n);
                if (splits.isEmpty()) continue;
                layouts(s, w, inst -> {
                    for (int p : splits) out.add(pools(s, inst, p, n - p));
                });
            }
        }
        return out;
    }

    /** Up to this many instances, a space without prefill_instances tries every split; above, 15 of them. */
    static final int EVERY_SPLIT = 16;

    /**
     * The prefill instances to try among {@code n}: those {@code prefill_instances} lists (below
     * {@code n}), else every split of up to {@value #EVERY_SPLIT} instances, else the fifteen
     * splits n x k / 16 (k = 1..15) rounded, so that a large cluster stays a search of a few
     * hundred pool candidates per layout at most.
     */
    static List<Integer> splits(SearchSpace s, int n) {
        java.util.TreeSet<Integer> out = new java.util.TreeSet<>();
        if (!s.prefillInstances().isEmpty()) {
            for (int p : s.prefillInstances()) if (p >= 1 && p < n) out.add(p);
        } else if (n <= EVERY_SPLIT) {
            for (int p = 1; p < n; p++) out.add(p);
        } else {
            for (int k = 1; k < 16; k++) out.add((int) Math.max(1, Math.min(n - 1, Math.round((double) n * k / 16))));
        }
        return new ArrayList<>(out);
    }

    /** The aggregated candidates of world {@code w}: dp x tp x pp (x attention DP, ep), settings and KV dtype, in a fixed order. */
    private static void layouts(SearchSpace s, int w, java.util.function.Consumer<Plan> out) {
        boolean moe = s.model().isMoe();
        List<DType> kvs = s.kvDtypes().isEmpty() ? List.of(s.model().kvDtype()) : s.kvDtypes();
        List<Integer> seqs = s.maxNumSeqs().isEmpty() ? List.of(0) : s.maxNumSeqs();
        List<Integer> budgets = s.maxBatchedTokens().isEmpty() ? List.of(0) : s.maxBatchedTokens();
        boolean groupIsDpTimesTp = Engines.spec(s.engine().kind()).layoutRules().moeGroup() == dev.shardplan.layout.LayoutRules.MoeGroup.DP_TIMES_TP;
        for (int tp = 1; tp <= w; tp++) {
            if (w % tp != 0 || !allowed(s.tp(), tp)) continue;
            for (int pp = 1; pp <= w / tp; pp++) {
                if ((w / tp) % pp != 0 || !allowed(s.pp(), pp)) continue;
                int dp = w / tp / pp;
                if (!allowed(s.dp(), dp)) continue;
                for (boolean adp : dpAttentionChoices(s, dp, groupIsDpTimesTp)) {
                    List<Integer> eps = moe ? (s.ep().isEmpty() ? epChoices(s, dp, tp, adp, groupIsDpTimesTp) : s.ep()) : List.of(1);
                    for (int ep : eps) {
                        for (int ns : seqs) {
                            for (int bt : budgets) {
                                for (DType kv : kvs) out.accept(plan(s, dp, tp, pp, ep, adp, ns, bt, kv));
                            }
                        }
                    }
                }
            }
        }
    }

    /**
     * A pool candidate: {@code prefill} instances of {@code inst}'s layout and settings prefill and
     * {@code decode} decode, the KV moving over the engine's first connector (engine/KvConnectors).
     * Like a written pool plan, its {@code parallel} and {@code engine} are the decode pool's.
     */
    static Plan pools(SearchSpace s, Plan inst, int prefill, int decode) {
        var pre = new dev.shardplan.model.Pool(dev.shardplan.model.Pool.Role.PREFILL, inst.parallel(), inst.engine(), prefill, Map.of(), s.span());
        var dec = new dev.shardplan.model.Pool(dev.shardplan.model.Pool.Role.DECODE, inst.parallel(), inst.engine(), decode, Map.of(), s.span());
        String connector = dev.shardplan.engine.KvConnectors.names(inst.engine().kind()).get(0);
        var d = new dev.shardplan.model.Disaggregation(pre, dec, connector, s.span(), s.span());
        String name = s.name() + "_pd" + prefill + "p" + decode + "d" + inst.name().substring(s.name().length());
        return new Plan(name, inst.sourceFile(), inst.model(), inst.cluster(), inst.workload(), inst.parallel(), inst.engine(), inst.slos(),
                Set.of(), null, inst.tuning(), inst.efficiency(), Map.of(), inst.span(), List.of(), d);
    }

    /** The replicas that decode: a plan's DP replicas, or the decode pool's instances times theirs. */
    static int decodeReplicas(Plan p) {
        return p.disaggregated() ? p.disagg().decode().replicas() * p.parallel().dp() : p.parallel().dp();
    }

    /** GPUs a candidate takes: its ranks, or both pools' instances. */
    public static int gpus(Plan p) {
        return p.disaggregated() ? p.disagg().gpus() : p.parallel().worldSize();
    }

    /**
     * Attention data parallelism, the engines' MoE recipe (DeepSeek's, and vLLM's, SGLang's and
     * TensorRT-LLM's recommended layout for MoE decode): where the engine has the switch (SGLang
     * --enable-dp-attention, TensorRT-LLM enable_attention_dp), a MoE candidate with dp > 1 is tried
     * both without and with it. vLLM has no switch: with data parallelism and expert parallelism its
     * MoE layers already run over the dp × tp ranks (LayoutRules.MoeGroup.DP_TIMES_TP).
     */
    private static List<Boolean> dpAttentionChoices(SearchSpace s, int dp, boolean groupIsDpTimesTp) {
        if (!s.dpAttention().isEmpty()) return dp > 1 ? s.dpAttention() : List.of(false);
        return s.model().isMoe() && dp > 1 && !groupIsDpTimesTp ? List.of(false, true) : List.of(false);
    }

    /**
     * Expert-parallel sizes: vLLM shards experts over the dp × tp ranks of a stage or not at all
     * (enable_expert_parallel), so {1, dp·tp}; SGLang and TensorRT-LLM split their MoE group (tp, or
     * dp × tp with attention DP) into ep × moe_tp, so every divisor of the group that also divides
     * the routed experts (the engines assert both).
     */
    private static List<Integer> epChoices(SearchSpace s, int dp, int tp, boolean adp, boolean groupIsDpTimesTp) {
        if (groupIsDpTimesTp) return dp * tp > 1 ? List.of(1, dp * tp) : List.of(1);
        int group = adp ? dp * tp : tp, experts = s.model().moe().experts();
        List<Integer> out = new ArrayList<>();
        for (int ep = 1; ep <= group; ep++) if (group % ep == 0 && experts % ep == 0) out.add(ep);
        return out;
    }

    private static boolean allowed(List<Integer> vals, int v) {
        return vals.isEmpty() || vals.contains(v);
    }

    /** The engine's plan name for a role in the block's release (the newest when it names none). */
    static String settingName(EngineBlock e, Role role) {
        EngineSpec spec = Engines.spec(e.kind());
        Release r = e.version() == null ? spec.newest() : spec.release(e.version()).orElse(spec.newest());
        return spec.setting(r, role).map(Setting::name).orElse(role.name().toLowerCase(Locale.ROOT));
    }

    /**
     * The search's engine block with a candidate's max sequences and step token budget (0: as the
     * block has it) and KV dtype (the model's: as the block has it).
     */
    static EngineBlock engine(SearchSpace s, int maxSeqs, int batchedTokens, DType kv) {
        EngineBlock e = s.engine();
        if (maxSeqs > 0) e = e.with(settingName(e, Role.MAX_SEQS), (long) maxSeqs);
        if (batchedTokens > 0) e = e.with(settingName(e, Role.MAX_BATCHED_TOKENS), (long) batchedTokens);
        if (kv != s.model().kvDtype()) {
            EngineSpec spec = Engines.spec(e.kind());
            Release r = e.version() == null ? spec.newest() : spec.release(e.version()).orElse(spec.newest());
            var word = spec.kvWord(r, kv, s.model());
            if (word.isPresent()) e = e.with(settingName(e, Role.KV_CACHE_DTYPE), word.get());
        }
        return e;
    }

    static Plan plan(SearchSpace s, int dp, int tp, int pp, int ep, int maxSeqs, DType kv) {
        return plan(s, dp, tp, pp, ep, false, maxSeqs, 0, kv);
    }

    static Plan plan(SearchSpace s, int dp, int tp, int pp, int ep, boolean dpAttention, int maxSeqs, int batchedTokens, DType kv) {
        EngineBlock eng = engine(s, maxSeqs, batchedTokens, kv);
        String name = String.format(Locale.ROOT, "%s_dp%d_tp%d_pp%d%s%s_seqs%s%s_%s", s.name(), dp, tp, pp,
                s.model().isMoe() ? "_ep" + ep : "", dpAttention ? "_adp" : "", maxSeqs > 0 ? String.valueOf(maxSeqs) : "default",
                batchedTokens > 0 ? "_tokens" + batchedTokens : "", kv.id());
        // a candidate carries the search's profile (std:efficiency's for its GPU and engine), as a resolved plan does
        return new Plan(name, s.span().file(), s.model(), s.cluster(), s.workload(),
                new Parallel(dp, tp, pp, ep, dpAttention, List.of(), List.of()), eng, s.slos(), Set.of(), null, s.tuning(),
                s.efficiency(), Map.of(), s.span());
    }

    /** The divisibility rules a candidate must pass before anything else; null when it does. */
    static String rules(Plan p) {
        var m = p.model();
        var par = p.parallel();
        if (m.heads() % par.tp() != 0) return "tp " + par.tp() + " does not divide " + m.heads() + " attention heads";
        if (m.kvHeads() > 0 && par.tp() > m.kvHeads() && par.tp() % m.kvHeads() != 0)
            return "tp " + par.tp() + " is not a multiple of " + m.kvHeads() + " kv heads";
        if (par.pp() > m.layers()) return "pp " + par.pp() + " exceeds " + m.layers() + " layers";
        if (m.isMoe() && m.moe().experts() % par.ep() != 0) return "ep " + par.ep() + " does not divide " + m.moe().experts() + " experts";
        // TensorRT-LLM's attention DP runs attention at tp 1 per DP rank (mapping.py); SGLang's takes any tp
        if (par.dpAttention() && p.engine().kind() == dev.shardplan.model.EngineKind.TRTLLM && par.tp() != 1)
            return "trtllm attention dp needs tp 1";
        if ((long) m.vocab() % par.tp() != 0 && m.vocab() % 64 != 0) return "tp does not divide the vocabulary";
        return null;
    }

    static double score(SearchSpace s, Candidate c) {
        SimResult r = c.result();
        return switch (s.objective()) {
            case THROUGHPUT -> r.outputThroughput();
            case THROUGHPUT_PER_GPU -> r.outputThroughput() / gpus(c.plan());
            case LATENCY -> -r.tpot().p50();
        };
    }

    static boolean meetsSlos(Candidate c) {
        for (Slo s : c.plan().slos()) {
            double v = Predictor.value(c.result(), s);
            if (!Double.isNaN(v) && !s.satisfiedBy(v)) return false;
        }
        return true;
    }

    static Comparator<Candidate> order(SearchSpace s) {
        return Comparator.comparing((Candidate c) -> !meetsSlos(c))
                .thenComparing(c -> -score(s, c))
                .thenComparing(c -> gpus(c.plan()))
                .thenComparing(c -> c.plan().name());
    }

    /** Candidates no other beats on both throughput (higher) and median TPOT (lower), by throughput. */
    static List<Candidate> pareto(List<Candidate> cs) {
        List<Candidate> sorted = new ArrayList<>(cs);
        sorted.sort(Comparator.comparing((Candidate c) -> -c.result().outputThroughput()).thenComparing(c -> c.plan().name()));
        List<Candidate> front = new ArrayList<>();
        double bestTpot = Double.MAX_VALUE;
        for (Candidate c : sorted) {
            double t = c.result().tpot().p50();
            if (t < bestTpot) {
                front.add(c);
                bestTpot = t;
            }
        }
        return front;
    }

    /**
     * How far the winner leads the runner-up on the objective, as a share of the runner-up's
     * figure (throughput: w / r − 1; latency: r's median TPOT / w's − 1); NaN with fewer than two
     * ranked candidates.
     */
    public static double margin(SearchSpace s, List<Candidate> ranked) {
        if (ranked.size() < 2) return Double.NaN;
        Candidate w = ranked.get(0), b = ranked.get(1);
        return s.objective() == SearchSpace.Objective.LATENCY ? b.result().tpot().p50() / w.result().tpot().p50() - 1
                : score(s, w) / score(s, b) - 1;
    }

    static String explain(SearchSpace s, List<Candidate> ranked) {
        if (ranked.isEmpty()) return "no candidate fits";
        Candidate w = ranked.get(0);
        SimResult r = w.result();
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "%s wins on %s: %.0f output tokens/s (%.0f per GPU), tpot p50 %s",
                w.label(), s.objective().id(), r.outputThroughput(), r.outputThroughput() / gpus(w.plan()),
                PredictionRenderer.t(r.tpot().p50())));
        if (!meetsSlos(w)) sb.append("; no candidate meets every SLO");
        if (ranked.size() > 1) {
            Candidate b = ranked.get(1);
            SimResult q = b.result();
            sb.append(String.format(Locale.ROOT, ". Runner-up %s: %.0f tokens/s (%+.0f%%).", b.label(), q.outputThroughput(),
                    100 * (q.outputThroughput() / r.outputThroughput() - 1)));
            sb.append(String.format(Locale.ROOT, " Margin: the winner leads by %.1f%% on %s%s.", 100 * margin(s, ranked),
                    s.objective().id(), meetsSlos(w) && !meetsSlos(b) ? " and the runner-up misses an SLO" : ""));
            long wk = w.prediction().scheduler().kvTokens(), bk = b.prediction().scheduler().kvTokens();
            sb.append(String.format(Locale.ROOT, " KV per replica %d vs %d tokens; mean running %.0f vs %.0f per replica;"
                            + " preemptions %d vs %d; replicas %d vs %d.", wk, bk, r.meanRunning(), q.meanRunning(),
                    r.preemptions(), q.preemptions(), decodeReplicas(w.plan()), decodeReplicas(b.plan())));
        }
        return sb.toString();
    }

    /** The ranked table, the Pareto front and the explanation, for a terminal. */
    public static String human(Result res) {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "search %s: %d candidates: %d simulated (%d simulations), %d pruned by bound, %d discarded (seed %d)%n",
                res.space().name(), res.candidates(), res.ranked().size(), res.simulations(), res.pruned().size(),
                res.discarded().size(), res.seed()));
        sb.append(String.format(Locale.ROOT, "%4s  %-34s %12s %10s %10s %10s %8s %5s%n", "rank", "plan", "tok/s",
                "tok/s/gpu", "tpot p50", "ttft p99", "preempt", "slo"));
        int i = 1;
        for (Candidate c : res.ranked()) {
            SimResult r = c.result();
            sb.append(String.format(Locale.ROOT, "%4d  %-34s %12.0f %10.0f %10s %10s %8d %5s%n", i++, c.label(),
                    r.outputThroughput(), r.outputThroughput() / gpus(c.plan()),
                    PredictionRenderer.t(r.tpot().p50()), PredictionRenderer.t(r.ttft().p99()), r.preemptions(),
                    meetsSlos(c) ? "ok" : "miss"));
        }
        sb.append("pareto front (throughput vs tpot p50):\n");
        for (Candidate c : res.pareto()) {
            sb.append(String.format(Locale.ROOT, "  %-34s %10.0f tok/s  %s%n", c.label(), c.result().outputThroughput(),
                    PredictionRenderer.t(c.result().tpot().p50())));
        }
        if (!res.pruned().isEmpty()) {
            sb.append(String.format(Locale.ROOT, "pruned by bound: %d candidates whose bounds keep them below rank %d and off the "
                    + "Pareto front (--no-prune simulates them)%n", res.pruned().size(), EXACT_TOP));
        }
        if (!res.discarded().isEmpty()) {
            Map<String, Integer> why = new TreeMap<>();
            for (Candidate c : res.discarded()) why.merge(c.discarded().replaceAll("[0-9.]+", "N"), 1, Integer::sum);
            sb.append("discarded:\n");
            why.forEach((k, v) -> sb.append(String.format(Locale.ROOT, "  %3d x %s%n", v, k)));
        }
        sb.append("why: ").append(res.why()).append('\n');
        return sb.toString();
    }

    /** Results as the JSON document of docs/search.schema.json ({@code shardplan search --format json}). */
    public static com.fasterxml.jackson.databind.node.ObjectNode toJson(List<Result> results) {
        var o = dev.shardplan.diag.Jsons.MAPPER.createObjectNode();
        o.put("format", "shardplan-search");
        o.put("version", 1);
        var a = o.putArray("searches");
        for (Result r : results) a.add(toJson(r));
        return o;
    }

    /** One search's entry of that document. */
    public static com.fasterxml.jackson.databind.node.ObjectNode toJson(Result res) {
        var m = dev.shardplan.diag.Jsons.MAPPER;
        var o = m.createObjectNode();
        o.put("search", res.space().name());
        o.put("seed", res.seed());
        o.put("objective", res.space().objective().id());
        var n = o.putObject("counts");
        n.put("candidates", res.candidates());
        n.put("simulated", res.ranked().size());
        n.put("simulations", res.simulations());
        n.put("pruned", res.pruned().size());
        n.put("discarded", res.discarded().size());
        n.put("exact_top", EXACT_TOP);
        if (res.winner() == null) o.putNull("winner");
        else o.put("winner", res.winner().plan().name());
        o.put("why", res.why());
        double margin = margin(res.space(), res.ranked());
        if (Double.isNaN(margin)) o.putNull("margin");
        else o.put("margin", margin);
        var ranked = o.putArray("ranked");
        int rank = 1;
        for (Candidate c : res.ranked()) {
            var x = candidate(ranked.addObject(), c);
            SimResult r = c.result();
            x.put("rank", rank++);
            x.put("output_tokens_per_s", r.outputThroughput());
            x.put("output_tokens_per_s_per_gpu", r.outputThroughput() / gpus(c.plan()));
            summary(x.putObject("ttft_s"), r.ttft());
            summary(x.putObject("tpot_s"), r.tpot());
            summary(x.putObject("e2e_s"), r.e2e());
            x.put("preemptions", r.preemptions());
            x.put("peak_kv_util", r.peakKvUtil());
            x.put("meets_slos", meetsSlos(c));
            x.put("pareto", res.pareto().stream().anyMatch(f -> f == c));
        }
        var pruned = o.putArray("pruned");
        for (Candidate c : res.pruned()) {
            var x = candidate(pruned.addObject(), c);
            x.put("reason", c.discarded());
            x.put("max_output_tokens_per_s", c.bound().maxOutputThroughput());
            x.put("min_tpot_p50_s", c.bound().minTpot().p50());
        }
        var discarded = o.putArray("discarded");
        for (Candidate c : res.discarded()) candidate(discarded.addObject(), c).put("reason", c.discarded());
        return o;
    }

    private static com.fasterxml.jackson.databind.node.ObjectNode candidate(com.fasterxml.jackson.databind.node.ObjectNode x, Candidate c) {
        Parallel p = c.plan().parallel();
        x.put("plan", c.plan().name());
        x.put("label", c.label());
        var par = x.putObject("parallel");
        par.put("dp", p.dp());
        par.put("tp", p.tp());
        par.put("pp", p.pp());
        par.put("ep", p.ep());
        x.put("gpus", gpus(c.plan()));
        if (c.plan().disaggregated()) {
            var pools = x.putObject("pools");
            pools.put("prefill_instances", c.plan().disagg().prefill().replicas());
            pools.put("decode_instances", c.plan().disagg().decode().replicas());
            pools.put("connector", c.plan().disagg().connector());
        }
        var cfg = dev.shardplan.engine.Engines.configure(c.plan());
        x.put("max_num_seqs", cfg.maxSeqs());
        x.put("kv_dtype", cfg.kvDtype().id());
        return x;
    }

    private static void summary(com.fasterxml.jackson.databind.node.ObjectNode x, SimResult.Summary s) {
        x.put("mean", s.mean());
        x.put("p50", s.p50());
        x.put("p90", s.p90());
        x.put("p99", s.p99());
        x.put("max", s.max());
    }

    private static String fmt(double v) {
        if (v == Math.rint(v) && Math.abs(v) < 1e15) return String.valueOf((long) v);
        return new java.math.BigDecimal(v).round(new java.math.MathContext(6)).stripTrailingZeros().toPlainString();
    }

    static Span spanOf(SearchSpace s) {
        return s.span();
    }
}
