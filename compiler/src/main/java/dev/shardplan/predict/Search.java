package dev.shardplan.predict;

import dev.shardplan.diag.Span;
import dev.shardplan.model.DType;
import dev.shardplan.engine.EngineSpec;
import dev.shardplan.engine.Engines;
import dev.shardplan.engine.Release;
import dev.shardplan.engine.Role;
import dev.shardplan.engine.Setting;
import dev.shardplan.model.EngineBlock;
import dev.shardplan.model.Parallel;
import dev.shardplan.model.Plan;
import dev.shardplan.model.Slo;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * Explores a search space: enumerates dp × tp × pp (× ep for MoE) × max_num_seqs × KV dtype,
 * discards candidates that break a divisibility rule or do not fit in memory (they are never
 * simulated), simulates the rest on one request set, ranks them by the objective (plans that
 * meet every SLO first) and finds the Pareto front of throughput against median TPOT.
 * Placement is the engine's default order: on one NVLink domain every placement of a group is
 * equivalent, across domains TP stays inside one (the rank order vLLM uses).
 */
public final class Search {
    private Search() {}

    /** A candidate: its plan and either its prediction or why it was discarded. */
    public record Candidate(Plan plan, Prediction prediction, String discarded) {
        public boolean simulated() {
            return prediction != null && prediction.simulated();
        }

        public SimResult result() {
            return prediction == null ? null : prediction.result();
        }

        public String label() {
            Parallel p = plan.parallel();
            StringBuilder sb = new StringBuilder();
            sb.append("dp").append(p.dp()).append(" tp").append(p.tp()).append(" pp").append(p.pp());
            if (plan.model().isMoe()) sb.append(" ep").append(p.ep());
            Object seqs = plan.engine().settings().get(settingName(plan.engine(), Role.MAX_SEQS));
            Object kv = plan.engine().settings().get(settingName(plan.engine(), Role.KV_CACHE_DTYPE));
            sb.append(" seqs ").append(seqs == null ? "default" : seqs).append(' ').append(kv == null ? "kv auto" : kv);
            return sb.toString();
        }
    }

    /** Ranked simulated candidates, the discarded ones, the Pareto front and the explanation. */
    public record Result(SearchSpace space, List<Candidate> ranked, List<Candidate> discarded, List<Candidate> pareto,
                         String why, long seed) {
        public Candidate winner() {
            return ranked.isEmpty() ? null : ranked.get(0);
        }
    }

    /** Searches with each candidate's analysis ({@link AnalysisInputs}). */
    public static Result run(SearchSpace s, long seed) {
        return run(s, seed, AnalysisInputs::of);
    }

    /** Searches; {@code inputs} gives each candidate plan's analysis inputs. */
    public static Result run(SearchSpace s, long seed, Function<Plan, PlanInputs> inputs) {
        RequestSet reqs = RequestSet.draw(s.workload(), seed);
        List<Candidate> ok = new ArrayList<>(), out = new ArrayList<>();
        for (Plan p : enumerate(s)) {
            dev.shardplan.diag.Deadline.check();
            String rule = rules(p);
            if (rule != null) {
                out.add(new Candidate(p, null, rule));
                continue;
            }
            PlanInputs in = inputs.apply(p);
            if (!in.fits()) {
                out.add(new Candidate(p, null, in.reason()));
                continue;
            }
            Prediction pr = Predictor.simulate(p, in, reqs, seed);
            if (!pr.simulated()) out.add(new Candidate(p, pr, "not simulated"));
            else ok.add(new Candidate(p, pr, null));
        }
        ok.sort(order(s));
        List<Candidate> pareto = pareto(ok);
        return new Result(s, ok, out, pareto, explain(s, ok), seed);
    }

    /** Every candidate plan of the space, in a fixed order. */
    public static List<Plan> enumerate(SearchSpace s) {
        int gpus = s.gpuCount();
        List<Plan> out = new ArrayList<>();
        List<Integer> worlds = new ArrayList<>();
        // Worlds past the language's bound on ranks are not plans anyone could write, so not candidates.
        for (int w = 1; w <= Math.min(gpus, dev.shardplan.resolve.Schema.RANKS.max()); w++) if (gpus % w == 0 && (!s.allGpus() || w == gpus)) worlds.add(w);
        boolean moe = s.model().isMoe();
        List<DType> kvs = s.kvDtypes().isEmpty() ? List.of(s.model().kvDtype()) : s.kvDtypes();
        List<Integer> seqs = s.maxNumSeqs().isEmpty() ? List.of(0) : s.maxNumSeqs();
        for (int w : worlds) {
            for (int tp = 1; tp <= w; tp++) {
                if (w % tp != 0 || !allowed(s.tp(), tp)) continue;
                for (int pp = 1; pp <= w / tp; pp++) {
                    if ((w / tp) % pp != 0 || !allowed(s.pp(), pp)) continue;
                    int dp = w / tp / pp;
                    if (!allowed(s.dp(), dp)) continue;
                    List<Integer> eps = moe ? (s.ep().isEmpty() ? epChoices(dp, tp) : s.ep()) : List.of(1);
                    for (int ep : eps) {
                        for (int ns : seqs) {
                            for (DType kv : kvs) out.add(plan(s, dp, tp, pp, ep, ns, kv));
                        }
                    }
                }
            }
        }
        return out;
    }

    private static List<Integer> epChoices(int dp, int tp) {
        // vLLM: experts are TP-sharded (ep 1) or expert-parallel over the dp × tp ranks of a stage
        return dp * tp > 1 ? List.of(1, dp * tp) : List.of(1);
    }

    private static boolean allowed(List<Integer> vals, int v) {
        return vals.isEmpty() || vals.contains(v);
    }

    /** The engine's plan name for a role in the block's release (the newest when it names none). */
    static String settingName(EngineBlock e, Role role) {
        EngineSpec spec = Engines.spec(e.kind());
        Release r = e.version() == null ? spec.newest() : spec.release(e.version()).orElse(spec.newest());
        return spec.setting(r, role).map(Setting::name).orElse(role.name().toLowerCase(Locale.ROOT));
    }

    /** The search's engine block with a candidate's max sequences (0: as the block has it) and KV dtype (the model's: as the block has it). */
    static EngineBlock engine(SearchSpace s, int maxSeqs, DType kv) {
        EngineBlock e = s.engine();
        if (maxSeqs > 0) e = e.with(settingName(e, Role.MAX_SEQS), (long) maxSeqs);
        if (kv != s.model().kvDtype()) {
            EngineSpec spec = Engines.spec(e.kind());
            Release r = e.version() == null ? spec.newest() : spec.release(e.version()).orElse(spec.newest());
            var word = spec.kvWord(r, kv, s.model());
            if (word.isPresent()) e = e.with(settingName(e, Role.KV_CACHE_DTYPE), word.get());
        }
        return e;
    }

    static Plan plan(SearchSpace s, int dp, int tp, int pp, int ep, int maxSeqs, DType kv) {
        EngineBlock eng = engine(s, maxSeqs, kv);
        String name = String.format(Locale.ROOT, "%s_dp%d_tp%d_pp%d%s_seqs%s_%s", s.name(), dp, tp, pp,
                s.model().isMoe() ? "_ep" + ep : "", maxSeqs > 0 ? String.valueOf(maxSeqs) : "default", kv.id());
        return new Plan(name, s.span().file(), s.model(), s.cluster(), s.workload(),
                new Parallel(dp, tp, pp, ep, false, List.of(), List.of()), eng, s.slos(), Set.of(), null, s.tuning(),
                Map.of(), s.span());
    }

    /** The divisibility rules a candidate must pass before anything else; null when it does. */
    static String rules(Plan p) {
        var m = p.model();
        var par = p.parallel();
        if (m.heads() % par.tp() != 0) return "tp " + par.tp() + " does not divide " + m.heads() + " attention heads";
        if (m.kvHeads() > 0 && par.tp() > m.kvHeads() && par.tp() % m.kvHeads() != 0)
            return "tp " + par.tp() + " is not a multiple of " + m.kvHeads() + " kv heads";
        if (par.pp() > m.layers()) return "pp " + par.pp() + " exceeds " + m.layers() + " layers";
        if (m.isMoe() && m.moe().experts() % par.ep() != 0) return "ep " + par.ep() + " does not divide " + m.moe().experts() + " experts";
        if ((long) m.vocab() % par.tp() != 0 && m.vocab() % 64 != 0) return "tp does not divide the vocabulary";
        return null;
    }

    static double score(SearchSpace s, Candidate c) {
        SimResult r = c.result();
        return switch (s.objective()) {
            case THROUGHPUT -> r.outputThroughput();
            case THROUGHPUT_PER_GPU -> r.outputThroughput() / c.plan().parallel().worldSize();
            case LATENCY -> -r.tpot().p50();
        };
    }

    static boolean meetsSlos(Candidate c) {
        for (Slo s : c.plan().slos()) {
            double v = Predictor.value(c.result(), s);
            if (!Double.isNaN(v) && !s.satisfiedBy(v)) return false;
        }
        return true;
    }

    static Comparator<Candidate> order(SearchSpace s) {
        return Comparator.comparing((Candidate c) -> !meetsSlos(c))
                .thenComparing(c -> -score(s, c))
                .thenComparing(c -> c.plan().parallel().worldSize())
                .thenComparing(c -> c.plan().name());
    }

    /** Candidates no other beats on both throughput (higher) and median TPOT (lower), by throughput. */
    static List<Candidate> pareto(List<Candidate> cs) {
        List<Candidate> sorted = new ArrayList<>(cs);
        sorted.sort(Comparator.comparing((Candidate c) -> -c.result().outputThroughput()).thenComparing(c -> c.plan().name()));
        List<Candidate> front = new ArrayList<>();
        double bestTpot = Double.MAX_VALUE;
        for (Candidate c : sorted) {
            double t = c.result().tpot().p50();
            if (t < bestTpot) {
                front.add(c);
                bestTpot = t;
            }
        }
        return front;
    }

    static String explain(SearchSpace s, List<Candidate> ranked) {
        if (ranked.isEmpty()) return "no candidate fits";
        Candidate w = ranked.get(0);
        SimResult r = w.result();
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "%s wins on %s: %.0f output tokens/s (%.0f per GPU), tpot p50 %s",
                w.label(), s.objective().id(), r.outputThroughput(), r.outputThroughput() / w.plan().parallel().worldSize(),
                PredictionRenderer.t(r.tpot().p50())));
        if (!meetsSlos(w)) sb.append("; no candidate meets every SLO");
        if (ranked.size() > 1) {
            Candidate b = ranked.get(1);
            SimResult q = b.result();
            sb.append(String.format(Locale.ROOT, ". Runner-up %s: %.0f tokens/s (%+.0f%%).", b.label(), q.outputThroughput(),
                    100 * (q.outputThroughput() / r.outputThroughput() - 1)));
            long wk = w.prediction().scheduler().kvTokens(), bk = b.prediction().scheduler().kvTokens();
            sb.append(String.format(Locale.ROOT, " KV per replica %d vs %d tokens; mean running %.0f vs %.0f per replica;"
                            + " preemptions %d vs %d; replicas %d vs %d.", wk, bk, r.meanRunning(), q.meanRunning(),
                    r.preemptions(), q.preemptions(), w.plan().parallel().dp(), b.plan().parallel().dp()));
        }
        return sb.toString();
    }

    /** The ranked table, the Pareto front and the explanation, for a terminal. */
    public static String human(Result res) {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "search %s: %d candidates simulated, %d discarded (seed %d)%n",
                res.space().name(), res.ranked().size(), res.discarded().size(), res.seed()));
        sb.append(String.format(Locale.ROOT, "%4s  %-34s %12s %10s %10s %10s %8s %5s%n", "rank", "plan", "tok/s",
                "tok/s/gpu", "tpot p50", "ttft p99", "preempt", "slo"));
        int i = 1;
        for (Candidate c : res.ranked()) {
            SimResult r = c.result();
            sb.append(String.format(Locale.ROOT, "%4d  %-34s %12.0f %10.0f %10s %10s %8d %5s%n", i++, c.label(),
                    r.outputThroughput(), r.outputThroughput() / c.plan().parallel().worldSize(),
                    PredictionRenderer.t(r.tpot().p50()), PredictionRenderer.t(r.ttft().p99()), r.preemptions(),
                    meetsSlos(c) ? "ok" : "miss"));
        }
        sb.append("pareto front (throughput vs tpot p50):\n");
        for (Candidate c : res.pareto()) {
            sb.append(String.format(Locale.ROOT, "  %-34s %10.0f tok/s  %s%n", c.label(), c.result().outputThroughput(),
                    PredictionRenderer.t(c.result().tpot().p50())));
        }
        if (!res.discarded().isEmpty()) {
            Map<String, Integer> why = new TreeMap<>();
            for (Candidate c : res.discarded()) why.merge(c.discarded().replaceAll("[0-9.]+", "N"), 1, Integer::sum);
            sb.append("discarded:\n");
            why.forEach((k, v) -> sb.append(String.format(Locale.ROOT, "  %3d x %s%n", v, k)));
        }
        sb.append("why: ").append(res.why()).append('\n');
        return sb.toString();
    }

    /** The winner as {@code .plan} source (the syntax of docs/language; `--emit`). */
    public static String emit(Result res) {
        Candidate w = res.winner();
        if (w == null) return "";
        Plan p = w.plan();
        Parallel par = p.parallel();
        EngineBlock e = p.engine();
        StringBuilder sb = new StringBuilder();
        sb.append("// written by `shardplan search ").append(res.space().name()).append(" --emit` (seed ").append(res.seed()).append(")\n");
        sb.append("// ").append(res.why().replace("\n", " ")).append('\n');
        sb.append("plan ").append(p.name()).append(" {\n");
        sb.append("  model     ").append(p.model().name()).append('\n');
        sb.append("  cluster   ").append(p.cluster().name()).append('\n');
        sb.append("  workload  ").append(p.workload().name()).append('\n');
        sb.append("  parallel  { dp ").append(par.dp()).append("; tp ").append(par.tp()).append("; pp ").append(par.pp());
        if (p.model().isMoe()) sb.append("; ep ").append(par.ep());
        sb.append(" }\n");
        sb.append("  engine    ").append(e.kind().id()).append(" {");
        if (e.version() != null) sb.append(" version \"").append(e.version()).append("\";");
        e.settings().forEach((k, v) -> sb.append(' ').append(k).append(' ').append(v instanceof Double d ? fmt(d) : String.valueOf(v)).append(';'));
        if (sb.charAt(sb.length() - 1) == ';') sb.setLength(sb.length() - 1);
        sb.append(" }\n");
        if (!p.slos().isEmpty()) {
            sb.append("  slo       {");
            List<String> parts = new ArrayList<>();
            for (Slo s : p.slos()) {
                String pct = s.percentile() <= 0 ? "mean" : "p" + fmt(s.percentile());
                String bound = s.metric().equals("throughput") ? fmt(s.bound()) + " tokens/s" : fmt(s.bound() * 1e3) + " ms";
                parts.add(" " + s.metric() + (s.metric().equals("throughput") ? "" : " " + pct) + " " + s.op() + " " + bound);
            }
            sb.append(String.join(";", parts)).append(" }\n");
        }
        if (!p.tuning().isEmpty()) {
            sb.append("  tuning    {");
            List<String> parts = new ArrayList<>();
            new TreeMap<>(p.tuning()).forEach((k, v) -> parts.add(" " + k + " " + fmt(v)));
            sb.append(String.join(";", parts)).append(" }\n");
        }
        sb.append("}\n");
        return sb.toString();
    }

    private static String fmt(double v) {
        if (v == Math.rint(v) && Math.abs(v) < 1e15) return String.valueOf((long) v);
        return new java.math.BigDecimal(v).round(new java.math.MathContext(6)).stripTrailingZeros().toPlainString();
    }

    static Span spanOf(SearchSpace s) {
        return s.span();
    }
}
