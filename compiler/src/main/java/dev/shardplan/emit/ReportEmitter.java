package dev.shardplan.emit;

import dev.shardplan.diag.Diagnostic;
import dev.shardplan.model.Target;
import dev.shardplan.report.HtmlReport;

import java.util.List;

/**
 * report.html: the plan's self-contained HTML report (memory per rank, KV utilisation over time,
 * the reasoning cliff, the derivation of each number), from the analysis and prediction the
 * compile already made (with the default seed, so it is reproducible).
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
        if (in.report() == null) {
            // The compile stage attaches the report input; an emitter never simulates on its own.
            throw new IllegalStateException("the report target of plan " + in.plan().name() + " was given no prediction");
        }
        return List.of(OutputFile.text("report.html", HtmlReport.plan(in.report())));
    }

}
