package dev.shardplan.resolve;

import dev.shardplan.ast.Nodes.*;
import dev.shardplan.diag.Codes;
import dev.shardplan.diag.Diagnostic;
import dev.shardplan.diag.Diagnostics;
import dev.shardplan.model.Cluster;
import dev.shardplan.model.NodeType;
import dev.shardplan.units.Dimension;

/** `cluster` declarations: nodes of one type, their NVLink domains and the network between them. */
final class ClusterResolver {
    static final Field NODES = Field.other("nodes", "count x node").required("nodes 2 x HGX_H100")
            .doc("Node count and type, e.g. `nodes 2 x HGX_H100` (count " + Schema.NODES.range() + ").");
    static final Field NETWORK = Field.word("network", "infiniband", "roce", "ethernet", "none")
            .fallback("infiniband for several nodes, none for one").example("network infiniband").doc("The scale-out network.");
    static final Field DOMAIN_NODES = Field.count("domain_nodes", Schema.DOMAIN_NODES).fallback("1").example("domain_nodes 18")
            .doc("Nodes sharing one NVLink domain, e.g. 18 for GB200 NVL72; must divide `nodes`.");
    // NVLink/NVSwitch hop ~1-2 us per collective step, InfiniBand ~5 us end to end (the same order
    // GenZ uses: 5 us launch + per-link latency); overridable per cluster.
    static final Field SCALE_UP_LATENCY = Field.quantity("scale_up_latency", Dimension.TIME, "us", 0, 1).byDefault(2e-6)
            .example("scale_up_latency 2 us").doc("Latency of a scale-up hop.");
    static final Field NETWORK_LATENCY = Field.quantity("network_latency", Dimension.TIME, "us", 0, 1).byDefault(5e-6)
            .example("network_latency 5 us").doc("Latency of a network hop.");

    static final FieldTable FIELDS = FieldTable.of("cluster", NODES, NETWORK, DOMAIN_NODES, SCALE_UP_LATENCY, NETWORK_LATENCY);

    private final Resolver r;
    private final Diagnostics diags;

    ClusterResolver(Resolver r, Diagnostics diags) {
        this.r = r;
        this.diags = diags;
    }

    Cluster resolve(Resolver.Located l) {
        Decl d = l.decl();
        Module m = l.module();
        Fields f = new Fields(Resolver.what(d), d.name().span(), d.body(), FIELDS, diags);
        Entry ne = f.entry(NODES);
        Integer count = null;
        NodeType node = null;
        if (ne != null) {
            Object[] cn = r.countTimes(ne, "nodes", Schema.NODES, NODES.example());
            if (cn != null) {
                count = (Integer) cn[0];
                node = r.ref(m, "node", (Name) cn[1], NodeType.class);
            }
        }
        Long domain = f.integer(DOMAIN_NODES);
        String network = f.word(NETWORK);
        double sul = f.quantityOr(SCALE_UP_LATENCY);
        double nl = f.quantityOr(NETWORK_LATENCY);
        if (node == null || count == null) return null;
        if (domain != null && count % domain != 0) {
            diags.add(Diagnostic.of(Codes.OUT_OF_RANGE, f.span(DOMAIN_NODES), "domains of " + domain + " nodes do not divide " + count + " nodes")
                    .help("make `nodes` a multiple of `domain_nodes`").build());
        }
        if (count > 1 && node.nics() == 0 && (domain == null || domain < count)) {
            diags.add(Diagnostic.of(Codes.MISSING_FIELD, f.span(NODES), "a multi-node cluster needs network interfaces, but node `" + node.name() + "` has no `nics`")
                    .help("add `nics <n> x <bandwidth>` to node `" + node.name() + "`").build());
        }
        return new Cluster(d.name().text(), node, count, domain == null ? 1 : domain.intValue(),
                network == null ? (count > 1 ? "infiniband" : "none") : network,
                sul, nl, d.name().span());
    }
}
