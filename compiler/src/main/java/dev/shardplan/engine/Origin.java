package dev.shardplan.engine;

/** Where the effective value of a setting comes from. */
public enum Origin {
    /** Written in the plan's engine block. */
    PLAN("plan"),
    /** The engine release's own default for this GPU, model and layout. */
    DEFAULT("default"),
    /** Derived from the plan's workload (the context length its longest request needs). */
    WORKLOAD("workload"),
    /** The engine decides at start-up from what it measures (e.g. SGLang's max_running_requests from its KV pool). */
    STARTUP("startup");

    private final String id;

    Origin(String id) {
        this.id = id;
    }

    public String id() {
        return id;
    }
}
