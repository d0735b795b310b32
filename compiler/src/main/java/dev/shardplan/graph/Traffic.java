package dev.shardplan.graph;

/**
 * Concurrent flows over the device graph. Flows that share a directed link share its bandwidth
 * equally (bandwidth / flows on it); a flow's rate is the minimum of that over its route. This
 * is how "8 GPUs behind 4 NICs" or an all-to-all through one NIC divide per-rank bandwidth.
 */
public final class Traffic {
    final DeviceGraph graph;
    final int[] load;
    private final int[] buf = new int[4];

    public Traffic(DeviceGraph graph) {
        this.graph = graph;
        this.load = new int[graph.links().size() * 2];
    }

    /** Adds one flow from GPU a to GPU b; false when there is no route. */
    public boolean add(int a, int b) {
        int n = graph.route(a, b, buf);
        if (n < 0) return false;
        for (int i = 0; i < n; i++) load[buf[i]]++;
        return true;
    }

    public DeviceGraph graph() {
        return graph;
    }

    /** Flows currently on a directed link use. */
    public int load(int use) {
        return load[use];
    }

    /** The rate a flow a to b gets (B/s): +inf for a GPU to itself, 0 without a route. */
    public double rate(int a, int b) {
        int n = graph.route(a, b, buf);
        if (n < 0) return 0;
        double r = Double.POSITIVE_INFINITY;
        for (int i = 0; i < n; i++) {
            Link l = graph.linkOf(buf[i]);
            r = Math.min(r, l.bandwidth() / Math.max(1, load[buf[i]]));
        }
        return r;
    }

    /** The directed link use that limits the flow a to b, or -1. */
    public int bottleneck(int a, int b) {
        int n = graph.route(a, b, buf);
        int best = -1;
        double r = Double.POSITIVE_INFINITY;
        for (int i = 0; i < n; i++) {
            Link l = graph.linkOf(buf[i]);
            double x = l.bandwidth() / Math.max(1, load[buf[i]]);
            if (x < r) {
                r = x;
                best = buf[i];
            }
        }
        return best;
    }
}
