package dev.shardplan.analysis;

import dev.shardplan.units.Fmt;
import dev.shardplan.model.Disaggregation;
import dev.shardplan.model.Pool;

/** The pools section of {@code shardplan explain} for a disaggregated plan: layout, KV transfer, rates. */
final class PoolsReport {
    private PoolsReport() {}

    static String human(PoolsAnalysis p) {
        StringBuilder sb = new StringBuilder();
        Disaggregation d = p.disagg();
        sb.append("pools: ").append(d.gpus()).append(" gpus, kv transfer by ").append(d.connector()).append('\n');
        for (Pool pool : java.util.List.of(d.prefill(), d.decode())) {
            var par = pool.parallel();
            sb.append("  ").append(pool.role().id()).append(": ").append(pool.replicas()).append(" instance(s) of dp ").append(par.dp())
                    .append(" x pp ").append(par.pp()).append(" x tp ").append(par.tp()).append(par.ep() > 1 ? " (ep " + par.ep() + ")" : "")
                    .append(", first gpus");
            for (int i = 0; i < pool.replicas(); i++) sb.append(' ').append(d.firstGpu(pool.role(), i));
            sb.append('\n');
        }
        for (var r : java.util.List.of(p.mean(), p.p95())) {
            sb.append("  kv transfer of a ").append(Fmt.num(r.promptTokens())).append("-token prompt: ").append(Fmt.num(r.logicalBytes()))
                    .append(" B (wire ").append(Fmt.num(r.wireBytes())).append(" B in ").append(r.flows()).append(" flows), ")
                    .append(Fmt.ms(r.seconds())).append(r.busiest() == null ? "" : " on " + r.busiest().describe()).append('\n');
        }
        sb.append("  rates: prefill pool ").append(Fmt.dec(p.prefillRps(), 2)).append(" req/s, decode pool ").append(Fmt.dec(p.decodeRps(), 2))
                .append(" req/s; at ").append(Fmt.dec(p.rate(), 2)).append(" req/s the busiest link runs at ").append(Fmt.pct(p.busiestUtilisation()))
                .append(p.busiest() == null ? "" : " (" + p.busiest().describe() + ")").append("\n\n");
        sb.append("pool prefill, one instance:\n").append(ExplainReport.human(p.prefill(), false)).append('\n');
        sb.append("pool decode, one instance:\n");
        return sb.toString();
    }
}
