package dev.shardplan.analysis;

import dev.shardplan.model.Plan;

/**
 * Time of a rank's compute for one step from the bytes it reads from HBM and the FLOPs it does.
 * The analysis uses {@link #ROOFLINE}; the predictions stage supplies a calibrated model.
 */
@FunctionalInterface
public interface StepTimeModel {
    double seconds(Plan plan, double hbmBytes, double flops);

    /** max(bytes / HBM bandwidth, FLOPs / peak dense FLOP/s of the weights' dtype), at datasheet peaks. */
    StepTimeModel ROOFLINE = (plan, bytes, flops) -> {
        var gpu = plan.cluster().gpu();
        var q = plan.model().quant();
        var dt = q != null && q.weights() != null ? q.weights() : plan.model().dtype();
        double peak = gpu.flopsFor(dt);
        double mem = gpu.hbmBandwidth() > 0 ? bytes / gpu.hbmBandwidth() : 0;
        double comp = peak > 0 ? flops / peak : 0;
        return Math.max(mem, comp);
    };
}
