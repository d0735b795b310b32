package dev.shardplan.emit;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A launcher invocation, kept structural until it is written: the program words, positional
 * values and flags. It is rendered either as a shell command (every literal quoted) or as a
 * Kubernetes command/args list (every literal {@code $} escaped), so that user strings never
 * become syntax in either. {@code inner} is the command a wrapper runs (mpirun, srun), or null.
 */
public record Command(List<String> program, List<Val> positionals, List<Arg> args, Command inner) {
    public Command {
        program = List.copyOf(program);
        positionals = List.copyOf(positionals);
        args = List.copyOf(args);
    }

    /** A value: a literal (string, number or boolean), an environment variable plus literal suffix, or shell arithmetic. */
    public sealed interface Val {
        record Lit(Object value) implements Val {
            public Lit {
                Objects.requireNonNull(value);
            }
        }

        /** {@code $VAR} followed by a literal suffix (e.g. ":29500"). */
        record Env(String var, String suffix) implements Val {}

        /** Shell arithmetic over environment variables, e.g. "LWS_WORKER_INDEX * 8"; only generated text. */
        record Arith(String expr) implements Val {}

        /** Several words after one flag ("--prefill URL BOOTSTRAP_PORT" of sglang-router's nargs="+"). */
        record Words(List<Val> words) implements Val {
            public Words {
                words = List.copyOf(words);
            }
        }

        static Val lit(Object v) {
            return new Lit(v);
        }
    }

    /** A flag with an optional value (null: a switch). */
    public record Arg(String flag, Val value) {}

    public static Builder of(String... program) {
        return new Builder(List.of(program));
    }

    /** Text of a literal as the launcher reads it. */
    public static String text(Object v) {
        if (v instanceof Double d) return Yaml.number(d);
        return String.valueOf(v);
    }

    /** The command as shell words, one flag per continuation line. */
    public String shell(String indent) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < program.size(); i++) {
            if (i > 0) b.append(' ');
            b.append(ShellQuote.quote(program.get(i)));
        }
        for (Val v : positionals) b.append(' ').append(shellWord(v));
        for (Arg a : args) {
            b.append(" \\\n").append(indent).append(ShellQuote.quote(a.flag()));
            if (a.value() != null) b.append(' ').append(shellWord(a.value()));
        }
        if (inner != null) b.append(" \\\n").append(indent).append(inner.shell(indent + "    "));
        return b.toString();
    }

    public static String shellWord(Val v) {
        if (v instanceof Val.Words w) {
            StringBuilder b = new StringBuilder();
            for (Val x : w.words()) b.append(b.length() == 0 ? "" : " ").append(shellWord(x));
            return b.toString();
        }
        if (v instanceof Val.Lit l) return ShellQuote.quote(text(l.value()));
        if (v instanceof Val.Env e)
            return "\"${" + e.var() + "}\"" + (e.suffix().isEmpty() ? "" : ShellQuote.quote(e.suffix()));
        return "\"$((" + ((Val.Arith) v).expr() + "))\"";
    }

    /** True when every value can be written as a Kubernetes argument (no shell arithmetic). */
    public boolean kubernetesExpressible() {
        for (Val v : positionals) if (v instanceof Val.Arith) return false;
        for (Arg a : args) {
            if (a.value() instanceof Val.Arith) return false;
            if (a.value() instanceof Val.Words w && w.words().stream().anyMatch(x -> x instanceof Val.Arith)) return false;
        }
        return inner == null || inner.kubernetesExpressible();
    }

    /** The command as a Kubernetes list: literals with {@code $} escaped, variables as {@code $(VAR)}. */
    public List<String> kubernetes() {
        List<String> out = new ArrayList<>(program.size() + args.size() * 2);
        for (String p : program) out.add(ShellQuote.kubernetesLiteral(p));
        for (Val v : positionals) out.add(kubeWord(v));
        for (Arg a : args) {
            out.add(ShellQuote.kubernetesLiteral(a.flag()));
            if (a.value() instanceof Val.Words w) for (Val x : w.words()) out.add(kubeWord(x));
            else if (a.value() != null) out.add(kubeWord(a.value()));
        }
        if (inner != null) out.addAll(inner.kubernetes());
        return out;
    }

    private static String kubeWord(Val v) {
        if (v instanceof Val.Lit l) return ShellQuote.kubernetesLiteral(text(l.value()));
        if (v instanceof Val.Env e) return "$(" + e.var() + ")" + ShellQuote.kubernetesLiteral(e.suffix());
        throw new IllegalStateException("arithmetic cannot be a Kubernetes argument");
    }

    /** Every flag, in order (for tests and the accepted-flag check). */
    public List<String> flags() {
        List<String> out = new ArrayList<>();
        for (Arg a : args) out.add(a.flag());
        return out;
    }

    public static final class Builder {
        private final List<String> program;
        private final List<Val> positionals = new ArrayList<>();
        private final List<Arg> args = new ArrayList<>();
        private Command inner;

        Builder(List<String> program) {
            this.program = program;
        }

        public Builder positional(Val v) {
            positionals.add(v);
            return this;
        }

        public Builder flag(String f) {
            args.add(new Arg(f, null));
            return this;
        }

        public Builder opt(String f, Object literal) {
            args.add(new Arg(f, Val.lit(literal)));
            return this;
        }

        public Builder opt(String f, Val v) {
            args.add(new Arg(f, v));
            return this;
        }

        public Builder addAll(List<Arg> more) {
            args.addAll(more);
            return this;
        }

        /** The command this one runs (for wrappers such as mpirun). */
        public Builder then(Command c) {
            inner = c;
            return this;
        }

        public Command build() {
            return new Command(program, positionals, args, inner);
        }
    }
}
