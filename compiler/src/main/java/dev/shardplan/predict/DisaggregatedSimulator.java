package dev.shardplan.predict;

import dev.shardplan.analysis.PoolsAnalysis;
import dev.shardplan.diag.Diagnostic;
import dev.shardplan.model.Plan;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Predicts a disaggregated plan: a prefill scheduler per prefill server, a KV transfer queue per
 * prefill instance, and the decode pool's engine scheduler, against the aggregated plan on the
 * same GPUs. Composes the existing step-time model and serving simulator; nothing of either is
 * copied.
 *
 * <p>Prefill: each DP replica of each prefill instance is a server; requests go to them in turn
 * (arrival order, round robin: the proxies' default) and each server runs its queue in arrival
 * order, chunks of up to max_num_batched_tokens prompt tokens per iteration, timed by the prefill
 * instance's step-time model. Transfer: a request's KV leaves its prefill instance when its last
 * chunk is done, behind the transfers before it from that instance (one FIFO over the instance's
 * NICs), taking the analysis's transfer time for its prompt length (linear between the analysed
 * mean and p95 prompts: bytes grow with the prompt, the route's latency does not). Decode: the
 * decode pool is the serving simulator over all its DP replicas with the requests arriving when
 * their KV has, and a step-time model that charges nothing for the prompt (its KV was computed
 * elsewhere) while the prompt still takes its KV blocks.
 *
 * <p>Time to first token is the wait until the KV reaches the decode pool, request by request,
 * plus the decode pool's mean wait for its first step (the first token a client sees comes from
 * the decode server). End-to-end percentiles add the two stages' percentiles, an upper bound.
 *
 * <p>The aggregated plan it is compared with runs the decode pool's instance layout on every GPU
 * of the plan (the same instances, each prefilling and decoding), with its own engine settings.
 */
public final class DisaggregatedSimulator {
    private DisaggregatedSimulator() {}

    /** What the pools do, and what the aggregated plan on the same GPUs does with the same requests. */
    public record Result(SimResult disaggregated, SimResult aggregated, int aggregatedInstances, SimResult.Summary prefillWait,
                         SimResult.Summary transfer, SimResult decode, long prefillSteps) {}

    /** Simulates the pools of {@code plan} (analysed as {@code pools}) on the workload's requests drawn with {@code seed}. */
    public static Result simulate(Plan plan, PoolsAnalysis pools, long seed) {
        RequestSet reqs = RequestSet.draw(plan.workload(), seed);
        Predictor.Setup pre = Predictor.setup(pools.prefill().plan(), AnalysisInputs.of(pools.prefill().plan(), pools.prefill()), seed);
        Predictor.Setup dec = Predictor.setup(pools.decode().plan(), AnalysisInputs.of(pools.decode().plan(), pools.decode()), seed);
        if (!pre.simulable() || !dec.simulable()) return null;
        int n = reqs.size();
        var d = plan.disagg();
        int servers = d.prefill().replicas() * pre.scheduler().replicas();
        int perInstance = pre.scheduler().replicas();
        double[] prefillDone = new double[n];
        long steps = prefill(reqs, servers, pre.scheduler().maxNumBatchedTokens(), pre.model(), prefillDone);

        // Transfer queue per prefill instance, in the order the prefills finish.
        double lm = pools.mean().promptTokens(), l95 = pools.p95().promptTokens();
        double tm = pools.mean().seconds(), t95 = pools.p95().seconds();
        double slope = l95 > lm ? (t95 - tm) / (l95 - lm) : tm / Math.max(1, lm);
        double intercept = Math.max(0, tm - slope * lm);
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) order[i] = i;
        Arrays.sort(order, (a, b) -> Double.compare(prefillDone[a], prefillDone[b]) != 0 ? Double.compare(prefillDone[a], prefillDone[b]) : Integer.compare(a, b));
        double[] linkFree = new double[d.prefill().replicas()];
        double[] arrived = new double[n];
        double[] transfer = new double[n];
        for (int i : order) {
            int inst = (i % servers) / perInstance;
            double start = Math.max(prefillDone[i], linkFree[inst]);
            double t = intercept + slope * reqs.prompt()[i];
            arrived[i] = start + t;
            transfer[i] = t;
            linkFree[inst] = arrived[i];
        }

        // Decode: requests in the order their KV arrives.
        Integer[] byArrival = order.clone();
        Arrays.sort(byArrival, (a, b) -> Double.compare(arrived[a], arrived[b]) != 0 ? Double.compare(arrived[a], arrived[b]) : Integer.compare(a, b));
        double[] da = new double[n];
        int[] dp = new int[n], dout = new int[n];
        double[] wait = new double[n];
        double first = Double.POSITIVE_INFINITY, last = 0;
        for (int k = 0; k < n; k++) {
            int i = byArrival[k];
            da[k] = arrived[i];
            dp[k] = reqs.prompt()[i];
            dout[k] = reqs.output()[i];
            wait[k] = arrived[i] - reqs.arrival()[i];
            first = Math.min(first, reqs.arrival()[i]);
        }
        SchedulerConfig sc = dec.scheduler();
        SchedulerConfig decodeSc = new SchedulerConfig(sc.replicas() * d.decode().replicas(), sc.kvBlocks(), sc.blockSize(), sc.maxNumSeqs(),
                Integer.MAX_VALUE / 4, true, sc.admission(), sc.routing());
        StepTimeModel base = dec.model();
        StepTimeModel decodeOnly = (ds, dc, ps, pt, pp) -> base.seconds(ds, dc, 0, 0, 0);
        SimResult dr = new ServingSimulator(decodeSc, decodeOnly).run(new RequestSet(da, dp, dout, 0));

        double shift = da.length == 0 ? 0 : da[0] - first;
        double[] ttft = new double[n];
        for (int k = 0; k < n; k++) ttft[k] = wait[k] + dr.ttft().mean();
        SimResult.Summary waitS = SimResult.Summary.of(wait.clone(), n);
        SimResult.Summary ttftS = SimResult.Summary.of(ttft, n);
        SimResult.Summary e2e = new SimResult.Summary(waitS.mean() + dr.e2e().mean(), waitS.p50() + dr.e2e().p50(), waitS.p90() + dr.e2e().p90(),
                waitS.p99() + dr.e2e().p99(), waitS.max() + dr.e2e().max());
        double makespan = shift + dr.makespan();
        long promptTokens = dr.promptTokens(), outputTokens = dr.outputTokens();
        SimResult combined = new SimResult(n, dr.completed(), dr.rejected(), makespan, promptTokens, outputTokens,
                makespan > 0 ? outputTokens / makespan : 0, makespan > 0 ? (promptTokens + outputTokens) / makespan : 0,
                makespan > 0 ? dr.completed() / makespan : 0, ttftS, dr.tpot(), e2e, dr.preemptions(), dr.recomputedTokens(),
                steps + dr.steps(), dr.meanRunning(), dr.peakKvUtil(), dr.timeT(), dr.timeUtil());

        // The aggregated plan: the decode instance's layout on all the plan's GPUs, prefilling and decoding.
        int instances = Math.max(1, d.gpus() / d.decode().instanceGpus());
        SchedulerConfig agg = new SchedulerConfig(sc.replicas() * instances, sc.kvBlocks(), sc.blockSize(), sc.maxNumSeqs(),
                sc.maxNumBatchedTokens(), sc.chunkedPrefill(), sc.admission(), sc.routing());
        SimResult ar = new ServingSimulator(agg, base).run(reqs);
        return new Result(combined, ar, instances, waitS, SimResult.Summary.of(transfer, n), dr, steps);
    }

    /**
     * Runs each prefill server's queue: chunks of up to {@code budget} tokens, FIFO, timed by
     * {@code stm}; writes each request's finish time into {@code done}. Returns the iterations.
     */
    static long prefill(RequestSet reqs, int servers, int budget, StepTimeModel stm, double[] done) {
        int n = reqs.size();
        long steps = 0;
        for (int s = 0; s < servers; s++) {
            List<Integer> mine = new ArrayList<>();
            for (int i = s; i < n; i += servers) mine.add(i);
            mine.sort((a, b) -> Double.compare(reqs.arrival()[a], reqs.arrival()[b]) != 0
                    ? Double.compare(reqs.arrival()[a], reqs.arrival()[b]) : Integer.compare(a, b));
            int[] computed = new int[n];
            double t = 0;
            int next = 0;
            java.util.ArrayDeque<Integer> active = new java.util.ArrayDeque<>();
            while (next < mine.size() || !active.isEmpty()) {
                if (active.isEmpty()) t = Math.max(t, reqs.arrival()[mine.get(next)]);
                while (next < mine.size() && reqs.arrival()[mine.get(next)] <= t) active.add(mine.get(next++));
                int left = budget, seqs = 0, tokens = 0;
                double pairs = 0;
                List<int[]> chunks = new ArrayList<>();
                for (int i : active) {
                    if (left <= 0) break;
                    int c = Math.min(left, reqs.prompt()[i] - computed[i]);
                    long st = computed[i];
                    pairs += (double) c * st + (double) c * (c + 1) / 2;
                    chunks.add(new int[]{i, c});
                    left -= c;
                    tokens += c;
                    seqs++;
                }
                t += stm.seconds(0, 0, seqs, tokens, pairs);
                steps++;
                for (int[] ch : chunks) {
                    computed[ch[0]] += ch[1];
                    if (computed[ch[0]] >= reqs.prompt()[ch[0]]) {
                        done[ch[0]] = t;
                        active.remove(ch[0]);
                    }
                }
            }
        }
        return steps;
    }

    /** A prediction of the plan from the pools' simulation (the disaggregated figures), for the simulate command and plan.json. */
    public static Prediction prediction(Plan plan, PoolsAnalysis pools, long seed) {
        Predictor.Setup dec = Predictor.setup(pools.decode().plan(), AnalysisInputs.of(pools.decode().plan(), pools.decode()), seed);
        Result r = simulate(plan, pools, seed);
        if (r == null) return dec.unsimulated();
        List<Diagnostic> ds = new ArrayList<>(dec.diagnostics());
        ds.addAll(Predictor.findings(plan, dec.inputs().engine(), dec.scheduler(), r.disaggregated()));
        return new Prediction(plan, seed, dec.inputs(), dec.efficiency(), dec.load(), dec.scheduler(), dec.model(), r.disaggregated(), ds);
    }
}
