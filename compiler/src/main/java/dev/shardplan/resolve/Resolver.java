package dev.shardplan.resolve;

import dev.shardplan.ast.Nodes.*;
import dev.shardplan.diag.Codes;
import dev.shardplan.diag.Diagnostic;
import dev.shardplan.diag.Fix;
import dev.shardplan.diag.Diagnostics;
import dev.shardplan.diag.Span;
import dev.shardplan.model.*;
import dev.shardplan.units.Dimension;

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

    private final ModelResolver models;

    public Resolver(Loader loader, Diagnostics diags) {
        this.loader = loader;
        this.diags = diags;
        this.models = new ModelResolver(loader, diags, this::noteDataFile);
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
                case "gpu" -> gpu(l);
                case "node" -> node(l);
                case "cluster" -> cluster(l);
                case "model" -> models.resolve(l);
                case "workload" -> workload(l);
                case "plan" -> plan(l);
                case "search" -> search(l);
                case "efficiency" -> efficiency(l);
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
    private <T> T ref(Module m, String kind, Name n, Class<T> type) {
        Located l = lookup(m, kind, n);
        if (l == null) return null;
        Object o = resolve(l);
        return type.isInstance(o) ? (T) o : null;
    }

    private static String what(Decl d) {
        return d.kind().text() + " `" + d.name().text() + "`";
    }

    // ---------------------------------------------------------------- gpu

    static final Set<String> GPU_FIELDS = Set.of("vendor", "memory", "nvidia_smi_memory", "device_name",
            "compute_capability", "hbm_bandwidth", "flops", "link_bandwidth", "pcie_bandwidth");
    static final Set<String> FLOPS_FIELDS = Set.of("bf16", "fp16", "fp8", "fp4", "int8", "fp32", "int4");

    private Gpu gpu(Located l) {
        Decl d = l.decl();
        Fields f = new Fields(what(d), d.name().span(), d.body(), GPU_FIELDS, diags);
        String vendor = f.word("vendor", Set.of("nvidia", "amd", "intel"), false, "vendor nvidia");
        Double mem = f.quantity("memory", Dimension.BYTES, 1e9, 1e13, true, "memory 79.19 GiB");
        Double smi = f.quantity("nvidia_smi_memory", Dimension.BYTES, 1e9, 1e13, false, "nvidia_smi_memory 81559 MiB");
        String device = f.string("device_name", false, "device_name \"NVIDIA H100 80GB HBM3\"");
        Double cc = f.number("compute_capability", 3.0, 20.0, false, "compute_capability 9.0");
        Double bw = f.quantity("hbm_bandwidth", Dimension.BANDWIDTH, 1e10, 1e14, true, "hbm_bandwidth 3.35 TB/s");
        Double link = f.quantity("link_bandwidth", Dimension.BANDWIDTH, 0, 1e13, false, "link_bandwidth 450 GB/s");
        Double pcie = f.quantity("pcie_bandwidth", Dimension.BANDWIDTH, 1e9, 1e12, false, "pcie_bandwidth 64 GB/s");
        Map<DType, Double> flops = new EnumMap<>(DType.class);
        Entry fe = f.require("flops", "flops { bf16 989 TFLOPS }");
        if (fe != null) {
            if (fe.body() == null) {
                diags.add(Diagnostic.of(Codes.TYPE_MISMATCH, fe.span(), "`flops` takes a block of dense FLOPS per dtype")
                        .help("write `flops { bf16 989 TFLOPS; fp8 1979 TFLOPS }`").build());
            } else {
                Fields ff = new Fields("flops of " + what(d), fe.span(), fe.body(), FLOPS_FIELDS, diags);
                for (String k : new TreeSet<>(FLOPS_FIELDS)) {
                    Double v = ff.quantity(k, Dimension.FLOPS, 1e9, 1e18, false, k + " 989 TFLOPS");
                    if (v != null) flops.put(DType.parse(k), v);
                }
                if (!flops.containsKey(DType.BF16) && !flops.containsKey(DType.FP16)) {
                    diags.add(Diagnostic.of(Codes.MISSING_FIELD, fe.span(), "`flops` of " + what(d) + " needs at least bf16 or fp16")
                            .help("add `bf16 <n> TFLOPS`").build());
                }
            }
        }
        if (mem == null || bw == null) return null;
        long total = (long) (double) mem;
        return new Gpu(d.name().text(), vendor == null ? "nvidia" : vendor, total, smi == null ? total : (long) (double) smi, bw, flops,
                link == null ? 0 : link, pcie == null ? 32e9 : pcie, device, cc == null ? 0 : cc, d.name().span());
    }

    // ---------------------------------------------------------------- node

    static final Set<String> NODE_FIELDS = Set.of("gpus", "fabric", "scale_up_bandwidth", "nics", "pcie_bandwidth");
    private static final Set<String> FABRICS = Set.of("nvswitch", "nvlink_island", "xgmi_mesh", "pcie");

    private NodeType node(Located l) {
        Decl d = l.decl();
        Module m = l.module();
        Fields f = new Fields(what(d), d.name().span(), d.body(), NODE_FIELDS, diags);
        Entry ge = f.require("gpus", "gpus 8 x H100_SXM");
        Integer count = null;
        Gpu gpu = null;
        if (ge != null) {
            Object[] cg = countTimes(ge, "gpus", Schema.NODE_GPUS, "gpus 8 x H100_SXM");
            if (cg != null) {
                count = (Integer) cg[0];
                gpu = ref(m, "gpu", (Name) cg[1], Gpu.class);
            }
        }
        Fabric fabric = Fabric.NVSWITCH;
        int island = 0;
        Entry fab = f.require("fabric", "fabric nvswitch");
        if (fab != null && !fab.values().isEmpty()) {
            Seq s = fab.values().get(0);
            String w = f.word(s.items().get(0), "fabric", FABRICS);
            if (w != null) fabric = Fabric.valueOf(w.toUpperCase(Locale.ROOT));
            if (fabric == Fabric.NVLINK_ISLAND) {
                if (s.items().size() == 2) {
                    Long isl = f.integer(s.items().get(1), "fabric nvlink_island", Schema.ISLAND);
                    island = isl == null ? 0 : isl.intValue();
                } else {
                    diags.add(Diagnostic.of(Codes.MISSING_FIELD, fab.span(), "`fabric nvlink_island` needs the island size")
                            .help("write `fabric nvlink_island 2` for NVLink-bridged pairs").build());
                }
            } else if (s.items().size() > 1) {
                diags.add(Diagnostic.of(Codes.TYPE_MISMATCH, s.items().get(1).span(), "`fabric " + fabric.id() + "` takes no size")
                        .help("remove it").build());
            }
        } else if (fab != null) {
            f.word("fabric", FABRICS, true, "fabric nvswitch");
        }
        Double sub = f.quantity("scale_up_bandwidth", Dimension.BANDWIDTH, 0, 1e13, false, "scale_up_bandwidth 450 GB/s");
        Double pcie = f.quantity("pcie_bandwidth", Dimension.BANDWIDTH, 1e9, 1e12, false, "pcie_bandwidth 64 GB/s");
        int nics = 0;
        double nicBw = 0;
        Entry ne = f.entry("nics");
        if (ne != null) {
            // nics 8 x 400 Gb/s
            f.noBody(ne);
            List<Value> it = ne.values().isEmpty() ? List.of() : ne.values().get(0).items();
            if (ne.values().size() == 1 && it.size() == 3 && it.get(1) instanceof Times) {
                Long n = f.integer(it.get(0), "nics", Schema.NICS);
                Double b = f.quantity(it.get(2), "nics", Dimension.BANDWIDTH, 1e8, 1e13);
                if (n != null && b != null) {
                    nics = n.intValue();
                    nicBw = b;
                }
            } else {
                diags.add(Diagnostic.of(Codes.TYPE_MISMATCH, ne.span(), "`nics` expects `<count> x <bandwidth>`")
                        .help("write e.g. `nics 8 x 400 Gb/s`").build());
            }
        }
        if (gpu == null || count == null) return null;
        if (fabric == Fabric.NVLINK_ISLAND && island > 0 && count % island != 0) {
            diags.add(Diagnostic.of(Codes.OUT_OF_RANGE, fab.span(), "NVLink islands of " + island + " do not divide " + count + " GPUs")
                    .help("use an island size that divides the GPU count").build());
        }
        double scaleUp = sub != null ? sub : (fabric == Fabric.PCIE ? 0 : gpu.linkBandwidth());
        return new NodeType(d.name().text(), gpu, count, fabric, fabric == Fabric.NVLINK_ISLAND ? island : (fabric == Fabric.PCIE ? 1 : count),
                scaleUp, nics, nicBw, pcie != null ? pcie : gpu.pcieBandwidth(), d.name().span());
    }

    /** Parses `<count> x <Name>`. */
    private Object[] countTimes(Entry e, String key, Schema.Bound bound, String example) {
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

    // ---------------------------------------------------------------- cluster

    static final Set<String> CLUSTER_FIELDS = Set.of("nodes", "domain_nodes", "network", "scale_up_latency", "network_latency");

    private Cluster cluster(Located l) {
        Decl d = l.decl();
        Module m = l.module();
        Fields f = new Fields(what(d), d.name().span(), d.body(), CLUSTER_FIELDS, diags);
        Entry ne = f.require("nodes", "nodes 2 x HGX_H100");
        Integer count = null;
        NodeType node = null;
        if (ne != null) {
            Object[] cn = countTimes(ne, "nodes", Schema.NODES, "nodes 2 x HGX_H100");
            if (cn != null) {
                count = (Integer) cn[0];
                node = ref(m, "node", (Name) cn[1], NodeType.class);
            }
        }
        Long domain = f.integer("domain_nodes", Schema.DOMAIN_NODES, false, "domain_nodes 18");
        String network = f.word("network", Set.of("infiniband", "roce", "ethernet", "none"), false, "network infiniband");
        Double sul = f.quantity("scale_up_latency", Dimension.TIME, 0, 1, false, "scale_up_latency 2 us");
        Double nl = f.quantity("network_latency", Dimension.TIME, 0, 1, false, "network_latency 5 us");
        if (node == null || count == null) return null;
        if (domain != null && count % domain != 0) {
            diags.add(Diagnostic.of(Codes.OUT_OF_RANGE, f.span("domain_nodes"), "domains of " + domain + " nodes do not divide " + count + " nodes")
                    .help("make `nodes` a multiple of `domain_nodes`").build());
        }
        if (count > 1 && node.nics() == 0 && (domain == null || domain < count)) {
            diags.add(Diagnostic.of(Codes.MISSING_FIELD, f.span("nodes"), "a multi-node cluster needs network interfaces, but node `" + node.name() + "` has no `nics`")
                    .help("add `nics <n> x <bandwidth>` to node `" + node.name() + "`").build());
        }
        // Latencies: NVLink/NVSwitch hop ~1-2 us per collective step, InfiniBand ~5 us end to end
        // (the same order GenZ uses: 5 us launch + per-link latency); overridable per cluster.
        return new Cluster(d.name().text(), node, count, domain == null ? 1 : domain.intValue(),
                network == null ? (count > 1 ? "infiniband" : "none") : network,
                sul == null ? 2e-6 : sul, nl == null ? 5e-6 : nl, d.name().span());
    }

    // ---------------------------------------------------------------- workload

    static final Set<String> WORKLOAD_FIELDS = Set.of("requests", "arrival", "concurrency", "prompt", "output", "max_length",
            "prefix", "sampling");

    private Workload workload(Located l) {
        Decl d = l.decl();
        current = l.module();
        Fields f = new Fields(what(d), d.name().span(), d.body(), WORKLOAD_FIELDS, diags);
        Long requests = f.integer("requests", Schema.REQUESTS, true, "requests 2000");
        double rate = 0;
        Entry ar = f.entry("arrival");
        if (ar != null) {
            Value v = f.single(ar);
            if (v instanceof Name n) {
                if (!n.text().equals("offline")) {
                    diags.add(Diagnostic.of(Codes.BAD_ENUM, n.span(), "`arrival` is `offline` or a rate, found `" + n.text() + "`")
                            .help("write `arrival offline` or `arrival 4 req/s`").build());
                }
            } else if (v != null) {
                Double r = f.quantity(v, "arrival", Dimension.RATE, 1e-6, 1e7);
                if (r != null) rate = r;
            }
        }
        Long conc = f.integer("concurrency", Schema.CONCURRENCY, false, "concurrency 256");
        Path base = l.module().path() == null ? null : l.module().path().getParent();
        LengthDist prompt = dist(f, "prompt", base);
        LengthDist output = dist(f, "output", base);
        Double max = f.quantity("max_length", Dimension.TOKENS, 2, Schema.LENGTH.max(), true, "max_length 32k tokens");
        Double prefix = f.quantity("prefix", Dimension.TOKENS, 0, Schema.LENGTH.max(), false, "prefix 2000 tokens");
        String sampling = f.word("sampling", Set.of("greedy", "top_p"), false, "sampling top_p");
        if (requests == null || prompt == null || output == null || max == null) return null;
        return new Workload(d.name().text(), requests, rate, conc == null ? 0 : conc.intValue(), prompt, output,
                (long) (double) max, prefix == null ? 0 : (long) (double) prefix,
                sampling == null ? Workload.Sampling.GREEDY : Workload.Sampling.valueOf(sampling.toUpperCase(java.util.Locale.ROOT)),
                d.name().span());
    }

    private LengthDist dist(Fields f, String key, Path base) {
        Entry e = f.require(key, key + " lognormal(median 100, p95 400) tokens");
        if (e == null) return null;
        f.noBody(e);
        Value v = f.single(e);
        if (v == null) return null;
        if (v instanceof Quantity q) {
            Double t = f.quantity(q, q.unit(), key, Dimension.TOKENS, Schema.LENGTH);
            return t == null ? null : new LengthDist.Fixed((long) (double) t);
        }
        if (!(v instanceof Call c)) {
            f.typeError(v, key, "a length distribution such as `lognormal(median 100, p95 400) tokens`");
            return null;
        }
        if (base != null && c.name().text().equals("empirical")) {
            for (Arg a : c.args()) if (a.value() instanceof Str str) noteDataFile(current, base.resolve(str.value()).toAbsolutePath().normalize());
        }
        Path modulePath = current == null ? null : current.path();
        return Distributions.build(c, key, base, file -> loader.dataFileRefusal(modulePath, file), diags);
    }

    /** Data files (config.json, CSV) read while resolving each module's declarations, by module id. */
    private final Map<String, Set<String>> dataFiles = new TreeMap<>();
    private Module current;

    private void noteDataFile(Module m, Path file) {
        if (m == null || !file.startsWith(loader.root())) return;
        dataFiles.computeIfAbsent(m.id(), k -> new TreeSet<>()).add(loader.idOf(file));
    }

    /** The data files read for declarations of module {@code id} (empty when none). */
    public Set<String> dataFiles(String id) {
        return dataFiles.getOrDefault(id, Set.of());
    }

    // ---------------------------------------------------------------- plan

    static final Set<String> PLAN_FIELDS = Set.of("model", "cluster", "workload", "parallel", "engine", "slo", "emit", "deploy", "tuning", "efficiency",
            Allows.KEY, Pools.KV_TRANSFER);
    static final Set<String> PARALLEL_FIELDS = Set.of("dp", "tp", "pp", "ep", "dp_attention", "layer_split", "placement");

    private Plan plan(Located l) {
        Decl d = l.decl();
        Module m = l.module();
        Allows.Read allowed = Allows.read(what(d), d.body(), diags);
        Pools.Split pools = Pools.split(allowed.rest());
        Fields f = new Fields(what(d), d.name().span(), pools.rest(), PLAN_FIELDS, diags);
        Map<String, Span> spans = new HashMap<>();
        Model model = ref(m, "model", f.name("model", true, "model llama_3_1_8b"), Model.class);
        Cluster cluster = ref(m, "cluster", f.name("cluster", true, "cluster my_cluster"), Cluster.class);
        Workload workload = ref(m, "workload", f.name("workload", true, "workload my_workload"), Workload.class);
        for (String k : List.of("model", "cluster", "workload", "parallel", "engine", "slo", "emit", "deploy")) {
            if (f.has(k)) spans.put(k, f.span(k));
        }
        Parallel parallel = pools.pools().isEmpty() ? parallel(f, spans) : null;
        EngineBlock engine = Engines.engine(f, spans, diags, true);
        Disaggregation disagg = Pools.read(what(d), d.name().span(), pools.pools(), f, engine, diags, (pf, ps) -> {
            if (pf.has("parallel")) ps.put("parallel", pf.span("parallel"));
            return parallel(pf, ps);
        });
        if (disagg != null) {
            // The plan-wide layout and engine are the decode pool's (see Plan).
            parallel = disagg.decode().parallel();
            engine = disagg.decode().engine();
        }
        List<Slo> slos = Slos.slos(f, diags);
        Set<Target> emit = targets(f);
        Deploy deploy = Deployments.deploy(f, spans, model, diags);
        Map<String, Double> tuning = Engines.tuning(f, diags);
        Name effName = f.name("efficiency", false, "efficiency my_profile");
        EfficiencyProfile eff = effName == null ? null : ref(m, "efficiency", effName, EfficiencyProfile.class);
        if (effName != null) spans.put("efficiency", f.span("efficiency"));
        if (model == null || cluster == null || workload == null || parallel == null || engine == null || deploy == null) return null;
        if (effName != null && eff == null) return null;
        if (!pools.pools().isEmpty() && disagg == null) return null;
        String gpu = cluster.gpu().name();
        if (eff != null) {
            if (eff.engine() != engine.kind()) {
                diags.add(Diagnostic.of(Codes.TYPE_MISMATCH, effName.span(), "efficiency `" + eff.name() + "` is for " + eff.engine().id()
                                + ", but the plan's engine is " + engine.kind().id())
                        .label(eff.span(), "declared here")
                        .help("name a profile with `engine " + engine.kind().id() + "`, or remove the field to use std:efficiency's").build());
                return null;
            }
            if (!eff.appliesTo(gpu)) {
                diags.add(Diagnostic.of(Codes.TYPE_MISMATCH, effName.span(), "efficiency `" + eff.name() + "` is for "
                                + String.join(", ", eff.gpus()) + ", but the cluster's GPU is " + gpu)
                        .label(eff.span(), "declared here")
                        .help("add " + gpu + " to its `gpus`, or name a profile for " + gpu).build());
                return null;
            }
        } else {
            eff = EfficiencyProfile.select(stdEfficiencies(d.name().span()), gpu, engine.kind());
        }
        return new Plan(d.name().text(), l.module().id(), model, cluster, workload, parallel, engine, slos, emit, deploy,
                tuning, eff, spans, d.name().span(), allowed.allows(), disagg);
    }

    private Parallel parallel(Fields f, Map<String, Span> spans) {
        Entry pe = f.require("parallel", "parallel { tp 8 }");
        if (pe == null) return null;
        if (pe.body() == null) {
            diags.add(Diagnostic.of(Codes.TYPE_MISMATCH, pe.span(), "`parallel` takes a block of degrees")
                    .help("write `parallel { dp 4; tp 2 }`").build());
            return null;
        }
        Fields pf = new Fields("parallel", pe.span(), pe.body(), PARALLEL_FIELDS, diags);
        for (String k : PARALLEL_FIELDS) if (pf.has(k)) spans.put("parallel." + k, pf.span(k));
        Long dp = pf.integer("dp", Schema.DEGREE, false, "dp 1");
        Long tp = pf.integer("tp", Schema.DEGREE, false, "tp 1");
        Long pp = pf.integer("pp", Schema.DEGREE, false, "pp 1");
        Long ep = pf.integer("ep", Schema.DEGREE, false, "ep 1");
        Boolean dpa = pf.bool("dp_attention", false);
        List<Integer> split = pf.integers("layer_split", Schema.LAYER_SPLIT.minLong(), Schema.LAYER_SPLIT.maxLong());
        List<Integer> placement = pf.integers("placement", Schema.PLACEMENT_GPU.minLong(), Schema.PLACEMENT_GPU.maxLong());
        if (pf.has("layer_split") && split.size() != (pp == null ? 1 : pp)) {
            diags.add(Diagnostic.of(Codes.OUT_OF_RANGE, pf.span("layer_split"), "`layer_split` has " + split.size() + " stages but pp is " + (pp == null ? 1 : pp))
                    .help("give one layer count per pipeline stage").build());
            return null;
        }
        long world = (dp == null ? 1 : dp) * (tp == null ? 1 : tp) * (pp == null ? 1 : pp);
        if (world > Schema.RANKS.max()) {
            diags.add(Diagnostic.of(Codes.OUT_OF_RANGE, pe.span(), "dp x tp x pp = " + world + " ranks, over the limit of "
                            + Schema.RANKS.maxLong())
                    .note("each rank is one GPU; no inference deployment is this large")
                    .help("lower dp, tp or pp").build());
            return null;
        }
        return new Parallel(dp == null ? 1 : dp.intValue(), tp == null ? 1 : tp.intValue(), pp == null ? 1 : pp.intValue(),
                ep == null ? 1 : ep.intValue(), Boolean.TRUE.equals(dpa), split, placement);
    }

    private Set<Target> targets(Fields f) {
        Set<Target> out = EnumSet.noneOf(Target.class);
        Set<String> ids = new TreeSet<>();
        for (Target t : Target.values()) ids.add(t.id());
        for (Name n : f.names("emit")) {
            String w = f.word(n, "emit", ids);
            if (w != null) out.add(Target.parse(w));
        }
        return out;
    }

    // ---------------------------------------------------------------- efficiency

    static final Set<String> EFFICIENCY_FIELDS;

    static {
        Set<String> s = new HashSet<>(EfficiencyProfile.KEYS);
        s.add("engine");
        s.add("gpus");
        EFFICIENCY_FIELDS = Set.copyOf(s);
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

    private EfficiencyProfile efficiency(Located l) {
        Decl d = l.decl();
        Module m = l.module();
        Fields f = new Fields(what(d), d.name().span(), d.body(), EFFICIENCY_FIELDS, diags);
        String engine = f.word("engine", Set.of("vllm", "sglang", "trtllm"), true, "engine vllm");
        List<String> gpus = new ArrayList<>();
        boolean ok = engine != null;
        for (Name n : f.names("gpus")) {
            Gpu g = ref(m, "gpu", n, Gpu.class);
            if (g == null) ok = false;
            else if (!gpus.contains(g.name())) gpus.add(g.name());
        }
        Map<String, Double> values = new LinkedHashMap<>();
        for (String k : EfficiencyProfile.KEYS) {
            Double v = f.number(k, Schema.TUNING.get(k), true, k + (k.endsWith("_efficiency") ? " 0.7" : " 10"));
            if (v == null) ok = false;
            else values.put(k, v);
        }
        if (!ok) return null;
        return new EfficiencyProfile(d.name().text(), EngineKind.valueOf(engine.toUpperCase(Locale.ROOT)), gpus, values, d.name().span());
    }

    // ---------------------------------------------------------------- search

    static final Set<String> SEARCH_FIELDS = Set.of("model", "cluster", "workload", "engine", "slo", "objective", "explore", "deploy", "tuning",
            Allows.KEY);
    static final Set<String> EXPLORE_FIELDS = Set.of("dp", "tp", "pp", "ep", "max_num_seqs", "max_num_batched_tokens", "kv_dtype",
            "dp_attention");

    private Search search(Located l) {
        Decl d = l.decl();
        Module m = l.module();
        Allows.Read allowed = Allows.read(what(d), d.body(), diags);
        Fields f = new Fields(what(d), d.name().span(), allowed.rest(), SEARCH_FIELDS, diags);
        Map<String, Span> spans = new HashMap<>();
        Model model = ref(m, "model", f.name("model", true, "model llama_3_1_8b"), Model.class);
        Cluster cluster = ref(m, "cluster", f.name("cluster", true, "cluster my_cluster"), Cluster.class);
        Workload workload = ref(m, "workload", f.name("workload", true, "workload my_workload"), Workload.class);
        EngineBlock engine = Engines.engine(f, spans, diags, false);
        List<Slo> slos = Slos.slos(f, diags);
        String objective = f.word("objective", Set.of("throughput", "throughput_per_gpu", "latency"), false, "objective throughput");
        Map<String, List<String>> explore = new TreeMap<>();
        Entry ex = f.entry("explore");
        if (ex != null && ex.body() != null) {
            Fields ef = new Fields("explore", ex.span(), ex.body(), EXPLORE_FIELDS, diags);
            for (String k : new TreeSet<>(EXPLORE_FIELDS)) {
                Entry e = ef.entry(k);
                if (e == null) continue;
                List<String> vals = new ArrayList<>();
                for (Seq s : e.values()) {
                    for (Value v : s.items()) {
                        if (k.equals("kv_dtype")) {
                            String w = ef.word(v, k, Set.of("bf16", "fp16", "fp8"));
                            if (w != null) vals.add(w);
                        } else if (k.equals("dp_attention")) {
                            String w = ef.word(v, k, Set.of("true", "false"));
                            if (w != null) vals.add(w);
                        } else {
                            Long n = k.equals("max_num_seqs") ? ef.integer(v, k, 1, 1_000_000)
                                    : k.equals("max_num_batched_tokens") ? ef.integer(v, k, 1, 1_000_000_000)
                                    : ef.integer(v, k, Schema.DEGREE);
                            if (n != null) vals.add(String.valueOf(n));
                        }
                    }
                }
                explore.put(k, vals);
            }
        }
        Deploy deploy = Deployments.deploy(f, spans, model, diags);
        Map<String, Double> tuning = Engines.tuning(f, diags);
        if (model == null || cluster == null || workload == null || engine == null || deploy == null && f.has("deploy")) return null;
        return new Search(d.name().text(), l.module().id(), model, cluster, workload, engine, slos,
                objective == null ? "throughput" : objective, explore, deploy, tuning, spans, d.name().span(), allowed.allows());
    }
}
