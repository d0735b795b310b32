package dev.shardplan.lsp;

import dev.shardplan.api.Frontend;
import dev.shardplan.analysis.KvCapacity;
import dev.shardplan.analysis.PlanAnalysis;
import dev.shardplan.analysis.SeqCapacity;
import dev.shardplan.analysis.StepCost;
import dev.shardplan.ast.Nodes.Decl;
import dev.shardplan.ast.Nodes.Entry;
import dev.shardplan.engine.Effective;
import dev.shardplan.engine.EngineConfig;
import dev.shardplan.engine.EngineSpec;
import dev.shardplan.engine.Engines;
import dev.shardplan.engine.MemoryBudget;
import dev.shardplan.engine.Release;
import dev.shardplan.engine.Setting;
import dev.shardplan.layout.Rank;
import dev.shardplan.model.Cluster;
import dev.shardplan.model.DType;
import dev.shardplan.model.EngineKind;
import dev.shardplan.model.Gpu;
import dev.shardplan.model.Model;
import dev.shardplan.model.NodeType;
import dev.shardplan.model.Plan;
import dev.shardplan.model.Workload;
import org.eclipse.lsp4j.Hover;
import org.eclipse.lsp4j.MarkupContent;
import org.eclipse.lsp4j.MarkupKind;
import org.eclipse.lsp4j.Range;

import java.util.IdentityHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** Hover: a plan's figures, a declaration's source and key figures, a field's doc, unit and range. */
final class Hovers {
    private Hovers() {}

    private static final double GIB = 1024.0 * 1024 * 1024;

    static Hover at(Snapshot s, int offset) {
        if (s.module() == null) return null;
        Ast.Hit hit = Ast.at(s.module().ast(), offset);
        if (hit == null) return null;
        String md = null;
        Range range = null;
        if (hit instanceof Ast.DeclHit h) {
            Decl d = h.decl();
            range = s.text().range(d.name().span());
            String kind = d.kind().text();
            if ((kind.equals("plan")) && s.check() != null) md = plan(s, d.name().text());
            else md = declaration(s, new Snapshot.Located(d, s.views().get(s.id())));
        } else if (hit instanceof Ast.NameHit h) {
            range = s.text().range(h.use().name().span());
            Snapshot.Located l = s.lookup(h.use().name().text(), h.use().key());
            if (l != null) md = declaration(s, l);
        } else if (hit instanceof Ast.KeyHit h) {
            range = s.text().range(h.entry().key().span());
            md = field(s, h.decl(), h.path());
        } else if (hit instanceof Ast.ImportHit h) {
            range = s.text().range(h.imp().span());
            md = "import `" + h.imp().path() + "`";
        } else if (hit instanceof Ast.ValueHit h && !h.path().isEmpty()) {
            md = field(s, h.decl(), h.path());
        }
        if (md == null) return null;
        return new Hover(new MarkupContent(MarkupKind.MARKDOWN, md), range);
    }

    // ---------------------------------------------------------------- plans

    /** The plan's figures from the check's analysis: what explain prints, in brief. */
    static String plan(Snapshot s, String name) {
        PlanAnalysis a = s.check().analyses().get(name);
        if (a == null) {
            // check keeps no analysis of a plan that does not resolve, has more ranks than GPUs, or whose analysis failed
            return "**plan " + name + "**\n\nThe plan has errors (see the diagnostics), and no figures: it does not resolve,"
                    + " needs more GPUs than its cluster has, or its analysis failed";
        }
        Plan p = a.plan();
        StringBuilder sb = new StringBuilder();
        sb.append("**plan ").append(name).append("**: model `").append(p.model().name()).append("` on cluster `")
                .append(p.cluster().name()).append("` (").append(p.cluster().totalGpus()).append(" x `")
                .append(p.cluster().gpu().name()).append("`), ").append(a.engine().release().label()).append("\n\n");
        sb.append("dp ").append(a.layout().dp()).append(" x pp ").append(a.layout().pp()).append(" x tp ").append(a.layout().tp())
                .append(" = ").append(a.layout().worldSize()).append(" ranks");
        if (p.model().moe() != null) sb.append(", ep ").append(a.layout().epSize());
        sb.append("\n\n**Memory per rank** (GiB)\n\n| ranks | weights | activation | non-torch | CUDA graphs | KV pool | blocks |\n|---|---|---|---|---|---|---|\n");
        // Ranks with the same shard have the same budget: one row each, naming its ranks.
        Map<MemoryBudget, StringBuilder> rows = new java.util.LinkedHashMap<>();
        Map<MemoryBudget, Boolean> seen = new IdentityHashMap<>();
        for (Rank r : a.layout().ranks()) {
            MemoryBudget m = a.memory(r.rank());
            if (seen.put(m, Boolean.TRUE) == null) rows.put(m, new StringBuilder().append(r.rank()));
            else if (rows.get(m).length() < 40) rows.get(m).append(",").append(r.rank());
        }
        int shown = 0;
        for (Map.Entry<MemoryBudget, StringBuilder> e : rows.entrySet()) {
            if (shown++ == 8) {
                sb.append("| ... | | | | | | |\n");
                break;
            }
            MemoryBudget m = e.getKey();
            sb.append("| ").append(e.getValue()).append(" | ").append(gib(m.weights())).append(" | ").append(gib(m.activation()))
                    .append(" | ").append(gib(m.nonTorch())).append(" | ").append(gib(m.cudaGraph())).append(" | ")
                    .append(gib(m.kvPool())).append(" | ").append(num(m.kvBlocks())).append(" |\n");
        }
        KvCapacity kv = a.kv();
        sb.append("\n**KV cache** per replica: ").append(num(kv.tokens())).append(" tokens (").append(num(kv.blocks()))
                .append(" blocks of ").append(kv.blockSize()).append(", ").append(num(kv.bytesPerToken())).append(" B/token), ")
                .append(kv.replicas()).append(kv.replicas() == 1 ? " replica" : " replicas").append("\n\n")
                .append("| length | tokens | sequences/replica | sequences total |\n|---|---|---|---|\n");
        for (SeqCapacity c : kv.at()) {
            sb.append("| ").append(c.label()).append(" | ").append(num(c.length())).append(" | ").append(num(c.sequences()))
                    .append(" | ").append(num(c.sequences() * kv.replicas())).append(" |\n");
        }
        StepCost dec = a.interconnect().decodeStep(), pre = a.interconnect().prefillStep();
        sb.append("\n**Step time** (as `shardplan explain` derives it): decode at ").append(a.interconnect().decodeBatch())
                .append(" sequences per replica: compute ").append(ms(dec.computeSeconds())).append(", collectives ")
                .append(ms(dec.commSeconds())).append(" (").append(pct(dec.commShare())).append(" of the step); prefill chunk of ")
                .append(num(pre.tokens())).append(" tokens: compute ").append(ms(pre.computeSeconds())).append(", collectives ")
                .append(ms(pre.commSeconds())).append(" (").append(pct(pre.commShare())).append(")");
        if (a.hasErrors()) sb.append("\n\nThe plan has errors (see the diagnostics): these are the figures the analysis could still compute.");
        return sb.toString();
    }

    // ---------------------------------------------------------------- declarations

    static String declaration(Snapshot s, Snapshot.Located l) {
        Decl d = l.decl();
        StringBuilder sb = new StringBuilder();
        sb.append("**").append(d.kind().text()).append(" ").append(d.name().text()).append("**, declared in `")
                .append(l.view().id()).append("`");
        String figures = figures(s, d.kind().text(), d.name().text(), l.view().id());
        if (figures != null) sb.append("\n\n").append(figures);
        TextIndex t = l.view().text();
        int from = t.position(d.span().start()).getLine();
        int to = t.position(d.span().end()).getLine() + 1;
        String src = t.lines(from, Math.min(to, from + 30)).stripTrailing();
        sb.append("\n\n```shardplan\n").append(src).append(to - from > 30 ? "\n..." : "").append("\n```");
        return sb.toString();
    }

    /** Key figures of a resolved declaration: from a plan of this check that uses it, else the std library. */
    static String figures(Snapshot s, String kind, String name, String module) {
        Object o = resolved(s, kind, name, module);
        if (o instanceof Gpu g) {
            return String.format(Locale.ROOT, "%.1f GiB, HBM %.2f TB/s, bf16 %s, fp8 %s", g.memory() / GIB, g.hbmBandwidth() / 1e12,
                    tflops(g, DType.BF16), tflops(g, DType.FP8));
        }
        if (o instanceof NodeType n) return n.gpus() + " x " + n.gpu().name() + ", " + n.fabric().id();
        if (o instanceof Cluster c) return c.nodes() + " x " + c.node().name() + ": " + c.totalGpus() + " x " + c.gpu().name();
        if (o instanceof Model m) {
            return String.format(Locale.ROOT, "%s parameters%s, %d layers, hidden %d, %s", billions(m.totalParams()),
                    m.isMoe() ? " (" + billions(m.activeParams(true)) + " active, " + m.moe().experts() + " experts, top-" + m.moe().topK() + ")" : "",
                    m.layers(), m.hidden(), m.attention().id() + (m.isMla() ? "" : " " + m.heads() + "/" + m.kvHeads() + " heads"));
        }
        if (o instanceof Workload w) {
            return w.requests() + " requests, " + (w.offline() ? "offline" : w.rate() + " req/s") + "; prompt p50/p95 "
                    + w.prompt().quantile(0.5) + "/" + w.prompt().quantile(0.95) + ", output p50/p95 " + w.output().quantile(0.5)
                    + "/" + w.output().quantile(0.95) + " tokens, max length " + num(w.maxLength());
        }
        return null;
    }

    private static Object resolved(Snapshot s, String kind, String name, String module) {
        if (s.check() != null) {
            for (Plan p : s.check().plans()) {
                Object o = switch (kind) {
                    case "model" -> p.model();
                    case "cluster" -> p.cluster();
                    case "node" -> p.cluster().node();
                    case "gpu" -> p.cluster().gpu();
                    case "workload" -> p.workload();
                    default -> null;
                };
                if (o != null && name.equals(nameOf(o))) return o;
            }
        }
        if (module.startsWith("std:")) {
            try {
                for (Object o : STD.computeIfAbsent(module.substring(4), Frontend::stdDeclarations)) if (name.equals(nameOf(o))) return o;
            } catch (RuntimeException e) {
                return null;
            }
        }
        return null;
    }

    /** The std library is constant within a JVM: resolved once per module, not once per hover or completion item. */
    private static final Map<String, List<Object>> STD = new java.util.concurrent.ConcurrentHashMap<>();

    private static String nameOf(Object o) {
        if (o instanceof Gpu g) return g.name();
        if (o instanceof NodeType n) return n.name();
        if (o instanceof Cluster c) return c.name();
        if (o instanceof Model m) return m.name();
        if (o instanceof Workload w) return w.name();
        return null;
    }

    // ---------------------------------------------------------------- fields

    static String field(Snapshot s, Decl decl, List<Entry> path) {
        Entry e = path.get(path.size() - 1);
        String key = e.key().text();
        StringBuilder ctx = new StringBuilder(decl.kind().text());
        for (int i = 0; i < path.size() - 1; i++) ctx.append('.').append(path.get(i).key().text());
        if (path.size() >= 2 && path.get(path.size() - 2).key().text().equals("engine")) {
            return setting(s, decl, path.get(path.size() - 2), key);
        }
        FieldDocs.Doc d = FieldDocs.of(ctx.toString(), key);
        if (d == null) return null;
        StringBuilder sb = new StringBuilder("**").append(key).append("** (").append(ctx).append(")\n\n").append(d.doc());
        if (!d.unit().equals("-")) sb.append("\n\nunit: ").append(d.unit());
        if (!d.range().equals("-")) sb.append("\n\nrange: ").append(d.range());
        sb.append("\n\n").append(d.presence());
        return sb.toString();
    }

    /** An engine setting: its doc, type, range and choices from the engine's table, and the plan's effective value. */
    static String setting(Snapshot s, Decl decl, Entry engine, String key) {
        EngineKind kind = engineKind(engine);
        if (kind == null) return null;
        EngineSpec spec = Engines.spec(kind);
        EngineConfig cfg = null;
        if (decl.kind().text().equals("plan") && s.check() != null) {
            PlanAnalysis a = s.check().analyses().get(decl.name().text());
            if (a != null) cfg = a.engine();
        }
        Release r = cfg != null ? cfg.release() : spec.newest();
        Setting st = spec.setting(r, key).orElse(null);
        if (st == null) return null;
        StringBuilder sb = new StringBuilder("**").append(key).append("** (").append(r.label()).append(")\n\n").append(st.doc());
        sb.append("\n\ntype: ").append(st.kind().name().toLowerCase(Locale.ROOT));
        if (st.kind() == dev.shardplan.engine.Kind.NUMBER || st.kind() == dev.shardplan.engine.Kind.COUNT) {
            if (Double.isFinite(st.max()) || Double.isFinite(st.min())) sb.append(", range ").append(st.rangeText());
        }
        if (!st.choices().isEmpty()) sb.append(", one of ").append(String.join(", ", st.choices()));
        if (cfg != null) {
            Effective eff = cfg.get(key);
            if (eff != null) sb.append("\n\nin this plan: ").append(eff.value()).append(" (").append(eff.origin().id()).append(": ")
                    .append(eff.why()).append(")");
        }
        if (!st.source().isEmpty()) sb.append("\n\nsource: ").append(st.source());
        return sb.toString();
    }

    static EngineKind engineKind(Entry engine) {
        if (engine.values().isEmpty() || engine.values().get(0).items().isEmpty()) return null;
        if (!(engine.values().get(0).items().get(0) instanceof dev.shardplan.ast.Nodes.Name n)) return null;
        for (EngineKind k : EngineKind.values()) if (k.id().equals(n.text())) return k;
        return null;
    }

    // ---------------------------------------------------------------- numbers

    private static String gib(double bytes) {
        return String.format(Locale.ROOT, "%.2f", bytes / GIB);
    }

    private static String num(long n) {
        return String.format(Locale.ROOT, "%,d", n);
    }

    private static String ms(double seconds) {
        return String.format(Locale.ROOT, "%.3f ms", seconds * 1e3);
    }

    private static String pct(double share) {
        return String.format(Locale.ROOT, "%.1f%%", share * 100);
    }

    private static String tflops(Gpu g, DType d) {
        Double f = g.flops().get(d);
        return f == null ? "-" : String.format(Locale.ROOT, "%.0f TFLOPS", f / 1e12);
    }

    private static String billions(long params) {
        return params >= 1e12 ? String.format(Locale.ROOT, "%.2fT", params / 1e12) : String.format(Locale.ROOT, "%.1fB", params / 1e9);
    }
}
