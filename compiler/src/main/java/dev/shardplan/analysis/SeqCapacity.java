package dev.shardplan.analysis;

/**
 * Concurrent sequences of one length that a replica's KV pool holds: {@code label} ("p50",
 * "p95", "max"), the length in tokens (prompt + output), KV blocks one such sequence needs, and
 * how many fit (floor(blocks / blocksPerSeq)).
 */
public record SeqCapacity(String label, long length, long blocksPerSeq, long sequences) {}
