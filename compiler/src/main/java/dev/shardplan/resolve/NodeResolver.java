package dev.shardplan.resolve;

import dev.shardplan.ast.Nodes.*;
import dev.shardplan.diag.Codes;
import dev.shardplan.diag.Diagnostic;
import dev.shardplan.diag.Diagnostics;
import dev.shardplan.model.Fabric;
import dev.shardplan.model.Gpu;
import dev.shardplan.model.NodeType;
import dev.shardplan.units.Dimension;

import java.util.List;
import java.util.Locale;
import java.util.Set;

/** `node` declarations: a server's GPUs, how they are linked, and its NICs. */
final class NodeResolver {
    static final Field GPUS = Field.other("gpus", "count x gpu").required("gpus 8 x H100_SXM")
            .doc("GPUs per node and their type, e.g. `gpus 8 x H100_SXM` (count " + Schema.NODE_GPUS.range() + ").");
    private static final Set<String> FABRICS = Set.of("nvswitch", "nvlink_island", "xgmi_mesh", "pcie");
    static final Field FABRIC = Field.other("fabric", "nvswitch | nvlink_island N | xgmi_mesh | pcie").required("fabric nvswitch")
            .doc("How the node's GPUs are linked; `nvlink_island N`: NVLink-bridged groups of N (" + Schema.ISLAND.range() + ").");
    static final Field SCALE_UP_BANDWIDTH = Field.quantity("scale_up_bandwidth", Dimension.BANDWIDTH, "GB/s", 0, 1e13)
            .fallback("the GPU's link_bandwidth (0 for pcie)").example("scale_up_bandwidth 450 GB/s")
            .doc("Scale-up bandwidth per GPU per direction.");
    static final Field NICS = Field.other("nics", "count x bandwidth (Gb/s)").fallback("none").example("nics 8 x 400 Gb/s")
            .doc("Scale-out NICs and their bandwidth each (count " + Schema.NICS.range() + "); a multi-node cluster needs them.");
    static final Field PCIE_BANDWIDTH = Field.quantity("pcie_bandwidth", Dimension.BANDWIDTH, "GB/s", 1e9, 1e12)
            .fallback("the GPU's pcie_bandwidth").example("pcie_bandwidth 64 GB/s")
            .doc("PCIe bandwidth per direction between GPUs and host.");

    static final FieldTable FIELDS = FieldTable.of("node", GPUS, FABRIC, SCALE_UP_BANDWIDTH, NICS, PCIE_BANDWIDTH);

    private final Resolver r;
    private final Diagnostics diags;

    NodeResolver(Resolver r, Diagnostics diags) {
        this.r = r;
        this.diags = diags;
    }

    NodeType resolve(Resolver.Located l) {
        Decl d = l.decl();
        Module m = l.module();
        Fields f = new Fields(Resolver.what(d), d.name().span(), d.body(), FIELDS, diags);
        Entry ge = f.entry(GPUS);
        Integer count = null;
        Gpu gpu = null;
        if (ge != null) {
            Object[] cg = r.countTimes(ge, "gpus", Schema.NODE_GPUS, GPUS.example());
            if (cg != null) {
                count = (Integer) cg[0];
                gpu = r.ref(m, "gpu", (Name) cg[1], Gpu.class);
            }
        }
        Fabric fabric = Fabric.NVSWITCH;
        int island = 0;
        Entry fab = f.entry(FABRIC);
        if (fab != null && !fab.values().isEmpty()) {
            Seq s = fab.values().get(0);
            String w = f.word(s.items().get(0), "fabric", FABRICS);
            if (w != null) fabric = Fabric.valueOf(w.toUpperCase(Locale.ROOT));
            if (fabric == Fabric.NVLINK_ISLAND) {
                if (s.items().size() == 2) {
                    Long isl = f.integer(s.items().get(1), "fabric nvlink_island", Schema.ISLAND);
                    island = isl == null ? 0 : isl.intValue();
                } else {
                    diags.add(Diagnostic.of(Codes.MISSING_FIELD, fab.span(), "`fabric nvlink_island` needs the island size")
                            .help("write `fabric nvlink_island 2` for NVLink-bridged pairs").build());
                }
            } else if (s.items().size() > 1) {
                diags.add(Diagnostic.of(Codes.TYPE_MISMATCH, s.items().get(1).span(), "`fabric " + fabric.id() + "` takes no size")
                        .help("remove it").build());
            }
        } else if (fab != null) {
            f.word("fabric", FABRICS, true, FABRIC.example());
        }
        Double sub = f.quantity(SCALE_UP_BANDWIDTH);
        Double pcie = f.quantity(PCIE_BANDWIDTH);
        int nics = 0;
        double nicBw = 0;
        Entry ne = f.entry(NICS);
        if (ne != null) {
            // nics 8 x 400 Gb/s
            f.noBody(ne);
            List<Value> it = ne.values().isEmpty() ? List.of() : ne.values().get(0).items();
            if (ne.values().size() == 1 && it.size() == 3 && it.get(1) instanceof Times) {
                Long n = f.integer(it.get(0), "nics", Schema.NICS);
                Double b = f.quantity(it.get(2), "nics", Dimension.BANDWIDTH, 1e8, 1e13);
                if (n != null && b != null) {
                    nics = n.intValue();
                    nicBw = b;
                }
            } else {
                diags.add(Diagnostic.of(Codes.TYPE_MISMATCH, ne.span(), "`nics` expects `<count> x <bandwidth>`")
                        .help("write e.g. `" + NICS.example() + "`").build());
            }
        }
        if (gpu == null || count == null) return null;
        if (fabric == Fabric.NVLINK_ISLAND && island > 0 && count % island != 0) {
            diags.add(Diagnostic.of(Codes.OUT_OF_RANGE, fab.span(), "NVLink islands of " + island + " do not divide " + count + " GPUs")
                    .help("use an island size that divides the GPU count").build());
        }
        double scaleUp = sub != null ? sub : (fabric == Fabric.PCIE ? 0 : gpu.linkBandwidth());
        return new NodeType(d.name().text(), gpu, count, fabric, fabric == Fabric.NVLINK_ISLAND ? island : (fabric == Fabric.PCIE ? 1 : count),
                scaleUp, nics, nicBw, pcie != null ? pcie : gpu.pcieBandwidth(), d.name().span());
    }
}
