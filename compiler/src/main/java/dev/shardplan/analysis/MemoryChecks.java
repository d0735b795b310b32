package dev.shardplan.analysis;

import dev.shardplan.model.PlanPaths;
import dev.shardplan.units.Fmt;
import dev.shardplan.diag.Code;
import dev.shardplan.diag.Diagnostic;
import dev.shardplan.model.DType;
import dev.shardplan.engine.EngineConfig;
import dev.shardplan.model.Derivation;
import dev.shardplan.engine.MemoryBudget;
import dev.shardplan.engine.Role;
import dev.shardplan.model.Parallel;
import dev.shardplan.model.Plan;

import java.util.ArrayList;
import java.util.List;

import static dev.shardplan.analysis.StructureChecks.fix;

/** Memory and KV-capacity checks (SP04xx). */
final class MemoryChecks {
    private MemoryChecks() {}

    static MemoryBudget worst(PlanAnalysis a) {
        MemoryBudget w = null;
        for (MemoryBudget b : a.memory()) if (w == null || b.kvPool() < w.kvPool()) w = b;
        return w;
    }

    static int rankOf(PlanAnalysis a, MemoryBudget b) {
        return a.memory().indexOf(b);
    }


    /** SP0401: nothing left for the KV cache. */
    static final class WeightsFit implements Check {
        public List<Code> codes() { return List.of(AnalysisCodes.WEIGHTS_DO_NOT_FIT); }

        public List<Diagnostic> run(CheckContext ctx) {
            PlanAnalysis a = ctx.analysis();
            MemoryBudget w = worst(a);
            if (w == null || w.kvPool() > 0) return List.of();
            Plan p = ctx.plan();
            long need = w.weights() + w.activation() + w.nonTorch() + w.cudaGraph();
            var b = Diagnostic.of(AnalysisCodes.WEIGHTS_DO_NOT_FIT, ctx.span(PlanPaths.PARALLEL_TP, PlanPaths.PARALLEL),
                    "weights do not fit: rank " + rankOf(a, w) + " needs " + Fmt.gib(need) + " for weights ("
                            + Fmt.gib(w.weights()) + ") and runtime memory, but has " + a.engine().spec().usableText(w))
                    .note("model `" + p.model().name() + "` split tp " + a.layout().tp() + " x pp " + a.layout().pp()
                            + "; stage " + w.stage() + " holds " + w.kvLayers() + " layers");
            for (Derivation d : w.derivation()) if (d.quantity().equals("kv pool")) b.note("kv pool = " + d.formula() + " = " + d.numbers());
            fix(ctx, b, Variants.moreModelParallel(p), this);
            return List.of(b.build());
        }
    }

    /**
     * SP0402: a sequence of the maximum length does not fit, and the engine refuses to start
     * (vLLM); SP0405: the same for an engine that starts anyway and caps requests at its pool (SGLang,
     * TensorRT-LLM), a warning.
     */
    static final class MaxLength implements Check {
        public List<Code> codes() { return List.of(AnalysisCodes.MAX_LENGTH_DOES_NOT_FIT, AnalysisCodes.SHORT_KV_POOL); }

        public List<Diagnostic> run(CheckContext ctx) {
            PlanAnalysis a = ctx.analysis();
            MemoryBudget w = worst(a);
            if (w == null || w.kvPool() <= 0) return List.of();
            KvCapacity kv = a.kv();
            SeqCapacity max = kv.at("max");
            if (max.sequences() >= 1) return List.of();
            Plan p = ctx.plan();
            EngineConfig e = a.engine();
            boolean refuses = e.spec().refusesShortPool();
            long estimate = kv.longestSequence();
            String lenKey = Variants.name(e, Role.MAX_MODEL_LEN);
            var b = Diagnostic.of(refuses ? AnalysisCodes.MAX_LENGTH_DOES_NOT_FIT : AnalysisCodes.SHORT_KV_POOL,
                    ctx.span(PlanPaths.engine(lenKey), PlanPaths.WORKLOAD_MAX_LENGTH, PlanPaths.WORKLOAD),
                    "one sequence of " + Fmt.num(max.length()) + " tokens needs " + Fmt.num(max.blocksPerSeq()) + " kv blocks, but the pool holds "
                            + Fmt.num(kv.blocks()) + " (" + Fmt.num(kv.tokens()) + " tokens)")
                    .note("kv per token on rank " + kv.limitingRank() + ": " + Fmt.num(kv.bytesPerToken()) + " B; pool "
                            + Fmt.gib(a.memory(kv.limitingRank()).kvPool()))
                    .note("the largest length that fits is " + Fmt.num(estimate) + " tokens; " + e.release().label()
                            + (refuses ? " refuses to start (\"the estimated maximum model length is " + estimate + "\")"
                            : " starts, but a request longer than " + Fmt.num(kv.tokens()) + " tokens cannot run"));
            List<Plan> c = new ArrayList<>();
            if (w.fraction() < 0.95) c.add(Variants.memoryFraction(p, e, 0.95));
            if (e.kvDtype().bytes() > 1) c.add(Variants.kvDtype(p, e, DType.FP8));
            c.addAll(Variants.moreModelParallel(p));
            if (estimate > 0) c.add(Variants.maxModelLen(p, e, estimate));
            fix(ctx, b, c, this);
            return List.of(b.build());
        }
    }

    /** SP0403: fewer full-length sequences fit than the plan runs at once. */
    static final class CapacityTrap implements Check {
        public List<Code> codes() { return List.of(AnalysisCodes.CAPACITY_TRAP); }

        public List<Diagnostic> run(CheckContext ctx) {
            PlanAnalysis a = ctx.analysis();
            KvCapacity kv = a.kv();
            if (kv.at("max").sequences() < 1) return List.of();
            EngineConfig e = a.engine();
            long demand = InterconnectModel.demandPerReplica(ctx.plan(), e);
            SeqCapacity full = kv.at("p95");
            if (full.sequences() >= demand) return List.of();
            Plan p = ctx.plan();
            long requestsPerReplica = (p.workload().requests() + p.parallel().dp() - 1) / p.parallel().dp();
            String seqKey = Variants.name(e, Role.MAX_SEQS);
            int cap = e.maxSeqs();
            String capText = cap <= 0 ? seqKey + " decided at start-up" : seqKey + " " + cap + (e.get(seqKey).fromPlan() ? "" : " (" + e.release().label() + " default)");
            String source;
            if (p.workload().concurrency() > 0 && (cap <= 0 || demand < cap))
                source = "the workload's concurrency " + p.workload().concurrency() + (p.parallel().dp() > 1 ? " / dp " + p.parallel().dp() : "");
            else if (cap <= 0 || demand == requestsPerReplica && demand < cap)
                source = "the workload's " + p.workload().requests() + " requests" + (p.parallel().dp() > 1 ? " / dp " + p.parallel().dp() : "")
                        + ", " + (cap <= 0 ? capText : "below " + capText);
            else source = capText;
            var b = Diagnostic.of(AnalysisCodes.CAPACITY_TRAP, ctx.span(PlanPaths.engine(seqKey), PlanPaths.WORKLOAD_CONCURRENCY, PlanPaths.ENGINE, PlanPaths.WORKLOAD),
                    "capacity trap: the kv pool holds " + Fmt.num(full.sequences()) + " sequences of p95 length "
                            + Fmt.num(full.length()) + " tokens, but a replica runs up to " + Fmt.num(demand) + " (" + source + ")")
                    .note("kv pool per replica: " + Fmt.num(kv.tokens()) + " tokens (" + Fmt.num(kv.blocks()) + " blocks of " + kv.blockSize()
                            + "); " + Fmt.num(kv.at("p50").sequences()) + " sequences fit at p50 length " + Fmt.num(kv.at("p50").length()));
            // What a preemption costs: vLLM v1 preempts by recompute, so the victim's prompt and
            // output so far are prefilled again (about the p50 length, at prefill speed).
            StepCost pre = a.interconnect().prefillStep();
            double perToken = pre.tokens() > 0 ? pre.seconds() / pre.tokens() : 0;
            long redo = kv.at("p50").length();
            b.note("once " + Fmt.num(full.sequences()) + " long sequences are running the scheduler preempts; each preemption discards ~"
                    + Fmt.num(redo) + " tokens of kv and recomputes them (~" + Fmt.ms(redo * perToken) + " of prefill at roofline), and "
                    + Fmt.num(demand - full.sequences()) + " sequences wait");
            if (ctx.suggest()) {
                // No value is proposed here: capping the batch at the sequences that fit at p95 length
                // gives up throughput when most sequences are shorter (issue 12: "-> 48" cost 21% on
                // capacity_trap.plan), and only the simulator can weigh preemptions against batch size.
                b.help("choose " + seqKey + " by simulation: `shardplan simulate` reports the preemptions (SP0703), and a `search` with "
                        + "`explore { " + seqKey + " ... }` ranks the values on this plan's objective");
                for (Plan alt : Variants.moreModelParallel(p)) {
                    if (alt.parallel().worldSize() > p.parallel().worldSize()) continue;
                    PlanAnalysis x = ctx.evaluate(alt);
                    long mine = full.sequences() * a.layout().dp(), theirs = x.kv().at("p95").sequences() * x.layout().dp();
                    if (theirs > mine && x.kv().at("max").sequences() >= 1) {
                        b.note("for more capacity on the same gpus: " + Variants.describe(p, alt) + " holds " + Fmt.num(theirs)
                                + " p95-length sequences in total instead of " + Fmt.num(mine));
                        break;
                    }
                }
            }
            return List.of(b.build());
        }
    }

    /** SP0404: DP replicas strand KV capacity when each is capacity-bound. */
    static final class StrandedDp implements Check {
        public List<Code> codes() { return List.of(AnalysisCodes.STRANDED_DP_CAPACITY); }

        public List<Diagnostic> run(CheckContext ctx) {
            PlanAnalysis a = ctx.analysis();
            Plan p = ctx.plan();
            int dp = a.layout().dp();
            KvCapacity kv = a.kv();
            if (dp <= 1 || kv.at("max").sequences() < 1) return List.of();
            long demand = InterconnectModel.demandPerReplica(p, a.engine());
            SeqCapacity full = kv.at("p95");
            if (full.sequences() >= demand) return List.of();
            var b = Diagnostic.of(AnalysisCodes.STRANDED_DP_CAPACITY, ctx.span(PlanPaths.PARALLEL_DP, PlanPaths.PARALLEL),
                    "dp " + dp + " keeps " + dp + " separate kv pools of " + Fmt.num(kv.tokens()) + " tokens; a replica that fills up preempts while others have free blocks")
                    .note("each replica holds " + Fmt.num(full.sequences()) + " p95-length sequences against " + Fmt.num(demand)
                            + " it runs; the " + Fmt.num(kv.totalTokens()) + " tokens over all replicas are not pooled")
                    .note(p.model().isMoe() && a.layout().epSize() > 1
                            ? "each replica keeps its own copy of the attention and dense weights, with the experts sharded over ep ("
                                    + Fmt.gib(a.memory(0).weights()) + " per rank)"
                            : "each replica also keeps a full copy of its weights (" + Fmt.gib(a.memory(0).weights()) + " per rank)");
            if (ctx.suggest()) {
                Parallel o = p.parallel();
                List<Plan> c = new ArrayList<>();
                for (int k = 2; k <= dp; k *= 2) if (dp % k == 0) c.add(Variants.degrees(p, dp / k, o.tp() * k, o.pp(), o.ep()));
                // A note, not a fix: pooling the memory is not always faster (the simulator finds dp 8 ->
                // tp 8 slower for an 8B model, where the per-sequence engine-loop work of one replica
                // outweighs the freed kv), so the change is described, not recommended.
                var f = ctx.firstFix(c, this, false);
                if (f.isPresent()) {
                    PlanAnalysis x = ctx.evaluate(f.get());
                    b.note("pooled: " + Variants.describe(p, f.get()) + " would hold " + Fmt.num(x.kv().tokens())
                            + " kv tokens per replica (re-checked: this diagnostic goes away); whether it is faster is the simulator's call "
                            + "(`shardplan search`)");
                }
            }
            return List.of(b.build());
        }
    }

    /**
     * SP0406: what the engine allocates after its KV pool (SGLang's DeepEP buffers, at the first
     * dispatch) is more than the headroom its memory fraction leaves, so the first MoE forward
     * (CUDA-graph capture at start-up) runs out of memory. A lower bound: the headroom also holds
     * activations and CUDA graphs, which are not counted here.
     */
    static final class Headroom implements Check {
        public List<Code> codes() { return List.of(AnalysisCodes.HEADROOM_TOO_SMALL); }

        public List<Diagnostic> run(CheckContext ctx) {
            PlanAnalysis a = ctx.analysis();
            MemoryBudget w = null;
            for (MemoryBudget b : a.memory()) if (b.afterPool() > b.headroom() && (w == null || b.afterPool() - b.headroom() > w.afterPool() - w.headroom())) w = b;
            if (w == null) return List.of();
            Plan p = ctx.plan();
            EngineConfig e = a.engine();
            String key = Variants.name(e, Role.MEMORY_FRACTION);
            var b = Diagnostic.of(AnalysisCodes.HEADROOM_TOO_SMALL, ctx.span(PlanPaths.engine(key), PlanPaths.ENGINE),
                    "the all-to-all buffers take " + Fmt.gib(w.afterPool()) + " on rank " + rankOf(a, w) + ", but " + key + " "
                            + Variants.fmt(w.fraction()) + " leaves " + Fmt.gib(w.headroom()) + " outside the kv pool")
                    .note(e.spec().title() + " creates them at the first dispatch, after sizing its kv pool, so they come out of that headroom"
                            + " together with activations and cuda graphs (not counted here): the start-up runs out of memory");
            for (Derivation d : w.derivation()) if (d.quantity().equals("all-to-all buffers")) b.note("buffers = " + d.numbers());
            // The largest fraction (in steps of 0.01) whose headroom holds the buffers.
            double free = w.headroom() / Math.max(1e-9, 1 - w.fraction());
            double f = Math.floor((1 - w.afterPool() / free) * 100) / 100;
            List<Plan> fixes = f > 0 && f < w.fraction() ? List.of(Variants.memoryFraction(p, e, f)) : List.of();
            fix(ctx, b, fixes, this);
            return List.of(b.build());
        }
    }
}
