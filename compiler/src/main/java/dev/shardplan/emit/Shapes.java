package dev.shardplan.emit;

import dev.shardplan.model.PlanPaths;
import dev.shardplan.diag.Diagnostic;
import dev.shardplan.layout.RankLayout;
import dev.shardplan.model.Plan;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** Small facts about a plan that several emitters share. */
final class Shapes {
    private Shapes() {}

    /** GPUs per node the plan uses at most (what a pod or Slurm node must request). */
    static int gpusPerNodeUsed(RankLayout l) {
        int max = 0;
        for (int n = 0; n < l.nodes(); n++) max = Math.max(max, l.ranksOnNode(n).size());
        return max;
    }

    /** CUDA_VISIBLE_DEVICES for a node when the plan uses a subset or another order of its GPUs, else null. */
    static String visibleDevices(EmitInput in, int node) {
        List<Integer> gpus = in.layout().gpusOnNode(node);
        boolean identity = gpus.size() == in.gpusPerNode();
        for (int i = 0; i < gpus.size() && identity; i++) identity = gpus.get(i) == i;
        if (identity) return null;
        StringBuilder b = new StringBuilder();
        for (int g : gpus) {
            if (b.length() > 0) b.append(',');
            b.append(g);
        }
        return b.toString();
    }

    /** "40,40,46": an explicit PP layer split as the engines' *_PP_LAYER_PARTITION variables take it, else null. */
    static String layerPartition(Plan plan) {
        List<Integer> s = plan.parallel().layerSplit();
        if (s.isEmpty()) return null;
        StringBuilder b = new StringBuilder();
        for (int x : s) {
            if (b.length() > 0) b.append(',');
            b.append(x);
        }
        return b.toString();
    }

    /**
     * The model's reasoning parser as the target's release spells it, or null when the model has
     * none; a parser the release does not know is a warning and the flag is left out.
     */
    static String reasoningParser(EmitInput in, EngineArgs ea, List<Diagnostic> diags) {
        Plan plan = in.plan();
        String p = plan.model().reasoningParser();
        if (p == null || p.isEmpty()) return null;
        String key = p.toLowerCase(Locale.ROOT).replace('-', '_');
        var spec = ea.cfg().spec();
        var release = ea.cfg().release();
        var spelled = spec.reasoningParser(release, key);
        if (spelled.isEmpty()) {
            diags.add(Diagnostic.of(EmitCodes.UNKNOWN_REASONING_PARSER, plan.spanOf(PlanPaths.MODEL),
                            spec.kind().id() + ": " + release.label() + " has no reasoning parser for `" + p + "`")
                    .note("reasoning parsers of " + release.label() + ": " + String.join(", ", spec.reasoningParsers(release)))
                    .help("start the server with the parser flag added by hand, name a release that has it, or drop the parser from the model")
                    .build());
            return null;
        }
        // An empty spelling: the server handles the format itself and takes no flag.
        return spelled.get().isEmpty() ? null : spelled.get();
    }

    /**
     * The model's tool-call parser as the target's release spells it, or null when the model has
     * none; a format the release has no parser for is a warning and the flag is left out (the
     * server still answers, without parsing tool calls).
     */
    static String toolParser(EmitInput in, EngineArgs ea, List<Diagnostic> diags) {
        Plan plan = in.plan();
        String p = plan.model().toolParser();
        if (p == null || p.isEmpty()) return null;
        var spec = ea.cfg().spec();
        var release = ea.cfg().release();
        var spelled = spec.toolParser(release, p);
        if (spelled.isEmpty() || !spec.hasFlag(release, "tool_call_parser")) {
            List<String> known = spec.toolParsers(release);
            diags.add(Diagnostic.of(EmitCodes.UNKNOWN_TOOL_PARSER, plan.spanOf(PlanPaths.MODEL),
                            spec.kind().id() + ": " + release.label() + " has no tool-call parser for `" + p + "` (model " + plan.model().name() + ")")
                    .note("tool-call parsers of " + release.label() + ": " + (known.isEmpty() ? "none known" : String.join(", ", known)))
                    .help("clients get tool calls as plain text; name a release that has the parser, or drop `tool_parser` from the model")
                    .build());
            return null;
        }
        return spelled.get().isEmpty() ? null : spelled.get();
    }
}
