package dev.shardplan.resolve;

import dev.shardplan.ast.Nodes.*;
import dev.shardplan.diag.Codes;
import dev.shardplan.diag.Diagnostic;
import dev.shardplan.diag.Diagnostics;
import dev.shardplan.model.DType;
import dev.shardplan.model.Gpu;
import dev.shardplan.units.Dimension;

import java.util.EnumMap;
import java.util.Map;

/** `gpu` declarations: a GPU's memory, bandwidths and dense peaks per dtype. */
final class GpuResolver {
    static final Field VENDOR = Field.word("vendor", "nvidia", "amd", "intel").fallback("nvidia").doc("The GPU's vendor.");
    static final Field MEMORY = Field.quantity("memory", Dimension.BYTES, "GiB", 1e9, 1e13).required("memory 79.19 GiB")
            .doc("The total memory CUDA reports (torch.cuda.mem_get_info), which vLLM and TensorRT-LLM take fractions of.");
    static final Field NVIDIA_SMI_MEMORY = Field.quantity("nvidia_smi_memory", Dimension.BYTES, "MiB", 1e9, 1e13).fallback("memory")
            .example("nvidia_smi_memory 81559 MiB").doc("The total nvidia-smi prints, which SGLang's defaults key on.");
    static final Field DEVICE_NAME = Field.string("device_name").fallback("the gpu's name").example("device_name \"NVIDIA H100 80GB HBM3\"")
            .doc("The name CUDA reports; vLLM matches \"A100\" in it.");
    static final Field COMPUTE_CAPABILITY = Field.number("compute_capability", 3.0, 20.0).fallback("none: no capability-gated choice is assumed")
            .example("compute_capability 9.0").doc("Engines pick kernels by it: FlashMLA (9.x), MXFP4 kernels, NVLink SHARP.");
    static final Field HBM_BANDWIDTH = Field.quantity("hbm_bandwidth", Dimension.BANDWIDTH, "TB/s", 1e10, 1e14).required("hbm_bandwidth 3.35 TB/s")
            .doc("Datasheet HBM bandwidth.");
    static final Field FLOPS = Field.block("flops").required("flops { bf16 989 TFLOPS }")
            .doc("Dense peak FLOP/s per dtype: bf16 fp16 fp8 fp4 int8 int4 fp32; bf16 or fp16 is required.");
    static final Field LINK_BANDWIDTH = Field.quantity("link_bandwidth", Dimension.BANDWIDTH, "GB/s", 0, 1e13).fallback("0: none")
            .example("link_bandwidth 450 GB/s").doc("Scale-up (NVLink/xGMI) bandwidth per direction.");
    static final Field PCIE_BANDWIDTH = Field.quantity("pcie_bandwidth", Dimension.BANDWIDTH, "GB/s", 1e9, 1e12).byDefault(32e9)
            .example("pcie_bandwidth 64 GB/s").doc("PCIe bandwidth per direction.");

    static final FieldTable FIELDS = FieldTable.of("gpu", VENDOR, MEMORY, NVIDIA_SMI_MEMORY, DEVICE_NAME, COMPUTE_CAPABILITY,
            HBM_BANDWIDTH, FLOPS, LINK_BANDWIDTH, PCIE_BANDWIDTH);

    private static Field peak(String dtype) {
        return Field.quantity(dtype, Dimension.FLOPS, "TFLOPS", 1e9, 1e18).example(dtype + " 989 TFLOPS").doc("Dense " + dtype + " peak.");
    }

    static final FieldTable FLOPS_FIELDS = FieldTable.of("gpu.flops", peak("bf16"), peak("fp16"), peak("fp8"), peak("fp4"),
            peak("int8"), peak("int4"), peak("fp32"));

    private final Diagnostics diags;

    GpuResolver(Diagnostics diags) {
        this.diags = diags;
    }

    Gpu resolve(Resolver.Located l) {
        Decl d = l.decl();
        Fields f = new Fields(Resolver.what(d), d.name().span(), d.body(), FIELDS, diags);
        String vendor = f.word(VENDOR);
        Double mem = f.quantity(MEMORY);
        Double smi = f.quantity(NVIDIA_SMI_MEMORY);
        String device = f.string(DEVICE_NAME);
        Double cc = f.number(COMPUTE_CAPABILITY);
        Double bw = f.quantity(HBM_BANDWIDTH);
        Double link = f.quantity(LINK_BANDWIDTH);
        double pcie = f.quantityOr(PCIE_BANDWIDTH);
        Map<DType, Double> flops = new EnumMap<>(DType.class);
        Entry fe = f.entry(FLOPS);
        if (fe != null) {
            if (fe.body() == null) {
                diags.add(Diagnostic.of(Codes.TYPE_MISMATCH, fe.span(), "`flops` takes a block of dense FLOPS per dtype")
                        .help("write `flops { bf16 989 TFLOPS; fp8 1979 TFLOPS }`").build());
            } else {
                Fields ff = new Fields("flops of " + Resolver.what(d), fe.span(), fe.body(), FLOPS_FIELDS, diags);
                for (Field k : sorted(FLOPS_FIELDS)) {
                    Double v = ff.quantity(k);
                    if (v != null) flops.put(DType.parse(k.name()), v);
                }
                if (!flops.containsKey(DType.BF16) && !flops.containsKey(DType.FP16)) {
                    diags.add(Diagnostic.of(Codes.MISSING_FIELD, fe.span(), "`flops` of " + Resolver.what(d) + " needs at least bf16 or fp16")
                            .help("add `bf16 <n> TFLOPS`").build());
                }
            }
        }
        if (mem == null || bw == null) return null;
        long total = (long) (double) mem;
        return new Gpu(d.name().text(), vendor == null ? "nvidia" : vendor, total, smi == null ? total : (long) (double) smi, bw, flops,
                link == null ? 0 : link, pcie, device, cc == null ? 0 : cc, d.name().span());
    }

    /** The fields by name: diagnostics of a block come out in the order they always have. */
    static java.util.List<Field> sorted(FieldTable t) {
        java.util.List<Field> out = new java.util.ArrayList<>(t.fields());
        out.sort(java.util.Comparator.comparing(Field::name));
        return out;
    }
}
