package dev.shardplan.maven;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Jars and folders as import roots: only plan files are unpacked, never outside their folder. */
class ImportRootsTest {
    @TempDir
    Path dir;

    Path jar(String name, Map<String, String> entries) throws IOException {
        Path p = dir.resolve(name);
        try (OutputStream o = Files.newOutputStream(p); ZipOutputStream z = new ZipOutputStream(o)) {
            for (var e : entries.entrySet()) {
                z.putNextEntry(new ZipEntry(e.getKey()));
                z.write(e.getValue().getBytes(StandardCharsets.UTF_8));
                z.closeEntry();
            }
        }
        return p;
    }

    @Test
    void aJarsPlanFilesAreUnpackedAndNothingElse() throws IOException {
        Path jar = jar("team.jar", Map.of("acme/clusters.plan", "cluster", "acme/X.class", "bytes", "../../evil.plan", "x"));
        ImportRoots ir = new ImportRoots(dir.resolve("target/imports"));
        Path root = ir.root(jar, "com.acme/team", false);
        assertEquals(dir.resolve("target/imports/com.acme/team"), root);
        assertEquals("cluster", Files.readString(root.resolve("acme/clusters.plan")));
        assertFalse(Files.exists(root.resolve("acme/X.class")));
        assertFalse(Files.exists(dir.resolve("evil.plan")));
        assertTrue(ir.warnings().get(0).contains("outside its folder"), ir.warnings().toString());
    }

    @Test
    void aChangedJarIsUnpackedAfreshAndAnUnchangedOneIsLeftAlone() throws IOException {
        Path jar = jar("team.jar", Map.of("old.plan", "1"));
        ImportRoots ir = new ImportRoots(dir.resolve("imports"));
        Path root = ir.root(jar, "team", false);
        Files.writeString(root.resolve("marker"), "");
        ir.root(jar, "team", false);
        assertTrue(Files.exists(root.resolve("marker")), "unchanged: not unpacked again");
        Files.delete(jar);
        jar("team.jar", Map.of("new.plan", "22"));
        ir.root(jar, "team", false);
        assertFalse(Files.exists(root.resolve("old.plan")), "a file the new version no longer has is gone");
        assertEquals("22", Files.readString(root.resolve("new.plan")));
    }

    @Test
    void dependenciesWithoutPlansAreNoImportRoots() throws IOException {
        ImportRoots ir = new ImportRoots(dir.resolve("imports"));
        assertNull(ir.root(jar("lib.jar", Map.of("a/B.class", "x")), "lib", false));
        Files.createDirectories(dir.resolve("classes/a"));
        assertNull(ir.root(dir.resolve("classes"), "classes", false));
        Files.writeString(dir.resolve("classes/a/c.plan"), "");
        assertEquals(dir.resolve("classes"), ir.root(dir.resolve("classes"), "classes", false));
        assertTrue(ir.warnings().isEmpty());
    }

    @Test
    void aConfiguredPathThatDoesNotExistIsAWarning() throws IOException {
        ImportRoots ir = new ImportRoots(dir.resolve("imports"));
        assertNull(ir.root(dir.resolve("nope"), "nope", true));
        assertTrue(ir.warnings().get(0).contains("does not exist"));
    }
}
