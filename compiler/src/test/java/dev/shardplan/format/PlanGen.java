package dev.shardplan.format;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;

import java.util.List;
import java.util.Random;
import java.util.Set;

/**
 * Generates plan files that parse: any kinds, keys and values the grammar allows (schemas are
 * not respected, the formatter does not care), in a random but valid layout: one-line and
 * multi-line blocks, `;` separators, blank lines, comments, values continued after commas.
 */
final class PlanGen {
    private PlanGen() {}

    static final List<String> UNITS = List.of("B", "GB", "GiB", "TB/s", "GB/s", "Gb/s", "ms", "s", "us", "TFLOPS", "tokens", "req/s", "W");
    static final Set<String> RESERVED = Set.of("x", "import", "from", "B", "KB", "MB", "GB", "TB", "PB", "KiB", "MiB", "GiB", "TiB",
            "b", "Kb", "Mb", "Gb", "Tb", "ns", "us", "ms", "s", "min", "h", "FLOPS", "GFLOPS", "TFLOPS", "PFLOPS",
            "tokens", "token", "W", "GHz", "req");

    static Arbitrary<String> plans() {
        return Arbitraries.longs().map(seed -> new Gen(new Random(seed)).file());
    }

    static final class Gen {
        final Random r;
        int budget = 400;

        Gen(Random r) {
            this.r = r;
        }

        boolean chance(int pct) {
            return r.nextInt(100) < pct;
        }

        String file() {
            StringBuilder sb = new StringBuilder();
            if (chance(30)) sb.append("// ").append(words()).append('\n');
            int imports = r.nextInt(3);
            for (int i = 0; i < imports; i++) sb.append("import \"").append(chance(50) ? "std:models" : name() + ".plan").append("\"\n");
            int decls = 1 + r.nextInt(4);
            for (int i = 0; i < decls; i++) {
                sb.append(chance(30) ? "\n\n" : "\n");
                if (chance(20)) sb.append("# ").append(words()).append('\n');
                sb.append(name()).append(chance(40) ? "  " : " ").append(name());
                if (chance(15)) sb.append(" from ").append(name()).append(" \"").append(name()).append("/config.json\"");
                sb.append(' ').append(body(0, chance(20)));
                sb.append('\n');
            }
            return sb.toString();
        }

        String body(int depth, boolean oneLine) {
            int n = r.nextInt(depth == 0 ? 6 : 4);
            StringBuilder sb = new StringBuilder("{");
            String ind = "  ".repeat(depth + 1);
            for (int i = 0; i < n && budget-- > 0; i++) {
                String e = entry(depth, oneLine);
                if (oneLine) {
                    sb.append(i == 0 ? " " : (chance(50) ? "; " : ";")).append(e);
                } else {
                    sb.append(chance(15) ? "\n\n" : "\n").append(chance(80) ? ind : " ".repeat(r.nextInt(7))).append(e);
                    if (chance(15)) sb.append(chance(50) ? ";" : "; ");
                    if (chance(15)) sb.append("  // ").append(words());
                }
            }
            if (oneLine) sb.append(n == 0 ? "}" : " }");
            else sb.append('\n').append("  ".repeat(depth)).append('}');
            return sb.toString();
        }

        String entry(int depth, boolean oneLine) {
            StringBuilder sb = new StringBuilder(name());
            int seqs = r.nextInt(3);
            for (int i = 0; i < seqs; i++) {
                if (i > 0) sb.append(",").append(!oneLine && chance(20) ? (chance(30) ? " // " + name() : "") + "\n      " : " ");
                else sb.append(' ');
                sb.append(seq(oneLine));
            }
            if (depth < 3 && chance(25)) sb.append(' ').append(body(depth + 1, oneLine || chance(40)));
            return sb.toString();
        }

        String seq(boolean oneLine) {
            int n = 1 + r.nextInt(3);
            StringBuilder sb = new StringBuilder();
            for (int i = 0; i < n; i++) {
                if (i > 0) sb.append(chance(10) ? " /* " + name() + " */ " : " ");
                sb.append(value(oneLine, 0));
            }
            return sb.toString();
        }

        String value(boolean oneLine, int depth) {
            int k = r.nextInt(depth > 1 ? 5 : 8);
            return switch (k) {
                case 0, 1 -> number() + (chance(50) ? " " + UNITS.get(r.nextInt(UNITS.size())) : "");
                case 2 -> name();
                case 3 -> "\"" + words().replace("\"", "") + (chance(20) ? "\\u00e9\\\"q\\\"" : "") + "\"";
                case 4 -> List.of("<", "<=", ">", ">=", "=", "==", "x").get(r.nextInt(7));
                case 5 -> call(!oneLine);
                case 6 -> {
                    int n = r.nextInt(4);
                    StringBuilder sb = new StringBuilder("[");
                    for (int i = 0; i < n; i++) {
                        if (i > 0) sb.append(", ");
                        sb.append(value(oneLine, depth + 1));
                    }
                    yield sb.append(']').toString();
                }
                default -> number() + "%";
            };
        }

        String call(boolean multiLine) {
            StringBuilder sb = new StringBuilder(name()).append('(');
            int n = r.nextInt(4);
            for (int i = 0; i < n; i++) {
                if (i > 0) sb.append(", ");
                if (i > 0 && multiLine && chance(15)) sb.append("// ").append(name()).append("\n    ");
                if (chance(15)) sb.append('"').append(name()).append(".csv\"");
                else {
                    if (chance(70)) sb.append(chance(20) ? List.of("min", "max", "s").get(r.nextInt(3)) : name()).append(' ');
                    sb.append(number());
                    if (chance(20)) sb.append(" tokens");
                }
            }
            sb.append(')');
            if (chance(50)) sb.append(" tokens");
            return sb.toString();
        }

        String number() {
            String n = switch (r.nextInt(6)) {
                case 0 -> String.valueOf(r.nextInt(100));
                case 1 -> r.nextInt(1000) + "." + r.nextInt(1000);
                case 2 -> r.nextInt(100) + List.of("k", "K", "M").get(r.nextInt(3));
                case 3 -> r.nextInt(10) + "e" + (chance(50) ? "-" : "") + r.nextInt(20);
                case 4 -> "1_000_" + String.format("%03d", r.nextInt(1000));
                default -> String.valueOf(Math.abs(r.nextLong()));
            };
            return chance(10) ? "-" + n : n;
        }

        String name() {
            String letters = "abcdefghijklmnopqrstuvwyz_";
            while (true) {
                StringBuilder sb = new StringBuilder();
                sb.append(letters.charAt(r.nextInt(letters.length())));
                int n = r.nextInt(8);
                for (int i = 0; i < n; i++) sb.append("abcdefghijklmnopqrstuvwxyz0123456789_".charAt(r.nextInt(37)));
                if (chance(10)) sb.append(chance(50) ? "-" : ".").append("v").append(r.nextInt(9));
                String s = sb.toString();
                if (!RESERVED.contains(s)) return s;
            }
        }

        String words() {
            int n = 1 + r.nextInt(5);
            StringBuilder sb = new StringBuilder();
            for (int i = 0; i < n; i++) sb.append(i == 0 ? "" : " ").append(name());
            return sb.toString();
        }
    }

}
