package dev.shardplan.analysis;

import dev.shardplan.engine.EngineConfig;
import dev.shardplan.engine.KvGroups;
import dev.shardplan.engine.MemoryBudget;
import dev.shardplan.layout.Rank;
import dev.shardplan.layout.RankLayout;
import dev.shardplan.layout.Shard;
import dev.shardplan.model.Plan;
import dev.shardplan.model.Workload;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Per-rank memory and the KV capacity of a replica (docs/memory-model.md). Each rank's budget is
 * the plan's engine release's own accounting (engine package); this class asks it once per
 * distinct shard, clamps the pool to the smallest worker, and counts sequences at the workload's
 * lengths.
 */
public final class MemoryModel {
    private MemoryModel() {}

    /** Budgets of every rank (ranks with identical shards share one computation). */
    public static List<MemoryBudget> budgets(Plan plan, EngineConfig cfg, RankLayout layout) {
        Map<String, MemoryBudget> cache = new HashMap<>();
        List<MemoryBudget> out = new ArrayList<>(layout.worldSize());
        // EPLB's redundant copies fall unevenly on the EP ranks when they do not divide: key on the EP rank then.
        boolean copies = cfg.spec().redundantExperts(cfg, plan.model()) > 0 && layout.epSize() > 1;
        for (Rank r : layout.ranks()) {
            Shard s = r.shard();
            String key = r.pp() + ":" + s.weights().total() + ":" + s.lmHead() + (copies ? ":" + r.ep() : "");
            out.add(cache.computeIfAbsent(key, k -> cfg.spec().budget(cfg, plan, layout, r)));
        }
        return out;
    }

    static double tuning(Plan plan, String key, double dflt) {
        Double v = plan.tuning().get(key);
        return v == null ? dflt : v;
    }

    /** Clamps to the smallest worker (vLLM unify_kv_cache_configs) and counts sequences at the workload's lengths. */
    public static KvCapacity capacity(Plan plan, EngineConfig cfg, RankLayout layout, List<MemoryBudget> budgets) {
        long min = Long.MAX_VALUE;
        int limiting = 0;
        for (int i = 0; i < budgets.size(); i++) {
            if (budgets.get(i).kvBlocks() < min) {
                min = budgets.get(i).kvBlocks();
                limiting = i;
            }
        }
        if (budgets.isEmpty()) min = 0;
        MemoryBudget lim = budgets.isEmpty() ? null : budgets.get(limiting);
        int block = lim == null ? cfg.blockSize() : lim.blockSize();
        KvGroups groups = cfg.spec().kvGroups(cfg, plan.model());
        // vLLM logs num_blocks // groups x block_size tokens ("GPU KV cache size", kv_cache_utils.py _report_kv_cache_config).
        long tokens = min / groups.count() * block;
        Workload w = plan.workload();
        long maxLen = Math.min(w.maxLength(), cfg.maxModelLen());
        List<SeqCapacity> at = new ArrayList<>();
        at.add(seq("p50", w.lengthAt(0.5), min, block, groups));
        at.add(seq("p95", w.lengthAt(0.95), min, block, groups));
        at.add(seq("max", maxLen, min, block, groups));
        return new KvCapacity(min, block, tokens, lim == null ? 0 : lim.kvBytesPerToken(), limiting, at, layout.dp(),
                tokens * layout.dp(), groups, offload(plan, cfg, lim, w, maxLen));
    }

    /** The host tier of a KV offload setting: its bytes per rank (the engine says over how many ranks it is given) in tokens. */
    static KvCapacity.Offload offload(Plan plan, EngineConfig cfg, MemoryBudget lim, Workload w, long maxLen) {
        var e = cfg.role(dev.shardplan.engine.Role.KV_OFFLOAD);
        if (e.isEmpty() || e.get().count() <= 0 || lim == null || lim.kvBytesPerToken() <= 0) return null;
        long perRank = e.get().count() / cfg.spec().limitRanks(dev.shardplan.engine.Role.KV_OFFLOAD, plan.parallel());
        long tokens = perRank / lim.kvBytesPerToken();
        List<SeqCapacity> at = new ArrayList<>();
        for (Object[] l : new Object[][] {{"p50", w.lengthAt(0.5)}, {"p95", w.lengthAt(0.95)}, {"max", maxLen}}) {
            long len = Math.max(1, (Long) l[1]);
            at.add(new SeqCapacity((String) l[0], len, 0, tokens / len));
        }
        return new KvCapacity.Offload(perRank, tokens, at);
    }

    static SeqCapacity seq(String label, long length, long blocks, int block, KvGroups groups) {
        long per = groups.blocksPerSeq(length, block);
        return new SeqCapacity(label, length, per, blocks / per);
    }
}
