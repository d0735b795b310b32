package dev.shardplan.emit;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.TreeSet;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** generated-examples/ holds exactly what compiling plans/ produces now. */
class GeneratedExamplesTest {
    static final Path ROOT = Path.of("..");
    static final String REGENERATE = "./shardplan compile plans -o generated-examples";

    @Test
    void generatedExamplesAreUpToDate() throws Exception {
        assumeTrue(Files.isDirectory(ROOT.resolve("plans")), "run from the compiler module of the project");
        var rendered = EmitTesting.render(EmitTesting.load(ROOT, "plans"));
        Path examples = ROOT.resolve("generated-examples");
        TreeSet<String> folders = new TreeSet<>();
        if (Files.isDirectory(examples)) {
            try (Stream<Path> s = Files.list(examples)) {
                s.filter(Files::isDirectory).forEach(p -> folders.add(p.getFileName().toString()));
            }
        }
        assertEquals(new TreeSet<>(rendered.plans().keySet()), folders,
                "generated-examples/ has a folder per plan in plans/, no more; regenerate with: " + REGENERATE);
        if (EmitTesting.UPDATE) return;
        EmitTesting.compare(rendered.plans(), examples, REGENERATE);
    }

    @Test
    void holdsNoCopyOfTheShimSources() throws Exception {
        Path examples = ROOT.resolve("generated-examples");
        assumeTrue(Files.isDirectory(examples), "run from the compiler module of the project");
        try (Stream<Path> s = Files.walk(examples)) {
            List<Path> py = s.filter(p -> p.toString().endsWith(".py")).toList();
            assertEquals(List.of(), py, "plans reference the shim archive instead of carrying its modules");
        }
        // The archive a compile writes beside the plans is the compiler's own (ShimArchive), not kept here.
        String ignored = Files.readString(examples.resolve(".gitignore"));
        assertTrue(ignored.lines().anyMatch(l -> l.equals("/shardplan-shim-*.pyz")), ignored);
    }

}
