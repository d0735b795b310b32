package dev.shardplan.emit;

import dev.shardplan.diag.Diagnostic;
import dev.shardplan.model.Target;
import dev.shardplan.predict.AnalysisInputs;
import dev.shardplan.predict.HtmlReport;
import dev.shardplan.predict.Predictor;

import java.util.List;

/**
 * report.html: the plan's self-contained HTML report (memory per rank, KV utilisation over time,
 * the derivation of each number), from a simulation with the default seed, so it is reproducible.
 */
public final class ReportEmitter implements Emitter {
    @Override
    public Target target() {
        return Target.REPORT;
    }

    @Override
    public List<Diagnostic> check(EmitInput in) {
        return List.of();
    }

    @Override
    public List<OutputFile> emit(EmitInput in) {
        var p = Predictor.simulate(in.plan(), AnalysisInputs.of(in.plan()), Predictor.DEFAULT_SEED);
        return List.of(OutputFile.text("report.html", HtmlReport.of(p)));
    }
}
