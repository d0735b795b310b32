package dev.shardplan.emit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class OutputWriterTest {
    @TempDir
    Path out;

    @Test
    void writesFilesAndRemovesAPlansStaleFiles() throws IOException {
        OutputWriter.write(out, Map.of("p", List.of(OutputFile.text("a/old.txt", "old\n"), OutputFile.script("run.sh", "x\n"))));
        assertTrue(Files.isExecutable(out.resolve("p/run.sh")));
        OutputWriter.write(out, Map.of("p", List.of(OutputFile.text("a/new.txt", "new\n"))));
        assertFalse(Files.exists(out.resolve("p/a/old.txt")));
        assertFalse(Files.exists(out.resolve("p/run.sh")));
        assertEquals("new\n", Files.readString(out.resolve("p/a/new.txt")));
        assertEquals(List.of("p"), names(out), "no temporary folders left");
    }

    @Test
    void leavesOtherPlansAlone() throws IOException {
        OutputWriter.write(out, Map.of("a", List.of(OutputFile.text("f", "1\n"))));
        OutputWriter.write(out, Map.of("b", List.of(OutputFile.text("f", "2\n"))));
        assertEquals("1\n", Files.readString(out.resolve("a/f")));
        assertEquals("2\n", Files.readString(out.resolve("b/f")));
    }

    @Test
    void refusesPathsOutsideThePlanFolderAndWritesNothing() throws IOException {
        OutputWriter.write(out, Map.of("p", List.of(OutputFile.text("keep", "k\n"))));
        for (String bad : List.of("../escape", "/abs", "a/../../x", "a//b", ".hidden", "a/", "")) {
            assertThrows(OutputWriter.OutsideException.class,
                    () -> OutputWriter.write(out, Map.of("p", List.of(OutputFile.text("ok", "1\n"), OutputFile.text(bad, "x\n")))), bad);
        }
        assertThrows(OutputWriter.OutsideException.class, () -> OutputWriter.write(out, Map.of("..", List.of(OutputFile.text("f", "x")))));
        assertEquals("k\n", Files.readString(out.resolve("p/keep")), "previous output intact");
        assertFalse(Files.exists(out.resolve("p/ok")));
        assertFalse(Files.exists(out.getParent().resolve("escape")));
        assertEquals(List.of("p"), names(out));
    }

    @Test
    void aFailedWriteLeavesThePreviousOutputIntact() throws IOException {
        OutputWriter.write(out, Map.of("p", List.of(OutputFile.text("keep", "k\n"))));
        // "x" as both a file and a folder cannot be written; the failure comes after other files were staged.
        assertThrows(IOException.class, () -> OutputWriter.write(out,
                Map.of("p", List.of(OutputFile.text("a", "1\n"), OutputFile.text("x", "1\n"), OutputFile.text("x/y", "2\n")))));
        assertEquals("k\n", Files.readString(out.resolve("p/keep")));
        assertEquals(List.of("p"), names(out));
        assertEquals(List.of("keep"), names(out.resolve("p")));
    }

    @Test
    void sameInputGivesByteIdenticalFiles() throws IOException {
        var plans = EmitTesting.render(EmitTesting.load(EmitTesting.FIXTURES, "plans")).plans();
        Path a = out.resolve("a"), b = out.resolve("b");
        OutputWriter.write(a, plans);
        var again = EmitTesting.render(EmitTesting.load(EmitTesting.FIXTURES, "plans")).plans();
        OutputWriter.write(b, again);
        try (Stream<Path> s = Files.walk(a)) {
            for (Path p : s.filter(Files::isRegularFile).toList()) {
                byte[] x = Files.readAllBytes(p), y = Files.readAllBytes(b.resolve(a.relativize(p)));
                assertArrayEquals(x, y, p.toString());
                assertFalse(new String(x).contains("\r"), p + " uses \\n line ends");
            }
        }
    }

    private static List<String> names(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }
}
