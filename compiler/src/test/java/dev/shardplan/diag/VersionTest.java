package dev.shardplan.diag;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class VersionTest {
    /** The version generated files and plan.json record is the build's, not a copy that can drift from it. */
    @Test
    void versionIsTheBuilds() throws Exception {
        String pom = Files.readString(Path.of("pom.xml"));
        Matcher m = Pattern.compile("<parent>.*?<version>([^<]+)</version>.*?</parent>", Pattern.DOTALL).matcher(pom);
        assertTrue(m.find(), "compiler/pom.xml names its parent's version");
        assertEquals(m.group(1), Version.VERSION);
    }

    /** The shim's Python package says the same version (the archive's name and plan.json name the compiler's). */
    @Test
    void shimSaysTheSame() throws Exception {
        String init = Files.readString(Path.of("../runtime/shardplan_shim/__init__.py"));
        assertTrue(init.contains("__version__ = \"" + Version.VERSION + "\""), "runtime/shardplan_shim/__init__.py: __version__ is " + Version.VERSION);
    }
}
