package dev.shardplan.model;

/** How one figure was computed: the formula, the numbers put into it, and where the formula comes from. */
public record Derivation(String quantity, String formula, String numbers, String source) {}
