package dev.shardplan.predict;

import java.util.Arrays;
import java.util.PriorityQueue;

/**
 * The reference simulator: {@link ServingSimulator}'s scheduler, stepped one engine iteration at a
 * time over explicit per-request state, exactly as docs/predictions.md ("Serving simulation")
 * describes it, with the replica of the earliest clock stepping next (the lowest index on ties)
 * and an arrival routed when no replica's clock is behind it. It is the test oracle: the
 * event-driven simulator must give bit-for-bit its result ({@code ServingSimulatorTest},
 * {@code SimulatorEquivalenceTest}). A mechanism added to the simulator is added here first, in
 * the plainest form.
 */
final class SteppingSimulator {
    private static final int TIMELINE_CAP = 512;

    private final SchedulerConfig cfg;
    private final StepTimeModel model;

    SteppingSimulator(SchedulerConfig cfg, StepTimeModel model) {
        this.cfg = cfg;
        this.model = model;
    }

    /** Simulates serving {@code reqs} to the end. */
    public SimResult run(RequestSet reqs) {
        return new Run(reqs).go();
    }

    private final class Run {
        final RequestSet rs;
        final int n;
        final int[] prompt, output;
        final int[] gen, computed, blocks;
        final double[] arrive, first, finish;
        final Replica[] reps;
        final double[] effArrival;
        int completed, rejected;
        long preemptions, recomputed, steps;
        double busyRunningArea, busyTime;
        double peakUtil;
        long usedBlocksAll;
        final long totalBlocksAll;
        // timeline with decimation: keep every stride-th sample, doubling stride when full
        double[] tlT = new double[TIMELINE_CAP];
        double[] tlU = new double[TIMELINE_CAP];
        int tlN, tlStride = 1;
        long tlCount;

        // prefix caching, one entry per block: the free blocks in LRU order (front evicted first), the
        // request and chain index each block's hash is of (-1: none), each request's own blocks in
        // chain order, the blocks it left cached when last preempted, and the tokens it had computed
        final boolean cache;
        int[] blockOwner, blockIdx;
        java.util.List<java.util.List<Integer>> held, cachedIds;
        int[] lost;
        final long prefixBlocks;

        Run(RequestSet rs) {
            this.rs = rs;
            cache = cfg.prefixCache();
            prefixBlocks = cache ? rs.prefix() / cfg.blockSize() : 0;
            n = rs.size();
            prompt = rs.prompt();
            output = rs.output();
            gen = new int[n];
            computed = new int[n];
            blocks = new int[n];
            arrive = new double[n];
            first = new double[n];
            finish = new double[n];
            Arrays.fill(first, -1);
            reps = new Replica[cfg.replicas()];
            for (int i = 0; i < reps.length; i++) reps[i] = new Replica(Math.min(n, cfg.maxNumSeqs()) + 1, n);
            effArrival = rs.arrival();
            totalBlocksAll = cfg.kvBlocks() * cfg.replicas();
            if (cache) {
                int total = (int) totalBlocksAll;
                blockOwner = new int[total];
                blockIdx = new int[total];
                Arrays.fill(blockOwner, -1);
                held = new java.util.ArrayList<>();
                cachedIds = new java.util.ArrayList<>();
                for (int i = 0; i < n; i++) {
                    held.add(new java.util.ArrayList<>());
                    cachedIds.add(new java.util.ArrayList<>());
                }
                lost = new int[n];
                for (int k = 0; k < reps.length; k++) {
                    for (int b = 0; b < cfg.kvBlocks(); b++) reps[k].freeQ.add((int) (k * cfg.kvBlocks() + b));
                }
            }
        }

        int sharedBlocks(int r) {
            return prefixBlocks == 0 ? 0 : (int) (Math.min(rs.prefix(), prompt[r] - 1L) / cfg.blockSize());
        }

        long ownBlocks(int r, long tokens) {
            return Math.max(0, ceilDiv(tokens, cfg.blockSize()) - sharedBlocks(r));
        }

        /** Takes k blocks from the front of the free queue for request r (-1: the shared prefix), dropping their hashes. */
        void take(Replica rep, int r, long k) {
            rep.free -= k;
            usedBlocksAll += k;
            if (!cache) return;
            for (long i = 0; i < k; i++) {
                var it = rep.freeQ.iterator();
                int id = it.next();
                it.remove();
                blockOwner[id] = -1;
                if (r >= 0) held.get(r).add(id);
            }
        }

        /** Frees request r's blocks, tail first; the first {@code full} keep r's hash. */
        void giveBack(Replica rep, int r, long b, long full) {
            rep.free += b;
            usedBlocksAll -= b;
            if (!cache) return;
            var mine = held.get(r);
            if (mine.size() != b) throw new IllegalStateException("request " + r + " holds " + mine.size() + " blocks, not " + b);
            cachedIds.get(r).clear();
            for (int j = 0; j < full; j++) cachedIds.get(r).add(mine.get(j));
            for (int j = mine.size() - 1; j >= 0; j--) {
                int id = mine.get(j);
                blockOwner[id] = j < full ? r : -1;
                blockIdx[id] = j;
                rep.freeQ.add(id);
            }
            mine.clear();
        }

        /** How many of r's first own blocks are still cached, in chain order (the lookup stops at the first gap). */
        long cachedPrefix(Replica rep, int r) {
            var ids = cachedIds.get(r);
            long c = 0;
            for (int j = 0; j < ids.size(); j++) {
                int id = ids.get(j);
                if (blockOwner[id] != r || blockIdx[id] != j || !rep.freeQ.contains(id)) break;
                c++;
            }
            return c;
        }

        /** r is admitted and takes its first {@code hit} cached blocks out of the queue; the others hold nothing for it. */
        void touch(Replica rep, int r, long hit) {
            var ids = cachedIds.get(r);
            for (int j = 0; j < ids.size(); j++) {
                int id = ids.get(j);
                if (j < hit) {
                    rep.freeQ.remove(id);
                    blockOwner[id] = -1;
                    held.get(r).add(id);
                } else if (blockOwner[id] == r && blockIdx[id] == j) {
                    blockOwner[id] = -1;
                }
            }
            ids.clear();
        }

        PriorityQueue<Integer> pending;

        double dummy = -1;

        SimResult go() {
            if (cfg.lockstep() && reps.length > 1) return goLockstep();
            // pending arrivals ordered by (time, id)
            pending = new PriorityQueue<>((a, b) -> {
                int c = Double.compare(arrive[a], arrive[b]);
                return c != 0 ? c : Integer.compare(a, b);
            });
            int limit = rs.concurrency() > 0 ? Math.min(rs.concurrency(), n) : n;
            int released = 0;
            for (; released < limit; released++) {
                arrive[released] = effArrival[released];
                pending.add(released);
            }
            double t0 = n == 0 ? 0 : Double.MAX_VALUE;
            for (int i = 0; i < limit; i++) t0 = Math.min(t0, arrive[i]);
            int rr = 0;
            int done = 0; // completed + rejected
            while (done < n) {
                Replica next = null;
                for (Replica r : reps) if (r.hasWork() && (next == null || r.now < next.now)) next = r;
                Integer head = pending.peek();
                if (head != null && (next == null || arrive[head] <= next.now)) {
                    pending.poll();
                    if (tooLong(head)) {
                        rejected++;
                        done++;
                        finish[head] = -1;
                        if (released < n && rs.concurrency() > 0) {
                            arrive[released] = Math.max(effArrival[released], arrive[head]);
                            pending.add(released++);
                        }
                        continue;
                    }
                    Replica to = route(rr++);
                    if (!to.hasWork()) to.now = Math.max(to.now, arrive[head]);
                    to.pushBack(head);
                    continue;
                }
                if (next == null) throw new IllegalStateException("simulation stalled with " + (n - done) + " requests left");
                int fin = step(next);
                for (int k = 0; k < fin; k++) {
                    done++;
                    completed++;
                    if (released < n && rs.concurrency() > 0) {
                        arrive[released] = Math.max(effArrival[released], next.now);
                        pending.add(released++);
                    }
                }
            }
            return result(t0);
        }

        /** Every replica steps at once on one clock; an iteration lasts as long as the slowest, idle ones step a dummy batch. */
        SimResult goLockstep() {
            pending = new PriorityQueue<>((a, b) -> {
                int c = Double.compare(arrive[a], arrive[b]);
                return c != 0 ? c : Integer.compare(a, b);
            });
            int limit = rs.concurrency() > 0 ? Math.min(rs.concurrency(), n) : n;
            int released = 0;
            for (; released < limit; released++) {
                arrive[released] = effArrival[released];
                pending.add(released);
            }
            double t0 = n == 0 ? 0 : Double.MAX_VALUE;
            for (int i = 0; i < limit; i++) t0 = Math.min(t0, arrive[i]);
            int rr = 0, done = 0;
            double clock = 0;
            while (done < n) {
                boolean busy = false;
                for (Replica r : reps) busy |= r.hasWork();
                Integer head = pending.peek();
                if (head != null && (!busy || arrive[head] <= clock)) {
                    pending.poll();
                    if (tooLong(head)) {
                        rejected++;
                        done++;
                        finish[head] = -1;
                        if (released < n && rs.concurrency() > 0) {
                            arrive[released] = Math.max(effArrival[released], arrive[head]);
                            pending.add(released++);
                        }
                        continue;
                    }
                    Replica to = route(rr++);
                    if (!busy) clock = Math.max(clock, arrive[head]);
                    to.pushBack(head);
                    continue;
                }
                if (!busy) throw new IllegalStateException("simulation stalled with " + (n - done) + " requests left");
                double dt = 0;
                double[] own = new double[reps.length];
                for (int k = 0; k < reps.length; k++) {
                    reps[k].now = clock;
                    own[k] = reps[k].hasWork() ? schedule(reps[k]) : -1;
                    if (own[k] < 0 && dummy < 0) dummy = model.seconds(1, 1, 0, 0, 0);
                    double d = own[k] >= 0 ? own[k] : dummy;
                    if (d > dt) dt = d;
                }
                clock += dt;
                for (int k = 0; k < reps.length; k++) {
                    reps[k].now = clock;
                    int fin = own[k] >= 0 ? apply(reps[k], dt) : 0;
                    for (int j = 0; j < fin; j++) {
                        done++;
                        completed++;
                        if (released < n && rs.concurrency() > 0) {
                            arrive[released] = Math.max(effArrival[released], clock);
                            pending.add(released++);
                        }
                    }
                }
            }
            return result(t0);
        }

        boolean tooLong(int r) {
            long need = ceilDiv(prompt[r] + output[r], cfg.blockSize()) - sharedBlocks(r);
            return need > cfg.kvBlocks() - prefixBlocks;
        }

        Replica route(int counter) {
            if (cfg.routing() == SchedulerConfig.Routing.ROUND_ROBIN) return reps[counter % reps.length];
            Replica best = reps[0];
            long bestScore = Long.MAX_VALUE;
            for (Replica r : reps) {
                long score = 4L * r.waitingSize() + r.runCount;
                if (score < bestScore) {
                    bestScore = score;
                    best = r;
                }
            }
            return best;
        }

        /** One iteration of one replica; returns how many requests finished. */
        int step(Replica rep) {
            double dt = schedule(rep);
            if (dt < 0) return 0;
            rep.now = rep.now + dt;
            return apply(rep, dt);
        }

        /** Schedules one iteration of {@code rep} at its clock; its time, or -1 when nothing was scheduled. */
        double schedule(Replica rep) {
            final int bs = cfg.blockSize();
            int budget = cfg.maxNumBatchedTokens();
            boolean reserve = cfg.admission() == SchedulerConfig.Admission.RESERVE_FULL;
            boolean preempted = false;
            int decodeSeqs = 0, prefillSeqs = 0, prefillTokens = 0;
            double decodeCtx = 0, pairs = 0;
            int[] run = rep.run;
            int[] sched = rep.sched;
            int nSched = 0;

            // 1. running requests, in admission order
            int i = 0;
            while (i < rep.runCount && budget > 0) {
                int r = run[i];
                int need = prompt[r] + gen[r] - computed[r];
                int nt = Math.min(need, budget);
                int newBlocks = (int) ownBlocks(r, computed[r] + nt) - blocks[r];
                boolean self = false;
                while (newBlocks > rep.free) {
                    int v = run[--rep.runCount];
                    preempt(rep, v);
                    preempted = true;
                    if (v == r) {
                        self = true;
                        break;
                    }
                }
                if (self) break;
                if (newBlocks > 0) {
                    take(rep, r, newBlocks);
                    blocks[r] += newBlocks;
                }
                sched[nSched] = r;
                rep.schedTok[nSched++] = nt;
                budget -= nt;
                if (nt == 1 && gen[r] > 0 && need == 1) {
                    decodeSeqs++;
                    decodeCtx += computed[r] + 1;
                } else {
                    prefillSeqs++;
                    prefillTokens += nt;
                    pairs += (double) nt * computed[r] + (double) nt * (nt + 1) / 2.0;
                }
                i++;
            }

            // 2. waiting requests, unless this iteration preempted
            if (!preempted) {
                while (rep.waitingSize() > 0 && budget > 0 && rep.runCount < cfg.maxNumSeqs()) {
                    int r = rep.peek();
                    long own = 0;
                    boolean keep = false;
                    if (cache) {
                        // the shared prefix's blocks, once this replica computed them, and r's own cached prefix
                        int sb = sharedBlocks(r);
                        long hit = 0;
                        if (sb > 0 && rep.prefixKept) hit = sb;
                        else if (sb > 0) keep = true;
                        if (!keep) own = Math.min(cachedPrefix(rep, r), Math.max(0, (prompt[r] + gen[r] - 1L) / bs - sb));
                        computed[r] = (int) ((hit + own) * bs);
                    }
                    int need = prompt[r] + gen[r] - computed[r];
                    // without chunked prefill a prompt must fit the budget; one that never can (a
                    // recompute longer than the budget) runs chunked when the replica is empty
                    if (!cfg.chunkedPrefill() && need > budget && (rep.runCount > 0 || nSched > 0)) {
                        computed[r] = 0;
                        break;
                    }
                    int nt = Math.min(need, budget);
                    long want = reserve ? ceilDiv(prompt[r] + output[r], bs) - sharedBlocks(r) : ownBlocks(r, computed[r] + nt);
                    long need2 = want + (keep ? prefixBlocks : 0);
                    if (need2 > rep.free) {
                        computed[r] = 0;
                        break;
                    }
                    rep.pop();
                    if (cache) {
                        touch(rep, r, own);
                        rep.free -= own;
                        usedBlocksAll += own;
                        if (keep) {
                            take(rep, -1, prefixBlocks);
                            rep.prefixKept = true;
                        }
                        if (lost[r] > 0) {
                            recomputed -= Math.min(lost[r], computed[r]);
                            lost[r] = 0;
                        }
                    }
                    take(rep, r, want - own);
                    blocks[r] = (int) want;
                    run[rep.runCount++] = r;
                    sched[nSched] = r;
                    rep.schedTok[nSched++] = nt;
                    budget -= nt;
                    prefillSeqs++;
                    prefillTokens += nt;
                    pairs += (double) nt * computed[r] + (double) nt * (nt + 1) / 2.0;
                }
            }

            if (nSched == 0) {
                // the first running request preempted itself: vLLM's step schedules nothing and the
                // next one re-admits it from the front of the waiting queue
                if (preempted) return -1;
                throw new IllegalStateException("scheduler made no progress at t=" + rep.now);
            }
            rep.nSched = nSched;
            recordTimeline(rep.now);
            return model.seconds(decodeSeqs, decodeCtx, prefillSeqs, prefillTokens, pairs);
        }

        /** Applies the scheduled iteration, which took {@code dt} and ended at the replica's clock. */
        int apply(Replica rep, double dt) {
            int[] run = rep.run;
            int[] sched = rep.sched;
            int nSched = rep.nSched;
            steps++;
            busyRunningArea += dt * rep.runCount;
            busyTime += dt;

            // 3. apply: computed tokens advance; a request with all tokens computed samples one
            int finished = 0;
            for (int k = 0; k < nSched; k++) {
                int r = sched[k];
                computed[r] += rep.schedTok[k];
                if (computed[r] == prompt[r] + gen[r]) {
                    gen[r]++;
                    if (first[r] < 0) first[r] = rep.now;
                    if (gen[r] >= output[r]) {
                        finish[r] = rep.now;
                        giveBack(rep, r, blocks[r], 0);
                        blocks[r] = 0;
                        computed[r] = -1; // marks finished for compaction
                        finished++;
                    }
                }
            }
            if (finished > 0) {
                int w = 0;
                for (int k = 0; k < rep.runCount; k++) {
                    int r = run[k];
                    if (computed[r] >= 0) run[w++] = r;
                }
                rep.runCount = w;
            }
            return finished;
        }

        void preempt(Replica rep, int v) {
            preemptions++;
            recomputed += computed[v];
            long full = cache ? Math.max(0, Math.min(blocks[v], computed[v] / cfg.blockSize() - sharedBlocks(v))) : 0;
            giveBack(rep, v, blocks[v], full);
            if (cache) lost[v] = computed[v];
            blocks[v] = 0;
            computed[v] = 0;
            rep.pushFront(v);
        }

        void recordTimeline(double t) {
            double u = (double) usedBlocksAll / totalBlocksAll;
            if (u > peakUtil) peakUtil = u;
            if (tlCount++ % tlStride != 0) return;
            if (tlN == TIMELINE_CAP) {
                for (int k = 0; k < TIMELINE_CAP / 2; k++) {
                    tlT[k] = tlT[2 * k];
                    tlU[k] = tlU[2 * k];
                }
                tlN = TIMELINE_CAP / 2;
                tlStride *= 2;
                if ((tlCount - 1) % tlStride != 0) return;
            }
            tlT[tlN] = t;
            tlU[tlN++] = u;
        }

        SimResult result(double t0) {
            double end = t0;
            long pTok = 0, oTok = 0;
            double[] ttft = new double[n], tpot = new double[n], e2e = new double[n];
            int nt = 0, np = 0;
            for (int r = 0; r < n; r++) {
                if (finish[r] < 0 || first[r] < 0) continue;
                end = Math.max(end, finish[r]);
                pTok += prompt[r];
                oTok += output[r];
                ttft[nt] = first[r] - arrive[r];
                e2e[nt++] = finish[r] - arrive[r];
                if (output[r] > 1) tpot[np++] = (finish[r] - first[r]) / (output[r] - 1);
            }
            double span = completed == 0 ? 0 : end - t0;
            double inv = span > 0 ? 1.0 / span : 0;
            return new SimResult(n, completed, rejected, span, pTok, oTok, oTok * inv, (pTok + oTok) * inv,
                    completed * inv, SimResult.Summary.of(ttft, nt), SimResult.Summary.of(tpot, np),
                    SimResult.Summary.of(e2e, nt), preemptions, recomputed, steps,
                    busyTime > 0 ? busyRunningArea / busyTime : 0, peakUtil,
                    Arrays.copyOf(tlT, tlN), Arrays.copyOf(tlU, tlN));
        }
    }

    /** One DP replica: its clock, running list (admission order), waiting deque and free blocks. */
    private final class Replica {
        double now;
        final int[] run;
        int runCount;
        final int[] sched;
        final int[] schedTok;
        long free = cfg.kvBlocks();
        int nSched;
        boolean prefixKept;
        final java.util.LinkedHashSet<Integer> freeQ = new java.util.LinkedHashSet<>();
        // waiting: a ring buffer deque of request ids
        final int[] wq;
        int wHead, wSize;

        Replica(int runCap, int n) {
            run = new int[runCap];
            sched = new int[runCap];
            schedTok = new int[runCap];
            wq = new int[Math.max(1, n)];
        }

        boolean hasWork() {
            return runCount > 0 || wSize > 0;
        }

        int waitingSize() {
            return wSize;
        }

        void pushBack(int r) {
            wq[(wHead + wSize++) % wq.length] = r;
        }

        void pushFront(int r) {
            wHead = (wHead - 1 + wq.length) % wq.length;
            wq[wHead] = r;
            wSize++;
        }

        int peek() {
            return wq[wHead];
        }

        int pop() {
            int r = wq[wHead];
            wHead = (wHead + 1) % wq.length;
            wSize--;
            return r;
        }
    }

    static long ceilDiv(long a, long b) {
        return (a + b - 1) / b;
    }
}
