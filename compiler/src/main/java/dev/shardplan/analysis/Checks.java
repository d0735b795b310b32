package dev.shardplan.analysis;

import java.util.List;

/** The one registry of analysis checks, in the order they run (structure first, then memory, placement, principles). */
public final class Checks {
    private Checks() {}

    public static final List<Check> ALL = List.of(
            new StructureChecks.WorldSize(),
            new StructureChecks.Placement(),
            new StructureChecks.LayerSplit(),
            new DivisibilityChecks.Heads(),
            new DivisibilityChecks.KvHeads(),
            new DivisibilityChecks.Experts(),
            new DivisibilityChecks.QuantBlock(),
            new MemoryChecks.WeightsFit(),
            new MemoryChecks.MaxLength(),
            new MemoryChecks.CapacityTrap(),
            new MemoryChecks.StrandedDp(),
            new PlacementChecks.TpDomain(),
            new PlacementChecks.NetworkShare(),
            new PrincipleChecks.PureDp());
}
