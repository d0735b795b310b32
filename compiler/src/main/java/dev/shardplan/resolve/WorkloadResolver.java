package dev.shardplan.resolve;

import dev.shardplan.ast.Nodes.*;
import dev.shardplan.diag.Codes;
import dev.shardplan.diag.Diagnostic;
import dev.shardplan.diag.Diagnostics;
import dev.shardplan.diag.Span;
import dev.shardplan.model.LengthDist;
import dev.shardplan.model.Workload;
import dev.shardplan.units.Dimension;

import java.nio.file.Path;
import java.util.IdentityHashMap;
import java.util.Locale;
import java.util.Map;

/** `workload` declarations: the requests a plan serves, how they arrive and how long they are. */
final class WorkloadResolver {
    static final Field REQUESTS = Field.count("requests", Schema.REQUESTS).required("requests 2000").doc("Requests in the workload.");
    static final Field ARRIVAL = Field.other("arrival", "offline or rate (req/s)").fallback("offline").example("arrival 4 req/s")
            .doc("`offline` (all at once) or a mean rate, e.g. `arrival 4 req/s` (1e-6 to 1e7 req/s); Poisson unless `burstiness` is set.");
    static final Field CONCURRENCY = Field.count("concurrency", Schema.CONCURRENCY).fallback("none: an open loop").example("concurrency 256")
            .doc("A closed-loop client keeping this many requests in flight.");
    static final Field PROMPT = Field.other("prompt", "length distribution (tokens)").required("prompt lognormal(median 100, p95 400) tokens")
            .doc("Prompt length distribution: fixed, uniform, normal, lognormal or empirical(\"file.csv\").");
    static final Field OUTPUT = Field.other("output", "length distribution (tokens)").required("output lognormal(median 100, p95 400) tokens")
            .doc("Output length distribution: fixed, uniform, normal, lognormal or empirical(\"file.csv\").");
    static final Field MAX_LENGTH = Field.quantity("max_length", Dimension.TOKENS, "tokens", 2, Schema.LENGTH.max()).required("max_length 32k tokens")
            .doc("Prompt + output of one request; becomes the engine's context length.");
    static final Field PREFIX = Field.quantity("prefix", Dimension.TOKENS, "tokens", 0, Schema.LENGTH.max()).fallback("0: none")
            .example("prefix 2000 tokens")
            .doc("Leading prompt tokens every request shares (a system prompt); the prefix cache reuses them.");
    static final Field SAMPLING = Field.word("sampling", "greedy", "top_p").fallback("greedy").example("sampling top_p")
            .doc("greedy: argmax, no sampling kernel; top_p: a top-k/top-p kernel every step.");

    // vLLM's bench serve --burstiness: gaps are gamma(shape b, scale 1 / (rate b)) (vllm/benchmarks/serve.py)
    static final Field BURSTINESS = Field.number("burstiness", 0.01, 100).byDefault(1, "Poisson arrivals").example("burstiness 0.5")
            .doc("With an arrival rate: the gamma shape of the gaps between arrivals, as vLLM's bench serve --burstiness; "
                    + "below 1 burstier, above 1 more regular, the mean rate unchanged.");

    static final FieldTable FIELDS = FieldTable.of("workload", REQUESTS, ARRIVAL, BURSTINESS, CONCURRENCY, PROMPT, OUTPUT, MAX_LENGTH,
            PREFIX, SAMPLING);

    private final Resolver r;
    private final Diagnostics diags;
    /** The spans of each resolved workload's fields, for the plans that serve it ("workload.max_length"). */
    private final Map<Workload, Map<String, Span>> spans = new IdentityHashMap<>();

    WorkloadResolver(Resolver r, Diagnostics diags) {
        this.r = r;
        this.diags = diags;
    }

    /** The spans of a resolved workload's fields, by field name. */
    Map<String, Span> spans(Workload w) {
        return spans.getOrDefault(w, Map.of());
    }

    Workload resolve(Resolver.Located l) {
        Decl d = l.decl();
        Fields f = new Fields(Resolver.what(d), d.name().span(), d.body(), FIELDS, diags);
        Long requests = f.integer(REQUESTS);
        double rate = 0;
        boolean offline = true;
        Entry ar = f.entry(ARRIVAL);
        if (ar != null) {
            Value v = f.single(ar);
            if (v instanceof Name n) {
                offline = n.text().equals("offline");
                if (!n.text().equals("offline")) {
                    diags.add(Diagnostic.of(Codes.BAD_ENUM, n.span(), "`arrival` is `offline` or a rate, found `" + n.text() + "`")
                            .help("write `arrival offline` or `arrival 4 req/s`").build());
                }
            } else if (v != null) {
                offline = false;
                Double rt = f.quantity(v, "arrival", Dimension.RATE, 1e-6, 1e7);
                if (rt != null) rate = rt;
            }
        }
        Double burst = f.number(BURSTINESS);
        if (burst != null && offline) {
            diags.add(Diagnostic.of(Codes.MISSING_FIELD, f.span(BURSTINESS), "`burstiness` shapes the gaps between arrivals, but "
                            + Resolver.what(d) + " has no arrival rate")
                    .help("add `arrival 4 req/s`, or remove `burstiness` (an offline workload arrives all at once)").build());
            burst = null;
        }
        Long conc = f.integer(CONCURRENCY);
        Path base = l.module().path() == null ? null : l.module().path().getParent();
        LengthDist prompt = dist(f, PROMPT, base, l.module());
        LengthDist output = dist(f, OUTPUT, base, l.module());
        Double max = f.quantity(MAX_LENGTH);
        Double prefix = f.quantity(PREFIX);
        String sampling = f.word(SAMPLING);
        if (requests == null || prompt == null || output == null || max == null) return null;
        Workload w = new Workload(d.name().text(), requests, rate, conc == null ? 0 : conc.intValue(), prompt, output,
                (long) (double) max, prefix == null ? 0 : (long) (double) prefix,
                sampling == null ? Workload.Sampling.GREEDY : Workload.Sampling.valueOf(sampling.toUpperCase(Locale.ROOT)),
                burst == null ? BURSTINESS.value() : burst, d.name().span());
        spans.put(w, f.spans());
        return w;
    }

    private LengthDist dist(Fields f, Field field, Path base, Module m) {
        String key = field.name();
        Entry e = f.entry(field);
        if (e == null) return null;
        f.noBody(e);
        Value v = f.single(e);
        if (v == null) return null;
        if (v instanceof Quantity q) {
            Double t = f.quantity(q, q.unit(), key, Dimension.TOKENS, Schema.LENGTH);
            return t == null ? null : new LengthDist.Fixed((long) (double) t);
        }
        if (!(v instanceof Call c)) {
            f.typeError(v, key, "a length distribution such as `lognormal(median 100, p95 400) tokens`");
            return null;
        }
        if (base != null && c.name().text().equals("empirical")) {
            for (Arg a : c.args()) if (a.value() instanceof Str str) r.noteDataFile(m, base.resolve(str.value()).toAbsolutePath().normalize());
        }
        Path modulePath = m.path();
        return Distributions.build(c, key, base, file -> r.loader().dataFileRefusal(modulePath, file), diags);
    }
}
