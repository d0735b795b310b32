package dev.shardplan.layout;

import java.util.List;

/** One communicator: its kind, its index among groups of that kind, and its global ranks in group order. */
public record Group(GroupKind kind, int index, List<Integer> ranks) {
    public Group {
        ranks = List.copyOf(ranks);
    }

    public int size() {
        return ranks.size();
    }
}
