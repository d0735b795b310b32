package dev.shardplan.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.shardplan.diag.Jsons;
import dev.shardplan.model.DType;
import dev.shardplan.model.Gpu;
import dev.shardplan.model.LengthDist;
import dev.shardplan.model.Model;
import dev.shardplan.model.NodeType;
import dev.shardplan.model.Workload;
import dev.shardplan.resolve.StdLibrary;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/** {@code shardplan std [KIND] [--filter TEXT]}: what the standard library declares, with key figures. */
@Command(name = "std", mixinStandardHelpOptions = true,
        header = "List the standard library: GPUs, nodes, models and workloads with their key figures.",
        description = "Lists what the compiler's std: modules declare, by kind, with the figures a plan depends on (memory and "
                + "bandwidth of a GPU; GPUs and fabric of a node; size, attention and experts of a model; lengths of a workload), "
                + "and the import line that makes them available. KIND is gpus, nodes, models or workloads (default: all four); "
                + "--filter keeps the names that contain TEXT (ignoring case).",
        footer = {"", "Examples:", "  shardplan std gpus", "  shardplan std models --filter qwen", "  shardplan std nodes --format json",
                "", "Exit status: 0 listed (also when the filter matches nothing), 2 bad usage."})
final class StdCommand implements Callable<Integer> {
    /** The std modules that hold declarations a plan names, in the order they are listed. */
    enum Kind { gpus, nodes, models, workloads }

    @Parameters(arity = "0..1", paramLabel = "KIND", description = "gpus, nodes, models or workloads (default: all)")
    Kind kind;

    @Option(names = "--filter", paramLabel = "TEXT", description = "only names that contain TEXT (ignoring case)")
    String filter;

    @Option(names = "--format", defaultValue = "human", description = "human or json (schema in docs/cli.md)")
    Output.Format format;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    static final double GIB = 1L << 30;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        List<Kind> kinds = kind == null ? List.of(Kind.values()) : List.of(kind);
        ObjectNode json = Jsons.MAPPER.createObjectNode();
        boolean first = true;
        for (Kind k : kinds) {
            List<Object> all = StdLibrary.declarations(k.name());
            List<Object> shown = new ArrayList<>();
            for (Object o : all) if (filter == null || name(o).toLowerCase(Locale.ROOT).contains(filter.toLowerCase(Locale.ROOT))) shown.add(o);
            if (format == Output.Format.json) {
                ArrayNode arr = json.putArray(k.name());
                for (Object o : shown) arr.add(json(o));
                continue;
            }
            if (!first) out.println();
            first = false;
            out.println("std:" + k.name() + " (import \"std:" + k.name() + "\"): " + shown.size() + " of " + all.size()
                    + (filter == null ? "" : " match `" + filter + "`"));
            if (shown.isEmpty()) continue;
            List<String[]> rows = new ArrayList<>();
            rows.add(header(k));
            for (Object o : shown) rows.add(row(o));
            print(out, rows);
        }
        if (format == Output.Format.json) out.print(Jsons.canonical(json));
        return Main.OK;
    }

    static String name(Object o) {
        if (o instanceof Gpu g) return g.name();
        if (o instanceof NodeType n) return n.name();
        if (o instanceof Model m) return m.name();
        if (o instanceof Workload w) return w.name();
        throw new IllegalArgumentException(String.valueOf(o));
    }

    static String[] header(Kind k) {
        return switch (k) {
            case gpus -> new String[]{"name", "vendor", "memory", "HBM bandwidth", "bf16 dense", "fp8 dense", "scale-up link"};
            case nodes -> new String[]{"name", "GPUs", "fabric", "scale-up", "NICs"};
            case models -> new String[]{"name", "parameters", "active", "layers", "hidden", "attention (q/kv heads)", "experts", "weights", "max context"};
            case workloads -> new String[]{"name", "requests", "arrival", "prompt p50/p95", "output p50/p95", "max length"};
        };
    }

    static String[] row(Object o) {
        if (o instanceof Gpu g) {
            return new String[]{g.name(), g.vendor(), String.format(Locale.ROOT, "%.0f GiB", g.memory() / GIB),
                    String.format(Locale.ROOT, "%.2f TB/s", g.hbmBandwidth() / 1e12), tflops(g, DType.BF16), tflops(g, DType.FP8),
                    g.linkBandwidth() > 0 ? String.format(Locale.ROOT, "%.0f GB/s", g.linkBandwidth() / 1e9) : "-"};
        }
        if (o instanceof NodeType n) {
            return new String[]{n.name(), n.gpus() + " x " + n.gpu().name(), n.fabric().id(),
                    n.scaleUpBandwidth() > 0 ? String.format(Locale.ROOT, "%.0f GB/s", n.scaleUpBandwidth() / 1e9) : "-",
                    n.nics() > 0 ? n.nics() + " x " + String.format(Locale.ROOT, "%.0f Gb/s", n.nicBandwidth() * 8 / 1e9) : "-"};
        }
        if (o instanceof Model m) {
            String att = m.attention().id() + (m.isMla() ? "" : " " + m.heads() + "/" + m.kvHeads());
            return new String[]{m.name(), billions(m.totalParams()), m.isMoe() ? billions(m.activeParams(true)) : "-",
                    String.valueOf(m.layers()), String.valueOf(m.hidden()), att,
                    m.isMoe() ? m.moe().experts() + " top-" + m.moe().topK() : "-", weights(m), tokens(m.maxPosition())};
        }
        Workload w = (Workload) o;
        return new String[]{w.name(), String.valueOf(w.requests()), w.offline() ? (w.concurrency() > 0 ? "closed loop, " + w.concurrency()
                : "offline") : String.format(Locale.ROOT, "%s req/s", trim(w.rate())), pair(w.prompt()), pair(w.output()), tokens(w.maxLength())};
    }

    static ObjectNode json(Object o) {
        ObjectNode n = Jsons.MAPPER.createObjectNode();
        n.put("name", name(o));
        if (o instanceof Gpu g) {
            n.put("vendor", g.vendor());
            n.put("memory_bytes", g.memory());
            n.put("hbm_bandwidth_bytes_per_s", g.hbmBandwidth());
            ObjectNode f = n.putObject("dense_flops");
            g.flops().forEach((d, v) -> f.put(d.id(), v));
            n.put("link_bandwidth_bytes_per_s", g.linkBandwidth());
            n.put("pcie_bandwidth_bytes_per_s", g.pcieBandwidth());
        } else if (o instanceof NodeType t) {
            n.put("gpu", t.gpu().name());
            n.put("gpus", t.gpus());
            n.put("fabric", t.fabric().id());
            n.put("scale_up_bandwidth_bytes_per_s", t.scaleUpBandwidth());
            n.put("nics", t.nics());
            n.put("nic_bandwidth_bytes_per_s", t.nicBandwidth());
        } else if (o instanceof Model m) {
            n.put("parameters", m.totalParams());
            n.put("active_parameters", m.activeParams(true));
            n.put("layers", m.layers());
            n.put("hidden", m.hidden());
            n.put("attention", m.attention().id());
            n.put("heads", m.heads());
            n.put("kv_heads", m.kvHeads());
            if (m.isMoe()) {
                n.put("experts", m.moe().experts());
                n.put("top_k", m.moe().topK());
            }
            n.put("dtype", m.dtype().id());
            n.put("weights_dtype", m.quant() != null ? m.quant().weights().id() : m.dtype().id());
            n.put("kv_dtype", m.kvDtype().id());
            n.put("max_position", m.maxPosition());
        } else if (o instanceof Workload w) {
            n.put("requests", w.requests());
            n.put("rate_per_s", w.rate());
            n.put("concurrency", w.concurrency());
            n.put("prompt", w.prompt().describe());
            n.put("output", w.output().describe());
            n.put("max_length", w.maxLength());
        }
        return n;
    }

    private static String tflops(Gpu g, DType d) {
        Double f = g.flops().get(d);
        return f == null ? "-" : String.format(Locale.ROOT, "%.0f TFLOPS", f / 1e12);
    }

    private static String billions(long params) {
        return params >= 1e12 ? String.format(Locale.ROOT, "%.2fT", params / 1e12) : String.format(Locale.ROOT, "%.1fB", params / 1e9);
    }

    private static String tokens(long t) {
        return t <= 0 ? "-" : String.format(Locale.ROOT, "%,d", t);
    }

    /** The linear layers' dtype: the quantisation's (fp8 for an fp8 checkpoint), else the model's. */
    private static String weights(Model m) {
        return m.quant() != null ? m.quant().weights().id() + (m.quant().expertsOnly() ? " (experts)" : "") : m.dtype().id();
    }

    private static String pair(LengthDist d) {
        return d.quantile(0.5) + " / " + d.quantile(0.95);
    }

    private static String trim(double v) {
        return v == Math.rint(v) ? String.valueOf((long) v) : String.valueOf(v);
    }

    /** Columns padded to their widest cell, two spaces apart, text left and figures right. */
    static void print(PrintWriter out, List<String[]> rows) {
        int cols = rows.get(0).length;
        int[] w = new int[cols];
        for (String[] r : rows) for (int i = 0; i < cols; i++) w[i] = Math.max(w[i], r[i].length());
        for (int j = 0; j < rows.size(); j++) {
            String[] r = rows.get(j);
            StringBuilder sb = new StringBuilder("  ");
            for (int i = 0; i < cols; i++) {
                boolean right = j > 0 && i > 0 && !r[i].isEmpty() && Character.isDigit(r[i].charAt(0)) && !r[i].contains(" x ");
                String cell = right ? " ".repeat(w[i] - r[i].length()) + r[i] : r[i] + " ".repeat(w[i] - r[i].length());
                sb.append(cell);
                if (i < cols - 1) sb.append("  ");
            }
            out.println(sb.toString().stripTrailing());
        }
    }
}
