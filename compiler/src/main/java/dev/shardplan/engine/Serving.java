package dev.shardplan.engine;

/**
 * How an engine's server is watched and what its pod needs besides GPUs: the path that answers
 * while the server is alive (liveness), the path that answers once it serves (readiness), the
 * size of the memory-backed /dev/shm its processes share tensors through, and the source.
 */
public record Serving(String livenessPath, String readinessPath, long shmBytes, String source) {}
