package dev.shardplan.resolve;

import dev.shardplan.ast.Nodes.*;
import dev.shardplan.diag.Codes;
import dev.shardplan.diag.Diagnostic;
import dev.shardplan.diag.Fix;
import dev.shardplan.diag.Diagnostics;
import dev.shardplan.diag.Span;
import dev.shardplan.model.*;

import java.nio.file.Path;
import java.util.*;

/**
 * AST to typed model. Declarations are resolved on demand and memoised, so references may point
 * forwards and across files; each declaration is checked once even when many plans use it.
 */
public final class Resolver {
    static final Set<String> KINDS = Set.of("gpu", "node", "cluster", "model", "workload", "plan", "search", "efficiency");

    private final Diagnostics diags;
    private final Loader loader;
    private final Map<Decl, Object> memo = new IdentityHashMap<>();
    private final Set<Decl> resolving = Collections.newSetFromMap(new IdentityHashMap<>());
    private final Map<Module, Map<String, Map<String, Located>>> scopes = new IdentityHashMap<>();

    /** A declaration and the module it lives in. */
    record Located(Decl decl, Module module) {}

    // One resolver per declaration kind, each with its table of fields.
    private final GpuResolver gpus;
    private final NodeResolver nodes;
    private final ClusterResolver clusters;
    private final ModelResolver models;
    private final WorkloadResolver workloads;
    private final PlanResolver plans;
    private final SearchResolver searches;
    private final EfficiencyResolver efficiencies;

    public Resolver(Loader loader, Diagnostics diags) {
        this.loader = loader;
        this.diags = diags;
        this.gpus = new GpuResolver(diags);
        this.nodes = new NodeResolver(this, diags);
        this.clusters = new ClusterResolver(this, diags);
        this.models = new ModelResolver(loader, diags, this::noteDataFile);
        this.workloads = new WorkloadResolver(this, diags);
        this.plans = new PlanResolver(this, workloads, diags);
        this.searches = new SearchResolver(this, diags);
        this.efficiencies = new EfficiencyResolver(this, diags);
    }

    // ---------------------------------------------------------------- scopes

    /** Declarations visible in a module: its own plus everything it imports, transitively. */
    Map<String, Map<String, Located>> scope(Module m) {
        Map<String, Map<String, Located>> s = scopes.get(m);
        if (s != null) return s;
        s = new HashMap<>();
        scopes.put(m, s);
        List<Module> order = new ArrayList<>();
        collect(m, order, Collections.newSetFromMap(new IdentityHashMap<>()));
        for (Module mod : order) {
            for (Decl d : mod.ast().decls()) {
                String kind = d.kind().text();
                if (!KINDS.contains(kind)) continue;
                Map<String, Located> byName = s.computeIfAbsent(kind, k -> new TreeMap<>());
                Located prev = byName.get(d.name().text());
                if (prev != null && prev.decl() != d) {
                    if (mod == m || prev.module() == m) {
                        // report once, at the later declaration in the module being checked
                        Decl later = mod == m ? d : prev.decl();
                        Decl earlier = mod == m ? prev.decl() : d;
                        if (!reportedDup.contains(later)) {
                            reportedDup.add(later);
                            diags.add(Diagnostic.of(Codes.DUPLICATE_DECL, later.name().span(),
                                            kind + " `" + d.name().text() + "` is declared twice")
                                    .label(earlier.name().span(), "also declared here")
                                    .note(earlier.name().span().file().startsWith("std:") ? "the standard library (" + earlier.name().span().file() + ") already declares it" : "names must be unique per kind across a file and its imports")
                                    .help("rename one of them").build());
                        }
                    }
                    continue;
                }
                byName.put(d.name().text(), new Located(d, mod));
            }
        }
        return s;
    }

    private final Set<Decl> reportedDup = Collections.newSetFromMap(new IdentityHashMap<>());

    private void collect(Module m, List<Module> out, Set<Module> seen) {
        if (!seen.add(m)) return;
        out.add(m);
        for (Module i : m.imports()) collect(i, out, seen);
    }

    private Located lookup(Module m, String kind, Name ref) {
        if (ref == null) return null;
        Map<String, Located> byName = scope(m).getOrDefault(kind, Map.of());
        Located l = byName.get(ref.text());
        if (l != null) return l;
        for (String other : KINDS) {
            Located o = scope(m).getOrDefault(other, Map.of()).get(ref.text());
            if (o != null && !other.equals(kind)) {
                diags.add(Diagnostic.of(Codes.WRONG_KIND, ref.span(), "`" + ref.text() + "` is a " + other + ", not a " + kind)
                        .label(o.decl().name().span(), "declared here")
                        .help("name a " + kind + " here").build());
                return null;
            }
        }
        String near = Names.nearest(ref.text(), byName.keySet());
        String help;
        if (near != null) help = "did you mean `" + near + "`?";
        else if (byName.isEmpty()) help = "declare a " + kind + " `" + ref.text() + "` or import one (" + stdHint(kind) + ")";
        else help = "known " + kind + "s: " + String.join(", ", abbreviate(byName.keySet()));
        diags.add(Diagnostic.of(Codes.UNKNOWN_NAME, ref.span(), "unknown " + kind + " `" + ref.text() + "`").help(help)
                .fix(Fix.rename(ref.span(), near)).build());
        return null;
    }

    static String abbreviate(String s, int max) {
        return s.length() > max ? s.substring(0, max) + "…" : s;
    }

    private static List<String> abbreviate(Collection<String> names) {
        List<String> l = new ArrayList<>(names);
        if (l.size() > 12) {
            l = new ArrayList<>(l.subList(0, 12));
            l.add("…");
        }
        return l;
    }

    private static String stdHint(String kind) {
        return switch (kind) {
            case "gpu" -> "`import \"std:gpus\"`";
            case "node" -> "`import \"std:nodes\"`";
            case "model" -> "`import \"std:models\"`";
            case "workload" -> "`import \"std:workloads\"`";
            case "efficiency" -> "`import \"std:efficiency\"`";
            default -> "from another file";
        };
    }

    // ---------------------------------------------------------------- entry point

    /** Resolves every plan and search declared in the module itself (not in its imports). */
    public void resolveModule(Module m, List<Plan> plans, List<Search> searches) {
        for (Decl d : m.ast().decls()) {
            String kind = d.kind().text();
            if (!KINDS.contains(kind)) {
                String near = Names.nearest(kind, KINDS);
                diags.add(Diagnostic.of(Codes.UNKNOWN_KIND, d.kind().span(), "unknown declaration kind `" + kind + "`")
                        .help((near != null ? "did you mean `" + near + "`? " : "") + "kinds: " + String.join(", ", new TreeSet<>(KINDS)))
                        .fix(Fix.rename(d.kind().span(), near)).build());
                continue;
            }
            scope(m);
            Object o = resolve(new Located(d, m));
            if (o instanceof Plan p) plans.add(p);
            else if (o instanceof Search s) searches.add(s);
        }
    }

    /** Every declaration of {@code kind} in the module itself, resolved, in declaration order (nulls dropped). */
    List<Object> declared(Module m, String kind) {
        List<Object> out = new ArrayList<>();
        for (Decl d : m.ast().decls()) {
            if (!d.kind().text().equals(kind)) continue;
            Object o = resolve(new Located(d, m));
            if (o != null) out.add(o);
        }
        return out;
    }

    private Object resolve(Located l) {
        Decl d = l.decl();
        if (memo.containsKey(d)) return memo.get(d);
        if (d.name().text().length() > Schema.NAME_LENGTH.max()) {
            diags.add(Diagnostic.of(Codes.OUT_OF_RANGE, d.name().span(), d.kind().text() + " name `" + abbreviate(d.name().text(), 24) + "` is "
                            + d.name().text().length() + " characters long, over the limit of " + Schema.NAME_LENGTH.maxLong())
                    .note("a plan's name is the folder its outputs are written to, and every name must fit in a file name")
                    .help("use a shorter name").build());
            memo.put(d, null);
            return null;
        }
        if (!resolving.add(d)) {
            diags.add(Diagnostic.of(Codes.UNKNOWN_NAME, d.name().span(), d.kind().text() + " `" + d.name().text() + "` refers to itself").build());
            return null;
        }
        Object r;
        try {
            r = switch (d.kind().text()) {
                case "gpu" -> gpus.resolve(l);
                case "node" -> nodes.resolve(l);
                case "cluster" -> clusters.resolve(l);
                case "model" -> models.resolve(l);
                case "workload" -> workloads.resolve(l);
                case "plan" -> plans.resolve(l);
                case "search" -> searches.resolve(l);
                case "efficiency" -> efficiencies.resolve(l);
                default -> null;
            };
            if (d.from() != null && !d.kind().text().equals("model")) {
                diags.add(Diagnostic.of(Codes.TYPE_MISMATCH, d.from().loc().span(), "only models can be imported `from` a file")
                        .help("remove the `from` clause").build());
            }
        } finally {
            resolving.remove(d);
        }
        memo.put(d, r);
        return r;
    }

    @SuppressWarnings("unchecked")
    <T> T ref(Module m, String kind, Name n, Class<T> type) {
        Located l = lookup(m, kind, n);
        if (l == null) return null;
        Object o = resolve(l);
        return type.isInstance(o) ? (T) o : null;
    }

    static String what(Decl d) {
        return d.kind().text() + " `" + d.name().text() + "`";
    }

    // ---------------------------------------------------------------- shared by the kinds

    /** Parses `<count> x <Name>`. */
    Object[] countTimes(Entry e, String key, Schema.Bound bound, String example) {
        if (e.values().size() == 1) {
            List<Value> it = e.values().get(0).items();
            if (it.size() == 3 && it.get(1) instanceof Times && it.get(2) instanceof Name n) {
                Long c = new Fields(key, e.span(), null, Set.of(), diags).integer(it.get(0), key, bound);
                if (c == null) return null;
                return new Object[]{c.intValue(), n};
            }
        }
        diags.add(Diagnostic.of(Codes.TYPE_MISMATCH, e.span(), "`" + key + "` expects `<count> x <name>`")
                .help("write e.g. `" + example + "`").build());
        return null;
    }

    /** Data files (config.json, CSV) read while resolving each module's declarations, by module id. */
    private final Map<String, Set<String>> dataFiles = new TreeMap<>();

    void noteDataFile(Module m, Path file) {
        if (m == null || !file.startsWith(loader.root())) return;
        dataFiles.computeIfAbsent(m.id(), k -> new TreeSet<>()).add(loader.idOf(file));
    }

    /** The data files read for declarations of module {@code id} (empty when none). */
    public Set<String> dataFiles(String id) {
        return dataFiles.getOrDefault(id, Set.of());
    }

    private List<EfficiencyProfile> stdEfficiencies;

    /** std:efficiency's profiles, loaded on first use (plans need them whether or not they import it). */
    List<EfficiencyProfile> stdEfficiencies(Span from) {
        if (stdEfficiencies != null) return stdEfficiencies;
        Module std = loader.loadStd("efficiency", from);
        List<EfficiencyProfile> out = new ArrayList<>();
        if (std != null) {
            for (Decl d : std.ast().decls()) {
                if (!d.kind().text().equals("efficiency")) continue;
                if (resolve(new Located(d, std)) instanceof EfficiencyProfile p) out.add(p);
            }
        }
        stdEfficiencies = List.copyOf(out);
        return stdEfficiencies;
    }

    Loader loader() {
        return loader;
    }
}
