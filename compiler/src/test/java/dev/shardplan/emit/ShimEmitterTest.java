package dev.shardplan.emit;

import dev.shardplan.model.Deploy;
import dev.shardplan.model.Plan;
import dev.shardplan.model.Target;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;

/** The shim target: the package as shipped, and launch scripts that pass every string literally. */
class ShimEmitterTest {
    @TempDir
    Path tmp;

    @Test
    void theArchiveHoldsExactlyThePythonPackageOfRuntimeInAFixedLayout() throws Exception {
        Path pkg = Path.of("../runtime/shardplan_shim");
        Set<String> onDisk = new TreeSet<>();
        try (Stream<Path> s = Files.walk(pkg)) {
            s.filter(p -> p.toString().endsWith(".py"))
                    .forEach(p -> onDisk.add("shardplan_shim/" + pkg.relativize(p).toString().replace('\\', '/')));
        }
        assertEquals(onDisk, new TreeSet<>(ShimArchive.MODULES), "ShimArchive.MODULES must list runtime/shardplan_shim/**/*.py");
        List<String> names = new ArrayList<>();
        try (var zip = new java.util.zip.ZipInputStream(new java.io.ByteArrayInputStream(ShimArchive.get().bytes()))) {
            for (var e = zip.getNextEntry(); e != null; e = zip.getNextEntry()) {
                names.add(e.getName());
                assertEquals(java.time.LocalDateTime.of(1980, 1, 1, 0, 0), e.getTimeLocal(), e.getName());
                byte[] data = zip.readAllBytes();
                if (!e.getName().equals("__main__.py")) {
                    assertArrayEquals(Files.readAllBytes(Path.of("../runtime", e.getName())), data, e.getName());
                }
            }
        }
        List<String> want = new ArrayList<>(List.of("__main__.py"));
        want.addAll(ShimArchive.MODULES);
        assertEquals(want, names, "entries in a fixed order, the runner first");
        String sha = ShimArchive.get().sha256();
        assertEquals(sha, java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256")
                .digest(ShimArchive.get().bytes())));
        // The plans reference it instead of carrying the sources.
        for (OutputFile f : new ShimEmitter().emit(twoNodes(null))) assertFalse(f.path().endsWith(".py"), f.path());
        String plan = PlanJsonEmitter.emit(twoNodes(null), true).get(0).content();
        assertTrue(plan.contains("\"sha256\" : \"" + sha + "\""), plan);
        assertTrue(plan.contains("\"archive\" : \"../" + ShimArchive.fileName() + "\""), plan);
    }

    @Test
    void torchrunScriptsHandTheHostileHeadAndPathsToTorchrunLiterally() throws Exception {
        Path marker = tmp.resolve("pwned");
        String head = "head 'h' $(touch " + marker + ") `touch " + marker + "`\nline2 ünï";
        EmitInput in = twoNodes(List.of(head, "worker"));
        Map<String, String> files = new java.util.TreeMap<>();
        for (OutputFile f : new ShimEmitter().emit(in)) files.put(f.path(), f.content());
        assertTrue(files.containsKey("shim/torchrun-node0.sh") && files.containsKey("shim/torchrun-node1.sh"), files.keySet().toString());
        assertTrue(files.containsKey("shim/srun.sbatch") && files.containsKey("shim/README.md"));

        Path dir = tmp.resolve("out dir $(x)/plan/shim");
        Files.createDirectories(dir);
        Path archive = dir.resolve("../../" + ShimArchive.fileName());
        Files.write(archive, ShimArchive.get().bytes());
        Path bin = tmp.resolve("bin");
        Files.createDirectories(bin);
        Path record = tmp.resolve("argv.txt");
        Path stub = bin.resolve("torchrun");
        Files.writeString(stub, "#!/usr/bin/env bash\nfor a in \"$@\"; do printf '%s\\0' \"$a\"; done > " + quote(record.toString())
                + "\nprintf '%s\\0' \"$PYTHONPATH\" \"$CUDA_VISIBLE_DEVICES\" >> " + quote(record.toString()) + "\n");
        Files.setPosixFilePermissions(stub, PosixFilePermissions.fromString("rwxr-xr-x"));
        for (int node = 0; node < 2; node++) {
            Path script = dir.resolve("torchrun-node" + node + ".sh");
            Files.writeString(script, files.get("shim/torchrun-node" + node + ".sh"));
            Process n = new ProcessBuilder("bash", "-n", script.toString()).redirectErrorStream(true).start();
            assertEquals(0, n.waitFor(), new String(n.getInputStream().readAllBytes()));
            ProcessBuilder pb = new ProcessBuilder("bash", script.toString(), "bench", "--batch", "64").redirectErrorStream(true);
            pb.environment().put("PATH", bin + ":" + System.getenv("PATH"));
            pb.environment().remove("HEAD_ADDR");
            pb.environment().remove("PYTHONPATH");
            Process p = pb.start();
            String output = new String(p.getInputStream().readAllBytes());
            assertEquals(0, p.waitFor(), output);
            List<String> argv = List.of(Files.readString(record).split("\0", -1));
            assertFalse(Files.exists(marker), "nothing in a user string may run");
            assertEquals(head, value(argv, "--master-addr"), "the head address reaches torchrun literally");
            assertEquals("--node-rank=" + node, argv.stream().filter(a -> a.startsWith("--node-rank")).findFirst().orElseThrow());
            assertTrue(argv.contains("--nnodes=2") && argv.contains("--nproc-per-node=8"), argv.toString());
            assertEquals(dir.resolve("../plan.json").toString(), value(argv, "--plan"));
            int mode = argv.indexOf(dir.resolve("../plan.json").toString()) + 1;
            assertEquals("bench", argv.get(mode));
            assertEquals(List.of("--batch", "64"), argv.subList(argv.size() - 5, argv.size() - 3));
            assertEquals(dir + "/../../" + ShimArchive.fileName(), argv.get(argv.size() - 3), "PYTHONPATH is the shim archive");
            assertEquals("0,1,2,3,4,5,6,7", argv.get(argv.size() - 2));
        }
        // An archive other than the one the plan was compiled with is refused before anything runs.
        Files.write(archive, "not the shim".getBytes(StandardCharsets.UTF_8));
        ProcessBuilder pb = new ProcessBuilder("bash", dir.resolve("torchrun-node0.sh").toString()).redirectErrorStream(true);
        pb.environment().put("PATH", bin + ":" + System.getenv("PATH"));
        Process p = pb.start();
        String output = new String(p.getInputStream().readAllBytes());
        assertEquals(2, p.waitFor(), output);
        assertTrue(output.contains("is not the shim this plan was compiled with"), output);
        Path sbatch = dir.resolve("srun.sbatch");
        Files.writeString(sbatch, files.get("shim/srun.sbatch"));
        Process n = new ProcessBuilder("bash", "-n", sbatch.toString()).redirectErrorStream(true).start();
        assertEquals(0, n.waitFor(), new String(n.getInputStream().readAllBytes()));
        assertTrue(files.get("shim/srun.sbatch").contains("#SBATCH --nodes=2\n#SBATCH --ntasks-per-node=8\n"), files.get("shim/srun.sbatch"));
    }

    private static String value(List<String> argv, String flag) {
        for (int i = 0; i < argv.size(); i++) {
            if (argv.get(i).equals(flag)) return argv.get(i + 1);
            if (argv.get(i).startsWith(flag + "=")) return argv.get(i).substring(flag.length() + 1);
        }
        fail("no " + flag + " in " + argv);
        return null;
    }

    private static String quote(String s) {
        return "'" + s.replace("'", "'\\''") + "'";
    }

    private EmitInput twoNodes(List<String> hosts) {
        Plan p = EmitTesting.byName(EmitTesting.load(EmitTesting.FIXTURES, "plans")).values().stream()
                .map(EmitInput::plan).filter(x -> x.cluster().nodes() == 2 && x.parallel().worldSize() == 16).findFirst().orElseThrow();
        Deploy d = p.deploy();
        Deploy nd = new Deploy(d.modelPath(), d.servedName(), d.image(), hosts == null ? d.hosts() : hosts, d.port(), d.masterPort(),
                d.namespace(), d.partition(), d.account(), d.network());
        Plan q = new Plan(p.name(), p.sourceFile(), p.model(), p.cluster(), p.workload(), p.parallel(), p.engine(), p.slos(),
                Set.of(Target.SHIM), nd, p.tuning(), p.spans(), p.span());
        return EmitTesting.input(q);
    }
}
