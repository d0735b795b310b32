package dev.shardplan.bench;

import dev.shardplan.api.CheckResult;
import dev.shardplan.api.Compiler;
import dev.shardplan.diag.Diagnostic;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The benchmarks' inputs: the project's plans/ and the plans of this module, packaged into the
 * benchmark jar and written to a scratch folder, and checked before anything is timed: an input
 * with an error (a benchmark that would time a compiler refusing its input) stops the benchmark.
 */
final class Inputs {
    private Inputs() {}

    /** A fresh folder with the project's plans/ in {@code plans/} and this module's in {@code bench/}. */
    static Path unpack() {
        try {
            Path dir = Files.createTempDirectory("shardplan-bench");
            copy("plans", dir.resolve("plans"));
            copy("inputs", dir.resolve("bench"));
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void copy(String name, Path to) throws IOException {
        URI uri;
        try {
            uri = Inputs.class.getResource(name).toURI();
        } catch (URISyntaxException | NullPointerException e) {
            throw new IllegalStateException("benchmark resources `" + name + "` are not packaged", e);
        }
        if (uri.getScheme().equals("jar")) {
            try (FileSystem fs = FileSystems.newFileSystem(uri, Map.of())) {
                copyTree(fs.provider().getPath(uri), to);
            }
        } else {
            copyTree(Path.of(uri), to);
        }
    }

    private static void copyTree(Path from, Path to) throws IOException {
        try (Stream<Path> s = Files.walk(from)) {
            for (Path p : s.toList()) {
                Path t = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) Files.createDirectories(t);
                else try (InputStream in = Files.newInputStream(p)) {
                    Files.copy(in, t);
                }
            }
        }
    }

    /** Checks {@code inputs}; throws when any has an error, so that a broken input fails the run. */
    static CheckResult clean(Path root, List<Path> inputs) {
        CheckResult r = Compiler.check(root, inputs);
        List<Diagnostic> errors = r.diagnostics().stream().filter(Diagnostic::isError).toList();
        if (!errors.isEmpty()) {
            throw new IllegalStateException("benchmark input " + inputs + " is not clean: " + errors.size() + " errors, first "
                    + errors.get(0).code().id() + " " + errors.get(0).message() + " at " + errors.get(0).span());
        }
        if (r.plans().isEmpty() && r.searches().isEmpty()) throw new IllegalStateException("benchmark input " + inputs + " declares nothing");
        return r;
    }

    static void delete(Path dir) {
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(java.util.Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        } catch (IOException e) {
            // a scratch folder left behind is harmless
        }
    }
}
