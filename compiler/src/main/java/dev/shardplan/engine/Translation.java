package dev.shardplan.engine;

import dev.shardplan.layout.Rank;
import dev.shardplan.layout.RankLayout;
import dev.shardplan.model.DType;
import dev.shardplan.model.EngineBlock;
import dev.shardplan.model.EngineKind;
import dev.shardplan.model.Parallel;
import dev.shardplan.model.Plan;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * A plan's engine settings carried to another engine's launcher ("emit sglang" from an
 * {@code engine vllm} plan), by what each setting means, not by how it is spelt. Each setting the
 * plan wrote is matched to the target's setting of the same {@link Role} and converted where the
 * engines count it differently: a limit is turned into what one rank's scheduler runs and back
 * into the target's counting ({@link EngineSpec#limitRanks}); the memory fraction into the one
 * that gives the target the same KV pool per rank under the target's own accounting; the KV
 * dtype into the target's word for the same stored type. What has no meaning in the target
 * (block sizes follow each engine's kernels, all-to-all kernels are each engine's own) is named
 * as not carried.
 */
public final class Translation {
    private Translation() {}

    /** One carried setting: the target's name and value, how it was derived, and the plan's setting it came from. */
    public record Note(String setting, Object value, String how, String source) {
        Note(String setting, Object value, String how) {
            this(setting, value, how, setting);
        }
    }

    /** The target's configuration, what was carried and how, and the plan's settings that were not, each with why. */
    public record Carried(EngineConfig config, List<Note> carried, List<Note> notCarried) {
        public Carried {
            carried = List.copyOf(carried);
            notCarried = List.copyOf(notCarried);
        }
    }

    /** The plan's configuration {@code from} carried to engine {@code to}'s newest release. */
    public static Carried carry(EngineConfig from, Plan plan, EngineKind to) {
        EngineSpec fs = from.spec(), ts = Engines.spec(to);
        Release tr = ts.newest();
        Parallel p = plan.parallel();
        EngineBlock block = EngineBlock.defaults(to);
        List<Note> carried = new ArrayList<>(), not = new ArrayList<>();
        Effective fraction = null;
        for (Effective e : from.values()) {
            if (!e.fromPlan()) continue;
            Setting s = e.setting();
            Role role = s.role();
            if (role == null) {
                not.add(new Note(s.name(), e.value(), fs.title() + "'s own setting; " + ts.title() + " has none like it"));
                continue;
            }
            if (role == Role.MEMORY_FRACTION) {
                fraction = e;
                continue;
            }
            if (role == Role.BLOCK_SIZE || role == Role.ALL2ALL) {
                not.add(new Note(s.name(), e.value(), role == Role.BLOCK_SIZE
                        ? "block sizes follow each engine's attention kernels; " + ts.title() + " keeps its own"
                        : "all-to-all kernels are each engine's own; " + ts.title() + " keeps its default"));
                continue;
            }
            if (role == Role.CHUNKED_PREFILL && ts.setting(tr, role).isEmpty()) {
                // SGLang has no switch: a chunk size of -1 turns chunking off.
                Optional<Setting> chunk = ts.setting(tr, Role.MAX_BATCHED_TOKENS);
                if (!e.bool() && chunk.isPresent() && chunk.get().inRange(-1)) {
                    block = block.with(chunk.get().name(), -1L);
                    carried.add(new Note(chunk.get().name(), -1L, s.name() + " false: " + ts.title() + " turns chunking off with -1", s.name()));
                } else if (!e.bool()) not.add(new Note(s.name(), false, ts.title() + " cannot turn chunked prefill off"));
                continue;
            }
            Optional<Setting> target = ts.setting(tr, role);
            if (target.isEmpty()) {
                not.add(new Note(s.name(), e.value(), ts.title() + " " + tr.version() + " has no such setting"));
                continue;
            }
            Setting t = target.get();
            Object v;
            String how;
            switch (role) {
                case MAX_SEQS, MAX_BATCHED_TOKENS -> {
                    long written = e.count();
                    if (written < 0) {
                        not.add(new Note(s.name(), written, "chunking is off in the plan; " + ts.title() + " keeps its own step budget"));
                        continue;
                    }
                    int fromRanks = fs.limitRanks(role, p), toRanks = ts.limitRanks(role, p);
                    long perRank = written / fromRanks;
                    v = perRank * toRanks;
                    how = s.name() + " " + written + (fromRanks > 1 ? " over " + fromRanks + " attention-DP ranks = " + perRank + " per rank" : " per rank")
                            + (toRanks > 1 ? "; " + ts.title() + " divides " + t.name() + " by dp_size " + toRanks + " under DP attention, so "
                            + perRank + " x " + toRanks : "");
                }
                case KV_CACHE_DTYPE -> {
                    if (e.word().equals("auto")) continue;
                    Optional<String> w = ts.kvWord(tr, from.kvDtype(), plan.model());
                    if (w.isEmpty()) {
                        not.add(new Note(s.name(), e.value(), ts.title() + " " + tr.version() + " has no word for a " + from.kvDtype().id() + " KV cache"));
                        continue;
                    }
                    v = w.get();
                    how = s.name() + " " + e.word() + ": a " + from.kvDtype().id() + " KV cache";
                }
                case KV_OFFLOAD -> {
                    int fromRanks = fs.limitRanks(role, p), toRanks = ts.limitRanks(role, p);
                    long perRank = e.count() / fromRanks;
                    v = perRank * toRanks;
                    how = s.name() + " " + gib(e.count()) + (fromRanks > 1 ? " over " + fromRanks + " TP ranks" : "") + " = " + gib(perRank)
                            + " of host memory per rank" + (toRanks > 1 ? ", x " + toRanks + " TP ranks" : "");
                }
                case REDUNDANT_EXPERTS -> {
                    int experts = plan.model().moe() == null ? 0 : plan.model().moe().experts();
                    long redundant = fs.kind() == EngineKind.TRTLLM ? Math.max(0, e.count() - experts) : e.count();
                    v = ts.kind() == EngineKind.TRTLLM ? (redundant == 0 ? 0L : experts + redundant) : redundant;
                    how = redundant + " redundant expert copies" + (ts.kind() == EngineKind.TRTLLM ? ": " + experts + " + " + redundant + " slots" : "");
                }
                default -> {
                    v = e.value();
                    how = s.name() + " " + text(e.value());
                }
            }
            if (t.kind() == Kind.COUNT && !t.inRange(((Number) v).doubleValue())) {
                not.add(new Note(s.name(), e.value(), "gives " + t.name() + " " + v + ", outside what " + tr.label() + " accepts (" + t.rangeText() + ")"));
                continue;
            }
            block = block.with(t.name(), v);
            carried.add(new Note(t.name(), v, how, s.name()));
        }
        Plan target = plan.withEngine(block);
        if (fraction != null) {
            Setting t = ts.setting(tr, Role.MEMORY_FRACTION).orElseThrow();
            long pool = minPool(from, plan, Engines.layout(plan));
            long[] reached = new long[1];
            double f = matchPool(target, ts, t, pool, reached);
            block = block.with(t.name(), f);
            target = plan.withEngine(block);
            long got = reached[0]; // the layout follows the plan's shape and engine kind, not its memory fraction
            carried.add(new Note(t.name(), f, fraction.name() + " " + text(fraction.value()) + " leaves a KV pool of " + gib(pool)
                    + " per rank under " + fs.title() + "'s accounting; " + t.name() + " " + text(f) + " leaves " + gib(got) + " under " + ts.title() + "'s"
                    + (got < pool ? " (the most " + ts.title() + " allows)" : ""), fraction.name()));
        }
        return new Carried(Engines.configure(target), carried, not);
    }

    /** The smallest KV pool over one replica's ranks (the pool every rank of a replica is clamped to). */
    static long minPool(EngineConfig cfg, Plan plan, RankLayout layout) {
        long min = Long.MAX_VALUE;
        for (Rank r : layout.ranks()) {
            if (r.dp() != 0) continue;
            min = Math.min(min, cfg.spec().budget(cfg, plan, layout, r).kvPool());
        }
        return min == Long.MAX_VALUE ? 0 : min;
    }

    /**
     * The smallest fraction (3 decimals, in the setting's range) whose pool reaches {@code pool}; the
     * largest allowed if none does. The pool grows with the fraction (never falls), so this is a
     * search in a bracket (below, reached]; each probe is a memory budget of every rank of a replica,
     * so the next probe is where the line through the bracket's ends reaches {@code pool} (the pool
     * is the fraction's share of the GPU less fixed costs, in whole blocks: nearly a line), kept
     * strictly inside the bracket, halving instead when that does not narrow it at least by half
     * every other probe. The bracket's invariant alone fixes the answer: the same as a plain
     * bisection, in a few probes instead of about ten. {@code reached[0]} is set to the pool at the
     * fraction returned.
     */
    private static double matchPool(Plan plan, EngineSpec ts, Setting t, long pool, long[] reached) {
        RankLayout layout = Engines.layout(plan);
        int hi = (int) Math.floor(t.max() * 1000);
        long hiPool = poolAt(plan, t, hi / 1000.0, layout);
        reached[0] = hiPool;
        if (hiPool < pool || hi <= 1) return hi / 1000.0;
        int lo = 1;
        long loPool = poolAt(plan, t, lo / 1000.0, layout);
        if (loPool >= pool) {
            reached[0] = loPool;
            return lo / 1000.0;
        }
        // invariant: poolAt(lo) < pool <= poolAt(hi)
        boolean interpolate = true;
        while (hi - lo > 1) {
            int mid = lo + (hi - lo) / 2;
            if (interpolate && hiPool > loPool) {
                double x = lo + (double) (pool - loPool) * (hi - lo) / (hiPool - loPool);
                mid = (int) Math.max(lo + 1, Math.min(hi - 1, Math.ceil(x)));
            }
            int width = hi - lo;
            long p = poolAt(plan, t, mid / 1000.0, layout);
            if (p >= pool) {
                hi = mid;
                hiPool = p;
            } else {
                lo = mid;
                loPool = p;
            }
            // a line that keeps landing on one side (the block rounding's steps) falls back to halving
            interpolate = !interpolate || hi - lo <= width / 2;
        }
        reached[0] = hiPool;
        return hi / 1000.0;
    }

    private static long poolAt(Plan plan, Setting t, double f, RankLayout layout) {
        Plan p = plan.withEngine(plan.engine().with(t.name(), f));
        return minPool(Engines.configure(p), p, layout);
    }

    static String gib(long bytes) {
        return String.format(Locale.ROOT, "%.1f GiB", bytes / (double) (1L << 30));
    }

    static String text(Object v) {
        if (v instanceof Double d) return java.math.BigDecimal.valueOf(d).stripTrailingZeros().toPlainString();
        return String.valueOf(v);
    }
}
