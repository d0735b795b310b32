package dev.shardplan.emit;

import dev.shardplan.model.PlanPaths;
import dev.shardplan.diag.Version;
import dev.shardplan.diag.Codes;
import dev.shardplan.diag.Diagnostic;
import dev.shardplan.diag.Diagnostics;
import dev.shardplan.model.Target;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The emit stage: checks each plan against the launchers its targets use, renders plan.json and
 * the requested targets, and writes them through {@link OutputWriter} into {@code OUT/<plan>/}.
 * Nothing is written when any plan has an error.
 */
public final class Emit {

    /**
     * What a compile produced: the files written (sorted; empty on error), every diagnostic,
     * sorted, and those of each plan's own checks by plan name (for the plan's suppressions).
     */
    public record Result(List<Path> written, List<Diagnostic> diagnostics, Map<String, List<Diagnostic>> byPlan) {
        public Result {
            written = List.copyOf(written);
            diagnostics = List.copyOf(diagnostics);
            byPlan = Map.copyOf(byPlan);
        }

        public boolean ok() {
            return diagnostics.stream().noneMatch(Diagnostic::isError);
        }
    }

    /** Rendered files per plan (plan name → files), before writing, with the diagnostics of checking them (also by plan). */
    public record Rendered(Map<String, List<OutputFile>> plans, List<Diagnostic> diagnostics, Map<String, List<Diagnostic>> byPlan) {
        public boolean ok() {
            return diagnostics.stream().noneMatch(Diagnostic::isError);
        }
    }

    /** The targets whose emitters launch pools ({@link Emitter#launchesPools}), for the refusal of the others. */
    static final String POOL_TARGETS = "vllm, sglang, trtllm and kubernetes";

    private final Map<Target, Emitter> emitters;

    /** An emit stage with the given emitters (one per target; later emitters replace earlier ones). */
    public Emit(Collection<? extends Emitter> emitters) {
        Map<Target, Emitter> m = new EnumMap<>(Target.class);
        for (Emitter e : emitters) m.put(e.target(), e);
        this.emitters = Map.copyOf(m);
    }

    /** The emitters: vllm, sglang, trtllm, kubernetes, slurm, the runtime shim and the HTML report. */
    public static Emit standard() {
        return new Emit(List.of(new VllmEmitter(), new SglangEmitter(), new TrtllmEmitter(), new KubernetesEmitter(),
                new SlurmEmitter(), new ShimEmitter(), new ReportEmitter()));
    }

    /** Compiles with the standard emitters: see {@link #run}. */
    public static Result compile(List<EmitInput> inputs, Path out, Set<Target> targets) {
        return standard().run(inputs, out, targets);
    }

    /** The targets this stage can emit. */
    public Set<Target> supported() {
        return emitters.keySet();
    }

    /**
     * Checks and renders every plan, then writes them under {@code out}. {@code targets} overrides
     * each plan's own {@code emit} list when not empty; plan.json is always written; targets
     * are those of {@link #standard()} or the emitters given.
     */
    public Result run(List<EmitInput> inputs, Path out, Set<Target> targets) {
        Rendered r = render(inputs, targets);
        if (!r.ok()) return new Result(List.of(), r.diagnostics(), r.byPlan());
        List<Diagnostic> diags = new ArrayList<>(r.diagnostics());
        try {
            // Plans that emit the shim reference one archive beside them instead of each carrying the
            // sources; it is replaced in the same transaction as the plans that name it.
            boolean shim = r.plans().values().stream().anyMatch(fs -> fs.stream().anyMatch(f -> f.path().startsWith("shim/")));
            Map<String, byte[]> shared = shim ? Map.of(ShimArchive.fileName(), ShimArchive.get().bytes()) : Map.of();
            List<Path> written = OutputWriter.write(out, r.plans(), shared);
            return new Result(written, Diagnostics.sort(diags), r.byPlan());
        } catch (OutputWriter.OutsideException e) {
            diags.add(Diagnostic.of(EmitCodes.OUTPUT_OUTSIDE, null, "output: " + e.getMessage())
                    .help("plan names and generated paths must be plain file names").build());
        } catch (OutputWriter.EncodingException e) {
            diags.add(Diagnostic.of(EmitCodes.OUTPUT_FAILED, null, "output: " + e.getMessage())
                    .note("nothing was replaced; the previous output is intact")
                    .help("remove the unpaired surrogate (a lone \\uD800-\\uDFFF escape) from the plan's strings").build());
        } catch (IOException | RuntimeException e) {
            diags.add(Diagnostic.of(EmitCodes.OUTPUT_FAILED, null, "output: cannot write " + out + ": " + e)
                    .note("nothing was replaced; the previous output is intact")
                    .help("check that the output folder is writable and has free space").build());
        }
        return new Result(List.of(), Diagnostics.sort(diags), r.byPlan());
    }

    /** Checks and renders without touching the disk (used by {@link #run}, tests and benchmarks). */
    public Rendered render(List<EmitInput> inputs, Set<Target> targets) {
        Diagnostics diags = new Diagnostics();
        Map<String, List<OutputFile>> plans = new TreeMap<>();
        Map<String, List<Diagnostic>> byPlan = new TreeMap<>();
        Set<String> names = new HashSet<>();
        for (EmitInput in : inputs) {
            String name = in.plan().name();
            if (!names.add(name)) {
                diags.add(Diagnostic.of(EmitCodes.OUTPUT_OUTSIDE, in.plan().span(),
                                "output: two plans are named `" + name + "`; both would write " + name + "/")
                        .help("give each plan its own name").build());
                continue;
            }
            List<Emitter> chosen = chosen(in, targets);
            List<Diagnostic> found = check(in, chosen);
            diags.addAll(found);
            byPlan.put(name, found);
            if (found.stream().anyMatch(Diagnostic::isError)) continue;
            try {
                boolean shim = chosen.stream().anyMatch(e -> e.target() == Target.SHIM);
                Set<dev.shardplan.model.EngineKind> foreign = java.util.EnumSet.noneOf(dev.shardplan.model.EngineKind.class);
                for (Emitter e : chosen) {
                    dev.shardplan.model.EngineKind k = engineOf(e.target());
                    if (k != null && k != in.engine().kind()) foreign.add(k);
                }
                List<OutputFile> files = new ArrayList<>(PlanJsonEmitter.emit(in, shim, foreign));
                for (Emitter e : chosen) files.addAll(e.emit(in));
                plans.put(name, files);
            } catch (Templates.MissingValueException e) {
                diags.add(Diagnostic.of(EmitCodes.TEMPLATE_ERROR, in.plan().span(), "output: " + e.getMessage())
                        .help("this is a bug in shardplan; please report it").build());
            } catch (RuntimeException e) {
                diags.add(Diagnostic.of(Codes.INTERNAL, in.plan().span(),
                                "internal error while emitting plan `" + name + "`: " + e)
                        .note("shardplan " + Version.VERSION)
                        .help("this is a bug in shardplan; please report it with the plan").build());
            }
        }
        return new Rendered(plans, diags.sorted(), byPlan);
    }

    /** The engine a launch-script target starts (null for targets that run the plan's own engine or none). */
    static dev.shardplan.model.EngineKind engineOf(Target t) {
        return switch (t) {
            case VLLM -> dev.shardplan.model.EngineKind.VLLM;
            case SGLANG -> dev.shardplan.model.EngineKind.SGLANG;
            case TRTLLM -> dev.shardplan.model.EngineKind.TRTLLM;
            default -> null;
        };
    }

    private List<Emitter> chosen(EmitInput in, Set<Target> targets) {
        Set<Target> want = targets == null || targets.isEmpty() ? in.plan().emit() : targets;
        List<Emitter> out = new ArrayList<>();
        for (Target t : Target.values()) if (want.contains(t) && emitters.containsKey(t)) out.add(emitters.get(t));
        return out;
    }

    /**
     * The launcher rules of the targets a plan emits (or {@code targets} when not empty), without
     * rendering anything: {@code check} runs them so that a plan it passes also compiles.
     */
    public List<Diagnostic> checkTargets(EmitInput in, Set<Target> targets) {
        return check(in, chosen(in, targets));
    }

    /** Targets whose launch loads the model's weights, and so needs a path or a Hugging Face id. */
    private static final Set<Target> LOADS_WEIGHTS = java.util.EnumSet.of(Target.VLLM, Target.SGLANG, Target.TRTLLM, Target.KUBERNETES, Target.SLURM);

    /**
     * A model without a loadable path: its DSL name would reach `vllm serve` as if it were a
     * Hugging Face id, and the server would fail at start-up looking for it.
     */
    private static Diagnostic modelPath(EmitInput in, List<Emitter> chosen) {
        if (in.deployment().loadable()) return null;
        List<String> targets = new ArrayList<>();
        for (Emitter e : chosen) if (LOADS_WEIGHTS.contains(e.target())) targets.add(e.target().id());
        if (targets.isEmpty()) return null;
        String m = in.plan().model().name();
        return Diagnostic.of(EmitCodes.MODEL_NOT_LOADABLE, in.plan().spanOf(PlanPaths.MODEL),
                        "model `" + m + "` has no path the engines can load (" + String.join(", ", targets) + (targets.size() == 1 ? " loads" : " load") + " its weights)")
                .note("the model declares no `hf_id` and the plan's deploy block no `model_path`; `" + m + "` is a name in the plan, not a checkpoint")
                .help("add `hf_id \"org/name\"` to model " + m + " (its Hugging Face repository), or set `deploy { model_path \"/models/" + m + "\" }`")
                .build();
    }

    /**
     * Serving recipes that cannot work on the plan: expert-parallel kernels and load balancing
     * without experts spread over ranks, multi-token prediction on a checkpoint without MTP layers.
     */
    static List<Diagnostic> recipes(EmitInput in) {
        List<Diagnostic> out = new ArrayList<>();
        var plan = in.plan();
        boolean ep = plan.model().isMoe() && plan.parallel().ep() > 1;
        for (var e : in.engine().fromPlan()) {
            var role = e.setting().role();
            if (role == null || !role.recipe()) continue;
            boolean on = !e.setting().off(e.value()) && !Boolean.FALSE.equals(e.value());
            if (!on) continue;
            String name = e.name();
            if ((role == dev.shardplan.engine.Role.ALL2ALL || role == dev.shardplan.engine.Role.EPLB
                    || role == dev.shardplan.engine.Role.REDUNDANT_EXPERTS) && !ep) {
                out.add(Diagnostic.of(EmitCodes.RECIPE_MISMATCH, plan.spanOf(PlanPaths.engine(name)),
                                "`" + name + "` needs expert parallelism, and " + (plan.model().isMoe() ? "the plan has ep " + Math.max(1, plan.parallel().ep())
                                        : "model " + plan.model().name() + " has no experts"))
                        .note("the all-to-all kernels and expert load balancing act on MoE layers whose experts are spread over ranks")
                        .help(plan.model().isMoe() ? "set `parallel { ep N }` with N > 1, or remove `" + name + "`" : "remove `" + name + "`").build());
            }
            if (role == dev.shardplan.engine.Role.SPEC_TOKENS && plan.model().mtpLayers() == 0) {
                out.add(Diagnostic.of(EmitCodes.RECIPE_MISMATCH, plan.spanOf(PlanPaths.engine(name)),
                                "`" + name + "` drafts with the model's MTP layers, and model " + plan.model().name() + " has none")
                        .note("multi-token prediction runs the checkpoint's own next-token layers (num_nextn_predict_layers) as the drafter")
                        .help("remove `" + name + "`, or declare `mtp_layers N` on a model whose checkpoint ships them").build());
            }
        }
        return out;
    }

    /** The checks of the chosen targets, each diagnostic once (targets sharing an engine share its rules). */
    private static List<Diagnostic> check(EmitInput in, List<Emitter> chosen) {
        Map<Diagnostic, Boolean> seen = new LinkedHashMap<>();
        for (String s : in.deployment().userStrings()) {
            if (s.indexOf('\0') >= 0) {
                seen.put(Diagnostic.of(EmitCodes.UNQUOTABLE, in.plan().spanOf(PlanPaths.DEPLOY),
                                "deploy: a string contains a NUL character")
                        .note("command-line arguments and environment values are C strings and end at NUL")
                        .help("remove the NUL (\\0) from the deploy settings").build(), true);
                return List.copyOf(seen.keySet());
            }
        }
        for (Diagnostic d : PlanJsonEmitter.check(in)) seen.put(d, true);
        Diagnostic path = modelPath(in, chosen);
        if (path != null) {
            seen.put(path, true);
            return List.copyOf(seen.keySet());
        }
        if (in.plan().disaggregated()) {
            // A launcher that knows no pools would start the decode pool on the whole cluster, which
            // is not what the plan says: only the targets that launch each pool's instances run.
            for (Emitter e : chosen) {
                // The shim runs plan.json's ranks: for a pool plan one decode instance's partition (docs/runtime.md).
                // The pool launchers check the serving recipes of each pool's instance (its engine and degrees).
                if (e.target() == Target.SHIM || e.launchesPools()) {
                    for (Diagnostic d : e.check(in)) seen.put(d, true);
                    continue;
                }
                seen.put(Diagnostic.of(EmitCodes.UNSUPPORTED, in.plan().spanOf(PlanPaths.EMIT),
                                "target `" + e.target().id() + "` cannot launch a disaggregated plan (pools) yet")
                        .note("plan `" + in.plan().name() + "` splits prefill and decode into pools; shardplan checks and predicts it "
                                + "but launches pools only with the " + POOL_TARGETS + " targets")
                        .help("remove `" + e.target().id() + "` from `emit` (or from --target) for this plan").build(), true);
            }
            return List.copyOf(seen.keySet());
        }
        for (Diagnostic d : recipes(in)) seen.put(d, true);
        for (Emitter e : chosen) for (Diagnostic d : e.check(in)) seen.put(d, true);
        return List.copyOf(seen.keySet());
    }
}
