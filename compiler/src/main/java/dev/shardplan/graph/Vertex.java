package dev.shardplan.graph;

/**
 * A vertex of the device graph. {@code node} is the server it belongs to (-1 for the network,
 * the domain index for a scale-up switch); {@code index} is the GPU's global index, the NIC's
 * index within its node, or 0.
 */
public record Vertex(Kind kind, int node, int index) {
    /** What a vertex stands for. */
    public enum Kind {
        /** One accelerator. */
        GPU,
        /** The scale-up switch of one NVLink domain (NVSwitch tray set, or an NVL72 rack's switches). */
        SWITCH,
        /** A node's PCIe root complex and host memory (the path between GPUs without scale-up links). */
        HOST,
        /** A network interface of a node. */
        NIC,
        /** The scale-out network, modelled as a non-blocking fabric. */
        NETWORK
    }

    public String describe() {
        return switch (kind) {
            case GPU -> "gpu" + index;
            case SWITCH -> "nvswitch(domain " + node + ")";
            case HOST -> "pcie(node " + node + ")";
            case NIC -> "nic" + index + "(node " + node + ")";
            case NETWORK -> "network";
        };
    }
}
