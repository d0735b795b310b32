package dev.shardplan.graph;

import java.util.Arrays;

/**
 * The uniform all-to-all of a group of GPUs (one flow from every member to every other member),
 * accounted per locality cell instead of flow by flow. Exactly what adding the n(n-1) flows to a
 * {@link Traffic} one by one and taking the slowest gives, in O(n + Σ k²) for cells of k members
 * on PCIe/mesh nodes and O(n) on NVSwitch fabrics, instead of O(n²): an all-to-all of 1,024 ranks
 * is a million flows.
 *
 * <p>Why it is exact. Every route between two GPUs of different cells ({@link DeviceGraph#cellOf})
 * is GPU→NIC, NIC→network, network→NIC, NIC→GPU: the first two uses depend on the source alone,
 * the last two on the destination alone. So member i puts N(i) flows (its members outside its
 * cell) on its own two egress uses and receives N(i) on its two ingress uses. Inside an NVSwitch
 * domain a route is GPU→switch, switch→GPU: member i puts S(i) flows (its domain's members on
 * other GPUs) on its uplink and receives S(i) on its downlink. Only routes inside a node without
 * a switch (xGMI/NVLink pairs, PCIe through the host) depend on both ends; those are added flow
 * by flow, k² per node. The rate of a flow is the minimum of bandwidth/load over its uses, so the
 * slowest flow out of member i is the minimum of its own egress rate and the slowest ingress
 * rate among its peers, which per-cell minima (best and second-best cell) give in O(1).
 */
public final class AllToAll {
    private AllToAll() {}

    /**
     * The slowest flow of a group: its rate (B/s, +inf when no flow leaves a GPU, 0 when a flow
     * has no route), its endpoints (GPUs, the first such flow in member order; -1 when the rate
     * is +inf), the largest route latency of any flow (s) and whether any flow crosses the network
     * ({@link DeviceGraph#crossesNetwork}).
     */
    public record Slowest(double rate, int from, int to, double latency, boolean network) {}

    /** Adds the all-to-all among {@code gpus} (one entry per member, in member order) to the traffic. */
    public static void add(Traffic t, int[] gpus) {
        DeviceGraph g = t.graph;
        Cells c = new Cells(g, gpus);
        int[] load = t.load;
        for (int i = 0; i < gpus.length; i++) {
            int a = gpus[i];
            if (g.switched()) {
                int s = c.switchPeers(i);
                if (s > 0) {
                    int l = g.switchLink(a);
                    load[2 * l] += s;
                    load[2 * l + 1] += s;
                }
            } else {
                for (int j : c.members(c.cell[i])) if (j != i && gpus[j] != a) t.add(a, gpus[j]);
            }
            int n = c.networkPeers(i);
            if (n > 0 && g.hasNics()) {
                int nic = g.nicLink(a), net = g.nicNetworkLink(a);
                load[2 * nic] += n;
                load[2 * net] += n;
                load[2 * net + 1] += n;
                load[2 * nic + 1] += n;
            }
        }
    }

    /** The slowest flow of the all-to-all among {@code gpus} under the traffic's current loads. */
    public static Slowest slowest(Traffic t, int[] gpus) {
        DeviceGraph g = t.graph;
        Cells c = new Cells(g, gpus);
        int n = gpus.length;
        // Ingress rate of each member over a switch downlink and over the network, and per cell the
        // two smallest (from different GPUs for the switch, from different cells for the network).
        double[] swIn = new double[n], netIn = new double[n];
        double[] swBest = new double[c.cells], swSecond = new double[c.cells];
        int[] swBestGpu = new int[c.cells];
        Arrays.fill(swBest, Double.POSITIVE_INFINITY);
        Arrays.fill(swSecond, Double.POSITIVE_INFINITY);
        Arrays.fill(swBestGpu, -1);
        double netBest = Double.POSITIVE_INFINITY, netSecond = Double.POSITIVE_INFINITY;
        int netBestCell = -1;
        double[] cellNetIn = new double[c.cells];
        Arrays.fill(cellNetIn, Double.POSITIVE_INFINITY);
        for (int i = 0; i < n; i++) {
            int a = gpus[i];
            if (g.switched()) {
                swIn[i] = share(t, 2 * g.switchLink(a) + 1);
                int k = c.cell[i];
                if (a == swBestGpu[k]) continue;
                if (swIn[i] < swBest[k]) {
                    swSecond[k] = swBest[k];
                    swBest[k] = swIn[i];
                    swBestGpu[k] = a;
                } else if (swIn[i] < swSecond[k]) {
                    swSecond[k] = swIn[i];
                }
            }
        }
        if (g.hasNics()) {
            for (int i = 0; i < n; i++) {
                int a = gpus[i];
                netIn[i] = Math.min(share(t, 2 * g.nicNetworkLink(a) + 1), share(t, 2 * g.nicLink(a) + 1));
                cellNetIn[c.cell[i]] = Math.min(cellNetIn[c.cell[i]], netIn[i]);
            }
            for (int k = 0; k < c.cells; k++) {
                double v = cellNetIn[k];
                if (v < netBest) {
                    netSecond = netBest;
                    netBest = v;
                    netBestCell = k;
                } else if (v < netSecond) {
                    netSecond = v;
                }
            }
        }

        double worst = Double.POSITIVE_INFINITY, latency = 0;
        int worstMember = -1;
        boolean network = false, anySwitch = false, anyNet = false;
        int[] scratch = new int[4];
        for (int i = 0; i < n; i++) {
            int a = gpus[i];
            double r = Double.POSITIVE_INFINITY;
            if (g.switched()) {
                if (c.switchPeers(i) > 0) {
                    anySwitch = true;
                    int k = c.cell[i];
                    // swBest/swSecond skip repeats of a GPU, so the best from another GPU is one of the two.
                    double in = swBestGpu[k] != a ? swBest[k] : swSecond[k];
                    r = Math.min(share(t, 2 * g.switchLink(a)), in);
                }
            } else {
                for (int j : c.members(c.cell[i])) {
                    if (j == i || gpus[j] == a) continue;
                    r = Math.min(r, t.rate(a, gpus[j]));
                    latency = Math.max(latency, g.latency(a, gpus[j], scratch));
                }
            }
            if (c.networkPeers(i) > 0) {
                anyNet = true;
                if (!g.hasNics()) {
                    r = 0;
                } else {
                    double in = c.cell[i] != netBestCell ? netBest : netSecond;
                    double out = Math.min(share(t, 2 * g.nicLink(a)), share(t, 2 * g.nicNetworkLink(a)));
                    r = Math.min(r, Math.min(out, in));
                }
            }
            if (r < worst) {
                worst = r;
                worstMember = i;
            }
            if (c.crossesNetwork(i)) network = true;
        }
        // Every link of one kind has the same latency in the device graph, so every switch route,
        // and every network route, has the latency of any one of them.
        if (anySwitch || anyNet) {
            for (int i = 0; i < n && (anySwitch || anyNet); i++) {
                if (anySwitch && c.switchPeers(i) > 0) {
                    for (int j : c.members(c.cell[i])) {
                        if (gpus[j] != gpus[i]) {
                            latency = Math.max(latency, g.latency(gpus[i], gpus[j], scratch));
                            break;
                        }
                    }
                    anySwitch = false;
                }
                if (anyNet && c.networkPeers(i) > 0) {
                    for (int j = 0; j < n; j++) {
                        if (c.cell[j] != c.cell[i]) {
                            latency = Math.max(latency, g.latency(gpus[i], gpus[j], scratch));
                            break;
                        }
                    }
                    anyNet = false;
                }
            }
        }
        if (worstMember < 0) return new Slowest(worst, -1, -1, latency, network);
        // The first flow, in member order, that has the slowest rate: the one a flow-by-flow scan keeps.
        int a = gpus[worstMember];
        for (int j = 0; j < n; j++) {
            if (j != worstMember && t.rate(a, gpus[j]) == worst) return new Slowest(worst, a, gpus[j], latency, network);
        }
        throw new IllegalStateException("no flow of gpu" + a + " has the slowest rate " + worst);
    }

    /** The fair share of a directed link use: bandwidth / flows on it (at least one). */
    private static double share(Traffic t, int use) {
        return t.graph.linkOf(use).bandwidth() / Math.max(1, t.load[use]);
    }

    /** Members grouped by locality cell, with counts per cell, per node, per domain and per GPU. */
    private static final class Cells {
        final int[] cell;
        final int cells;
        private final int[] start, order;
        private final int[] perCell, perGpuInCell, perNode, perDomain, perNodeDomain;
        private final int n;

        Cells(DeviceGraph g, int[] gpus) {
            n = gpus.length;
            cell = new int[n];
            // Dense indices for the cells, nodes, domains, node-domain pairs and GPUs members use.
            Dense cellIds = new Dense(n), nodeIds = new Dense(n), domainIds = new Dense(n), pairIds = new Dense(n), gpuIds = new Dense(n);
            int[] node = new int[n], domain = new int[n], pair = new int[n], gpu = new int[n];
            for (int i = 0; i < n; i++) {
                int a = gpus[i];
                cell[i] = cellIds.id(g.cellOf(a));
                node[i] = nodeIds.id(g.nodeOf(a));
                domain[i] = domainIds.id(g.domainOf(a));
                pair[i] = pairIds.id((long) g.nodeOf(a) * g.gpus() + g.domainOf(a));
                gpu[i] = gpuIds.id(a);
            }
            cells = cellIds.size();
            int[] cellCount = new int[cells], nodeCount = new int[nodeIds.size()], domainCount = new int[domainIds.size()];
            int[] pairCount = new int[pairIds.size()], gpuCount = new int[gpuIds.size()];
            for (int i = 0; i < n; i++) {
                cellCount[cell[i]]++;
                nodeCount[node[i]]++;
                domainCount[domain[i]]++;
                pairCount[pair[i]]++;
                gpuCount[gpu[i]]++;
            }
            perCell = new int[n];
            perGpuInCell = new int[n];
            perNode = new int[n];
            perDomain = new int[n];
            perNodeDomain = new int[n];
            for (int i = 0; i < n; i++) {
                perCell[i] = cellCount[cell[i]];
                perGpuInCell[i] = gpuCount[gpu[i]]; // a GPU lies in one cell
                perNode[i] = nodeCount[node[i]];
                perDomain[i] = domainCount[domain[i]];
                perNodeDomain[i] = pairCount[pair[i]];
            }
            start = new int[cells + 1];
            for (int k = 0; k < cells; k++) start[k + 1] = start[k] + cellCount[k];
            order = new int[n];
            int[] fill = start.clone();
            for (int i = 0; i < n; i++) order[fill[cell[i]]++] = i;
        }

        /** The members of a cell, in member order. */
        int[] members(int k) {
            return Arrays.copyOfRange(order, start[k], start[k + 1]);
        }

        /** Members that member i reaches through its cell's switch: its cell's members on other GPUs. */
        int switchPeers(int i) {
            return perCell[i] - perGpuInCell[i];
        }

        /** Members that member i reaches only over the network: those outside its cell. */
        int networkPeers(int i) {
            return n - perCell[i];
        }

        /** Whether some flow of member i crosses the network: a member on another node and in another domain. */
        boolean crossesNetwork(int i) {
            return n - perNode[i] - perDomain[i] + perNodeDomain[i] > 0;
        }
    }

    /** Dense ids 0, 1, 2... for keys in order of first use. */
    private static final class Dense {
        private final java.util.HashMap<Long, Integer> ids;

        Dense(int capacity) {
            ids = new java.util.HashMap<>(Math.max(16, capacity * 2));
        }

        int id(long key) {
            Integer v = ids.get(key);
            if (v != null) return v;
            int id = ids.size();
            ids.put(key, id);
            return id;
        }

        int size() {
            return ids.size();
        }
    }
}
