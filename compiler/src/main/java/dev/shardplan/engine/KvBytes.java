package dev.shardplan.engine;

/** KV bytes of one token in one layer on one rank, with how they were found (formula, numbers, source). */
public record KvBytes(long bytes, String formula, String numbers, String source) {}
