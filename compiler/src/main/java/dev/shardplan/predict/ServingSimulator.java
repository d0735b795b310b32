package dev.shardplan.predict;

import java.util.Arrays;

/**
 * An event-driven simulation of continuous batching over a paged KV cache, one scheduler per DP
 * replica, following vLLM v1's {@code Scheduler.schedule} (docs/predictions.md, "Serving
 * simulation"): each iteration first schedules the running requests in admission order (one
 * token each when decoding, the next chunk when prefilling), allocating blocks as they grow and
 * preempting the most recently admitted running request when none is free (its blocks are freed,
 * its computed tokens forgotten, and it goes back to the front of the waiting queue); then, if
 * nothing was preempted, admits waiting requests while the running count is below max_num_seqs,
 * the token budget lasts and their blocks fit. The iteration's time comes from the step-time
 * model; a request whose tokens are all computed samples one more token.
 *
 * <p>Replicas advance independently; the replica with the earliest clock steps next (the lowest
 * index on ties), and an arrival is routed when no replica's clock is behind it. Once every request
 * is routed, each replica runs on by itself (decode-only stretches in one loop) and a merge of their
 * iterations by (start, replica) applies the deployment-wide sums in that same order.
 * Deterministic: no randomness beyond the request set.
 *
 * <p>Cost follows events, not tokens × requests (docs/predictions.md, "How the simulator
 * advances"). The running requests of a replica that are decoding are held in closed form: they
 * all advance one token per iteration, so each keeps its state as of the iteration it started
 * decoding, and the replica keeps the sum of their contexts, how many of them need a new block
 * at each position within a block ({@code block_size} counters: a decoder needs one every
 * {@code block_size} iterations, always at the same phase) and an indexed heap of their finishing
 * iterations. An iteration then costs O(1), plus O(log n) per request that finishes or is
 * preempted, O(1) per request admitted, and the explicit work of the few requests that prefill. Which
 * requests a preemption takes follows from counts alone: the needers are served in admission
 * order and the victims come from the other end. The result is bit-for-bit that of stepping
 * every request every iteration ({@code SteppingSimulator}, the test oracle).
 */
public final class ServingSimulator {
    private static final int TIMELINE_CAP = 512;

    /**
     * Bytes a simulation holds per request, with the request set's own: first token and finish
     * times, computed, generated, blocks, the iteration a decoder's state is as of, a state byte,
     * its place in the finish heap, its place in a waiting queue (which may double as it grows), the TPOT samples of the result,
     * a closed loop's effective arrival; with prefix caching the tokens a preemption lost and its
     * place in the free-block queue with the blocks still cached there; and the set's arrival,
     * prompt and output.
     */
    public static final long BYTES_PER_REQUEST = 8 + 8 + 4 + 4 + 4 + 8 + 1 + 4 + 8 + 8 + 8 + 4 + 4 + 8 + RequestSet.BYTES_PER_REQUEST;

    private static final byte WAITING = 0, RUNNING = 1, DECODING = 2, DONE = 3;

    private final SchedulerConfig cfg;
    private final StepTimeModel model;

    public ServingSimulator(SchedulerConfig cfg, StepTimeModel model) {
        this.cfg = cfg;
        this.model = model;
    }

    /** Simulates serving {@code reqs} to the end. */
    public SimResult run(RequestSet reqs) {
        return new Run(reqs).go();
    }

    /**
     * {@code cfg} with max_num_seqs lowered to the most requests a replica can ever hold with
     * {@code reqs}, when it is above that: the limit then never binds, so the simulation is the same,
     * and two configurations that differ only above it are seen to be equal. A replica holds at
     * most the closed loop's concurrency; in an offline batch (one arrival time) every request is
     * routed before the first iteration, round-robin by both routings, so at most ceil(n / dp).
     */
    public static SchedulerConfig canonical(SchedulerConfig cfg, RequestSet reqs) {
        int n = reqs.size();
        long most = n;
        if (reqs.concurrency() > 0) most = Math.min(n, reqs.concurrency());
        else if (sameArrival(reqs.arrival())) most = (n + cfg.replicas() - 1) / cfg.replicas();
        most = Math.max(1, most);
        if (cfg.maxNumSeqs() <= most) return cfg;
        return cfg.withMaxNumSeqs((int) most);
    }

    private static boolean sameArrival(double[] t) {
        for (int i = 1; i < t.length; i++) if (t[i] != t[0]) return false;
        return true;
    }

    private final class Run {
        final RequestSet rs;
        final int n;
        final int[] prompt, output;
        /** Arrivals as drawn (the request set's; never written). */
        final double[] drawn;
        /** Effective arrivals: the drawn ones, or in a closed loop the time a slot freed. */
        final double[] arrive;
        final double[] first, finish;
        /** Explicit requests: their state. Decoding requests: their state as of iteration {@code since}. */
        final int[] gen, computed, blocks;
        final long[] since;
        final byte[] state;
        final Replica[] reps;
        final ReplicaQueue queue;
        final LeastLoaded leastLoaded;
        final boolean closedLoop;
        int completed, rejected;
        long preemptions, recomputed, steps;
        double busyRunningArea, busyTime;
        long usedBlocksAll, peakUsed;
        /**
         * Every request is routed and none will arrive: the replicas no longer interact, so each runs
         * on by itself and the merge of their records applies the deployment-wide sums in the order
         * stepping in turn would ({@link #runIndependently}).
         */
        boolean independent;
        final long totalBlocksAll;
        // timeline with decimation: keep every stride-th sample, doubling stride when full
        final double[] tlT = new double[TIMELINE_CAP];
        final double[] tlU = new double[TIMELINE_CAP];
        int tlN, tlStride = 1, tlSkip;
        long tlCount;
        /** A decoder's place in its replica's finish heap (a request is in at most one), or -1. */
        final int[] finishPos;
        // open loop: requests in (arrival, id) order; closed loop: released ones by (arrival, id)
        int[] arrivalOrder;
        int nextArrival;
        LongIntHeap released;
        /** With prefix caching: tokens a request had computed when it was last preempted (0 once admitted again). */
        final int[] lost;
        /** With prefix caching: the queue's bookkeeping of each request, shared by the replicas' queues. */
        final int[] runOf;
        final long[] cachedOf;
        /** Blocks a replica keeps for the shared prompt prefix once one of its requests has computed it. */
        final long prefixBlocks;

        Run(RequestSet rs) {
            this.rs = rs;
            n = rs.size();
            prompt = rs.prompt();
            output = rs.output();
            drawn = rs.arrival();
            closedLoop = rs.concurrency() > 0 && rs.concurrency() < n;
            arrive = closedLoop ? drawn.clone() : drawn;
            gen = new int[n];
            computed = new int[n];
            blocks = new int[n];
            since = new long[n];
            state = new byte[n];
            first = new double[n];
            finish = new double[n];
            finishPos = new int[n];
            Arrays.fill(first, -1);
            boolean cache = cfg.prefixCache();
            lost = cache ? new int[n] : null;
            runOf = cache ? new int[n] : null;
            cachedOf = cache ? new long[n] : null;
            if (cache) Arrays.fill(runOf, -1);
            prefixBlocks = cache ? rs.prefix() / cfg.blockSize() : 0;
            reps = new Replica[cfg.replicas()];
            for (int i = 0; i < reps.length; i++) reps[i] = new Replica(i);
            queue = new ReplicaQueue(reps.length);
            leastLoaded = cfg.routing() == SchedulerConfig.Routing.LEAST_LOADED && reps.length > 1 ? new LeastLoaded(reps.length) : null;
            totalBlocksAll = cfg.kvBlocks() * cfg.replicas();
        }

        SimResult go() {
            int limit = closedLoop ? rs.concurrency() : n;
            if (closedLoop) {
                released = new LongIntHeap(limit + 1);
                for (int i = 0; i < limit; i++) released.add(timeKey(arrive[i]), i);
            } else {
                arrivalOrder = arrivalOrder(drawn);
            }
            int nextRelease = limit;
            double t0 = n == 0 ? 0 : Double.MAX_VALUE;
            for (int i = 0; i < limit; i++) t0 = Math.min(t0, arrive[i]);
            int rr = 0;
            int done = 0; // completed + rejected
            // lockstep: every replica steps at once on one clock, each iteration as long as the slowest
            boolean lock = cfg.lockstep() && reps.length > 1;
            double clock = 0;
            int busy = 0;
            long iterations = 0;
            while (done < n) {
                if ((++iterations & 4095) == 0) dev.shardplan.diag.Deadline.check();
                Replica next = lock ? null : queue.peek();
                int head = peekArrival();
                if (head < 0 && !lock && reps.length > 1 && (!closedLoop || nextRelease >= n) && next != null) {
                    int fin = runIndependently();
                    done += fin;
                    completed += fin;
                    if (done < n) throw new IllegalStateException("simulation stalled with " + (n - done) + " requests left");
                    break;
                }
                boolean allIdle = lock ? busy == 0 : next == null;
                if (head >= 0 && (allIdle || arrive[head] <= (lock ? clock : next.now))) {
                    pollArrival();
                    if (tooLong(head)) {
                        rejected++;
                        done++;
                        finish[head] = -1;
                        state[head] = DONE;
                        if (closedLoop && nextRelease < n) {
                            arrive[nextRelease] = Math.max(drawn[nextRelease], arrive[head]);
                            released.add(timeKey(arrive[nextRelease]), nextRelease++);
                        }
                        continue;
                    }
                    Replica to = route(rr++);
                    boolean idle = !to.hasWork();
                    if (lock) {
                        if (busy == 0) clock = Math.max(clock, arrive[head]);
                        if (idle) busy++;
                    } else if (idle) {
                        to.now = Math.max(to.now, arrive[head]);
                    }
                    to.waiting.pushBack(head);
                    if (idle && !lock) queue.add(to);
                    to.scoreChanged();
                    continue;
                }
                if (allIdle) throw new IllegalStateException("simulation stalled with " + (n - done) + " requests left");
                if (lock) {
                    double dt = 0;
                    for (Replica r : reps) {
                        r.now = clock;
                        r.stepDt = r.hasWork() ? r.schedule() : -1;
                        // a replica with nothing to run steps a dummy batch, so that the MoE collectives meet
                        double d = r.stepDt >= 0 ? r.stepDt : dummy();
                        if (d > dt) dt = d;
                    }
                    clock += dt;
                    busy = 0;
                    for (Replica r : reps) {
                        r.now = clock;
                        int fin = r.stepDt >= 0 ? r.apply(dt) : 0;
                        if (r.hasWork()) busy++;
                        for (int k = 0; k < fin; k++) {
                            done++;
                            completed++;
                            if (closedLoop && nextRelease < n) {
                                arrive[nextRelease] = Math.max(drawn[nextRelease], clock);
                                released.add(timeKey(arrive[nextRelease]), nextRelease++);
                            }
                        }
                    }
                    continue;
                }
                int fin = next.step();
                if (next.hasWork()) queue.moved(next);
                else queue.remove(next);
                for (int k = 0; k < fin; k++) {
                    done++;
                    completed++;
                    if (closedLoop && nextRelease < n) {
                        arrive[nextRelease] = Math.max(drawn[nextRelease], next.now);
                        released.add(timeKey(arrive[nextRelease]), nextRelease++);
                    }
                }
            }
            return result(t0);
        }

        /** Iterations a replica runs ahead of the merge at a time. */
        static final int RUN_AHEAD = 1024;

        /**
         * Runs the replicas to the end one at a time, each up to {@link #RUN_AHEAD} iterations ahead,
         * and merges their iterations by (start, replica), the order in which stepping in turn runs
         * them: each merged iteration records the timeline with the deployment's blocks in use as
         * stepping would see them (the others' as of their last iteration), then adds to the busy
         * sums. Consecutive iterations of one replica share their batch shape, so the step-time
         * model's terms for it are reused. Returns how many requests completed.
         */
        int runIndependently() {
            independent = true;
            int fin = 0;
            ReplicaQueue merge = new ReplicaQueue(reps.length);
            for (Replica r : reps) {
                r.merged = r.used;
                r.recT = new double[64];
                r.recDt = new double[64];
                r.recRun = new int[64];
                r.recU1 = new long[64];
                r.recU2 = new long[64];
                if (!r.hasWork()) continue;
                fin += r.runAhead();
                if (r.recLen > 0) merge.insert(r.recT[0], r.idx);
            }
            while (merge.size > 0) {
                Replica r = merge.peek();
                int k = r.recHead++;
                usedBlocksAll += r.recU1[k] - r.merged;
                if (r.recDt[k] >= 0) {
                    recordTimeline(r.recT[k]);
                    double dt = r.recDt[k];
                    busyRunningArea += dt * r.recRun[k];
                    busyTime += dt;
                }
                usedBlocksAll += r.recU2[k] - r.recU1[k];
                r.merged = r.recU2[k];
                if (r.recHead == r.recLen && r.hasWork()) fin += r.runAhead();
                if (r.recHead < r.recLen) merge.movedTo(r.recT[r.recHead], r.idx);
                else merge.remove(r);
            }
            return fin;
        }

        double dummyDt = -1;

        /** A one-token dummy batch: what a lockstep replica with nothing to run steps. */
        double dummy() {
            if (dummyDt < 0) dummyDt = model.seconds(1, 1, 0, 0, 0);
            return dummyDt;
        }

        int peekArrival() {
            if (closedLoop) return released.isEmpty() ? -1 : released.peekId();
            return nextArrival < n ? (arrivalOrder == null ? nextArrival : arrivalOrder[nextArrival]) : -1;
        }

        void pollArrival() {
            if (closedLoop) released.poll();
            else nextArrival++;
        }

        /** Longer than a replica's pool (less the shared prefix's blocks, which it keeps for all): never admitted. */
        boolean tooLong(int r) {
            long need = ceilDiv(prompt[r] + output[r], cfg.blockSize()) - sharedBlocks(r);
            return need > cfg.kvBlocks() - prefixBlocks;
        }

        /**
         * Blocks of request {@code r}'s prompt that are the shared prefix's (with prefix caching): its
         * full blocks within min(prefix, prompt − 1) tokens, what vLLM's lookup can hit (at most
         * num_tokens − 1 tokens, v1/core/kv_cache_manager.py get_computed_blocks).
         */
        int sharedBlocks(int r) {
            return prefixBlocks == 0 ? 0 : (int) (Math.min(rs.prefix(), prompt[r] - 1L) / cfg.blockSize());
        }

        Replica route(int counter) {
            if (cfg.routing() == SchedulerConfig.Routing.ROUND_ROBIN) return reps[counter % reps.length];
            return leastLoaded == null ? reps[0] : reps[leastLoaded.best()];
        }

        /** Records the KV use at the start of an iteration: the peak, and the decimated timeline. */
        void recordTimeline(double t) {
            if (usedBlocksAll > peakUsed) peakUsed = usedBlocksAll;
            long i = tlCount++;
            if (tlSkip > 0) {
                tlSkip--;
                return;
            }
            // here i is a multiple of tlStride
            if (tlN == TIMELINE_CAP) {
                for (int k = 0; k < TIMELINE_CAP / 2; k++) {
                    tlT[k] = tlT[2 * k];
                    tlU[k] = tlU[2 * k];
                }
                tlN = TIMELINE_CAP / 2;
                tlStride *= 2;
                if (i % tlStride != 0) {
                    tlSkip = tlStride / 2 - 1;
                    return;
                }
            }
            tlT[tlN] = t;
            tlU[tlN++] = (double) usedBlocksAll / totalBlocksAll;
            tlSkip = tlStride - 1;
        }

        SimResult result(double t0) {
            double end = t0;
            long pTok = 0, oTok = 0;
            // the per-request arrays are done with: first and finish take the TTFT and E2E samples
            double[] ttft = first, e2e = finish, tpot = new double[n];
            int nt = 0, np = 0;
            for (int r = 0; r < n; r++) {
                double f = finish[r], s = first[r];
                if (f < 0 || s < 0) continue;
                end = Math.max(end, f);
                pTok += prompt[r];
                oTok += output[r];
                ttft[nt] = s - arrive[r];
                e2e[nt++] = f - arrive[r];
                if (output[r] > 1) tpot[np++] = (f - s) / (output[r] - 1);
            }
            double span = completed == 0 ? 0 : end - t0;
            double inv = span > 0 ? 1.0 / span : 0;
            return new SimResult(n, completed, rejected, span, pTok, oTok, oTok * inv, (pTok + oTok) * inv,
                    completed * inv, SimResult.Summary.of(ttft, nt), SimResult.Summary.of(tpot, np),
                    SimResult.Summary.of(e2e, nt), preemptions, recomputed, steps,
                    busyTime > 0 ? busyRunningArea / busyTime : 0, (double) peakUsed / totalBlocksAll,
                    Arrays.copyOf(tlT, tlN), Arrays.copyOf(tlU, tlN));
        }

        /**
         * One DP replica. Its running requests in admission order are the decoders held in closed
         * form ({@code dec}, with tombstones for those that finished), then the explicit ones
         * ({@code pre}: prefilling, just admitted, or decoders that could not join the closed form).
         */
        final class Replica {
            final int idx;
            double now;
            long free = cfg.kvBlocks();
            /** Blocks in use on this replica; {@code merged}: as of its last record the merge applied. */
            long used, merged;
            /**
             * Running independently: this replica's iterations not yet merged, each with its start, its
             * time (-1: it scheduled nothing), the running count its busy time is weighted by, and the
             * blocks in use when it recorded the timeline and when it ended.
             */
            double[] recT, recDt;
            int[] recRun;
            long[] recU1, recU2;
            int recHead, recLen;
            final IntDeque waiting = new IntDeque();
            // decoders in closed form
            long tick;            // iterations this replica has run
            int phase;            // tick mod block size
            int[] dec = new int[16];
            int decLen, nDec;
            long sumOff;          // sum over decoders of computed - since: their context is sumOff + nDec·tick
            final long[] cls = new long[cfg.blockSize()]; // decoders that need a block when tick mod bs is the index
            final FinishHeap finishing = new FinishHeap();
            // explicit running requests
            int[] pre = new int[16];
            int[] preTok = new int[16];
            int preLen;
            long score = -1;
            /** With prefix caching: the free blocks in LRU order; whether the shared prefix is computed and kept. */
            final FreeBlocks pool;
            boolean prefixKept;
            // between schedule() and apply(): the explicit requests scheduled, and (lockstep) the iteration's own time
            int scheduledPre;
            double stepDt;

            Replica(int idx) {
                this.idx = idx;
                pool = cfg.prefixCache() ? new FreeBlocks(runOf, cachedOf, cfg.kvBlocks()) : null;
            }

            /**
             * {@code k} more blocks in use on this replica; the deployment's count follows at once while
             * replicas step in turn, and through the merge of their records once they run independently.
             */
            void use(long k) {
                used += k;
                if (!independent) usedBlocksAll += k;
            }

            /** Takes {@code k} free blocks for a running request (evicting what the queue's front cached). */
            void allocate(long k) {
                free -= k;
                use(k);
                if (pool != null) pool.allocate(k);
            }

            /** Returns a finished request's {@code b} blocks. */
            void release(long b) {
                free += b;
                use(-b);
                if (pool != null) pool.free(b);
            }

            /**
             * Returns the {@code b} blocks of request {@code v}, preempted with {@code c} tokens computed:
             * with prefix caching its full blocks stay cached until evicted.
             */
            void releasePreempted(int v, long b, long c) {
                free += b;
                use(-b);
                if (pool == null) return;
                long full = Math.max(0, Math.min(b, c / cfg.blockSize() - sharedBlocks(v)));
                pool.freePreempted(v, b - full, full);
                lost[v] = (int) c;
            }

            boolean hasWork() {
                return nDec + preLen > 0 || waiting.size() > 0;
            }

            int runCount() {
                return nDec + preLen;
            }

            void scoreChanged() {
                if (leastLoaded == null || independent) return; // nothing is routed any more
                long s = 4L * waiting.size() + runCount();
                if (s != score) {
                    score = s;
                    leastLoaded.set(idx, s);
                }
            }

            /** Starts this replica's record of an iteration at {@code t} (running independently). */
            void record(double t, double dt) {
                if (recLen == recT.length) {
                    int cap = recT.length * 2;
                    recT = Arrays.copyOf(recT, cap);
                    recDt = Arrays.copyOf(recDt, cap);
                    recRun = Arrays.copyOf(recRun, cap);
                    recU1 = Arrays.copyOf(recU1, cap);
                    recU2 = Arrays.copyOf(recU2, cap);
                }
                recT[recLen] = t;
                recDt[recLen++] = dt;
            }

            /** Runs up to {@link #RUN_AHEAD} iterations into an emptied record; returns how many requests finished. */
            int runAhead() {
                recHead = recLen = 0;
                int fin = 0;
                while (recLen < RUN_AHEAD && hasWork()) {
                    if (decodeOnly()) decodeRun(RUN_AHEAD - recLen);
                    if (recLen < RUN_AHEAD && hasWork()) fin += step();
                }
                dev.shardplan.diag.Deadline.check();
                return fin;
            }

            /**
             * Whether the next iterations only decode the closed-form decoders: nothing explicit runs and
             * nothing can be admitted (none waits, the replica is at max_num_seqs, or the decoders take
             * the whole token budget).
             */
            boolean decodeOnly() {
                return nDec > 0 && preLen == 0
                        && (waiting.size() == 0 || runCount() >= cfg.maxNumSeqs() || nDec >= cfg.maxNumBatchedTokens());
            }

            /**
             * Up to {@code most} decode-only iterations at once, until the iteration in which a decoder
             * finishes (its tick is the finish heap's least key, so the run's length is known when it
             * starts) or a block boundary the pool cannot serve: each is one token for every decoder, its
             * blocks a lookup by phase, its context the closed-form sum, its time the step-time model's
             * for (decoders, context); the clock and the records advance as {@link #step} would, in the
             * same order. What ends the run is left to {@link #step}.
             */
            void decodeRun(int most) {
                long end = finishing.isEmpty() ? Long.MAX_VALUE : finishing.peekKey();
                long k = Math.min(most, end - tick);
                final int bs = cfg.blockSize();
                final int seqs = nDec;
                for (; k > 0; k--) {
                    long need = cls[phase];
                    if (need > free) return;
                    allocate(need);
                    long ctx = sumOff + seqs * (tick + 1);
                    double dt = model.seconds(seqs, (double) ctx, 0, 0, 0);
                    record(now, dt);
                    recU1[recLen - 1] = used;
                    recRun[recLen - 1] = seqs;
                    recU2[recLen - 1] = used;
                    now = now + dt;
                    steps++;
                    tick++;
                    if (++phase == bs) phase = 0;
                }
            }

            /** One iteration; returns how many requests finished. */
            int step() {
                double start = now;
                double dt = schedule();
                if (dt < 0) return 0;
                now = start + dt;
                return apply(dt);
            }

            /**
             * Schedules one iteration at {@code now} and returns its time, or -1 when it scheduled nothing
             * (the first running request preempted itself).
             */
            double schedule() {
                final int bs = cfg.blockSize();
                final int maxTokens = cfg.maxNumBatchedTokens();
                int budget = maxTokens;
                boolean preempted = false, stop = false;
                int decodeSeqs = 0, prefillSeqs = 0, prefillTokens = 0, nSched = 0;
                long decodeCtx = 0;
                double pairs = 0;

                // 1a. the decoders in closed form, first in admission order: one token each (there
                // are at most max_num_batched_tokens of them). Those whose block is full at this
                // phase need one; when the pool cannot serve them all, victims are taken from the
                // tail until it can, or until the needer it runs dry at is the tail itself.
                if (nDec > 0) {
                    long need = cls[phase];
                    if (need > free) {
                        preempted = true;
                        while (need > free) {
                            int v = tail();
                            if (state[v] == DECODING) {
                                boolean needer = needsAt(v, phase);
                                if (needer && need == free + 1) {
                                    // the (free+1)-th needer is the tail: it preempts itself and the iteration ends there
                                    preemptDecoder(v);
                                    need--;
                                    stop = true;
                                    break;
                                }
                                preemptDecoder(v);
                                if (needer) need--;
                            } else {
                                preemptExplicit();
                            }
                        }
                    }
                    allocate(need);
                    decodeSeqs = nDec;
                    decodeCtx = sumOff + nDec * (tick + 1);
                    nSched = nDec;
                    budget -= nDec;
                }

                // 1b. the explicit running requests, in admission order, exactly as stepping does
                int scheduledPre = 0;
                if (!stop) {
                    while (scheduledPre < preLen && budget > 0) {
                        int r = pre[scheduledPre];
                        int need = prompt[r] + gen[r] - computed[r];
                        int nt = Math.min(need, budget);
                        int newBlocks = (int) ownBlocks(r, computed[r] + nt) - blocks[r];
                        boolean self = false;
                        while (newBlocks > free) {
                            int v = pre[preLen - 1]; // the tail: every decoder comes before r
                            preemptExplicit();
                            preempted = true;
                            if (v == r) {
                                self = true;
                                break;
                            }
                        }
                        if (self) break;
                        if (newBlocks > 0) {
                            allocate(newBlocks);
                            blocks[r] += newBlocks;
                        }
                        preTok[scheduledPre++] = nt;
                        nSched++;
                        budget -= nt;
                        if (nt == 1 && gen[r] > 0 && need == 1) {
                            decodeSeqs++;
                            decodeCtx += computed[r] + 1;
                        } else {
                            prefillSeqs++;
                            prefillTokens += nt;
                            pairs += (double) nt * computed[r] + (double) nt * (nt + 1) / 2.0;
                        }
                    }
                }

                // 2. waiting requests, unless this iteration preempted
                if (!preempted) {
                    boolean reserve = cfg.admission() == SchedulerConfig.Admission.RESERVE_FULL;
                    while (waiting.size() > 0 && budget > 0 && runCount() < cfg.maxNumSeqs()) {
                        int r = waiting.peek();
                        // prefix caching: the shared prefix's blocks (once computed here) and what is
                        // left of r's own cached blocks count as computed (get_computed_blocks)
                        long own = 0;
                        boolean keep = false;
                        if (pool != null) {
                            int sb = sharedBlocks(r);
                            long hit = 0;
                            if (sb > 0 && prefixKept) hit = sb;
                            else if (sb > 0) keep = true; // r computes the shared prefix, which this replica then keeps
                            if (!keep && pool.cached(r) > 0) own = Math.min(pool.cached(r), Math.max(0, (prompt[r] + gen[r] - 1L) / bs - sb));
                            computed[r] = (int) ((hit + own) * bs);
                        }
                        int need = prompt[r] + gen[r] - computed[r];
                        // without chunked prefill a prompt must fit the budget; one that never can (a
                        // recompute longer than the budget) runs chunked when the replica is empty
                        if (!cfg.chunkedPrefill() && need > budget && (runCount() > 0 || nSched > 0)) {
                            computed[r] = 0;
                            break;
                        }
                        int nt = Math.min(need, budget);
                        long want = reserve ? ceilDiv(prompt[r] + output[r], bs) - sharedBlocks(r) : ownBlocks(r, computed[r] + nt);
                        // its cached blocks are among the free ones: the pool must hold all it will own
                        long take = want + (keep ? prefixBlocks : 0);
                        if (take > free) {
                            computed[r] = 0;
                            break;
                        }
                        waiting.pop();
                        if (pool != null) {
                            // the hits leave the queue first, then the new blocks come from its front
                            pool.take(r, own);
                            free -= own;
                            use(own);
                            if (keep) prefixKept = true;
                            if (lost[r] > 0) {
                                recomputed -= Math.min(lost[r], computed[r]);
                                lost[r] = 0;
                            }
                        }
                        allocate(take - own);
                        blocks[r] = (int) want;
                        state[r] = RUNNING;
                        appendPre(r); // every explicit one before it was scheduled: budget is left
                        preTok[scheduledPre++] = nt;
                        nSched++;
                        budget -= nt;
                        prefillSeqs++;
                        prefillTokens += nt;
                        pairs += (double) nt * computed[r] + (double) nt * (nt + 1) / 2.0;
                    }
                }

                if (nSched == 0) {
                    // the first running request preempted itself: vLLM's step schedules nothing and the
                    // next one re-admits it from the front of the waiting queue
                    if (preempted) {
                        if (independent) {
                            record(now, -1);
                            recU1[recLen - 1] = recU2[recLen - 1] = used;
                        }
                        scoreChanged();
                        return -1;
                    }
                    throw new IllegalStateException("scheduler made no progress at t=" + now);
                }
                this.scheduledPre = scheduledPre;
                if (independent) {
                    record(now, 0);
                    recU1[recLen - 1] = used;
                } else {
                    recordTimeline(now);
                }
                return model.seconds(decodeSeqs, (double) decodeCtx, prefillSeqs, prefillTokens, pairs);
            }

            /**
             * Applies the scheduled iteration, which took {@code dt} and ended at {@code now}: every
             * decoder in closed form advanced by this tick, the explicit ones explicitly. Returns how
             * many requests finished.
             */
            int apply(double dt) {
                final int bs = cfg.blockSize();
                final int maxTokens = cfg.maxNumBatchedTokens();
                steps++;
                if (independent) {
                    recDt[recLen - 1] = dt;
                    recRun[recLen - 1] = runCount();
                } else {
                    busyRunningArea += dt * runCount();
                    busyTime += dt;
                }
                tick++;
                if (++phase == bs) phase = 0;
                int finished = nDec > 0 ? finishDecoders() : 0;
                if (scheduledPre > 0) finished += applyExplicit(scheduledPre);
                if (preLen > 0) joinClosedForm(maxTokens);
                scoreChanged();
                if (independent) recU2[recLen - 1] = used;
                return finished;
            }

            /**
             * Blocks request {@code r} owns once it holds {@code tokens} tokens: those beyond the shared
             * prefix's blocks, which the replica keeps for every request.
             */
            long ownBlocks(int r, long tokens) {
                return Math.max(0, ceilDiv(tokens, cfg.blockSize()) - sharedBlocks(r));
            }

            /** Decoders whose last token was this iteration's: their blocks go back to the pool. */
            int finishDecoders() {
                int finished = 0;
                long last = tick - 1;
                while (!finishing.isEmpty() && finishing.peekKey() <= last) {
                    int r = finishing.poll();
                    finish[r] = now;
                    long b = blocksAt(r, tick);
                    release(b);
                    removeDecoder(r);
                    state[r] = DONE;
                    finished++;
                }
                if (decLen > 32 && nDec < decLen / 2) compactDecoders();
                return finished;
            }

            int applyExplicit(int scheduled) {
                int finished = 0, w = 0;
                for (int k = 0; k < preLen; k++) {
                    int r = pre[k];
                    if (k < scheduled) {
                        computed[r] += preTok[k];
                        if (computed[r] == prompt[r] + gen[r]) {
                            gen[r]++;
                            if (first[r] < 0) first[r] = now;
                            if (gen[r] >= output[r]) {
                                finish[r] = now;
                                release(blocks[r]);
                                blocks[r] = 0;
                                state[r] = DONE;
                                finished++;
                                continue;
                            }
                        }
                    }
                    pre[w++] = r;
                }
                preLen = w;
                return finished;
            }

            /**
             * Moves the explicit requests at the head of {@code pre} that decode into the closed form,
             * keeping admission order (they follow every decoder already there) and at most
             * max_num_batched_tokens decoders (so that all of them are scheduled every iteration).
             */
            void joinClosedForm(int maxTokens) {
                final int bs = cfg.blockSize();
                int m = 0;
                while (m < preLen && nDec < maxTokens) {
                    int r = pre[m];
                    if (gen[r] == 0 || computed[r] != prompt[r] + gen[r] - 1) break;
                    long firstNeed = ((long) blocks[r] + sharedBlocks(r)) * bs - computed[r];
                    long last = output[r] - gen[r] - 1L;
                    // a decoder with more than a block of slack that it will use (neither admission policy
                    // leaves one) stays explicit: its phase would not say when it first needs a block
                    if (firstNeed <= last && firstNeed >= bs) break;
                    since[r] = tick;
                    state[r] = DECODING;
                    if (decLen == dec.length) dec = Arrays.copyOf(dec, dec.length * 2);
                    dec[decLen++] = r;
                    nDec++;
                    sumOff += computed[r] - tick;
                    if (firstNeed <= last) cls[(int) ((tick + firstNeed) % bs)]++;
                    finishing.add(tick + last, r);
                    m++;
                }
                if (m > 0) {
                    System.arraycopy(pre, m, pre, 0, preLen - m);
                    preLen -= m;
                }
            }

            /** The iteration at which decoder {@code r} computes its last token. */
            long finishTick(int r) {
                return since[r] + output[r] - gen[r] - 1L;
            }

            /** The first iteration at which decoder {@code r} needs a new block (later ones follow every bs). */
            long firstNeed(int r) {
                return since[r] + ((long) blocks[r] + sharedBlocks(r)) * cfg.blockSize() - computed[r];
            }

            boolean counted(int r) {
                return firstNeed(r) <= finishTick(r);
            }

            boolean needsAt(int r, int ph) {
                return counted(r) && (int) (firstNeed(r) % cfg.blockSize()) == ph;
            }

            /** Blocks decoder {@code r} holds before iteration {@code t} runs. */
            long blocksAt(int r, long t) {
                long fn = firstNeed(r);
                long extra = counted(r) && t > fn ? (t - 1 - fn) / cfg.blockSize() + 1 : 0;
                return blocks[r] + extra;
            }

            void removeDecoder(int r) {
                nDec--;
                sumOff -= computed[r] - since[r];
                if (counted(r)) cls[(int) (firstNeed(r) % cfg.blockSize())]--;
            }

            /** The most recently admitted running request. */
            int tail() {
                if (preLen > 0) return pre[preLen - 1];
                while (state[dec[decLen - 1]] != DECODING) decLen--;
                return dec[decLen - 1];
            }

            /** Preempts decoder {@code v}, the tail: it goes back to the front of the waiting queue. */
            void preemptDecoder(int v) {
                long c = computed[v] + (tick - since[v]);
                preemptions++;
                recomputed += c;
                long b = blocksAt(v, tick);
                releasePreempted(v, b, c);
                removeDecoder(v);
                finishing.remove(v);
                decLen--; // tail() left it last
                gen[v] += (int) (tick - since[v]);
                computed[v] = 0;
                blocks[v] = 0;
                state[v] = WAITING;
                waiting.pushFront(v);
            }

            /** Preempts the last explicit running request. */
            void preemptExplicit() {
                int v = pre[--preLen];
                preemptions++;
                recomputed += computed[v];
                releasePreempted(v, blocks[v], computed[v]);
                blocks[v] = 0;
                computed[v] = 0;
                state[v] = WAITING;
                waiting.pushFront(v);
            }

            void appendPre(int r) {
                if (preLen == pre.length) {
                    pre = Arrays.copyOf(pre, pre.length * 2);
                    preTok = Arrays.copyOf(preTok, pre.length);
                }
                pre[preLen++] = r;
            }

            void compactDecoders() {
                int w = 0;
                for (int k = 0; k < decLen; k++) if (state[dec[k]] == DECODING) dec[w++] = dec[k];
                decLen = w;
            }
        }

        /**
         * The decoders of one replica by the iteration of their last token (then id), indexed so that
         * a preempted one leaves at once: the heap holds the running decoders and nothing stale.
         */
        final class FinishHeap {
            long[] keys = new long[16];
            int[] ids = new int[16];
            int size;

            boolean isEmpty() {
                return size == 0;
            }

            long peekKey() {
                return keys[0];
            }

            void add(long key, int id) {
                if (size == keys.length) {
                    keys = Arrays.copyOf(keys, size * 2);
                    ids = Arrays.copyOf(ids, size * 2);
                }
                up(size++, key, id);
            }

            int poll() {
                int top = ids[0];
                removeAt(0);
                return top;
            }

            void remove(int id) {
                removeAt(finishPos[id]);
            }

            private void removeAt(int i) {
                int last = --size;
                if (i != last) {
                    long k = keys[last];
                    int id = ids[last];
                    if (i > 0 && less(k, id, keys[(i - 1) >>> 1], ids[(i - 1) >>> 1])) up(i, k, id);
                    else down(i, k, id);
                }
            }

            private void up(int i, long key, int id) {
                while (i > 0) {
                    int p = (i - 1) >>> 1;
                    if (!less(key, id, keys[p], ids[p])) break;
                    set(i, keys[p], ids[p]);
                    i = p;
                }
                set(i, key, id);
            }

            private void down(int i, long key, int id) {
                while (true) {
                    int c = 2 * i + 1;
                    if (c >= size) break;
                    if (c + 1 < size && less(keys[c + 1], ids[c + 1], keys[c], ids[c])) c++;
                    if (!less(keys[c], ids[c], key, id)) break;
                    set(i, keys[c], ids[c]);
                    i = c;
                }
                set(i, key, id);
            }

            private void set(int i, long key, int id) {
                keys[i] = key;
                ids[i] = id;
                finishPos[id] = i;
            }

            private boolean less(long k1, int i1, long k2, int i2) {
                return k1 < k2 || (k1 == k2 && i1 < i2);
            }
        }

        /**
         * Replicas with work, sorted by (clock, index) in a ring: the first steps next. The replica
         * that stepped leaves the front and goes back in from the back, which is one comparison in
         * the usual case (replicas that step in turn), where a heap would sift every time.
         */
        final class ReplicaQueue {
            final double[] now;
            final int[] idx;
            final int mask; // capacity - 1, a power of two: the ring's index arithmetic is a mask, not a division
            int head, size;

            ReplicaQueue(int replicas) {
                int cap = Integer.highestOneBit(Math.max(1, replicas - 1)) << 1;
                mask = cap - 1;
                now = new double[cap];
                idx = new int[cap];
            }

            Replica peek() {
                return size == 0 ? null : reps[idx[head]];
            }

            void add(Replica r) {
                insert(r.now, r.idx);
            }

            /** {@code r}, the first, has no work left. */
            void remove(Replica r) {
                head = (head + 1) & mask;
                size--;
            }

            /** The first moved on to key {@code t} (the merge: its next record's start). */
            void movedTo(double t, int id) {
                int second = (head + 1) & mask;
                if (size == 1 || t < now[second] || (t == now[second] && id < idx[second])) {
                    now[head] = t; // still the first: a replica that runs ahead of the others
                    return;
                }
                head = (head + 1) & mask;
                size--;
                insert(t, id);
            }

            /** {@code r}, the first, stepped: its clock moved forward (or stayed). */
            void moved(Replica r) {
                head = (head + 1) & mask;
                size--;
                insert(r.now, r.idx);
            }

            void insert(double t, int id) {
                int i = size++;
                // shift larger keys one place back, from the back
                while (i > 0) {
                    int p = (head + i - 1) & mask;
                    if (!(t < now[p] || (t == now[p] && id < idx[p]))) break;
                    int q = (head + i) & mask;
                    now[q] = now[p];
                    idx[q] = idx[p];
                    i--;
                }
                int q = (head + i) & mask;
                now[q] = t;
                idx[q] = id;
            }
        }
    }

    /** The open loop's arrival order, (time, id); null when the ids already are in it. */
    static int[] arrivalOrder(double[] t) {
        boolean sorted = true;
        for (int i = 1; i < t.length && sorted; i++) sorted = t[i - 1] <= t[i];
        if (sorted) return null;
        Integer[] ids = new Integer[t.length];
        for (int i = 0; i < ids.length; i++) ids[i] = i;
        Arrays.sort(ids, (a, b) -> {
            int c = Double.compare(t[a], t[b]);
            return c != 0 ? c : Integer.compare(a, b);
        });
        int[] out = new int[ids.length];
        for (int i = 0; i < out.length; i++) out[i] = ids[i];
        return out;
    }

    /** A non-negative time as a long that sorts the same way. */
    static long timeKey(double t) {
        return Double.doubleToLongBits(t + 0.0);
    }

    static long ceilDiv(long a, long b) {
        return (a + b - 1) / b;
    }

    /**
     * vLLM's DP load balancer over the replicas' scores ({@code 4·waiting + running}): the lowest
     * score, the first index on ties. A tournament tree, so that routing costs O(log dp).
     */
    static final class LeastLoaded {
        final int leaves;
        final long[] score;
        final int[] win;

        LeastLoaded(int n) {
            int l = 1;
            while (l < n) l <<= 1;
            leaves = l;
            score = new long[l];
            Arrays.fill(score, Long.MAX_VALUE);
            for (int i = 0; i < n; i++) score[i] = 0;
            win = new int[2 * l];
            for (int i = 0; i < l; i++) win[l + i] = i;
            for (int i = l - 1; i >= 1; i--) win[i] = pick(win[2 * i], win[2 * i + 1]);
        }

        private int pick(int a, int b) {
            return score[b] < score[a] ? b : a; // a is the lower index
        }

        void set(int i, long s) {
            score[i] = s;
            for (int p = (leaves + i) >>> 1; p >= 1; p >>>= 1) win[p] = pick(win[2 * p], win[2 * p + 1]);
        }

        int best() {
            return win[1];
        }
    }

    /** A growable ring buffer of request ids. */
    static final class IntDeque {
        int[] a = new int[16];
        int head, size;

        int size() {
            return size;
        }

        void pushBack(int r) {
            if (size == a.length) grow();
            a[(head + size++) & (a.length - 1)] = r;
        }

        void pushFront(int r) {
            if (size == a.length) grow();
            head = (head - 1) & (a.length - 1);
            a[head] = r;
            size++;
        }

        int peek() {
            return a[head];
        }

        int pop() {
            int r = a[head];
            head = (head + 1) & (a.length - 1);
            size--;
            return r;
        }

        private void grow() {
            int[] b = new int[a.length * 2];
            for (int i = 0; i < size; i++) b[i] = a[(head + i) & (a.length - 1)];
            a = b;
            head = 0;
        }
    }

    /** A binary min-heap of (key, id) pairs, ordered by key then id. */
    static final class LongIntHeap {
        long[] keys;
        int[] ids;
        int size;

        LongIntHeap(int cap) {
            keys = new long[Math.max(1, cap)];
            ids = new int[keys.length];
        }

        boolean isEmpty() {
            return size == 0;
        }

        long peekKey() {
            return keys[0];
        }

        int peekId() {
            return ids[0];
        }

        void add(long key, int id) {
            if (size == keys.length) {
                keys = Arrays.copyOf(keys, size * 2);
                ids = Arrays.copyOf(ids, size * 2);
            }
            int i = size++;
            while (i > 0) {
                int p = (i - 1) >>> 1;
                if (!less(key, id, keys[p], ids[p])) break;
                keys[i] = keys[p];
                ids[i] = ids[p];
                i = p;
            }
            keys[i] = key;
            ids[i] = id;
        }

        int poll() {
            int top = ids[0];
            long key = keys[--size];
            int id = ids[size];
            int i = 0;
            while (true) {
                int c = 2 * i + 1;
                if (c >= size) break;
                if (c + 1 < size && less(keys[c + 1], ids[c + 1], keys[c], ids[c])) c++;
                if (!less(keys[c], ids[c], key, id)) break;
                keys[i] = keys[c];
                ids[i] = ids[c];
                i = c;
            }
            keys[i] = key;
            ids[i] = id;
            return top;
        }

        private static boolean less(long k1, int i1, long k2, int i2) {
            return k1 < k2 || (k1 == k2 && i1 < i2);
        }
    }
}
