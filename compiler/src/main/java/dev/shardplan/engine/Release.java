package dev.shardplan.engine;

import dev.shardplan.model.EngineKind;

/**
 * One supported release of an engine: its number, the commit of the release tag that shardplan's
 * tables were read from, how that commit was established to be the release, and the container
 * image that runs it (generated deployments pin it, never {@code :latest}).
 */
public record Release(EngineKind engine, Version version, String commit, String established, String image) {
    public Release {
        if (commit != null && !commit.matches("[0-9a-f]{40}")) throw new IllegalArgumentException("commit of " + version + ": " + commit);
    }

    public boolean atLeast(String v) {
        return version.atLeast(v);
    }

    public boolean before(String v) {
        return version.before(v);
    }

    /** "vllm 0.11.0". */
    public String label() {
        return engine.id() + " " + version;
    }

    @Override
    public String toString() {
        return label();
    }
}
