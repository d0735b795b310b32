package dev.shardplan.analysis;

import dev.shardplan.engine.EngineConfig;
import dev.shardplan.graph.DeviceGraph;
import dev.shardplan.graph.Link;
import dev.shardplan.layout.Range;
import dev.shardplan.layout.Rank;
import dev.shardplan.layout.RankLayout;
import dev.shardplan.model.Disaggregation;
import dev.shardplan.model.Model;
import dev.shardplan.model.Pool;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The KV cache of one request on its way from a prefill instance to a decode instance, over the
 * whole cluster's device graph.
 *
 * <p>What moves: each decode rank that holds the request pulls, from the prefill ranks that hold
 * the same layers and KV heads, what its own cache stores for the prompt: prompt tokens x its
 * layers x its KV bytes per token and layer (the engine's, docs/memory-model.md §4). For GQA that
 * is its KV heads (a head replicated on several decode ranks is pulled by each); for MLA the
 * latent, which every TP rank caches whole, so a TP-d decode instance pulls it d times, once per
 * rank, from prefill ranks taken in turn (vLLM's NixlConnector reads MLA from one remote rank
 * per local rank). Sliding-window layers move at most their window.
 *
 * <p>How long: the flows are routed on the device graph (GPU-NIC, NIC-network, or NVLink when
 * both instances share a domain) and the busiest directed link sets the time: bytes on it over its
 * bandwidth, plus the longest route's latency. {@link #perRequestLoad} spreads the requests of
 * the workload evenly over every pair of prefill and decode replicas, for the network check.
 */
public final class KvTransfer {
    private KvTransfer() {}

    /**
     * One request's transfer: {@code logicalBytes} the request's KV cache as the model defines it
     * (every layer once, every KV head once: what a single-GPU engine would hold), {@code wireBytes}
     * what the decode ranks pull (replicas of a head or of the latent counted), {@code seconds} on
     * the busiest link, {@code busiest} that link, {@code flows} the rank-to-rank transfers.
     */
    public record Result(long promptTokens, long logicalBytes, long wireBytes, double seconds, Link busiest,
                         double busiestBytes, int flows) {}

    /** One transfer from a prefill GPU to a decode GPU (global indices). */
    record Flow(int from, int to, double bytes) {}

    /** Bytes per prompt token of the request's KV cache, every layer and KV head once, in the decode pool's dtype. */
    public static long logicalBytesPerToken(Model m, EngineConfig decode) {
        // tp 1: every KV head (or the latent) on one rank; the engine's own per-layer entry.
        return decode.spec().kvBytes(decode, m, 1).bytes() * (long) m.layers();
    }

    /** The transfer of one request of {@code prompt} tokens from prefill instance 0, DP replica 0, to decode instance 0, DP replica 0. */
    public static Result request(Model m, Disaggregation d, EngineConfig prefillCfg, RankLayout prefill,
                                 EngineConfig decodeCfg, RankLayout decode, DeviceGraph g, long prompt) {
        List<Flow> flows = flows(m, d, decodeCfg, prefill, 0, 0, decode, 0, 0, prompt);
        Map<Integer, Double> load = new LinkedHashMap<>();
        double lat = 0;
        int[] buf = new int[4];
        long wire = 0;
        for (Flow f : flows) {
            wire += Math.round(f.bytes);
            int n = g.route(f.from, f.to, buf);
            if (n < 0) continue;
            double l = 0;
            for (int i = 0; i < n; i++) {
                load.merge(buf[i], f.bytes, Double::sum);
                l += g.linkOf(buf[i]).latency();
            }
            lat = Math.max(lat, l);
        }
        double worst = 0, worstBytes = 0;
        Link busiest = null;
        for (var e : load.entrySet()) {
            Link l = g.linkOf(e.getKey());
            double t = e.getValue() / l.bandwidth();
            if (t > worst) {
                worst = t;
                worstBytes = e.getValue();
                busiest = l;
            }
        }
        long logical = prompt * logicalBytesPerToken(m, decodeCfg);
        return new Result(prompt, logical, wire, flows.isEmpty() ? 0 : worst + lat, busiest, worstBytes, flows.size());
    }

    /**
     * Bytes per request on each directed link use when requests of {@code prompt} tokens are
     * spread evenly over every (prefill replica, decode replica) pair: the link's share of the
     * workload's KV traffic. Multiplied by the request rate it is the link's load in B/s.
     */
    static Map<Integer, Double> perRequestLoad(Model m, Disaggregation d, EngineConfig decodeCfg, RankLayout prefill,
                                               RankLayout decode, DeviceGraph g, long prompt) {
        Map<Integer, Double> load = new LinkedHashMap<>();
        int pairs = d.prefill().replicas() * prefill.dp() * d.decode().replicas() * decode.dp();
        int[] buf = new int[4];
        for (int pi = 0; pi < d.prefill().replicas(); pi++)
            for (int pdp = 0; pdp < prefill.dp(); pdp++)
                for (int di = 0; di < d.decode().replicas(); di++)
                    for (int ddp = 0; ddp < decode.dp(); ddp++)
                        for (Flow f : flows(m, d, decodeCfg, prefill, pi, pdp, decode, di, ddp, prompt)) {
                            int n = g.route(f.from, f.to, buf);
                            for (int i = 0; i < n; i++) load.merge(buf[i], f.bytes / pairs, Double::sum);
                        }
        return load;
    }

    static List<Flow> flows(Model m, Disaggregation d, EngineConfig decodeCfg, RankLayout prefill, int pInstance, int pDp,
                            RankLayout decode, int dInstance, int dDp, long prompt) {
        List<Flow> out = new ArrayList<>();
        int pBase = d.firstGpu(Pool.Role.PREFILL, pInstance), dBase = d.firstGpu(Pool.Role.DECODE, dInstance);
        int tpD = decode.tp();
        long perLayer = decodeCfg.spec().kvBytes(decodeCfg, m, tpD).bytes();
        for (int pp = 0; pp < decode.pp(); pp++) {
            for (int t = 0; t < tpD; t++) {
                Rank dr = decode.rank(decode.rankOf(dDp, pp, t));
                Range layers = dr.shard().layers();
                // Prefill ranks of the replica whose layers overlap, in the decode rank's head slice.
                List<Rank> sources = new ArrayList<>();
                for (int sp = 0; sp < prefill.pp(); sp++) {
                    List<Rank> stage = new ArrayList<>();
                    for (int st = 0; st < prefill.tp(); st++) {
                        Rank pr = prefill.rank(prefill.rankOf(pDp, sp, st));
                        if (overlap(pr.shard().layers(), layers) == 0) break;
                        if (m.isMla() || overlap(pr.shard().kvHeads(), dr.shard().kvHeads()) > 0) stage.add(pr);
                    }
                    if (stage.isEmpty()) continue;
                    if (m.isMla()) {
                        sources.add(stage.get(t % stage.size()));
                    } else {
                        // A head replicated over several prefill ranks is read from one of them, taken in turn.
                        Map<Range, Rank> byHeads = new LinkedHashMap<>();
                        List<Rank> distinct = new ArrayList<>();
                        for (Rank r : stage) {
                            if (!byHeads.containsKey(r.shard().kvHeads())) distinct.add(r);
                            byHeads.putIfAbsent(r.shard().kvHeads(), r);
                        }
                        if (distinct.size() == 1 && stage.size() > 1) sources.add(stage.get(t % stage.size()));
                        else sources.addAll(distinct);
                    }
                }
                for (Rank src : sources) {
                    long lays = overlapTokensLayers(m, src.shard().layers(), layers, prompt);
                    double share;
                    if (m.isMla()) share = 1;
                    else {
                        int heads = Math.max(1, dr.shard().kvHeadsCached());
                        share = (double) Math.min(overlap(src.shard().kvHeads(), dr.shard().kvHeads()), heads) / heads;
                    }
                    double bytes = (double) lays * perLayer * share;
                    if (bytes > 0) out.add(new Flow(pBase + src.gpu(), dBase + dr.gpu(), bytes));
                }
            }
        }
        return out;
    }

    /** Token-layers of the prompt in the layers both ranges hold (a sliding layer keeps its window). */
    private static long overlapTokensLayers(Model m, Range a, Range b, long prompt) {
        long s = 0;
        for (int i = Math.max(a.start(), b.start()); i < Math.min(a.end(), b.end()); i++) {
            s += m.isSlidingLayer(i) ? Math.min(prompt, m.slidingWindow()) : prompt;
        }
        return s;
    }

    private static int overlap(Range a, Range b) {
        return Math.max(0, Math.min(a.end(), b.end()) - Math.max(a.start(), b.start()));
    }
}
