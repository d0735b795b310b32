package dev.shardplan.graph;

import dev.shardplan.model.Cluster;
import dev.shardplan.model.Fabric;
import dev.shardplan.model.NodeType;
import org.jgrapht.Graph;
import org.jgrapht.alg.connectivity.ConnectivityInspector;
import org.jgrapht.graph.Multigraph;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;

/**
 * The device graph of a cluster: a vertex per GPU, per scale-up switch domain, per node's PCIe
 * host, per NIC, and one for the network; edges carry per-direction bandwidth and latency (see
 * docs/memory-model.md, "Device graph"). Routes between GPUs follow the fabric the way NCCL
 * would use it: the scale-up domain when both GPUs are in it, else PCIe inside a node, else
 * GPU, its NIC (GPU i of a node uses NIC i*nics/gpus), the network, the peer's NIC.
 *
 * <p>Immutable after construction; {@link #route} is allocation-free so that traffic over
 * 1,024 GPUs can be accounted in milliseconds. Routes and costs use the arrays below; the JGraphT
 * view ({@link #graph}) is built from the same vertices and links on first use, since its hash
 * maps cost more than the whole analysis of a 100,000-GPU cluster and only inspection needs them.
 */
public final class DeviceGraph {
    /** Used when a cluster gives no latency: one NVLink/xGMI hop, about 1 µs in NCCL's tuning tables. */
    public static final double DEFAULT_SCALE_UP_LATENCY = 1e-6;
    /** Used when a cluster gives no network latency: an InfiniBand/RoCE hop, about 5 µs. */
    public static final double DEFAULT_NETWORK_LATENCY = 5e-6;
    /** PCIe Gen5 x16, per direction, when neither node nor GPU says (64 GB/s). */
    public static final double DEFAULT_PCIE_BANDWIDTH = 64e9;

    private final Cluster cluster;
    private volatile Graph<Vertex, Link> graph;
    private final List<Vertex> vertices;
    private final List<Link> links;
    private final int gpus;
    private final int perNode;
    private final int nics;
    private final Fabric fabric;
    private final int domainGpus;
    private final int islandSize;
    private final int[] gpuSwitch;
    private final int[] gpuHost;
    private final int[] gpuNic;
    private final int[] nicNet;
    private final int[] pair;
    private final int switches;

    private DeviceGraph(Cluster c) {
        this.cluster = c;
        NodeType n = c.node();
        this.perNode = n.gpus();
        this.gpus = c.totalGpus();
        this.fabric = n.fabric();
        this.nics = Math.max(0, n.nics());
        this.islandSize = fabric == Fabric.NVLINK_ISLAND ? Math.max(1, Math.min(n.islandSize(), perNode)) : 1;
        this.domainGpus = switch (fabric) {
            case NVSWITCH -> Math.min(gpus, c.domainGpus());
            case XGMI_MESH -> perNode;
            case NVLINK_ISLAND -> islandSize;
            case PCIE -> 1;
        };
        double scaleUp = n.scaleUpBandwidth() > 0 ? n.scaleUpBandwidth() : n.gpu().linkBandwidth();
        double pcie = n.pcieBandwidth() > 0 ? n.pcieBandwidth()
                : n.gpu().pcieBandwidth() > 0 ? n.gpu().pcieBandwidth() : DEFAULT_PCIE_BANDWIDTH;
        double suLat = c.scaleUpLatency() > 0 ? c.scaleUpLatency() : DEFAULT_SCALE_UP_LATENCY;
        double netLat = c.networkLatency() > 0 ? c.networkLatency() : DEFAULT_NETWORK_LATENCY;

        List<Vertex> vs = new ArrayList<>();
        List<Link> ls = new ArrayList<>();
        Vertex[] gpuV = new Vertex[gpus];
        for (int g = 0; g < gpus; g++) {
            gpuV[g] = new Vertex(Vertex.Kind.GPU, g / perNode, g);
            vs.add(gpuV[g]);
        }
        gpuSwitch = new int[gpus];
        gpuHost = new int[gpus];
        gpuNic = new int[gpus];
        Arrays.fill(gpuSwitch, -1);
        Arrays.fill(gpuNic, -1);
        pair = new int[gpus * perNode];
        Arrays.fill(pair, -1);

        int sw = 0;
        if (fabric == Fabric.NVSWITCH) {
            sw = (gpus + domainGpus - 1) / domainGpus;
            Vertex[] swV = new Vertex[sw];
            for (int d = 0; d < sw; d++) {
                swV[d] = new Vertex(Vertex.Kind.SWITCH, d, 0);
                vs.add(swV[d]);
            }
            for (int g = 0; g < gpus; g++) {
                gpuSwitch[g] = add(ls, gpuV[g], swV[g / domainGpus], Link.Kind.NVLINK, scaleUp, suLat / 2);
            }
        } else if (fabric == Fabric.XGMI_MESH || (fabric == Fabric.NVLINK_ISLAND && islandSize > 1)) {
            int group = fabric == Fabric.XGMI_MESH ? perNode : islandSize;
            // A full mesh of `group` GPUs: the GPU's aggregate link bandwidth is split over its peers.
            double perPeer = group > 1 ? scaleUp / (group - 1) : scaleUp;
            Link.Kind kind = fabric == Fabric.XGMI_MESH ? Link.Kind.XGMI : Link.Kind.NVLINK;
            for (int g = 0; g < gpus; g++) {
                for (int h = g + 1; h < gpus && h / group == g / group && h / perNode == g / perNode; h++) {
                    int id = add(ls, gpuV[g], gpuV[h], kind, perPeer, suLat);
                    pair[g * perNode + h % perNode] = id;
                    pair[h * perNode + g % perNode] = id;
                }
            }
        }
        this.switches = sw;
        int nodes = c.nodes();
        for (int node = 0; node < nodes; node++) {
            Vertex host = new Vertex(Vertex.Kind.HOST, node, 0);
            vs.add(host);
            for (int l = 0; l < perNode; l++) {
                int g = node * perNode + l;
                gpuHost[g] = add(ls, gpuV[g], host, Link.Kind.PCIE, pcie, suLat);
            }
        }
        nicNet = new int[nodes * nics];
        if (nics > 0) {
            Vertex net = new Vertex(Vertex.Kind.NETWORK, -1, 0);
            vs.add(net);
            double nicBw = n.nicBandwidth();
            for (int node = 0; node < nodes; node++) {
                Vertex[] nicV = new Vertex[nics];
                for (int i = 0; i < nics; i++) {
                    nicV[i] = new Vertex(Vertex.Kind.NIC, node, i);
                    vs.add(nicV[i]);
                    nicNet[node * nics + i] = add(ls, nicV[i], net, Link.Kind.NETWORK, nicBw, netLat / 2);
                }
                for (int l = 0; l < perNode; l++) {
                    int g = node * perNode + l;
                    // GPU i of a node uses NIC i*nics/gpus (GPUDirect RDMA through the shared PCIe switch).
                    int nic = (int) ((long) l * nics / perNode);
                    gpuNic[g] = add(ls, gpuV[g], nicV[nic], Link.Kind.PCIE, pcie, 0);
                }
            }
        }
        this.vertices = Collections.unmodifiableList(vs);
        this.links = Collections.unmodifiableList(ls);
    }

    private int add(List<Link> ls, Vertex a, Vertex b, Link.Kind kind, double bw, double lat) {
        Link l = new Link(ls.size(), a, b, kind, bw, lat);
        ls.add(l);
        return l.id();
    }

    /** Builds the graph of a cluster. */
    public static DeviceGraph of(Cluster cluster) {
        return new DeviceGraph(cluster);
    }

    public Cluster cluster() { return cluster; }

    /** The JGraphT view, built on first use (read it, do not modify it). */
    public Graph<Vertex, Link> graph() {
        Graph<Vertex, Link> g = graph;
        if (g == null) {
            synchronized (this) {
                g = graph;
                if (g == null) {
                    // A multigraph: edges are distinct Link objects, so JGraphT need not search for duplicates on insert.
                    Graph<Vertex, Link> m = new Multigraph<>(Link.class);
                    for (Vertex v : vertices) m.addVertex(v);
                    for (Link l : links) m.addEdge(l.a(), l.b(), l);
                    graph = g = m;
                }
            }
        }
        return g;
    }

    public List<Link> links() { return links; }

    public int gpus() { return gpus; }

    public int gpusPerNode() { return perNode; }

    public int nodeOf(int gpu) { return gpu / perNode; }

    /** The scale-up domain of a GPU: GPUs in one domain talk without PCIe or the network. */
    public int domainOf(int gpu) { return gpu / domainGpus; }

    /** GPUs per scale-up domain (1 for PCIe-only nodes). */
    public int domainGpus() { return domainGpus; }

    public boolean sameDomain(int a, int b) { return domainOf(a) == domainOf(b); }

    /** Whether traffic from a to b leaves the node's scale-up domain and uses the network. */
    public boolean crossesNetwork(int a, int b) { return nodeOf(a) != nodeOf(b) && !sameDomain(a, b); }

    /** Whether a route exists (cross-node traffic needs NICs). */
    public boolean reachable(int a, int b) { return a == b || !crossesNetwork(a, b) || nics > 0; }

    /**
     * Writes the directed link uses ({@code 2*id} a-to-b, {@code 2*id+1} b-to-a) of the route
     * from GPU a to GPU b into {@code out}, returning how many; -1 when there is no route.
     */
    public int route(int a, int b, int[] out) {
        if (a == b) return 0;
        if (fabric == Fabric.NVSWITCH && sameDomain(a, b)) {
            out[0] = 2 * gpuSwitch[a];
            out[1] = 2 * gpuSwitch[b] + 1;
            return 2;
        }
        if (nodeOf(a) == nodeOf(b)) {
            int p = pair[a * perNode + b % perNode];
            if (p >= 0) {
                out[0] = 2 * p + (a < b ? 0 : 1);
                return 1;
            }
            out[0] = 2 * gpuHost[a];
            out[1] = 2 * gpuHost[b] + 1;
            return 2;
        }
        if (nics == 0) return -1;
        int na = nicIndex(a), nb = nicIndex(b);
        out[0] = 2 * gpuNic[a];
        out[1] = 2 * nicNet[na];
        out[2] = 2 * nicNet[nb] + 1;
        out[3] = 2 * gpuNic[b] + 1;
        return 4;
    }

    /**
     * The locality cell of a GPU: GPUs of one cell reach each other without the network (the
     * scale-up domain on NVSwitch fabrics, whose domains hold whole nodes; else the node), GPUs
     * of different cells only through their NICs. {@link AllToAll} counts flows per cell.
     */
    int cellOf(int gpu) { return fabric == Fabric.NVSWITCH ? domainOf(gpu) : nodeOf(gpu); }

    /** Whether GPUs of one cell talk through the NVSwitch (two link uses, one per endpoint). */
    boolean switched() { return fabric == Fabric.NVSWITCH; }

    boolean hasNics() { return nics > 0; }

    /** The GPU's link to its scale-up switch (NVSwitch fabrics only). */
    int switchLink(int gpu) { return gpuSwitch[gpu]; }

    /** The GPU's link to its NIC (only with NICs). */
    int nicLink(int gpu) { return gpuNic[gpu]; }

    /** The link from the GPU's NIC to the network (only with NICs). */
    int nicNetworkLink(int gpu) { return nicNet[nicIndex(gpu)]; }

    private int nicIndex(int gpu) {
        int l = gpu % perNode;
        return nodeOf(gpu) * nics + (int) ((long) l * nics / perNode);
    }

    /** The link of a directed use. */
    public Link linkOf(int use) { return links.get(use >> 1); }

    /** The route from a to b as links, for display and tests. */
    public List<Link> path(int a, int b) {
        int[] buf = new int[4];
        int n = route(a, b, buf);
        List<Link> out = new ArrayList<>();
        for (int i = 0; i < n; i++) out.add(linkOf(buf[i]));
        return out;
    }

    /** Sum of link latencies on the route (0 for a GPU to itself, +inf without a route). */
    public double latency(int a, int b) {
        return latency(a, b, new int[4]);
    }

    /** As {@link #latency(int, int)}, with a caller's scratch buffer of 4 ints. */
    public double latency(int a, int b, int[] buf) {
        int n = route(a, b, buf);
        if (n < 0) return Double.POSITIVE_INFINITY;
        double s = 0;
        for (int i = 0; i < n; i++) s += linkOf(buf[i]).latency();
        return s;
    }

    /** A short description of the graph. */
    public GraphSummary summary() {
        int nicCount = nics * cluster.nodes();
        return new GraphSummary(gpus, cluster.nodes(), perNode, fabric, domainGpus, (gpus + domainGpus - 1) / domainGpus,
                switches, cluster.nodes(), nicCount, vertices.size(), links.size(),
                cluster.node().scaleUpBandwidth() > 0 ? cluster.node().scaleUpBandwidth() : cluster.gpu().linkBandwidth(),
                cluster.node().nicBandwidth(), nics);
    }

    /** Whether every vertex is reachable from every other (JGraphT connectivity). */
    public boolean connected() {
        return new ConnectivityInspector<>(graph()).isConnected();
    }
}
