package dev.shardplan.predict;

import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What a simulation can predict at best, from the request set, the scheduler and the step-time
 * model's {@link StepTimeModel.Floor} alone, without simulating: an upper bound on output
 * throughput and lower bounds on every TTFT, TPOT and E2E summary. The search prunes a
 * candidate whose bounds cannot beat simulated ones (docs/predictions.md, "Search"), so every
 * bound here must hold for whatever the simulator does ({@code SimBoundsTest}). With F(s) the
 * floor of an iteration of s sequences and a per token of context or prefill it carries, for
 * request i with prompt p, output o, k = o − 1 tokens after the first, B = max_num_batched_tokens:
 *
 * <pre>
 *   prefill: at least ceil(p/B) iterations carrying its p tokens:        ttft_i ≥ ceil(p/B)·F(1) + a·p
 *   decode:  its g-th later token needs an iteration carrying its context p + g (or a recompute
 *            of at least as many tokens):                                    tpot_i ≥ F(1) + a·W_i/k,  W_i = k·p + k(k+1)/2
 *   a replica runs one iteration at a time, so
 *   makespan ≥ max_i (arrival_i − t0 + ttft_i + k·F(1) + a·W_i)                          (its longest request)
 *   makespan ≥ (I·F(1) + a·Σ W_i) / dp,   I = max(Σ k_i / min(max_num_seqs, B), Σ W_i / kv_tokens)
 *            (all the work: an iteration decodes at most that many sequences and holds at most a pool)
 * </pre>
 *
 * A replica of an offline batch whose pool holds all of its n requests at their full length, with
 * max_num_seqs ≥ n, n &lt; B and chunked prefill (a "roomy" replica), never preempts and admits
 * every request as the budget allows: after J = ceil(Σ p / (B − n)) iterations every prompt is
 * computed, and from then on every unfinished request decodes in every iteration. A request with
 * o ≥ j is unfinished at iteration j, so iteration j > J carries at least c_j = #{o ≥ j}
 * sequences with context at least P_j + c_j·(j − J) (P_j: their prompts):
 *
 * <pre>
 *   makespan ≥ min(J, max o)·F(1) + Σ_{j = J+1}^{max o} (F(c_j) + a·(P_j + c_j·(j − J)))
 *            (at least max o iterations: each request needs o of them)
 *   tpot_i ≥ (Σ_{g < J} (F(1) + a·(p + g)) + Σ_{g ≥ J} (F(max(1, c_{J+g})) + a·(P_{J+g} + c_{J+g}·(g + 1 − J)))) / k
 *            (its g-th later token comes in an iteration between g + 1 and J + g)
 * </pre>
 *
 * Summaries are over the requests the simulator accepts (those that fit a replica's pool);
 * percentiles of per-request bounds bound the percentiles (order statistics are monotone). Each
 * bound is widened by {@link #SLACK} for the rounding of the simulator's sums.
 */
public final class SimBounds {
    /** Relative widening of every bound, far above the rounding of 10^7 summed iterations. */
    static final double SLACK = 1e-6;

    /** What the request set contributes, computed once for all candidates of a search. */
    public static final class Requests {
        final RequestSet rs;
        final int n;
        final int[] p, o;
        final double[] arrival;
        final int[] byPrompt; // ids sorted by prompt length
        final double[] w;     // W_i
        final double t0;
        /** One arrival time and no closed loop: every request is routed before the first iteration. */
        final boolean offline;
        private final Map<Integer, int[][]> byReplica = new ConcurrentHashMap<>();

        public Requests(RequestSet rs) {
            this.rs = rs;
            n = rs.size();
            p = rs.prompt();
            o = rs.output();
            arrival = rs.arrival();
            w = new double[n];
            for (int i = 0; i < n; i++) {
                double k = o[i] - 1.0;
                w[i] = k * p[i] + k * (k + 1) / 2;
            }
            byPrompt = sortedIds(n, i -> p[i]);
            int limit = rs.concurrency() > 0 ? Math.min(rs.concurrency(), n) : n;
            double t = n == 0 ? 0 : Double.MAX_VALUE;
            for (int i = 0; i < limit; i++) t = Math.min(t, arrival[i]);
            t0 = t;
            boolean same = true;
            for (int i = 1; i < n && same; i++) same = arrival[i] == arrival[0];
            offline = same && limit == n;
        }

        /**
         * The requests of each of {@code dp} replicas when none is rejected (request i goes to replica
         * i mod dp: both routings are round-robin while every replica is idle), by output descending.
         */
        int[][] replicas(int dp) {
            return byReplica.computeIfAbsent(dp, d -> {
                int[][] out = new int[d][];
                for (int r = 0; r < d; r++) {
                    int m = (n - r + d - 1) / d;
                    int[] ids = new int[Math.max(0, m)];
                    for (int k = 0; k < ids.length; k++) ids[k] = r + k * d;
                    int[] sorted = sortedIds(ids.length, k -> Integer.MAX_VALUE - o[ids[k]]);
                    for (int k = 0; k < sorted.length; k++) sorted[k] = ids[sorted[k]];
                    out[r] = sorted;
                }
                return out;
            });
        }

        /** 0..n-1 by a non-negative int key, then by id: sorted as packed longs, without boxing. */
        private static int[] sortedIds(int n, java.util.function.IntUnaryOperator key) {
            long[] packed = new long[n];
            for (int i = 0; i < n; i++) packed[i] = (long) key.applyAsInt(i) << 32 | i;
            Arrays.sort(packed);
            int[] out = new int[n];
            for (int i = 0; i < n; i++) out[i] = (int) packed[i];
            return out;
        }
    }

    /** The bounds of one candidate. Throughput in tokens/s, times in seconds. */
    public record Bound(double maxOutputThroughput, SimResult.Summary minTtft, SimResult.Summary minTpot,
                        SimResult.Summary minE2e) {
        /** A lower bound on {@code metric} at {@code percentile} (as {@link Predictor#value}); NaN when unknown. */
        public double lowerBound(String metric, double percentile) {
            return switch (metric) {
                case "ttft" -> minTtft.at(percentile);
                case "tpot", "itl" -> minTpot.at(percentile);
                case "e2e" -> minE2e.at(percentile);
                default -> Double.NaN;
            };
        }
    }

    private SimBounds() {}

    /**
     * The bounds of simulating {@code req} under {@code cfg} with a model of floor {@code f}; null
     * without a floor. {@code withE2e}: also bound E2E (otherwise it is left at zero, which bounds nothing).
     */
    public static Bound of(SchedulerConfig cfg, StepTimeModel.Floor f, Requests req, boolean withE2e) {
        // several micro-batches in flight run iterations concurrently, which the bounds below assume
        // they do not: no bounds (nothing is pruned) for such a scheduler
        if (f == null || cfg.microBatches() > 1) return null;
        int n = req.n;
        int[] p = req.p, o = req.o;
        int bs = cfg.blockSize();
        int budget = cfg.maxNumBatchedTokens();
        double f1 = f.iteration(1), a = f.perToken();
        // with prefix caching a prompt's shared-prefix blocks may be found cached: only the rest is prefilled
        long prefixBlocks = cfg.prefixCache() ? req.rs.prefix() / bs : 0;
        int[] fresh = p;
        if (prefixBlocks > 0) {
            fresh = new int[n];
            for (int i = 0; i < n; i++) fresh[i] = (int) (p[i] - Math.min(req.rs.prefix(), p[i] - 1L) / bs * bs);
        }
        boolean[] accepted = new boolean[n];
        double[] tpot = new double[n]; // Σ over the later tokens of their iterations' floors
        long outTokens = 0;
        int completed = 0;
        double chain = 0, work = 0, later = 0;
        for (int i = 0; i < n; i++) {
            long shared = prefixBlocks == 0 ? 0 : Math.min(req.rs.prefix(), p[i] - 1L) / bs;
            if (ServingSimulator.ceilDiv(p[i] + o[i], bs) - shared > cfg.kvBlocks() - prefixBlocks) continue; // rejected, as the simulator does
            accepted[i] = true;
            completed++;
            outTokens += o[i];
            double k = o[i] - 1.0;
            tpot[i] = k * f1 + a * req.w[i];
            chain = Math.max(chain, req.arrival[i] - req.t0 + ttft(fresh[i], budget, f1, a) + tpot[i]);
            work += req.w[i];
            later += k;
        }
        double perIteration = Math.min(cfg.maxNumSeqs(), budget);
        // Σ context / pool size counts each sequence's context in its own blocks; with a cached shared
        // prefix the running sequences share those blocks, so the pool bounds nothing (as in roomy)
        double iterations = Math.max(later / perIteration, prefixBlocks > 0 ? 0 : work / (double) cfg.kvTokens());
        double makespan = Math.max(chain, (iterations * f1 + a * work) / cfg.replicas());
        if (req.offline && completed == n && cfg.chunkedPrefill()) {
            for (int[] ids : req.replicas(cfg.replicas())) makespan = Math.max(makespan, roomy(cfg, f, req, ids, tpot, fresh));
        }
        makespan *= 1 - SLACK;
        double maxThroughput = completed == 0 ? 0 : makespan > 0 ? outTokens / makespan * (1 + SLACK) : Double.POSITIVE_INFINITY;

        double[] v = new double[n];
        int m = 0;
        for (int i : req.byPrompt) if (accepted[i]) v[m++] = ttft(fresh[i], budget, f1, a) * (1 - SLACK);
        SimResult.Summary minTtft = prefixBlocks == 0 ? ofSorted(v, m) : SimResult.Summary.of(v, m);
        m = 0;
        for (int i = 0; i < n; i++) if (accepted[i] && o[i] > 1) v[m++] = tpot[i] / (o[i] - 1.0) * (1 - SLACK);
        SimResult.Summary minTpot = SimResult.Summary.of(v, m);
        m = 0;
        for (int i = 0; i < n && withE2e; i++) if (accepted[i]) v[m++] = (ttft(fresh[i], budget, f1, a) + tpot[i]) * (1 - SLACK);
        SimResult.Summary minE2e = withE2e ? SimResult.Summary.of(v, m) : SimResult.Summary.EMPTY;
        return new Bound(maxThroughput, minTtft, minTpot, minE2e);
    }

    private static double ttft(int p, int budget, double f1, double a) {
        return ServingSimulator.ceilDiv(p, budget) * f1 + a * p;
    }

    /**
     * The makespan bound of one roomy replica (0 when it is not roomy), raising the TPOT sums of
     * its requests in {@code tpot} to the skyline's where that is higher. {@code ids}: its requests
     * by output descending.
     */
    static double roomy(SchedulerConfig cfg, StepTimeModel.Floor f, Requests req, int[] ids, double[] tpot, int[] fresh) {
        int n = ids.length;
        if (n == 0 || n >= cfg.maxNumBatchedTokens() || cfg.maxNumSeqs() < n) return 0;
        // a shared prefix makes requests share blocks, which the footprint below does not count
        if (cfg.prefixCache() && req.rs.prefix() >= cfg.blockSize()) return 0;
        int[] p = req.p, o = req.o;
        long footprint = 0, prompts = 0;
        for (int i : ids) {
            footprint += ServingSimulator.ceilDiv(p[i] + o[i], cfg.blockSize());
            prompts += fresh[i];
        }
        if (footprint > cfg.kvBlocks()) return 0;
        // every prompt is computed by iteration J (not before it: J only bounds when)
        long J = ServingSimulator.ceilDiv(prompts, cfg.maxNumBatchedTokens() - n);
        double f1 = f.iteration(1), a = f.perToken();
        long maxO = o[ids[0]];
        // at least max o iterations: those up to J cost F(1) or more, later ones the skyline
        double makespan = Math.min(J, maxO) * f1;
        // segment c: x in (lo[c], hi[c]] where #{o ≥ x} = c; there the TPOT integrand of x = J + g is
        // H(x) = F(c) + a·(P_c + c·(x + 1 − 2J)) (the g-th later token comes after iteration g, so
        // the others have at least g + 1 − J tokens past their prompts), linear: A[c] + B[c]·x
        long[] hi = new long[n + 1], lo = new long[n + 1];
        double[] A = new double[n + 1], B = new double[n + 1];
        long promptsAbove = 0;
        for (int c = 1; c <= n; c++) {
            int i = ids[c - 1];
            promptsAbove += p[i];
            hi[c] = o[i];
            lo[c] = c < n ? o[ids[c]] : 0;
            double fc = f.iteration(c);
            A[c] = fc + a * (promptsAbove + c * (1.0 - 2.0 * J));
            B[c] = a * c;
            long from = Math.max(lo[c], J) + 1;
            if (hi[c] >= from) {
                double len = hi[c] - from + 1;
                makespan += len * fc + a * (len * promptsAbove + c * (len * (from + hi[c]) / 2.0 - len * J));
            }
        }
        A[0] = f1; // above every output only the request itself is known to run
        B[0] = 0;
        double[] below = new double[n + 2]; // below[c]: Σ H(x) for 1 ≤ x ≤ hi[c]
        for (int c = n; c >= 1; c--) below[c] = below[c + 1] + segment(A[c], B[c], lo[c], hi[c]);
        for (int c = 1; c <= n; c++) {
            int i = ids[c - 1];
            if (o[i] < 2) continue;
            long k = o[i] - 1L;
            // g < J: nothing is known of the batch; g ≥ J: x = J + g runs from 2J to J + k
            long gEnd = Math.min(k, J - 1);
            double early = gEnd >= 1 ? gEnd * f1 + a * (gEnd * (double) p[i] + gEnd * (gEnd + 1) / 2.0) : 0;
            long x0 = Math.max(2 * J, J + 1), x1 = J + k;
            double sky = early + (x1 >= x0 ? sumH(hi, lo, A, B, below, n, x1) - sumH(hi, lo, A, B, below, n, x0 - 1) : 0);
            if (sky > tpot[i]) tpot[i] = sky;
        }
        return makespan;
    }

    /** Σ (A + B·x) for x in (lo, hi]. */
    private static double segment(double A, double B, long lo, long hi) {
        if (hi <= lo) return 0;
        return (hi - lo) * A + B * ((double) hi * (hi + 1) / 2.0 - (double) lo * (lo + 1) / 2.0);
    }

    /** Σ H(x) for 1 ≤ x ≤ X, H linear on each segment (lo[c], hi[c]] and A[0] above hi[1]. */
    private static double sumH(long[] hi, long[] lo, double[] A, double[] B, double[] below, int n, long X) {
        if (X <= 0) return 0;
        if (X > hi[1]) return below[1] + (X - hi[1]) * A[0];
        // the segment holding X: the largest c with hi[c] ≥ X (the tops fall as c grows)
        int l = 1, h = n;
        while (l < h) {
            int mid = (l + h + 1) >>> 1;
            if (hi[mid] >= X) l = mid;
            else h = mid - 1;
        }
        return below[l + 1] + segment(A[l], B[l], lo[l], X);
    }

    /** {@link SimResult.Summary#of} of values already in ascending order. */
    static SimResult.Summary ofSorted(double[] v, int n) {
        if (n == 0) return SimResult.Summary.EMPTY;
        double s = 0;
        for (int i = 0; i < n; i++) s += v[i];
        return new SimResult.Summary(s / n * (1 - SLACK), v[rank(n, 0.50)], v[rank(n, 0.90)], v[rank(n, 0.99)], v[n - 1]);
    }

    private static int rank(int n, double p) {
        int i = (int) Math.ceil(p * n) - 1;
        return Math.max(0, Math.min(n - 1, i));
    }
}
