package dev.shardplan.maven;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

class PlanFilesTest {
    @TempDir
    Path dir;

    private List<String> select(List<String> in, List<String> ex) throws IOException {
        return PlanFiles.select(dir, in, ex).stream().map(p -> dir.relativize(p).toString().replace('\\', '/')).toList();
    }

    @Test
    void defaultsTakeEveryPlanAtAnyDepth() throws IOException {
        for (String f : List.of("a.plan", "x/b.plan", "x/y/c.plan", "notes.md", "x/d.plan.bak")) {
            Files.createDirectories(dir.resolve(f).getParent());
            Files.writeString(dir.resolve(f), "");
        }
        assertEquals(List.of("a.plan", "x/b.plan", "x/y/c.plan"), select(List.of(), List.of()));
        assertEquals(List.of("a.plan", "x/b.plan"), select(List.of(), List.of("x/y/")));
        assertEquals(List.of("x/b.plan", "x/y/c.plan"), select(List.of("x/**/*.plan"), List.of()));
        assertEquals(List.of("a.plan"), select(List.of("*.plan"), List.of()));
        assertEquals(List.of(), select(null, List.of("**/?.plan")));
        assertEquals(List.of("x/y/c.plan"), select(List.of("**/c.plan"), null));
    }

    @Test
    void aMissingFolderHasNoPlans() throws IOException {
        assertEquals(List.of(), PlanFiles.select(dir.resolve("absent"), null, null));
    }

    @Test
    void globsTranslateToAntSemantics() {
        assertEquals("(?:.*/)?[^/]*\\.plan", PlanFiles.toRegex("**/*.plan"));
        assertEquals("a/.*", PlanFiles.toRegex("a/"));
        assertEquals("x\\-y/[^/]", PlanFiles.toRegex("/x-y/?"));
    }
}
