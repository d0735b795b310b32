package dev.shardplan.emit;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.TreeSet;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
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

}
