package dev.shardplan.analysis;

import dev.shardplan.diag.Code;
import dev.shardplan.diag.Diagnostic;

import java.util.List;

/**
 * One analysis rule over a computed plan. A check that reports a problem proposes the smallest
 * change that fixes it, after confirming with {@link CheckContext#firstFix} that the change makes
 * its diagnostic disappear without introducing errors.
 */
public interface Check {
    /** The codes this check can report. */
    List<Code> codes();

    List<Diagnostic> run(CheckContext ctx);
}
