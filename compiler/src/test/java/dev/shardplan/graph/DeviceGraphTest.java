package dev.shardplan.graph;

import dev.shardplan.analysis.Fixtures;
import dev.shardplan.model.Cluster;
import org.jgrapht.alg.shortestpath.DijkstraShortestPath;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DeviceGraphTest {
    static Cluster cluster(String body) {
        return Fixtures.plan("cluster c { " + body + " }\nplan p { model llama_3_1_8b; cluster c; workload chat; parallel { tp 1 }; engine vllm { } }\n", "p").cluster();
    }

    static Cluster std(String name) {
        return Fixtures.plan("plan p { model llama_3_1_8b; cluster " + name + "; workload chat; parallel { tp 1 }; engine vllm { } }\n", "p").cluster();
    }

    @Test
    void hgx_node_routes_through_its_nvswitch() {
        DeviceGraph g = DeviceGraph.of(cluster("nodes 1 x HGX_H100"));
        GraphSummary s = g.summary();
        // 8 GPUs + 1 switch + 1 PCIe host + 8 NICs + network; edges: 8 nvlink + 8 pcie + 8 gpu-nic + 8 nic-network
        assertEquals(19, s.vertices());
        assertEquals(32, s.edges());
        assertEquals(8, s.domainGpus());
        assertTrue(g.connected());
        var path = g.path(0, 5);
        assertEquals(2, path.size());
        assertEquals(Link.Kind.NVLINK, path.get(0).kind());
        assertEquals(450e9, path.get(0).bandwidth());
        assertFalse(g.crossesNetwork(0, 5));
    }

    @Test
    void routes_are_shortest_paths_in_the_jgrapht_graph() {
        DeviceGraph g = DeviceGraph.of(cluster("nodes 2 x PCIE_H100_NVLINK_PAIRS"));
        var dijkstra = new DijkstraShortestPath<>(g.graph());
        for (int a = 0; a < g.gpus(); a++) {
            for (int b = 0; b < g.gpus(); b++) {
                if (a == b) continue;
                var src = new Vertex(Vertex.Kind.GPU, a / 8, a);
                var dst = new Vertex(Vertex.Kind.GPU, b / 8, b);
                assertEquals(dijkstra.getPath(src, dst).getLength(), g.path(a, b).size(), a + "->" + b);
            }
        }
    }

    @Test
    void nvlink_pairs_talk_directly_and_other_gpus_over_pcie() {
        DeviceGraph g = DeviceGraph.of(cluster("nodes 1 x PCIE_H100_NVLINK_PAIRS"));
        assertEquals(2, g.domainGpus());
        assertEquals(Link.Kind.NVLINK, g.path(0, 1).get(0).kind());
        assertEquals(1, g.path(0, 1).size());
        var p = g.path(0, 2);
        assertEquals(2, p.size());
        assertEquals(Link.Kind.PCIE, p.get(0).kind());
    }

    @Test
    void xgmi_mesh_splits_the_link_bandwidth_over_seven_peers() {
        DeviceGraph g = DeviceGraph.of(cluster("nodes 1 x MI300X_PLATFORM"));
        var p = g.path(0, 7);
        assertEquals(1, p.size());
        assertEquals(Link.Kind.XGMI, p.get(0).kind());
        assertEquals(g.cluster().node().scaleUpBandwidth() / 7, p.get(0).bandwidth(), 1);
        assertEquals(8, g.domainGpus());
    }

    @Test
    void eight_gpus_behind_four_nics_share_them() {
        // PCIe node: 8 GPUs, 4 x 200 Gb/s NICs; GPU i uses NIC i*4/8, so GPUs 0 and 1 share NIC 0.
        DeviceGraph g = DeviceGraph.of(cluster("nodes 2 x PCIE_H100"));
        assertEquals(4, g.path(0, 8).size());
        assertEquals(g.path(0, 8).get(1), g.path(1, 9).get(1)); // the same NIC-to-network link
        assertFalse(g.path(0, 8).get(1).equals(g.path(2, 10).get(1)));
        Traffic t = new Traffic(g);
        t.add(0, 8);
        assertEquals(25e9, t.rate(0, 8), 1);
        t.add(1, 9);
        assertEquals(12.5e9, t.rate(0, 8), 1);   // two flows on one 25 GB/s NIC
        assertEquals(12.5e9, t.rate(1, 9), 1);
        t.add(2, 10);
        assertEquals(25e9, t.rate(2, 10), 1);    // NIC 1 is its own
    }

    @Test
    void gb200_nvl72_rack_is_one_nvlink_domain() {
        DeviceGraph g = DeviceGraph.of(std("GB200_NVL72"));
        assertEquals(72, g.gpus());
        assertEquals(72, g.domainGpus());
        assertEquals(1, g.summary().switches());
        assertFalse(g.crossesNetwork(0, 71));
        assertEquals(Link.Kind.NVLINK, g.path(0, 71).get(0).kind());
    }

    @Test
    void two_hgx_nodes_cross_the_network_between_domains() {
        DeviceGraph g = DeviceGraph.of(cluster("nodes 2 x HGX_H100"));
        assertTrue(g.crossesNetwork(7, 8));
        var p = g.path(7, 8);
        assertEquals(Link.Kind.NETWORK, p.get(1).kind());
        assertEquals(50e9, p.get(1).bandwidth()); // 400 Gb/s
        assertEquals(2, g.summary().domains());
    }

    @Test
    void a_thousand_gpus_build() {
        DeviceGraph g = DeviceGraph.of(cluster("nodes 128 x HGX_H100"));
        assertEquals(1024, g.gpus());
        assertEquals(1024 + 128 + 128 + 1024 + 1, g.summary().vertices());
        assertTrue(g.connected());
    }
}
