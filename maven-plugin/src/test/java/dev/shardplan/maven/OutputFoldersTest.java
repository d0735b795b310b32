package dev.shardplan.maven;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** target/classes/shardplan keeps only what the output folder still holds. */
class OutputFoldersTest {
    @TempDir
    Path dir;

    void touch(String rel) throws IOException {
        Path f = dir.resolve(rel);
        Files.createDirectories(f.getParent());
        Files.writeString(f, rel);
    }

    @Test
    void filesTheOutputNoLongerHoldsAreRemovedWithTheirEmptyFolders() throws IOException {
        touch("out/a/plan.json");
        touch("out/a/vllm/config.yaml");
        touch("classes/a/plan.json");
        touch("classes/a/vllm/config.yaml");
        touch("classes/a/kubernetes/leaderworkerset.yaml"); // target dropped from the plan
        touch("classes/gone/plan.json");                   // plan deleted
        List<String> deleted = OutputFolders.prune(dir.resolve("classes"), dir.resolve("out"));
        assertEquals(List.of("a/kubernetes/leaderworkerset.yaml", "gone/plan.json"), deleted);
        assertTrue(Files.isRegularFile(dir.resolve("classes/a/vllm/config.yaml")));
        assertFalse(Files.exists(dir.resolve("classes/a/kubernetes")));
        assertFalse(Files.exists(dir.resolve("classes/gone")));
        assertTrue(Files.isDirectory(dir.resolve("classes")));
    }

    @Test
    void aMissingCopyIsNothingToDo() throws IOException {
        assertEquals(List.of(), OutputFolders.prune(dir.resolve("absent"), dir.resolve("out")));
    }
}
