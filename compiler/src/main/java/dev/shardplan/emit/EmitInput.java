package dev.shardplan.emit;

import dev.shardplan.model.Plan;

/**
 * What an emitter reads: the resolved plan, its rank layout and memory budget, and the plan's
 * source path relative to the project root (as written into generated files).
 */
public record EmitInput(Plan plan, Layout layout, String source) {
    /** An input whose layout is computed from the plan alone ({@link InterimLayout}). */
    public static EmitInput of(Plan plan) {
        return new EmitInput(plan, InterimLayout.of(plan), plan.sourceFile() == null ? "" : plan.sourceFile().replace('\\', '/'));
    }

    public Deployment deployment() {
        return Deployment.of(plan);
    }
}
