package dev.shardplan.analysis;

import java.util.List;

/** The one registry of analysis checks, in the order they run (structure first, then memory, placement, principles). */
public final class Checks {
    private Checks() {}

    /** Checks from here on need a plan that passes the structural and divisibility rules. */
    static final Check FIRST_MEMORY_CHECK = new MemoryChecks.WeightsFit();

    public static final List<Check> ALL = List.of(
            new StructureChecks.WorldSize(),
            new StructureChecks.Placement(),
            new StructureChecks.LayerSplit(),
            new DivisibilityChecks.Heads(),
            new DivisibilityChecks.KvHeads(),
            new DivisibilityChecks.Experts(),
            new DivisibilityChecks.QuantBlock(),
            FIRST_MEMORY_CHECK,
            new MemoryChecks.MaxLength(),
            new MemoryChecks.CapacityTrap(),
            new MemoryChecks.StrandedDp(),
            new MemoryChecks.Headroom(),
            new PlacementChecks.TpDomain(),
            new PlacementChecks.NetworkShare(),
            new PrincipleChecks.PureDp());
}
