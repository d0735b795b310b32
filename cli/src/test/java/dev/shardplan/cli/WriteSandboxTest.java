package dev.shardplan.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 13's writes outside the project, command by command: {@code fmt}, {@code report -o},
 * {@code search --emit} and {@code compile -o} with symbolic links planted at the names the old
 * writers used for their temporaries ({@code .NAME.tmp}) and at the output itself, all pointing
 * at a file outside the project. Every command must leave that file as it was, replace a link at
 * its output instead of writing through it, and leave no temporary behind.
 */
class WriteSandboxTest {
    @TempDir
    Path temp;

    static final String SECRET = "outside: must not change\n";

    Path project, outside;

    void setUp() throws IOException {
        project = Files.createDirectories(temp.resolve("project"));
        outside = Files.writeString(Files.createDirectories(temp.resolve("elsewhere")).resolve("victim.txt"), SECRET);
    }

    /** Links at {@code target} and at the predictable temporary names beside it, all to the victim. */
    void plant(Path target, boolean atTarget) throws IOException {
        Path dir = target.getParent();
        String n = target.getFileName().toString();
        for (String name : List.of("." + n + ".tmp", n + ".tmp", "." + n + ".new", ".shardplan-tmp")) {
            Files.createSymbolicLink(dir.resolve(name), outside);
        }
        if (atTarget) Files.createSymbolicLink(target, outside);
    }

    void assertUntouched(Path target, String what) throws IOException {
        assertEquals(SECRET, Files.readString(outside), what + " wrote through a planted link");
        if (target != null) {
            assertTrue(Files.isRegularFile(target, LinkOption.NOFOLLOW_LINKS), what + ": the output is a file of its own, not the link");
        }
        try (Stream<Path> s = Files.walk(project)) {
            List<String> left = s.map(p -> project.relativize(p).toString())
                    .filter(p -> p.contains(".shardplan-new") || p.contains(".shardplan-old") || p.endsWith(".shardplan.tmp")
                            || p.matches(".*\\.shardplan-[0-9a-f]+.*"))
                    .toList();
            assertTrue(left.isEmpty(), what + " left temporaries: " + left);
        }
    }

    @Test
    void fmtDoesNotFollowALinkAtItsTemporaryName() throws IOException {
        setUp();
        Path f = Files.writeString(project.resolve("p.plan"), "cluster c {nodes 1 x HGX_H100}\n");
        plant(f, false);
        MainTest.Run r = MainTest.run("fmt", f.toString());
        assertEquals(0, r.code(), r.err());
        assertEquals("cluster c { nodes 1 x HGX_H100 }\n", Files.readString(f), "fmt wrote the formatted text to the file itself");
        assertUntouched(f, "fmt");
    }

    @Test
    void reportReplacesALinkAtItsOutput() throws IOException {
        setUp();
        Files.writeString(project.resolve("p.plan"), ReportCommandTest.PLAN);
        Path html = project.resolve("r.html");
        plant(html, true);
        MainTest.Run r = MainTest.run("report", "--root", project.toString(), project.resolve("p.plan").toString(), "-o", html.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(Files.readString(html).contains("<html"), "the report is written to r.html");
        assertUntouched(html, "report -o");
    }

    @Test
    void searchEmitReplacesALinkAtItsOutput() throws IOException {
        setUp();
        Files.writeString(project.resolve("s.plan"), SearchCommandTest.SEARCH);
        Path winner = project.resolve("winner.plan");
        plant(winner, true);
        MainTest.Run r = MainTest.run("search", "--root", project.toString(), "--jobs", "1", "--quiet", project.resolve("s.plan").toString(),
                "--emit", winner.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(Files.readString(winner).contains("plan "), "the winner is written to winner.plan");
        assertUntouched(winner, "search --emit");
    }

    @Test
    void compileDoesNotWriteThroughLinksInItsOutputFolder() throws IOException {
        setUp();
        Files.writeString(project.resolve("p.plan"), ReportCommandTest.PLAN);
        Path out = Files.createDirectories(project.resolve("out"));
        // the plan's folder and a file inside it planted as links to the victim's folder and file
        Files.createSymbolicLink(out.resolve(".shardplan-tmp"), outside);
        Files.createSymbolicLink(out.resolve("p"), outside.getParent());
        MainTest.Run r = MainTest.run("compile", "--root", project.toString(), project.resolve("p.plan").toString(), "-o", out.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(Files.isDirectory(out.resolve("p"), LinkOption.NOFOLLOW_LINKS), "the plan folder replaced the link");
        try (Stream<Path> s = Files.list(outside.getParent())) {
            assertEquals(List.of("victim.txt"), s.map(p -> p.getFileName().toString()).toList(), "nothing was written into the linked folder");
        }
        assertFalse(Files.exists(out.resolve("p").resolve("victim.txt")));
        assertUntouched(null, "compile");
    }
}
