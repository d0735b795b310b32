package dev.shardplan.graph;

/**
 * An edge of the device graph: {@code bandwidth} in B/s in each direction (full duplex) and
 * {@code latency} in seconds for one traversal. {@code id} is the edge's index in
 * {@link DeviceGraph#links()}; directed uses are {@code 2*id} (a to b) and {@code 2*id+1} (b to a).
 */
public record Link(int id, Vertex a, Vertex b, Kind kind, double bandwidth, double latency) {
    /** The technology of a link. */
    public enum Kind { NVLINK, XGMI, PCIE, NIC, NETWORK }

    public String describe() {
        return kind.name().toLowerCase(java.util.Locale.ROOT) + " " + a.describe() + "-" + b.describe();
    }
}
