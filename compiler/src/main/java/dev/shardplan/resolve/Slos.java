package dev.shardplan.resolve;

import dev.shardplan.ast.Nodes.*;
import dev.shardplan.diag.Codes;
import dev.shardplan.diag.Diagnostic;
import dev.shardplan.diag.Fix;
import dev.shardplan.diag.Diagnostics;
import dev.shardplan.model.Slo;
import dev.shardplan.units.Dimension;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/** `slo { ttft p99 < 5 s; tpot p50 < 60 ms; throughput > 2000 tokens/s }`. */
final class Slos {
    private Slos() {}

    static final FieldTable FIELDS = FieldTable.of("plan.slo",
            Field.other("ttft", "percentile < time").example("ttft p99 < 5 s").doc("Time to first token, e.g. `ttft p99 < 5 s`."),
            Field.other("tpot", "percentile < time").example("tpot p50 < 60 ms").doc("Time per output token, e.g. `tpot p50 < 60 ms`."),
            Field.other("itl", "percentile < time").example("itl p99 < 100 ms").doc("Inter-token latency."),
            Field.other("e2e", "percentile < time").example("e2e p99 < 60 s").doc("End-to-end latency of a request."),
            Field.other("throughput", "> tokens/s").example("throughput > 2000 tokens/s").doc("Output throughput, e.g. `throughput > 2000 tokens/s`."));

    static final Set<String> METRICS = FIELDS.names();

    static List<Slo> slos(Fields f, Diagnostics diags) {
        Entry e = f.entry("slo");
        List<Slo> out = new ArrayList<>();
        if (e == null) return out;
        if (e.body() == null) {
            diags.add(Diagnostic.of(Codes.TYPE_MISMATCH, e.span(), "`slo` takes a block of objectives")
                    .help("write `slo { ttft p99 < 5 s; tpot p50 < 60 ms }`").build());
            return out;
        }
        for (Entry s : e.body().entries()) {
            String metric = s.key().text();
            if (!METRICS.contains(metric)) {
                String near = Names.nearest(metric, METRICS);
                diags.add(Diagnostic.of(Codes.UNKNOWN_FIELD, s.key().span(), "unknown SLO metric `" + metric + "`")
                        .help((near != null ? "did you mean `" + near + "`? " : "") + "metrics: " + String.join(", ", new java.util.TreeSet<>(METRICS)))
                        .fix(Fix.rename(s.key().span(), near)).build());
                continue;
            }
            Slo slo = one(metric, s, f, diags);
            if (slo != null) out.add(slo);
        }
        return out;
    }

    private static Slo one(String metric, Entry s, Fields f, Diagnostics diags) {
        List<Value> it = s.values().size() == 1 ? s.values().get(0).items() : List.of();
        int i = 0;
        double pct = 0;
        if (!metric.equals("throughput") && it.size() == 3 && it.get(0) instanceof Name n && n.text().matches("p\\d{1,2}(\\.\\d+)?|mean")) {
            pct = n.text().equals("mean") ? 0 : Double.parseDouble(n.text().substring(1));
            i = 1;
        }
        if (it.size() - i != 2 || !(it.get(i) instanceof Op op) || !(it.get(i + 1) instanceof Quantity q)) {
            String ex = metric.equals("throughput") ? "throughput > 2000 tokens/s" : metric + " p99 < 5 s";
            diags.add(Diagnostic.of(Codes.TYPE_MISMATCH, s.span(), "an SLO is `" + (metric.equals("throughput") ? "throughput > <rate>" : metric + " <percentile> < <time>") + "`")
                    .help("write e.g. `" + ex + "` (percentiles: p50, p90, p99, mean)").build());
            return null;
        }
        Dimension dim = metric.equals("throughput") ? Dimension.TOKEN_RATE : Dimension.TIME;
        Double bound = f.quantity(q, q.unit(), metric, dim, 0, 1e12);
        if (bound == null) return null;
        return new Slo(metric, pct, op.text(), bound, s.span());
    }
}
