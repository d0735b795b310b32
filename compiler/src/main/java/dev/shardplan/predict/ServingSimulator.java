package dev.shardplan.predict;

import java.util.Arrays;
import java.util.PriorityQueue;

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
 * <p>Replicas advance independently; the replica with the earliest clock steps next, and an
 * arrival is routed when no replica's clock is behind it. Deterministic: no randomness beyond the
 * request set.
 *
 * <p>Decode runs: an iteration in which every running request decodes, nothing can be admitted and
 * nothing is preempted is followed by identical ones until a request finishes, the pool runs out,
 * an arrival is due or another replica's clock is behind. Those iterations are advanced in O(1)
 * each (the context sum grows by the batch size per step, new blocks come from a histogram of the
 * requests' positions within their last block), giving bit-for-bit the result of stepping them
 * one by one ({@code ServingSimulatorTest}) at O(running) per run instead of per step.
 */
public final class ServingSimulator {
    private static final int TIMELINE_CAP = 512;

    private final SchedulerConfig cfg;
    private final StepTimeModel model;
    private final boolean decodeRuns;

    public ServingSimulator(SchedulerConfig cfg, StepTimeModel model) {
        this(cfg, model, true);
    }

    /** {@code decodeRuns} false: step every iteration one by one (the reference for the fast path). */
    ServingSimulator(SchedulerConfig cfg, StepTimeModel model, boolean decodeRuns) {
        this.cfg = cfg;
        this.model = model;
        this.decodeRuns = decodeRuns;
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

        Run(RequestSet rs) {
            this.rs = rs;
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
        }

        PriorityQueue<Integer> pending;

        SimResult go() {
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
            long iterations = 0;
            while (done < n) {
                if ((++iterations & 4095) == 0) dev.shardplan.diag.Deadline.check();
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
                if (fin == 0 && decodeRuns && next.pureDecode) decodeRun(next);
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

        boolean tooLong(int r) {
            long need = ceilDiv(prompt[r] + output[r], cfg.blockSize());
            return need > cfg.kvBlocks();
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
                int newBlocks = (int) ceilDiv(computed[r] + nt, bs) - blocks[r];
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
                    rep.free -= newBlocks;
                    blocks[r] += newBlocks;
                    usedBlocksAll += newBlocks;
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
                    int need = prompt[r] + gen[r] - computed[r];
                    // without chunked prefill a prompt must fit the budget; one that never can (a
                    // recompute longer than the budget) runs chunked when the replica is empty
                    if (!cfg.chunkedPrefill() && need > budget && (rep.runCount > 0 || nSched > 0)) break;
                    int nt = Math.min(need, budget);
                    long want = reserve ? ceilDiv(prompt[r] + output[r], bs) : ceilDiv(computed[r] + nt, bs);
                    int newBlocks = (int) (want - blocks[r]);
                    if (newBlocks > rep.free) break;
                    rep.pop();
                    rep.free -= newBlocks;
                    blocks[r] += newBlocks;
                    usedBlocksAll += newBlocks;
                    run[rep.runCount++] = r;
                    sched[nSched] = r;
                    rep.schedTok[nSched++] = nt;
                    budget -= nt;
                    prefillSeqs++;
                    prefillTokens += nt;
                    pairs += (double) nt * computed[r] + (double) nt * (nt + 1) / 2.0;
                }
            }

            rep.pureDecode = !preempted && prefillSeqs == 0 && decodeSeqs == nSched;
            double start = rep.now;
            if (nSched == 0) {
                // the first running request preempted itself: vLLM's step schedules nothing and the
                // next one re-admits it from the front of the waiting queue
                if (preempted) return 0;
                throw new IllegalStateException("scheduler made no progress at t=" + start);
            }
            recordTimeline(start);
            double dt = model.seconds(decodeSeqs, decodeCtx, prefillSeqs, prefillTokens, pairs);
            rep.now = start + dt;
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
                        rep.free += blocks[r];
                        usedBlocksAll -= blocks[r];
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

        /**
         * Advances {@code rep} through the decode iterations that must follow a pure-decode one,
         * each exactly as {@link #step} would (same arguments to the step-time model, same order of
         * floating-point updates), stopping before anything else could happen.
         */
        void decodeRun(Replica rep) {
            final int bs = cfg.blockSize();
            final int nRun = rep.runCount;
            if (nRun == 0 || nRun > cfg.maxNumBatchedTokens()) return;
            int[] run = rep.run;
            // every running request decodes; steps until the first finish; context sum; block phases
            long maxSteps = Long.MAX_VALUE;
            long ctx = 0;
            int[] phase = rep.phase(bs);
            java.util.Arrays.fill(phase, 0);
            for (int k = 0; k < nRun; k++) {
                int r = run[k];
                if (gen[r] == 0 || computed[r] != prompt[r] + gen[r] - 1) return;
                maxSteps = Math.min(maxSteps, output[r] - gen[r] - 1L);
                ctx += computed[r] + 1L;
                // the first step that needs a new block: when computed + 1 exceeds blocks · bs
                long first = (long) blocks[r] * bs - computed[r] + 1;
                if (first <= bs) phase[(int) (first - 1)]++;
                else maxSteps = Math.min(maxSteps, first - 1); // slack beyond one block: stop before it is used
            }
            if (maxSteps <= 0) return;
            if (rep.waitingSize() > 0 && admissible(rep, nRun)) return;
            Replica other = null;
            for (Replica o : reps) if (o != rep && o.hasWork() && (other == null || o.now < other.now)) other = o;
            int repIdx = indexOf(rep), otherIdx = other == null ? -1 : indexOf(other);
            long j = 0;
            while (j < maxSteps) {
                // the main loop would route a due arrival, or step a replica whose clock is behind, first
                Integer head = pending.peek();
                if (head != null && arrive[head] <= rep.now) break;
                if (other != null && (other.now < rep.now || (other.now == rep.now && otherIdx < repIdx))) break;
                int need = phase[(int) (j % bs)];
                if (need > rep.free) break;
                if (need > 0) {
                    rep.free -= need;
                    usedBlocksAll += need;
                }
                double start = rep.now;
                recordTimeline(start);
                double dt = model.seconds(nRun, (double) (ctx + j * nRun), 0, 0, 0.0);
                rep.now = start + dt;
                steps++;
                busyRunningArea += dt * nRun;
                busyTime += dt;
                j++;
            }
            if (j == 0) return;
            for (int k = 0; k < nRun; k++) {
                int r = run[k];
                computed[r] += (int) j;
                gen[r] += (int) j;
                blocks[r] = Math.max(blocks[r], (int) ceilDiv(computed[r], bs));
            }
        }

        /** Whether the waiting head could be admitted after a decode step of {@code nRun} sequences. */
        private boolean admissible(Replica rep, int nRun) {
            int budget = cfg.maxNumBatchedTokens() - nRun;
            if (budget <= 0 || nRun >= cfg.maxNumSeqs()) return false;
            int r = rep.peek();
            int need = prompt[r] + gen[r] - computed[r];
            if (!cfg.chunkedPrefill() && need > budget) return false;
            int nt = Math.min(need, budget);
            int bs = cfg.blockSize();
            long want = cfg.admission() == SchedulerConfig.Admission.RESERVE_FULL ? ceilDiv(prompt[r] + output[r], bs)
                    : ceilDiv(computed[r] + nt, bs);
            // the pool only shrinks during a decode run: no room now means no room later
            return want - blocks[r] <= rep.free;
        }

        private int indexOf(Replica rep) {
            for (int i = 0; i < reps.length; i++) if (reps[i] == rep) return i;
            return -1;
        }

        void preempt(Replica rep, int v) {
            preemptions++;
            recomputed += computed[v];
            rep.free += blocks[v];
            usedBlocksAll -= blocks[v];
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
        /** The last iteration scheduled only decodes and preempted nothing. */
        boolean pureDecode;
        private int[] phase;
        final int[] run;
        int runCount;
        final int[] sched;
        final int[] schedTok;
        long free = cfg.kvBlocks();
        // waiting: a ring buffer deque of request ids
        final int[] wq;
        int wHead, wSize;

        Replica(int runCap, int n) {
            run = new int[runCap];
            sched = new int[runCap];
            schedTok = new int[runCap];
            wq = new int[Math.max(1, n)];
        }

        int[] phase(int bs) {
            if (phase == null || phase.length != bs) phase = new int[bs];
            return phase;
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
