package dev.shardplan.diag;

import java.util.List;

/**
 * One finding of the compiler: a stable code, severity, a short lowercase message, the primary
 * span, secondary labels, notes (facts, derivations), a help line (the fix) and, where the compiler
 * knows the change is right, that fix in a form a tool can apply (null otherwise).
 */
public record Diagnostic(Code code, Severity severity, String message, Span span,
                         List<Label> labels, List<String> notes, String help, Fix fix)
        implements Comparable<Diagnostic> {

    public Diagnostic {
        labels = List.copyOf(labels);
        notes = List.copyOf(notes);
        help = help == null ? "" : help;
    }

    /** A diagnostic whose help proposes no change a tool could apply. */
    public Diagnostic(Code code, Severity severity, String message, Span span, List<Label> labels, List<String> notes, String help) {
        this(code, severity, message, span, labels, notes, help, null);
    }

    public static Builder of(Code code, Span span, String message) {
        return new Builder(code, span, message);
    }

    public boolean isError() {
        return severity == Severity.ERROR;
    }

    @Override
    public int compareTo(Diagnostic o) {
        int c = span.compareTo(o.span);
        if (c != 0) return c;
        c = code.id().compareTo(o.code.id());
        if (c != 0) return c;
        return message.compareTo(o.message);
    }

    /** Fluent construction; severity defaults to the code's. */
    public static final class Builder {
        private final Code code;
        private final Span span;
        private final String message;
        private Severity severity;
        private final java.util.ArrayList<Label> labels = new java.util.ArrayList<>();
        private final java.util.ArrayList<String> notes = new java.util.ArrayList<>();
        private String help = "";
        private Fix fix;

        Builder(Code code, Span span, String message) {
            this.code = code;
            this.span = span == null ? Span.NONE : span;
            this.message = message;
            this.severity = code.severity();
        }

        public Builder severity(Severity s) { this.severity = s; return this; }
        public Builder label(Span s, String m) { if (s != null && !s.isNone()) labels.add(new Label(s, m)); return this; }
        public Builder note(String n) { notes.add(n); return this; }
        public Builder help(String h) { this.help = h; return this; }
        /** The change the help proposes, where the compiler knows it is right; null for none. */
        public Builder fix(Fix f) { this.fix = f; return this; }

        public Diagnostic build() {
            return new Diagnostic(code, severity, message, span, labels, notes, help, fix);
        }
    }
}
