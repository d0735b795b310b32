package dev.shardplan.emit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The writer under attack and under kill -9: temporaries are never opened through a planted
 * link, a symbolic link at the target is replaced rather than written through, leftovers of
 * dead writers are removed by the next one, and a compile killed at any moment leaves, after the
 * next write (or {@link OutputWriter#recover}), every plan folder of one generation and no
 * temporary entry.
 */
class OutputWriterSafetyTest {
    @TempDir
    Path dir;

    static List<String> names(Path d) throws IOException {
        try (Stream<Path> s = Files.list(d)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    static List<String> temporaries(Path d) throws IOException {
        return names(d).stream().filter(n -> n.startsWith(".shardplan-")).toList();
    }

    @Test
    void killNineAtAnyMomentLeavesOneGenerationAndNoTemporariesAfterTheNextRun() throws Exception {
        Path out = dir.resolve("out");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Random r = new Random(13);
        int kills = 16, leftovers = 0, journals = 0;
        for (int k = 0; k < kills; k++) {
            Process p = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), KillWriterMain.class.getName(),
                    out.toString(), "200", "2").redirectErrorStream(true).start();
            String first = new String(p.getInputStream().readNBytes(6), StandardCharsets.UTF_8);
            assumeTrue(first.equals("ready\n"), "the test class path cannot start a child JVM: " + first);
            Thread.sleep(150 + r.nextInt(900));
            p.destroyForcibly(); // SIGKILL on POSIX: no shutdown hook runs
            assertTrue(p.waitFor(30, TimeUnit.SECONDS));
            Files.createDirectories(out);
            List<String> left = temporaries(out);
            if (!left.isEmpty()) leftovers++;
            if (left.stream().anyMatch(n -> n.endsWith(".journal"))) journals++;
            OutputWriter.recover(out);
            assertEquals(List.of(), temporaries(out), "recovery removes every temporary");
            assertOneGeneration(out);
        }
        // the next compile then writes as usual and leaves nothing either
        OutputWriter.write(out, KillWriterMain.generation(999, 200, 2), Map.of("shared.bin", "gen 999\n".getBytes()));
        assertEquals(List.of(), temporaries(out));
        assertOneGeneration(out);
        System.out.println("kill -9: " + kills + " kills, " + leftovers + " left temporaries behind, " + journals + " in the middle of the swaps");
        assertTrue(leftovers > 0, "the kills landed while the writer was writing");
    }

    /**
     * A compile killed between two swaps (its journal written, some plans swapped, the rest still
     * staged): the next writer completes the swaps, so every plan is of the new generation.
     */
    @Test
    void aCompileKilledInTheMiddleOfItsSwapsIsCompletedByTheNext() throws IOException {
        Path out = dir.resolve("out");
        OutputWriter.write(out, KillWriterMain.generation(1, 4, 2), Map.of("shared.bin", "gen 1\n".getBytes()));
        String base = ".shardplan-" + deadPid() + "-0-0badc0ffee";
        Path staging = out.resolve(base + ".new"), old = out.resolve(base + ".old");
        Files.createDirectories(old);
        OutputWriter.write(staging, KillWriterMain.generation(2, 4, 2), Map.of("shared.bin", "gen 2\n".getBytes()));
        // plans 0 and 1 (and the shared file) were swapped before the kill: their old folders are aside
        for (String n : List.of("shared.bin", "plan0", "plan1")) {
            Files.move(out.resolve(n), old.resolve(n));
            Files.move(staging.resolve(n), out.resolve(n));
        }
        Files.writeString(out.resolve(base + ".journal"), "shardplan-journal 1\nshared.bin\nplan0\nplan1\nplan2\nplan3\n");
        OutputWriter.recover(out);
        assertEquals(List.of("plan0", "plan1", "plan2", "plan3", "shared.bin"), names(out));
        assertOneGeneration(out);
        assertEquals("2", Files.readString(out.resolve("plan3/gen")).strip());
        // and one killed before its journal changed nothing
        Path before = out.resolve(".shardplan-" + deadPid() + "-0-0feedface.new");
        OutputWriter.write(before, KillWriterMain.generation(3, 4, 2));
        OutputWriter.recover(out);
        assertEquals("2", Files.readString(out.resolve("plan0/gen")).strip());
        assertEquals(List.of("plan0", "plan1", "plan2", "plan3", "shared.bin"), names(out));
    }

    /** Every plan folder (and the shared file) holds one and the same generation, complete. */
    static void assertOneGeneration(Path out) throws IOException {
        TreeSet<String> gens = new TreeSet<>();
        for (String n : names(out)) {
            if (n.startsWith("plan")) {
                String gen = Files.readString(out.resolve(n).resolve("gen")).strip();
                gens.add(gen);
                try (Stream<Path> s = Files.walk(out.resolve(n))) {
                    for (Path f : s.filter(Files::isRegularFile).toList()) {
                        if (!f.getFileName().toString().equals("gen")) assertTrue(Files.readString(f).startsWith("gen " + gen + "\n"), f.toString());
                    }
                }
            } else if (n.equals("shared.bin")) {
                gens.add(Files.readString(out.resolve(n)).replace("gen ", "").strip());
            }
        }
        assertTrue(gens.size() <= 1, "all plan folders replaced, or none: generations " + gens);
    }

    @Test
    void aLinkAtTheTargetIsReplacedNotWrittenThrough() throws IOException {
        Path outside = Files.createTempDirectory("shardplan-victim");
        Path victim = Files.writeString(outside.resolve("victim.txt"), "precious\n");
        Path target = dir.resolve("report.html");
        Files.createSymbolicLink(target, victim);
        // the names earlier releases used for their temporaries, planted as links too
        for (String n : List.of(".report.html.tmp", ".report.html.fmt.tmp")) Files.createSymbolicLink(dir.resolve(n), victim);
        OutputWriter.writeFile(target, "<html></html>\n");
        assertEquals("precious\n", Files.readString(victim));
        assertFalse(Files.isSymbolicLink(target));
        assertEquals("<html></html>\n", Files.readString(target));
        assertEquals(List.of(".report.html.fmt.tmp", ".report.html.tmp", "report.html"), names(dir), "other names are left alone");
    }

    @Test
    void aReplacedFileKeepsItsPermissions() throws IOException {
        Path f = Files.writeString(dir.resolve("a.plan"), "x\n");
        var perms = java.nio.file.attribute.PosixFilePermissions.fromString("rw-r-----");
        try {
            Files.setPosixFilePermissions(f, perms);
        } catch (UnsupportedOperationException e) {
            assumeTrue(false, "not POSIX");
        }
        OutputWriter.writeFile(f, "y\n");
        assertEquals(perms, Files.getPosixFilePermissions(f));
    }

    @Test
    void temporariesOfDeadWritersAreRemovedAndALiveWritersAreKept() throws IOException {
        long dead = deadPid();
        ProcessHandle init = ProcessHandle.of(1).orElse(null);
        Files.writeString(dir.resolve(".shardplan-" + dead + "-0-abc123.tmp"), "stale");
        Path live = null;
        if (init != null && init.info().startInstant().isPresent()) {
            live = dir.resolve(".shardplan-1-" + init.info().startInstant().get().toEpochMilli() + "-def456.tmp");
            Files.writeString(live, "someone else's");
        }
        Files.writeString(dir.resolve(".shardplan-notes"), "not ours: no owner in the name");
        OutputWriter.writeFile(dir.resolve("a.txt"), "a\n");
        List<String> n = names(dir);
        assertFalse(n.contains(".shardplan-" + dead + "-0-abc123.tmp"));
        assertTrue(n.contains(".shardplan-notes"));
        if (live != null) assertTrue(Files.exists(live), "a live process's temporary is kept");
    }

    @Test
    void anEarlierReleasesLeftoversAreCleanedAndAnOrphanedPlanRestored() throws IOException {
        Path out = dir.resolve("out");
        Files.createDirectories(out.resolve(".shardplan-old-p-1a2b/vllm"));
        Files.writeString(out.resolve(".shardplan-old-p-1a2b/plan.json"), "{}\n");
        Files.createDirectories(out.resolve(".shardplan-new-123456/q"));
        Files.writeString(out.resolve(".shardplan-987.tmp"), "x");
        OutputWriter.write(out, Map.of("r", List.of(OutputFile.text("f", "1\n"))));
        assertEquals(List.of("p", "r"), names(out));
        assertEquals("{}\n", Files.readString(out.resolve("p/plan.json")));
    }

    @Test
    void textThatIsNotUnicodeIsRefusedNotWrittenAsQuestionMarks() throws IOException {
        Path out = dir.resolve("out");
        assertThrows(OutputWriter.EncodingException.class,
                () -> OutputWriter.write(out, Map.of("p", List.of(OutputFile.text("f", "a\ud800b")))));
        assertThrows(OutputWriter.EncodingException.class, () -> OutputWriter.writeFile(dir.resolve("x.txt"), "a\udc00"));
        assertFalse(Files.exists(out), "nothing was written, not even the folder");
        assertFalse(Files.exists(dir.resolve("x.txt")));
    }

    /** A pid no process has (the largest pid the kernel hands out is far below it). */
    static long deadPid() {
        long pid = 4_000_000;
        while (ProcessHandle.of(pid).isPresent()) pid++;
        return pid;
    }
}
