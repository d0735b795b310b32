package dev.shardplan.graph;

import dev.shardplan.model.Cluster;
import dev.shardplan.model.DType;
import dev.shardplan.model.Fabric;
import dev.shardplan.model.Gpu;
import dev.shardplan.model.NodeType;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** The per-cell all-to-all gives exactly the loads and slowest flow of routing every flow. */
class AllToAllTest {
    /** A small cluster and groups of GPUs (members may repeat a GPU, groups may overlap). */
    record Case(Cluster cluster, List<int[]> groups) {}

    static Cluster cluster(Fabric fabric, int perNode, int nodes, int nics, int island, int domainNodes) {
        Gpu gpu = new Gpu("g", "nvidia", 80L << 30, 3.35e12, Map.of(DType.BF16, 989e12), 450e9, 64e9, null);
        // NIC and link bandwidths differ by kind, so which link limits a flow depends on the loads.
        NodeType node = new NodeType("n", gpu, perNode, fabric, island, 0, nics, 50e9, 0, null);
        return new Cluster("c", node, nodes, domainNodes, "ib", 0, 0, null);
    }

    /** Adds the flows one by one and scans them in member order: what the closed form must equal. */
    static AllToAll.Slowest bruteForce(Traffic t, int[] gpus) {
        DeviceGraph g = t.graph();
        double worst = Double.POSITIVE_INFINITY, lat = 0;
        int from = -1, to = -1;
        boolean net = false;
        for (int i = 0; i < gpus.length; i++) {
            for (int j = 0; j < gpus.length; j++) {
                if (i == j) continue;
                double r = t.rate(gpus[i], gpus[j]);
                if (r < worst) {
                    worst = r;
                    from = gpus[i];
                    to = gpus[j];
                }
                lat = Math.max(lat, g.latency(gpus[i], gpus[j]));
                net |= g.crossesNetwork(gpus[i], gpus[j]);
            }
        }
        return new AllToAll.Slowest(worst, from, to, lat, net);
    }

    static void assertSame(Case c) {
        DeviceGraph g = DeviceGraph.of(c.cluster());
        Traffic flows = new Traffic(g), cells = new Traffic(g);
        for (int[] gr : c.groups()) {
            for (int i = 0; i < gr.length; i++) for (int j = 0; j < gr.length; j++) if (i != j) flows.add(gr[i], gr[j]);
            AllToAll.add(cells, gr);
        }
        int[] a = new int[g.links().size() * 2], b = new int[a.length];
        for (int u = 0; u < a.length; u++) {
            a[u] = flows.load(u);
            b[u] = cells.load(u);
        }
        assertArrayEquals(a, b, "link loads");
        for (int[] gr : c.groups()) assertEquals(bruteForce(flows, gr), AllToAll.slowest(cells, gr));
    }

    @Property(tries = 300)
    void the_closed_form_equals_routing_every_flow(@ForAll("cases") Case c) {
        assertSame(c);
    }

    @Provide
    Arbitrary<Case> cases() {
        Arbitrary<Fabric> fabric = Arbitraries.of(Fabric.class);
        Arbitrary<Integer> perNode = Arbitraries.of(1, 2, 4, 8);
        Arbitrary<Integer> nodes = Arbitraries.integers().between(1, 6);
        Arbitrary<Integer> nics = Arbitraries.of(0, 1, 2, 4, 8);
        Arbitrary<Integer> island = Arbitraries.of(1, 2, 4);
        Arbitrary<Integer> domainNodes = Arbitraries.of(1, 2, 3);
        Arbitrary<Long> seed = Arbitraries.longs();
        return Combinators.combine(fabric, perNode, nodes, nics, island, domainNodes, seed).as((f, k, n, x, is, d, s) -> {
            Cluster cl = cluster(f, k, n, x, is, d);
            Random r = new Random(s);
            int gpus = cl.totalGpus();
            List<int[]> groups = new ArrayList<>();
            int count = 1 + r.nextInt(3);
            for (int gi = 0; gi < count; gi++) {
                int size = 1 + r.nextInt(Math.min(12, 2 * gpus));
                int[] gr = new int[size];
                boolean contiguous = r.nextBoolean();
                int base = r.nextInt(gpus);
                for (int i = 0; i < size; i++) gr[i] = contiguous ? (base + i) % gpus : r.nextInt(gpus);
                groups.add(gr);
            }
            return new Case(cl, groups);
        });
    }

    @Test
    void ep_over_four_hgx_nodes_and_an_nvl72_rack() {
        // The uniform case the analysis meets: one group of every GPU, and 4 groups of 8 over 4 nodes.
        Cluster hgx = cluster(Fabric.NVSWITCH, 8, 4, 8, 1, 1);
        int[] all = new int[32];
        for (int i = 0; i < 32; i++) all[i] = i;
        assertSame(new Case(hgx, List.of(all)));
        List<int[]> strided = new ArrayList<>();
        for (int k = 0; k < 8; k++) strided.add(new int[] {k, 8 + k, 16 + k, 24 + k});
        assertSame(new Case(hgx, strided));
        Cluster rack = cluster(Fabric.NVSWITCH, 4, 36, 4, 1, 18);
        int[] rackAll = new int[144];
        for (int i = 0; i < 144; i++) rackAll[i] = i;
        assertSame(new Case(rack, List.of(rackAll)));
    }

    @Test
    void eight_hgx_gpus_each_send_seven_flows_up_and_receive_seven_down() {
        // One node, all 8 GPUs: every NVSwitch uplink and downlink carries 7 flows, 450/7 GB/s each.
        DeviceGraph g = DeviceGraph.of(cluster(Fabric.NVSWITCH, 8, 1, 8, 1, 1));
        Traffic t = new Traffic(g);
        int[] all = {0, 1, 2, 3, 4, 5, 6, 7};
        AllToAll.add(t, all);
        int[] route = new int[4];
        g.route(0, 1, route);
        assertEquals(7, t.load(route[0]));
        assertEquals(7, t.load(route[1]));
        AllToAll.Slowest s = AllToAll.slowest(t, all);
        assertEquals(450e9 / 7, s.rate(), 1e-3);
        assertEquals(0, s.from());
        assertEquals(1, s.to());
        assertEquals(false, s.network());
    }

    @Test
    void two_pcie_nodes_send_eight_flows_per_gpu_over_half_a_nic() {
        // 2 nodes x 8 GPUs, 4 NICs of 50 GB/s: GPU 0 sends to the 8 GPUs of node 1 through NIC 0,
        // which it shares with GPU 1: 16 flows on the NIC's uplink, 50/16 GB/s each.
        DeviceGraph g = DeviceGraph.of(cluster(Fabric.PCIE, 8, 2, 4, 1, 1));
        Traffic t = new Traffic(g);
        int[] all = new int[16];
        for (int i = 0; i < 16; i++) all[i] = i;
        AllToAll.add(t, all);
        int[] route = new int[4];
        assertEquals(4, g.route(0, 8, route));
        assertEquals(8, t.load(route[0]));   // gpu0 -> its NIC
        assertEquals(16, t.load(route[1]));  // NIC 0 -> network, gpus 0 and 1
        AllToAll.Slowest s = AllToAll.slowest(t, all);
        assertEquals(50e9 / 16, s.rate(), 1e-3);
        assertEquals(true, s.network());
    }
}
