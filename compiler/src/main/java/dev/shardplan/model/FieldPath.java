package dev.shardplan.model;

/**
 * Where in a resolved plan a field was written, as a key of {@link Plan#spans()}: "parallel.tp",
 * "workload.max_length", "engine.max_num_seqs". Later stages take them from the language's field
 * tables ({@link PlanPaths}, generated from them), so that a diagnostic points at a field the resolver records.
 */
public record FieldPath(String path) {
    public FieldPath {
        if (path == null || path.isEmpty()) throw new IllegalArgumentException("empty field path");
    }

    /** A field of this block: {@code ENGINE.child("max_num_seqs")} is "engine.max_num_seqs". */
    public FieldPath child(String name) {
        return new FieldPath(path + "." + name);
    }

    @Override
    public String toString() {
        return path;
    }
}
