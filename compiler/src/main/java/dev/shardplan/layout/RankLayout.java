package dev.shardplan.layout;

import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * Ranks of a plan mapped onto GPUs, with their communicator groups. Rank order is the one all
 * three engines use inside a replica, DP replicas outermost:
 * {@code global = dp*(pp*tp) + pp*tp + tp_rank} (docs/plan-ir.md). {@code rules} are the engine's layout rules it was built with; {@code stages} holds the
 * decoder layers of each PP stage. MoE: {@code moeGroupSize} ranks share each MoE layer's
 * experts, split {@code epSize} ways by expert and {@code moeTp} ways by width
 * (epSize * moeTp = moeGroupSize). {@code explicitPlacement} says whether Parallel.placement
 * was used.
 */
public record RankLayout(LayoutRules rules, int dp, int pp, int tp, int epSize, int moeTp, int moeGroupSize,
                         List<Range> stages, int paddedVocab, boolean explicitPlacement, List<Rank> ranks,
                         Map<GroupKind, List<Group>> groups) {
    public RankLayout {
        stages = List.copyOf(stages);
        ranks = List.copyOf(ranks);
        EnumMap<GroupKind, List<Group>> m = new EnumMap<>(GroupKind.class);
        for (GroupKind k : GroupKind.values()) m.put(k, List.copyOf(groups.getOrDefault(k, List.of())));
        groups = Collections.unmodifiableMap(m);
    }

    public int worldSize() {
        return ranks.size();
    }

    public List<Group> groups(GroupKind k) {
        return groups.get(k);
    }

    public Rank rank(int r) {
        return ranks.get(r);
    }

    /** Global rank of coordinates (dp, pp, tp). */
    public int rankOf(int dpRank, int ppRank, int tpRank) {
        return dpRank * (pp * tp) + ppRank * tp + tpRank;
    }
}
