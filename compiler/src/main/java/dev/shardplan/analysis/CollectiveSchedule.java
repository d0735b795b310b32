package dev.shardplan.analysis;

import dev.shardplan.layout.GroupKind;

import java.util.ArrayList;
import java.util.List;

/**
 * The collectives of one engine step of a plan as a function of the tokens the step carries: the
 * one formula that both {@code explain} (the analysis' decode step and prefill chunk) and the
 * step-time model of the predictions evaluate, so that they agree on every collective for the same
 * batch. Each kind moves {@code bytesPerToken} per token per call over its group's slowest member
 * (bandwidth already scaled by the link efficiency), pays {@code latency} per call (the fitted call
 * latency plus the group's path latency), and puts {@code wireFactor} of its message on the wire:
 * ring all-reduce 2(n−1)/n, all-to-all and all-gather (n−1)/n of what a rank sends, a stage send the
 * whole message (formulas.md §7.4).
 *
 * @param kinds     every collective kind of the step
 * @param stages    pipeline stages: a per-stage kind runs in each, counted as the largest stage (which paces them)
 */
public record CollectiveSchedule(List<Kind> kinds, int stages) {
    public CollectiveSchedule {
        kinds = List.copyOf(kinds);
    }

    /**
     * One kind of collective. {@code perStage}: it runs {@code count} times in every stage (TP and
     * EP collectives of the stage's layers); otherwise {@code count} times per step (the sends
     * between stages).
     */
    public record Kind(String name, GroupKind group, boolean perStage, int count, int ranks, double bytesPerToken,
                       double wireFactor, double bandwidth, double latency, boolean overNetwork, String formula) {
        /** Seconds of one call for a step of {@code tokens}. */
        public double one(double tokens) {
            return latency + (bandwidth > 0 ? wireFactor * tokens * bytesPerToken / bandwidth : Double.POSITIVE_INFINITY);
        }
    }

    /** Seconds of one stage's per-stage collectives for a batch of {@code tokens}. */
    public double stageSeconds(double tokens) {
        double s = 0;
        for (Kind k : kinds) if (k.perStage()) s += k.count() * k.one(tokens);
        return s;
    }

    /** Seconds of one send between consecutive stages for a batch of {@code tokens} (0 without PP). */
    public double sendSeconds(double tokens) {
        double s = 0;
        for (Kind k : kinds) if (!k.perStage()) s += k.one(tokens);
        return s;
    }

    /** The step's collectives at {@code tokens}, each with its count and seconds over all stages. */
    public List<Collective> at(long tokens) {
        List<Collective> out = new ArrayList<>();
        for (Kind k : kinds) {
            long msg = (long) Math.ceil(tokens * k.bytesPerToken());
            long wire = (long) Math.ceil(k.wireFactor() * msg);
            int count = k.perStage() ? k.count() * stages : k.count();
            out.add(new Collective(k.name(), k.group(), count, msg, wire, k.bandwidth(), k.latency(), count * k.one(tokens),
                    k.overNetwork(), k.formula()));
        }
        return out;
    }
}
