package dev.shardplan.predict;

import java.util.ArrayDeque;
import java.util.Arrays;

/**
 * The serving simulation of an engine that keeps several pipeline micro-batches in flight, batch
 * by batch (docs/predictions.md, "Pipeline parallelism"). It follows vLLM V1's engine core with a
 * batch queue ({@code EngineCore.step_with_batch_queue}): while fewer than
 * {@link SchedulerConfig#microBatches} batches are in flight the core schedules another, from the
 * running requests that are not in flight (a request whose batch has not returned has no new
 * tokens to schedule: {@code Scheduler.schedule}, "PP>1 and we have already scheduled all prompt
 * tokens but they are not finished yet") and then, if nothing was preempted, from the waiting ones;
 * when it can schedule nothing, or the queue is full, it waits for the oldest batch, whose sampled
 * tokens it then applies ({@code update_from_output}). Micro-batches therefore form by timing and
 * need not be balanced. A batch enters the first stage when the core has scheduled it (its CPU
 * time) and the stage is free, and each stage when the previous one is done with it and it is
 * free; the last stage samples. SGLang's {@code event_loop_pp} and TensorRT-LLM's PP executor loop
 * cycle their micro-batches the same way.
 *
 * <p>The scheduler is {@link ServingSimulator}'s (admission order, preemption of the most recently
 * admitted running request, chunked prefill, the token budget, prefix caching, least-loaded
 * routing), held explicitly per request: a preempted request that is in flight loses that batch's
 * tokens. DP replicas step independently here even when {@link SchedulerConfig#lockstep} says they
 * synchronise (a documented simplification for MoE plans that combine DP with several micro-batches).
 */
public final class PipelineSimulator {
    private static final int TIMELINE_CAP = 512;

    private final SchedulerConfig cfg;
    private final StepTimeModel.Staged model;

    public PipelineSimulator(SchedulerConfig cfg, StepTimeModel.Staged model) {
        this.cfg = cfg;
        this.model = model;
    }

    public SimResult run(RequestSet reqs) {
        return new Run(reqs).go();
    }

    /** One batch in flight: its requests, the tokens scheduled for each, their epochs, and when it returns. */
    private record Batch(int[] reqs, int[] tokens, int[] epochs, double done) {}

    private final class Run {
        final RequestSet rs;
        final int n;
        final int[] prompt, output;
        final double[] drawn, arrive, first, finish;
        final int[] gen, computed, blocks, epoch, lost;
        final boolean[] inFlight;
        final int[] runOf;
        final long[] cachedOf;
        final long prefixBlocks;
        final Replica[] reps;
        final boolean closedLoop;
        int completed, rejected;
        long preemptions, recomputed, steps;
        double busyRunningArea, busyTime;
        long usedBlocksAll, peakUsed;
        final long totalBlocksAll;
        final double[] tlT = new double[TIMELINE_CAP];
        final double[] tlU = new double[TIMELINE_CAP];
        int tlN, tlStride = 1;
        long tlCount;

        Run(RequestSet rs) {
            this.rs = rs;
            n = rs.size();
            prompt = rs.prompt();
            output = rs.output();
            drawn = rs.arrival();
            closedLoop = rs.concurrency() > 0 && rs.concurrency() < n;
            arrive = drawn.clone();
            first = new double[n];
            finish = new double[n];
            Arrays.fill(first, -1);
            gen = new int[n];
            computed = new int[n];
            blocks = new int[n];
            epoch = new int[n];
            lost = new int[n];
            inFlight = new boolean[n];
            boolean cache = cfg.prefixCache();
            runOf = cache ? new int[n] : null;
            cachedOf = cache ? new long[n] : null;
            if (cache) Arrays.fill(runOf, -1);
            prefixBlocks = cache ? rs.prefix() / cfg.blockSize() : 0;
            reps = new Replica[cfg.replicas()];
            for (int i = 0; i < reps.length; i++) reps[i] = new Replica();
            totalBlocksAll = cfg.kvBlocks() * cfg.replicas();
        }

        SimResult go() {
            // pending arrivals by (time, id); a closed loop releases the next request when one finishes
            java.util.PriorityQueue<Integer> pending = new java.util.PriorityQueue<>((a, b) -> {
                int c = Double.compare(arrive[a], arrive[b]);
                return c != 0 ? c : Integer.compare(a, b);
            });
            int limit = closedLoop ? rs.concurrency() : n;
            for (int i = 0; i < limit; i++) pending.add(i);
            int released = limit;
            double t0 = n == 0 ? 0 : Double.MAX_VALUE;
            for (int i = 0; i < limit; i++) t0 = Math.min(t0, arrive[i]);
            int rr = 0, done = 0;
            while (done < n) {
                Replica next = null;
                for (Replica r : reps) if (r.hasWork() && (next == null || r.core < next.core)) next = r;
                Integer head = pending.peek();
                if (head != null && (next == null || arrive[head] <= next.core)) {
                    pending.poll();
                    if (tooLong(head)) {
                        rejected++;
                        done++;
                        finish[head] = -1;
                        if (closedLoop && released < n) {
                            arrive[released] = Math.max(drawn[released], arrive[head]);
                            pending.add(released++);
                        }
                        continue;
                    }
                    Replica to = route(rr++);
                    if (!to.hasWork()) {
                        to.core = Math.max(to.core, arrive[head]);
                        to.lastT = to.core;
                    }
                    to.waiting.addLast(head);
                    continue;
                }
                if (next == null) throw new IllegalStateException("simulation stalled with " + (n - done) + " requests left");
                int fin = next.act();
                for (int k = 0; k < fin; k++) {
                    done++;
                    completed++;
                    if (closedLoop && released < n) {
                        arrive[released] = Math.max(drawn[released], next.core);
                        pending.add(released++);
                    }
                }
            }
            return result(t0);
        }

        boolean tooLong(int r) {
            return ServingSimulator.ceilDiv(prompt[r] + output[r], cfg.blockSize()) - sharedBlocks(r) > cfg.kvBlocks() - prefixBlocks;
        }

        int sharedBlocks(int r) {
            return prefixBlocks == 0 ? 0 : (int) (Math.min(rs.prefix(), prompt[r] - 1L) / cfg.blockSize());
        }

        Replica route(int counter) {
            if (cfg.routing() == SchedulerConfig.Routing.ROUND_ROBIN) return reps[counter % reps.length];
            Replica best = reps[0];
            long bestScore = Long.MAX_VALUE;
            for (Replica r : reps) {
                long score = 4L * r.waiting.size() + r.runCount;
                if (score < bestScore) {
                    bestScore = score;
                    best = r;
                }
            }
            return best;
        }

        void recordTimeline(double t) {
            if (usedBlocksAll > peakUsed) peakUsed = usedBlocksAll;
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
            tlU[tlN++] = (double) usedBlocksAll / totalBlocksAll;
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
                    busyTime > 0 ? busyRunningArea / busyTime : 0, (double) peakUsed / totalBlocksAll,
                    Arrays.copyOf(tlT, tlN), Arrays.copyOf(tlU, tlN));
        }

        /** One DP replica: its engine core's clock, running list (admission order), waiting queue, batch queue and stages. */
        final class Replica {
            double core, lastT;
            int[] run = new int[16];
            int runCount;
            final ArrayDeque<Integer> waiting = new ArrayDeque<>();
            final ArrayDeque<Batch> queue = new ArrayDeque<>();
            final double[] stageFree = new double[model.stages()];
            long free = cfg.kvBlocks();
            final FreeBlocks pool = cfg.prefixCache() ? new FreeBlocks(runOf, cachedOf, cfg.kvBlocks()) : null;
            boolean prefixKept;

            boolean hasWork() {
                return runCount > 0 || !waiting.isEmpty() || !queue.isEmpty();
            }

            /** The core's next action at {@code core}: schedule a batch, or wait for the oldest; returns requests finished. */
            int act() {
                if (runCount > 0) {
                    busyRunningArea += (core - lastT) * runCount;
                    busyTime += core - lastT;
                }
                lastT = core;
                if (queue.size() < cfg.microBatches() && schedule() != 0) return 0;
                Batch b = queue.pollFirst();
                if (b == null) throw new IllegalStateException("scheduler made no progress at t=" + core);
                if (b.done() > core) {
                    if (runCount > 0) {
                        busyRunningArea += (b.done() - core) * runCount;
                        busyTime += b.done() - core;
                    }
                    core = b.done();
                    lastT = core;
                }
                return update(b);
            }

            void allocate(long k) {
                free -= k;
                usedBlocksAll += k;
                if (pool != null) pool.allocate(k);
            }

            void release(long b) {
                free += b;
                usedBlocksAll -= b;
                if (pool != null) pool.free(b);
            }

            long ownBlocks(int r, long tokens) {
                return Math.max(0, ServingSimulator.ceilDiv(tokens, cfg.blockSize()) - sharedBlocks(r));
            }

            void preempt(int v) {
                preemptions++;
                recomputed += computed[v];
                free += blocks[v];
                usedBlocksAll -= blocks[v];
                if (pool != null) {
                    long full = Math.max(0, Math.min(blocks[v], (long) computed[v] / cfg.blockSize() - sharedBlocks(v)));
                    pool.freePreempted(v, blocks[v] - full, full);
                    lost[v] = computed[v];
                }
                blocks[v] = 0;
                computed[v] = 0;
                epoch[v]++; // its batch in flight, if any, comes back with nothing for it
                inFlight[v] = false;
                waiting.addFirst(v);
            }

            /**
             * Schedules one batch at {@code core} and submits it (1); 0 when there was nothing to
             * schedule; -1 when the first request it tried preempted itself and nothing was scheduled
             * (vLLM's step schedules nothing, and the next re-admits it).
             */
            int schedule() {
                final int bs = cfg.blockSize();
                int budget = cfg.maxNumBatchedTokens();
                boolean preempted = false;
                int decodeSeqs = 0, prefillSeqs = 0, prefillTokens = 0;
                double decodeCtx = 0, pairs = 0;
                int[] sr = new int[Math.min(runCount + 8, Math.max(8, runCount + waiting.size()))];
                int[] st = new int[sr.length];
                int ns = 0;
                // 1. running requests not in flight, in admission order
                int i = 0;
                while (i < runCount && budget > 0) {
                    int r = run[i];
                    if (inFlight[r]) {
                        i++;
                        continue;
                    }
                    int need = prompt[r] + gen[r] - computed[r];
                    int nt = Math.min(need, budget);
                    long newBlocks = ownBlocks(r, computed[r] + nt) - blocks[r];
                    boolean self = false;
                    while (newBlocks > free) {
                        int v = run[--runCount];
                        preempt(v);
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
                    if (ns == sr.length) {
                        sr = Arrays.copyOf(sr, ns * 2);
                        st = Arrays.copyOf(st, ns * 2);
                    }
                    sr[ns] = r;
                    st[ns++] = nt;
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
                // 2. waiting requests, unless this schedule preempted
                if (!preempted) {
                    boolean reserve = cfg.admission() == SchedulerConfig.Admission.RESERVE_FULL;
                    while (!waiting.isEmpty() && budget > 0 && runCount < cfg.maxNumSeqs()) {
                        int r = waiting.peekFirst();
                        long own = 0;
                        boolean keep = false;
                        if (pool != null) {
                            int sb = sharedBlocks(r);
                            long hit = 0;
                            if (sb > 0 && prefixKept) hit = sb;
                            else if (sb > 0) keep = true;
                            if (!keep && pool.cached(r) > 0) own = Math.min(pool.cached(r), Math.max(0, (prompt[r] + gen[r] - 1L) / bs - sb));
                            computed[r] = (int) ((hit + own) * bs);
                        }
                        int need = prompt[r] + gen[r] - computed[r];
                        if (!cfg.chunkedPrefill() && need > budget && (runCount > 0 || ns > 0)) {
                            computed[r] = 0;
                            break;
                        }
                        int nt = Math.min(need, budget);
                        long want = reserve ? ServingSimulator.ceilDiv(prompt[r] + output[r], bs) - sharedBlocks(r) : ownBlocks(r, computed[r] + nt);
                        long take = want + (keep ? prefixBlocks : 0);
                        if (take > free) {
                            computed[r] = 0;
                            break;
                        }
                        waiting.pollFirst();
                        if (pool != null) {
                            pool.take(r, own);
                            free -= own;
                            usedBlocksAll += own;
                            if (keep) prefixKept = true;
                            if (lost[r] > 0) {
                                recomputed -= Math.min(lost[r], computed[r]);
                                lost[r] = 0;
                            }
                        }
                        allocate(take - own);
                        blocks[r] = (int) want;
                        if (runCount == run.length) run = Arrays.copyOf(run, runCount * 2);
                        run[runCount++] = r;
                        if (ns == sr.length) {
                            sr = Arrays.copyOf(sr, ns * 2);
                            st = Arrays.copyOf(st, ns * 2);
                        }
                        sr[ns] = r;
                        st[ns++] = nt;
                        budget -= nt;
                        prefillSeqs++;
                        prefillTokens += nt;
                        pairs += (double) nt * computed[r] + (double) nt * (nt + 1) / 2.0;
                    }
                }
                if (ns == 0) return preempted ? -1 : 0;
                recordTimeline(core);
                steps++;
                int[] ep = new int[ns];
                for (int k = 0; k < ns; k++) {
                    int r = sr[k];
                    computed[r] += st[k]; // advanced when scheduled, as vLLM's _update_after_schedule does
                    inFlight[r] = true;
                    ep[k] = epoch[r];
                }
                int seqs = decodeSeqs + prefillSeqs;
                core += model.cpuSeconds(seqs, prefillTokens > 0);
                double stage = model.stageSeconds(decodeSeqs, decodeCtx, prefillSeqs, prefillTokens, pairs);
                double t = core;
                for (int k = 0; k < stageFree.length; k++) {
                    double start = Math.max(t, stageFree[k]);
                    t = start + stage;
                    stageFree[k] = t;
                }
                queue.addLast(new Batch(Arrays.copyOf(sr, ns), Arrays.copyOf(st, ns), ep, t + model.samplerSeconds(seqs)));
                return 1;
            }

            /** The oldest batch returned at {@code core}: its requests that are still running get their sampled tokens. */
            int update(Batch b) {
                int finished = 0;
                for (int k = 0; k < b.reqs().length; k++) {
                    int r = b.reqs()[k];
                    if (epoch[r] != b.epochs()[k]) continue; // preempted while in flight
                    inFlight[r] = false;
                    if (computed[r] == prompt[r] + gen[r]) {
                        gen[r]++;
                        if (first[r] < 0) first[r] = core;
                        if (gen[r] >= output[r]) {
                            finish[r] = core;
                            release(blocks[r]);
                            blocks[r] = 0;
                            computed[r] = -1;
                            finished++;
                        }
                    }
                }
                if (finished > 0) {
                    int w = 0;
                    for (int k = 0; k < runCount; k++) if (computed[run[k]] >= 0) run[w++] = run[k];
                    runCount = w;
                }
                return finished;
            }
        }
    }
}
