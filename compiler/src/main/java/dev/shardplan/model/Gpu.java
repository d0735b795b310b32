package dev.shardplan.model;

import dev.shardplan.diag.Span;

import java.util.Map;

/**
 * A GPU type. {@code memory}: the total CUDA reports (torch.cuda.mem_get_info), which vLLM and
 * TensorRT-LLM take their fractions of; {@code smiMemory}: the total nvidia-smi reports, which
 * SGLang's defaults key on (both in bytes). HBM bandwidth in B/s, dense tensor throughput in
 * FLOP/s per dtype (absent: not supported), scale-up (NVLink/xGMI) bandwidth per direction in B/s.
 */
public record Gpu(String name, String vendor, long memory, long smiMemory, double hbmBandwidth, Map<DType, Double> flops,
                  double linkBandwidth, double pcieBandwidth, Span span) {
    public Gpu {
        flops = Map.copyOf(flops);
    }

    /** A GPU whose nvidia-smi total is not known separately from CUDA's. */
    public Gpu(String name, String vendor, long memory, double hbmBandwidth, Map<DType, Double> flops,
               double linkBandwidth, double pcieBandwidth, Span span) {
        this(name, vendor, memory, memory, hbmBandwidth, flops, linkBandwidth, pcieBandwidth, span);
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
