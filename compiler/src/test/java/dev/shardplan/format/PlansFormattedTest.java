package dev.shardplan.format;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The example plans and the standard library are kept in the canonical layout (`shardplan fmt`). */
class PlansFormattedTest {
    @Test
    void examplePlansAndStdLibraryAreFormatted() throws Exception {
        List<Path> files = new ArrayList<>();
        for (Path dir : List.of(Path.of("../plans"), Path.of("src/main/resources/dev/shardplan/std"))) {
            try (Stream<Path> s = Files.walk(dir)) {
                s.filter(p -> p.toString().endsWith(".plan")).sorted().forEach(files::add);
            }
        }
        List<String> unformatted = new ArrayList<>();
        for (Path f : files) {
            String text = Files.readString(f, StandardCharsets.UTF_8);
            if (!Formatter.format(text).equals(text)) unformatted.add(f.toString());
        }
        assertEquals(List.of(), unformatted, "run `./shardplan fmt plans/ compiler/src/main/resources/dev/shardplan/std/`");
    }
}
