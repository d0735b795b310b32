package dev.shardplan.analysis;

import java.util.List;

/**
 * Communication of a plan: the cost of every communicator group on the device graph, the
 * collectives of one decode step (at {@code decodeBatch} sequences per replica) and one prefill
 * chunk with their step costs, and the schedule they are evaluated from (which the predictions
 * evaluate for every step they simulate).
 */
public record Interconnect(List<GroupCost> groups, long decodeBatch, double decodeContext, List<Collective> decode,
                           List<Collective> prefill, StepCost decodeStep, StepCost prefillStep, CollectiveSchedule schedule) {
    public Interconnect {
        groups = List.copyOf(groups);
        decode = List.copyOf(decode);
        prefill = List.copyOf(prefill);
    }
}
