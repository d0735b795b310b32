package dev.shardplan.lsp;

import dev.shardplan.api.AnalysisCache;
import dev.shardplan.api.CheckResult;
import dev.shardplan.api.Compiler;
import dev.shardplan.api.Frontend;
import dev.shardplan.api.IncrementalBuild;
import dev.shardplan.resolve.Loader;
import dev.shardplan.resolve.Module;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The server's state: open documents, workspace folders and the last snapshot of each document.
 * Snapshots are computed on the server's one worker thread; a snapshot is reused until any open
 * document changes (an edit to one file can change what another that imports it means).
 */
final class Session {
    final Map<String, Doc> docs = new ConcurrentHashMap<>();
    private final Map<String, Snapshot> snapshots = new ConcurrentHashMap<>();
    private final AtomicLong generation = new AtomicLong();
    private volatile List<Path> roots = List.of();
    final StdFiles std;
    /**
     * Analyses of the plans checked so far, shared by all documents (a plan imported by two open
     * files is one plan): an edit re-analyses only the plans it changed or moved.
     */
    final AnalysisCache analyses = new AnalysisCache(256);

    Session(StdFiles std) {
        this.std = std;
    }

    void roots(List<Path> rs) {
        List<Path> out = new ArrayList<>();
        for (Path r : rs) out.add(r.toAbsolutePath().normalize());
        roots = List.copyOf(out);
    }

    List<Path> roots() {
        return roots;
    }

    void changed() {
        generation.incrementAndGet();
    }

    void forget(String uri) {
        snapshots.remove(uri);
    }

    /** The file a URI stands for; a non-file URI (an untitled buffer) gets a private name of its own. */
    static Path pathOf(String uri) {
        try {
            URI u = URI.create(uri);
            if ("file".equalsIgnoreCase(u.getScheme())) return Path.of(u).toAbsolutePath().normalize();
        } catch (RuntimeException e) {
            // fall through: not a usable file URI
        }
        String safe = Integer.toHexString(uri.hashCode());
        return Path.of(System.getProperty("java.io.tmpdir"), "shardplan-untitled", safe + ".plan").toAbsolutePath();
    }

    /** The project root of a file: the innermost workspace folder holding it, else its own folder. */
    Path rootOf(Path file) {
        Path best = null;
        for (Path r : roots) if (file.startsWith(r) && (best == null || r.getNameCount() > best.getNameCount())) best = r;
        if (best != null) return best;
        Path parent = file.getParent();
        return parent != null ? parent : file;
    }

    /** Open project documents by file, the texts the compiler reads instead of the disk. */
    Map<Path, String> overlay() {
        Map<Path, String> o = new HashMap<>();
        for (Doc d : docs.values()) if (std.moduleOf(d.path()) == null) o.put(d.path(), d.text());
        return o;
    }

    /** The snapshot of an open document at its current text (computed if stale); null when not open. */
    Snapshot snapshot(String uri) {
        Doc d = docs.get(uri);
        if (d == null) return null;
        long gen = generation.get();
        Snapshot s = snapshots.get(uri);
        if (s != null && s.generation() == gen && s.doc().version() == d.version()) return s;
        s = analyze(d, gen);
        snapshots.put(uri, s);
        return s;
    }

    /** Open documents other than {@code uri} whose last check read the file of {@code uri}. */
    List<String> dependents(String uri) {
        Doc changed = docs.get(uri);
        Path p = changed != null ? changed.path() : pathOf(uri);
        List<String> out = new ArrayList<>();
        for (Snapshot s : snapshots.values()) {
            if (s.doc().uri().equals(uri) || s.check() == null) continue;
            String id = IncrementalBuild.idOf(s.root(), p);
            for (Set<String> deps : s.check().dependencies().values()) {
                if (deps.contains(id)) {
                    out.add(s.doc().uri());
                    break;
                }
            }
        }
        return out;
    }

    private Snapshot analyze(Doc d, long gen) {
        long t0 = System.nanoTime();
        String stdName = std.moduleOf(d.path());
        if (stdName != null) {
            Module m = Frontend.std(stdName);
            Map<String, Snapshot.View> views = views(m, Map.of());
            String id = Loader.STD_PREFIX + stdName;
            views.put(id, new Snapshot.View(id, d.uri(), new TextIndex(d.text()), m, true));
            return new Snapshot(d, std.dir(), id, null, m, views, gen, System.nanoTime() - t0);
        }
        Path root = rootOf(d.path());
        Map<Path, String> overlay = overlay();
        CheckResult r = Compiler.check(root, List.of(), List.of(d.path()), overlay, analyses);
        // The module graph, for positions, is the one the check read.
        String id = IncrementalBuild.idOf(root, d.path());
        Module m = r.modules().get(id);
        Map<String, Snapshot.View> views = views(m, overlay);
        views.put(id, new Snapshot.View(id, d.uri(), new TextIndex(d.text()), m, false));
        return new Snapshot(d, root, id, r, m, views, gen, System.nanoTime() - t0);
    }

    /** Every module reachable from {@code m}, with its text and URI. */
    Map<String, Snapshot.View> views(Module m, Map<Path, String> overlay) {
        Map<String, Snapshot.View> out = new LinkedHashMap<>();
        if (m == null) return out;
        Deque<Module> todo = new ArrayDeque<>(List.of(m));
        Set<Module> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        while (!todo.isEmpty()) {
            Module x = todo.pop();
            if (!seen.add(x)) continue;
            todo.addAll(x.imports());
            Snapshot.View v = view(x, overlay);
            if (v != null) out.put(x.id(), v);
        }
        return out;
    }

    private Snapshot.View view(Module x, Map<Path, String> overlay) {
        if (x.path() == null) {
            String name = x.id().substring(Loader.STD_PREFIX.length());
            Path f = std.file(name);
            String text = std.text(name);
            if (text == null) return null;
            return new Snapshot.View(x.id(), f == null ? null : f.toUri().toString(), new TextIndex(text), x, true);
        }
        String text = overlay.get(x.path());
        if (text == null) {
            try {
                text = Files.readString(x.path(), StandardCharsets.UTF_8);
            } catch (Exception e) {
                return null;
            }
        }
        String uri = uriOf(x.path());
        return new Snapshot.View(x.id(), uri, new TextIndex(text), x, false);
    }

    /** The URI under which the client opened a file, else the file's own. */
    String uriOf(Path p) {
        for (Doc d : docs.values()) if (d.path().equals(p)) return d.uri();
        return p.toUri().toString();
    }
}
