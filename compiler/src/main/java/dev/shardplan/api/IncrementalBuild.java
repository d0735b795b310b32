package dev.shardplan.api;

import dev.shardplan.diag.Diagnostic;
import dev.shardplan.diag.Severity;
import dev.shardplan.diag.Sources;
import dev.shardplan.diag.Suppressed;
import dev.shardplan.model.Plan;

import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Runs the compiler over only those inputs whose text, or the text of a project file they import,
 * changed since the last build, as recorded in a {@link BuildCache}. Unchanged inputs are not read
 * by the compiler and their outputs are not rewritten; their warnings are shown again from the
 * cache. Outputs of plans that are gone (deleted or renamed, or whose file now has errors) are
 * deleted, and so is any other plan output in the output folder (a folder holding a plan.json)
 * that no input declares: the folder belongs to the build. Inputs with errors are never recorded,
 * so they are checked again on the next build.
 */
public final class IncrementalBuild {
    private IncrementalBuild() {}

    /**
     * What a build asks for: the project root (imports may not leave it), the input files, the
     * cache file, a fingerprint of everything besides the inputs that affects the result (compiler
     * version, targets, ...), and the output folder, whose {@code <plan>/} subfolders belong to the
     * plans, or null when nothing is written.
     */
    public record Request(Path root, List<Path> inputs, Path cacheFile, String fingerprint, Path outputDirectory) {
        public Request {
            root = root.toAbsolutePath().normalize();
            inputs = List.copyOf(inputs);
        }
    }

    /** What the compiler returned for the inputs it was given, with the findings suppressions hid. */
    public record StepResult(List<Diagnostic> diagnostics, Sources sources, Map<String, Set<String>> dependencies,
                             List<Plan> plans, List<Suppressed> suppressed) {
        public StepResult {
            suppressed = List.copyOf(suppressed);
        }

        public StepResult(List<Diagnostic> diagnostics, Sources sources, Map<String, Set<String>> dependencies, List<Plan> plans) {
            this(diagnostics, sources, dependencies, plans, List.of());
        }

        public static StepResult of(CheckResult r) {
            return new StepResult(r.diagnostics(), r.sources(), r.dependencies(), r.plans(), r.suppressed());
        }

        public static StepResult of(CompileResult r) {
            CheckResult c = r.check();
            return new StepResult(r.diagnostics(), c.sources(), c.dependencies(), c.plans(), r.suppressed());
        }
    }

    /** The compiler call: checks (or compiles into the request's output folder) the given inputs. */
    @FunctionalInterface
    public interface Step {
        StepResult run(Path root, List<Path> inputs) throws IOException;
    }

    /**
     * The outcome: inputs the compiler ran over, inputs that were up to date, inputs whose record
     * was dropped because the file is gone, plan output folders deleted, the plans the inputs now
     * declare (sorted), and every message (fresh ones first, then those repeated from the cache),
     * without repeats.
     */
    public record Outcome(List<String> compiled, List<String> upToDate, List<String> removed,
                          List<String> deletedOutputs, Set<String> plans, List<Message> messages) {
        public Outcome {
            plans = java.util.Collections.unmodifiableSortedSet(new TreeSet<>(plans));
        }

        /** Reported messages of severity {@code s}; suppressed ones do not count. */
        public long count(Severity s) {
            return messages.stream().filter(m -> m.severity() == s && !m.isSuppressed()).count();
        }

        /** Findings that suppressions hid. */
        public long suppressed() {
            return messages.stream().filter(Message::isSuppressed).count();
        }
    }

    /** Runs the build; the cache file is rewritten when anything changed. */
    public static Outcome run(Request req, Step step) throws IOException {
        BuildCache cache = BuildCache.load(req.cacheFile(), req.fingerprint());
        Map<String, Path> inputs = new TreeMap<>();
        for (Path p : req.inputs()) inputs.put(idOf(req.root(), p), p.toAbsolutePath().normalize());

        List<String> upToDate = new ArrayList<>();
        List<String> stale = new ArrayList<>();
        for (Map.Entry<String, Path> in : inputs.entrySet()) {
            BuildCache.Entry e = cache.get(in.getKey());
            if (e != null && e.digest().equals(BuildCache.digest(req.fingerprint(), req.root(), e.dependencies()))
                    && outputsPresent(req.outputDirectory(), e.plans())) {
                upToDate.add(in.getKey());
            } else {
                stale.add(in.getKey());
            }
        }
        List<String> removed = new ArrayList<>();
        Set<String> orphanPlans = new TreeSet<>();
        for (String id : cache.ids()) {
            if (!inputs.containsKey(id)) {
                removed.add(id);
                orphanPlans.addAll(cache.get(id).plans());
                cache.remove(id);
            }
        }

        List<Message> fresh = new ArrayList<>();
        Set<String> livePlans = new TreeSet<>();
        for (String id : upToDate) livePlans.addAll(cache.get(id).plans());
        if (!stale.isEmpty()) {
            List<Path> paths = stale.stream().map(inputs::get).toList();
            StepResult r = step.run(req.root(), paths);
            for (Diagnostic d : r.diagnostics()) fresh.add(Message.of(d));
            for (Suppressed s : r.suppressed()) fresh.add(Message.of(s));
            for (Plan p : r.plans()) livePlans.add(p.name());
            for (String id : stale) {
                BuildCache.Entry old = cache.get(id);
                if (old != null) orphanPlans.addAll(old.plans());
                Set<String> deps = r.dependencies().get(id);
                List<Diagnostic> own = deps == null ? List.of() : r.diagnostics().stream()
                        .filter(d -> d.span().isNone() || deps.contains(d.span().file())).toList();
                String digest = deps == null ? null : BuildCache.digest(req.fingerprint(), req.root(), deps);
                if (deps == null || digest == null || own.stream().anyMatch(Diagnostic::isError)) {
                    cache.remove(id);
                    continue;
                }
                Set<String> plans = new TreeSet<>();
                for (Plan p : r.plans()) if (id.equals(p.sourceFile())) plans.add(p.name());
                List<Message> kept = new ArrayList<>(own.stream().map(Message::of).toList());
                for (Suppressed s : r.suppressed()) {
                    Diagnostic d = s.diagnostic();
                    if (d.span().isNone() || deps.contains(d.span().file())) kept.add(Message.of(s));
                }
                cache.put(id, new BuildCache.Entry(digest, deps, plans, kept));
            }
        }

        orphanPlans.removeAll(livePlans);
        if (req.outputDirectory() != null) orphanPlans.addAll(unknownOutputs(req.outputDirectory(), livePlans));
        List<String> deleted = new ArrayList<>();
        if (req.outputDirectory() != null) {
            for (String plan : orphanPlans) {
                Path dir = planDir(req.outputDirectory(), plan);
                if (dir != null && Files.exists(dir)) {
                    deleteTree(dir);
                    deleted.add(plan);
                }
            }
        }

        // Fresh messages first, in the compiler's order; then the cached ones, each once.
        LinkedHashSet<Message> all = new LinkedHashSet<>(fresh);
        for (String id : upToDate) all.addAll(cache.get(id).messages());
        if (!stale.isEmpty() || !removed.isEmpty() || !Files.exists(req.cacheFile())) cache.save(req.cacheFile());
        return new Outcome(List.copyOf(stale), List.copyOf(upToDate), List.copyOf(removed), List.copyOf(deleted),
                livePlans, List.copyOf(all));
    }

    /**
     * Plan output folders (those holding a plan.json) that belong to no live plan: left by a build
     * whose cache is gone or was written under other parameters.
     */
    private static Set<String> unknownOutputs(Path out, Set<String> live) throws IOException {
        Set<String> found = new TreeSet<>();
        if (!Files.isDirectory(out)) return found;
        try (var s = Files.list(out)) {
            for (Path d : (Iterable<Path>) s::iterator) {
                String name = d.getFileName().toString();
                if (!live.contains(name) && Files.isDirectory(d) && Files.isRegularFile(d.resolve("plan.json"))) found.add(name);
            }
        }
        return found;
    }

    /** The id the compiler gives a file: relative to the root with '/' separators when inside it. */
    public static String idOf(Path root, Path file) {
        Path r = root.toAbsolutePath().normalize();
        Path abs = file.toAbsolutePath().normalize();
        if (abs.startsWith(r)) {
            String rel = r.relativize(abs).toString().replace('\\', '/');
            return rel.isEmpty() ? abs.getFileName().toString() : rel;
        }
        return abs.toString().replace('\\', '/');
    }

    private static boolean outputsPresent(Path out, Set<String> plans) {
        if (out == null) return true;
        for (String p : plans) {
            Path d = planDir(out, p);
            if (d == null || !Files.isDirectory(d)) return false;
        }
        return true;
    }

    /** The output folder of a plan, or null for a name that would leave the output folder. */
    private static Path planDir(Path out, String plan) {
        Path base = out.toAbsolutePath().normalize();
        Path d = base.resolve(plan).normalize();
        return d.getParent() != null && d.getParent().equals(base) ? d : null;
    }

    private static void deleteTree(Path dir) throws IOException {
        Files.walkFileTree(dir, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                Files.delete(file);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path d, IOException exc) throws IOException {
                if (exc != null) throw exc;
                Files.delete(d);
                return FileVisitResult.CONTINUE;
            }
        });
    }
}
