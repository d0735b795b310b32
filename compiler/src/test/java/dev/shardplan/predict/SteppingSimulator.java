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
