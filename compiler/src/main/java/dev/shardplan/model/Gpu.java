package dev.shardplan.model;

import dev.shardplan.diag.Span;

import java.util.Map;

/**
 * A GPU type. {@code memory}: the total CUDA reports (torch.cuda.mem_get_info), which vLLM and
 * TensorRT-LLM take their fractions of; {@code smiMemory}: the total nvidia-smi reports, which
 * SGLang's defaults key on (both in bytes). HBM bandwidth in B/s, dense tensor throughput in
 * FLOP/s per dtype (absent: not supported), scale-up (NVLink/xGMI) bandwidth per direction in B/s.
 * {@code deviceName}: the name CUDA reports (torch.cuda.get_device_name), which engines match
 * some defaults on; {@code computeCapability}: the CUDA compute capability (9.0 for Hopper), 0
 * when not declared, which engines' kernel choices depend on.
 */
public record Gpu(String name, String vendor, long memory, long smiMemory, double hbmBandwidth, Map<DType, Double> flops,
                  double linkBandwidth, double pcieBandwidth, String deviceName, double computeCapability, Span span) {
    public Gpu {
        flops = Map.copyOf(flops);
        deviceName = deviceName == null || deviceName.isBlank() ? name : deviceName;
    }

    /** A GPU whose nvidia-smi total, device name and compute capability are not declared. */
    public Gpu(String name, String vendor, long memory, double hbmBandwidth, Map<DType, Double> flops,
               double linkBandwidth, double pcieBandwidth, Span span) {
        this(name, vendor, memory, memory, hbmBandwidth, flops, linkBandwidth, pcieBandwidth, name, 0, span);
    }

    /** Whether the compute capability is declared and at least {@code cc} (e.g. 9.0 for Hopper). */
    public boolean capabilityAtLeast(double cc) {
        return computeCapability >= cc - 1e-9;
    }

    /** Whether the compute capability is declared. */
    public boolean capabilityKnown() {
        return computeCapability > 0;
    }

    /** Dense FLOP/s for a dtype, falling back to bf16 for types without tensor-core support. */
    public double flopsFor(DType d) {
        Double f = flops.get(d);
        if (f != null) return f;
        if (d == DType.FP16) return flops.getOrDefault(DType.BF16, 0.0);
        if (d == DType.INT4 || d == DType.FP4) return flopsFor(DType.FP8);
        if (d == DType.FP8 || d == DType.INT8) return flops.getOrDefault(DType.BF16, 0.0);
        return flops.getOrDefault(DType.BF16, 0.0);
    }
}
