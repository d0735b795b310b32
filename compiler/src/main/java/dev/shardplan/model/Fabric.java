package dev.shardplan.model;

/** How the GPUs of a node (or rack) talk to each other. */
public enum Fabric {
    /** Every GPU reaches every other at full link bandwidth through switches (HGX/DGX, NVL72). */
    NVSWITCH,
    /** GPUs are linked in small islands (e.g. pairs with an NVLink bridge); others over PCIe. */
    NVLINK_ISLAND,
    /** AMD Infinity Fabric full mesh: each pair has a direct link of bandwidth/(n-1). */
    XGMI_MESH,
    /** No scale-up links: all traffic through PCIe and the host. */
    PCIE;

    public String id() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
