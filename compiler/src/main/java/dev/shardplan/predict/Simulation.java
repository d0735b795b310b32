package dev.shardplan.predict;

/**
 * Runs the serving simulation a scheduler calls for: the event-driven {@link ServingSimulator} for
 * an engine that runs one iteration per replica at a time, the batch-by-batch
 * {@link PipelineSimulator} for one that keeps several pipeline micro-batches in flight.
 */
public final class Simulation {
    private Simulation() {}

    public static SimResult run(SchedulerConfig cfg, StepTimeModel model, RequestSet reqs) {
        if (cfg.microBatches() > 1) {
            if (!(model instanceof StepTimeModel.Staged staged)) {
                throw new IllegalArgumentException("micro-batches need a model that times stages: " + model);
            }
            return new PipelineSimulator(cfg, staged).run(reqs);
        }
        return new ServingSimulator(cfg, model).run(reqs);
    }
}
