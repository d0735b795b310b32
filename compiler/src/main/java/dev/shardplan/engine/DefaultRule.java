package dev.shardplan.engine;

/**
 * How a release picks a setting's value when the plan leaves it out: from the GPU, the model, the
 * layout, the workload and the settings resolved before it (a release's table lists its settings
 * in the order their rules need them).
 */
@FunctionalInterface
public interface DefaultRule {
    Default apply(DefaultContext ctx);

    /** A value, where it comes from, and why, in the user's words. */
    record Default(Object value, Origin origin, String why) {}

    static DefaultRule fixed(Object value, String why) {
        return ctx -> new Default(value, Origin.DEFAULT, why);
    }

    /** Decided by the engine at start-up; {@code value} is what the analyses assume (0: none). */
    static DefaultRule startup(Object value, String why) {
        return ctx -> new Default(value, Origin.STARTUP, why);
    }
}
