package dev.shardplan.diag;

import java.util.Map;
import java.util.TreeMap;

/**
 * The change a diagnostic's help proposes, in a form a tool can apply (an editor's quick fix, a
 * future {@code check --fix}); only attached where the compiler knows the change is right: a
 * misspelt name replaced by a declared one, or a plan variant the analysis re-checked.
 */
public sealed interface Fix {
    /** What the change does, as a user reads it ("use `H200_SXM`", "tp 2 -> 4"). */
    String title();

    /** Replace the text of {@code span} by {@code text}. */
    record Replace(String title, Span span, String text) implements Fix {}

    /**
     * Set fields of plan {@code plan} (declared at {@code planSpan}) to the given source text, or
     * remove them where the text is null; paths name the field as the plan writes it, e.g.
     * {@code parallel.tp} or {@code engine.max_num_seqs}.
     */
    record SetFields(String title, String plan, Span planSpan, Map<String, String> fields) implements Fix {
        public SetFields {
            // Null values (removals) rule out Map.copyOf; sorted, so the edits come out in a stable order.
            fields = java.util.Collections.unmodifiableMap(new TreeMap<>(fields));
        }
    }

    /** A misspelt name at {@code span} replaced by {@code near}; null when there is no suggestion. */
    static Fix rename(Span span, String near) {
        return near == null || span == null || span.isNone() ? null : new Replace("use `" + near + "`", span, near);
    }
}
