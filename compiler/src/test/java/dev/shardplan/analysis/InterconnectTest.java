package dev.shardplan.analysis;

import dev.shardplan.layout.GroupKind;
import dev.shardplan.model.Plan;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class InterconnectTest {
    static Plan plan(String cluster, String model, String parallel) {
        return Fixtures.plan("cluster c { " + cluster + " }\nplan p { model " + model + "; cluster c; workload natural_reasoning\n"
                + "  parallel { " + parallel + " }\n  engine vllm { gpu_memory_utilization 0.9 }\n}\n", "p");
    }

    @Test
    void tp_all_reduce_inside_an_hgx_node() {
        PlanAnalysis a = Analyzer.analyze(plan("nodes 1 x HGX_H100", "llama_3_1_70b", "tp 8"));
        Interconnect ic = a.interconnect();
        Collective ar = ic.decode().get(0);
        assertEquals("tp all-reduce", ar.name());
        assertEquals(160, ar.count());                              // 2 per layer x 80
        long b = ic.decodeBatch();
        assertEquals(b * 8192 * 2, ar.messageBytes());              // tokens x hidden x bf16
        assertEquals((long) Math.ceil(2.0 * 7 / 8 * ar.messageBytes()), ar.wireBytesPerRank());
        double le = InterconnectModel.linkEfficiency(a.plan(), a.engine());
        assertEquals(450e9 * le, ar.bandwidth(), 1);                // NVLink per direction, at the link efficiency
        // one call: the fitted call latency plus the path's, then the ring's bytes
        assertEquals(InterconnectModel.callLatency(a.plan(), a.engine()) + a.interconnect().groups().stream()
                .filter(g -> g.kind() == GroupKind.TP).findFirst().orElseThrow().latency(), ar.latency(), 1e-15);
        double one = ar.latency() + 2.0 * 7 / 8 * b * 8192 * 2 / (450e9 * le);
        assertEquals(160 * one, ar.seconds(), 1e-9);
        assertFalse(ar.overNetwork());
        assertEquals(0, ic.decodeStep().networkShare());
    }

    @Test
    void tp_pairs_across_nodes_share_four_nics() {
        // dp 8 x tp 2 with each TP pair split over two PCIe nodes (4 NICs of 25 GB/s for 8 GPUs):
        // GPUs 0 and 1 use NIC 0, so every TP ring hop gets half a NIC.
        Plan p = plan("nodes 2 x PCIE_H100", "llama_3_1_8b", "dp 8; tp 2; placement 0, 8, 1, 9, 2, 10, 3, 11, 4, 12, 5, 13, 6, 14, 7, 15");
        PlanAnalysis a = Analyzer.analyze(p);
        GroupCost g = a.interconnect().groups().stream().filter(c -> c.kind() == GroupKind.TP).findFirst().orElseThrow();
        assertEquals(12.5e9, g.bandwidth(), 1);
        assertTrue(g.overNetwork());
        assertEquals(2, g.nodes());
        assertTrue(g.bottleneck().contains("shared by 2 flows"), g.bottleneck());
        // the same with one NIC per GPU (HGX): 50 GB/s each
        PlanAnalysis b = Analyzer.analyze(plan("nodes 2 x HGX_H100", "llama_3_1_8b", "dp 8; tp 2; placement 0, 8, 1, 9, 2, 10, 3, 11, 4, 12, 5, 13, 6, 14, 7, 15"));
        GroupCost h = b.interconnect().groups().stream().filter(c -> c.kind() == GroupKind.TP).findFirst().orElseThrow();
        assertEquals(50e9, h.bandwidth(), 1);
    }

    @Test
    void pp_sends_hidden_and_residual_at_each_boundary() {
        PlanAnalysis a = Analyzer.analyze(plan("nodes 2 x HGX_H100", "llama_3_1_70b", "tp 8; pp 2"));
        Collective pp = a.interconnect().decode().stream().filter(c -> c.group() == GroupKind.PP).findFirst().orElseThrow();
        assertEquals(1, pp.count());
        assertEquals(2L * a.interconnect().decodeBatch() * 8192 * 2, pp.messageBytes());
        assertTrue(pp.overNetwork());
        assertEquals(50e9 * InterconnectModel.linkEfficiency(a.plan(), a.engine()), pp.bandwidth(), 1);
    }

    @Test
    void ep_all_to_all_per_moe_layer() {
        PlanAnalysis a = Analyzer.analyze(plan("nodes 1 x HGX_H200", "deepseek_r1", "dp 8; ep 8"));
        Collective ep = a.interconnect().decode().stream().filter(c -> c.group() == GroupKind.EP).findFirst().orElseThrow();
        assertEquals("ep all-to-all", ep.name());
        assertEquals(2 * 58, ep.count());                                       // dispatch + combine x 58 MoE layers
        assertEquals(a.interconnect().decodeBatch() * 8 * 7168 * 2, ep.messageBytes()); // tokens x top_k x hidden x bf16
        // 7 flows out of each GPU through its own NVSwitch port: 450 / 7 per pair, 450 GB/s per rank
        assertEquals(450e9 * InterconnectModel.linkEfficiency(a.plan(), a.engine()), ep.bandwidth(), 1e3);
    }

    @Test
    void roofline_is_replaceable() {
        Plan p = plan("nodes 1 x HGX_H100", "llama_3_1_8b", "tp 1");
        PlanAnalysis a = Analyzer.analyze(p, (plan, bytes, flops) -> 0.010);
        assertEquals(0.010, a.interconnect().decodeStep().computeSeconds(), 1e-12);
    }

    @Test
    void ep_all_to_all_per_cell_equals_routing_every_flow() {
        // Small clusters of every fabric: the per-cell all-to-all (AllToAll) gives the same group
        // costs, bottleneck text included, as adding and scanning the n(n-1) flows one by one.
        String[][] cases = {
                {"nodes 4 x HGX_H100", "deepseek_r1", "dp 4; tp 8; ep 32"},
                {"nodes 4 x HGX_H100", "deepseek_r1", "dp 32; ep 32"},
                {"nodes 4 x HGX_H100", "qwen3_30b_a3b", "dp 16; tp 2; ep 8"},
                {"nodes 3 x PCIE_H100", "qwen3_30b_a3b", "dp 12; tp 2; ep 24"},
                {"nodes 2 x PCIE_H100_NVLINK_PAIRS", "qwen3_30b_a3b", "dp 16; ep 16"},
                {"nodes 2 x MI300X_PLATFORM", "qwen3_235b_a22b", "dp 4; tp 4; ep 16"},
                {"nodes 36 x GB200_TRAY\n  domain_nodes 18", "deepseek_r1", "dp 18; tp 8; ep 144"},
        };
        for (String[] c : cases) {
            Plan p = plan(c[0], c[1], c[2]);
            var g = dev.shardplan.graph.DeviceGraph.of(p.cluster());
            var layout = dev.shardplan.engine.Engines.layout(p);
            assertTrue(layout.epSize() > 1, c[2]);
            var cells = InterconnectModel.costs(g, layout, GroupKind.EP, InterconnectModel.Pattern.ALL_TO_ALL, false);
            var flows = InterconnectModel.costs(g, layout, GroupKind.EP, InterconnectModel.Pattern.ALL_TO_ALL, true);
            assertEquals(flows, cells, c[0] + " / " + c[2]);
        }
    }
}
