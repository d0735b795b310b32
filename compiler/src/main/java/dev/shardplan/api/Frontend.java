package dev.shardplan.api;

import dev.shardplan.diag.Codes;
import dev.shardplan.diag.Diagnostic;
import dev.shardplan.diag.Diagnostics;
import dev.shardplan.diag.Sources;
import dev.shardplan.diag.Span;
import dev.shardplan.model.Plan;
import dev.shardplan.model.Search;
import dev.shardplan.resolve.Loader;
import dev.shardplan.resolve.Module;
import dev.shardplan.resolve.Resolver;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.*;
import java.util.stream.Stream;

/** Parse, import and resolve a set of files or folders into plans. */
public final class Frontend {
    private Frontend() {}

    /** {@code *.plan} files under the given paths, sorted, each once. */
    public static List<Path> expand(List<Path> inputs, Diagnostics diags) {
        TreeSet<Path> out = new TreeSet<>();
        for (Path p : inputs) {
            Path abs = p.toAbsolutePath().normalize();
            if (Files.isDirectory(abs)) {
                try (Stream<Path> s = Files.walk(abs)) {
                    s.filter(f -> f.getFileName().toString().endsWith(".plan") && Files.isRegularFile(f)).forEach(out::add);
                } catch (IOException e) {
                    diags.add(Diagnostic.of(Codes.FILE_NOT_FOUND, Span.NONE, "cannot list `" + p + "`: " + e.getMessage()).build());
                }
            } else if (Files.isRegularFile(abs)) {
                out.add(abs);
            } else {
                diags.add(Diagnostic.of(Codes.FILE_NOT_FOUND, Span.NONE, "`" + p + "` does not exist")
                        .help("give .plan files or folders that contain them").build());
            }
        }
        return new ArrayList<>(out);
    }

    public static FrontendResult check(Path root, List<Path> inputs) {
        return check(root, List.of(), inputs);
    }

    /**
     * Parses, imports and resolves {@code inputs}; relative imports not found beside the importing
     * file are looked up in {@code importPaths}, in order (see {@link Loader}).
     */
    public static FrontendResult check(Path root, List<Path> importPaths, List<Path> inputs) {
        return check(root, importPaths, inputs, Map.of());
    }

    /**
     * As {@link #check(Path, List, List)}, reading the files in {@code overlay} (absolute paths to
     * their text) from memory instead of disk, as an editor's unsaved buffers; an input in the
     * overlay need not exist on disk.
     */
    public static FrontendResult check(Path root, List<Path> importPaths, List<Path> inputs, Map<Path, String> overlay) {
        Diagnostics diags = new Diagnostics();
        Sources sources = new Sources();
        List<Path> onDisk = new ArrayList<>();
        TreeSet<Path> given = new TreeSet<>();
        for (Path p : inputs) {
            Path abs = p.toAbsolutePath().normalize();
            if (overlay.containsKey(abs)) given.add(abs);
            else onDisk.add(p);
        }
        given.addAll(expand(onDisk, diags));
        List<Path> files = new ArrayList<>(given);
        Loader loader = new Loader(root, importPaths, overlay, sources, diags);
        Resolver resolver = new Resolver(loader, diags);
        List<Plan> plans = new ArrayList<>();
        List<Search> searches = new ArrayList<>();
        Map<String, Set<String>> deps = new TreeMap<>();
        List<Module> loaded = new ArrayList<>();
        List<String> declaredPlans = new ArrayList<>(), declaredSearches = new ArrayList<>();
        for (Path f : files) {
            Module m = loader.load(f);
            if (m == null) continue;
            loaded.add(m);
            for (var d : m.ast().decls()) {
                if (d.kind().text().equals("plan")) declaredPlans.add(d.name().text());
                else if (d.kind().text().equals("search")) declaredSearches.add(d.name().text());
            }
            resolver.resolveModule(m, plans, searches);
        }
        // After resolution, so that data files read for any module's declarations are known.
        for (Module m : loaded) deps.put(m.id(), dependencies(m, resolver));
        // A plan whose own resolution produced errors is already absent; plans are kept in file order.
        return new FrontendResult(List.copyOf(plans), List.copyOf(searches), diags.sorted(), sources, deps, files.size(),
                declaredPlans, declaredSearches, byId(loaded));
    }

    private static Map<String, Module> byId(List<Module> ms) {
        Map<String, Module> out = new LinkedHashMap<>();
        for (Module m : ms) out.put(m.id(), m);
        return out;
    }

    /**
     * The modules of {@code files} and what they import, parsed and linked but not resolved: the
     * syntax an editor navigates (definitions, references, symbols) across a workspace. A file that
     * cannot be read is left out; problems are not reported (a check reports them).
     */
    public static Map<Path, Module> load(Path root, List<Path> files, Map<Path, String> overlay) {
        Loader loader = new Loader(root, List.of(), overlay, new Sources(), new Diagnostics());
        Map<Path, Module> out = new LinkedHashMap<>();
        for (Path f : files) {
            Module m = loader.load(f);
            if (m != null) out.put(f, m);
        }
        return out;
    }

    /** The standard library's module {@code name} (without {@code std:}), parsed from the jar; null if there is none. */
    public static Module std(String name) {
        return new Loader(Path.of("").toAbsolutePath(), new Sources(), new Diagnostics()).loadStd(name, null);
    }

    /** The resolved declarations of the standard library's module {@code name} (models, GPUs, ...), as {@link dev.shardplan.resolve.StdLibrary#declarations}. */
    public static List<Object> stdDeclarations(String name) {
        return dev.shardplan.resolve.StdLibrary.declarations(name);
    }

    private static Set<String> dependencies(Module m, Resolver resolver) {
        Set<String> out = new TreeSet<>();
        Deque<Module> todo = new ArrayDeque<>(List.of(m));
        Set<Module> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        while (!todo.isEmpty()) {
            Module x = todo.pop();
            if (!seen.add(x)) continue;
            if (x.path() != null) out.add(x.id());
            out.addAll(resolver.dataFiles(x.id()));
            todo.addAll(x.imports());
        }
        return out;
    }
}
