package dev.shardplan.emit;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every generated shell script passes shellcheck with no finding at any severity: the scripts
 * themselves, the node script a Slurm job hands to srun (a heredoc), and the bash scripts of
 * Kubernetes pods (after Kubernetes' $$ unescaping), for the fixtures, plans/ and their variants.
 * shellcheck is installed by .ci/run; a machine without it skips the test locally and fails on CI.
 */
class ShellcheckTest {
    @TempDir
    Path tmp;

    static boolean available() {
        try {
            Process p = new ProcessBuilder("shellcheck", "--version").redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException | InterruptedException e) {
            return false;
        }
    }

    @Test
    void everyGeneratedScriptPassesShellcheck() throws Exception {
        boolean ci = "true".equalsIgnoreCase(System.getenv("CI"));
        if (!available()) {
            assertTrue(!ci, "shellcheck is missing on CI (.ci/run installs it)");
            Assumptions.abort("shellcheck is not installed");
        }
        Map<String, String> scripts = new TreeMap<>();
        for (List<EmitInput> base : AcceptedFlagsTest.plansToCheck()) {
            for (EmitInput b : base) {
                for (EmitInput in : List.of(b, AcceptedFlagsTest.variant(b, "_variant"))) {
                    Emit.Rendered r = Emit.standard().render(List.of(in), java.util.Set.of());
                    if (!r.ok()) continue;
                    for (var e : r.plans().entrySet()) for (OutputFile f : e.getValue()) collect(e.getKey() + "/" + f.path(), f.content(), scripts);
                }
            }
        }
        List<Path> files = new ArrayList<>();
        for (var e : scripts.entrySet()) {
            Path p = tmp.resolve(e.getKey().replace('/', '_').replace(' ', '_'));
            Files.writeString(p, e.getValue(), StandardCharsets.UTF_8);
            files.add(p);
        }
        List<String> findings = new ArrayList<>();
        for (int i = 0; i < files.size(); i += 200) {
            List<String> cmd = new ArrayList<>(List.of("shellcheck", "--shell=bash", "--severity=style", "--format=gcc"));
            for (Path p : files.subList(i, Math.min(files.size(), i + 200))) cmd.add(p.toString());
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(p.waitFor(300, TimeUnit.SECONDS), "shellcheck finished");
            for (String line : out.split("\n")) if (!line.isBlank()) findings.add(line.replace(tmp.toString() + "/", ""));
        }
        assertEquals(List.of(), findings);
        assertTrue(scripts.size() > 100, "scripts checked: " + scripts.size());
        assertTrue(scripts.keySet().stream().anyMatch(k -> k.endsWith("#node-script")), "Slurm node scripts are checked");
        assertTrue(scripts.keySet().stream().anyMatch(k -> k.endsWith("#pod")), "Kubernetes pod scripts are checked");
    }

    /** The file itself when it is a script, the node script inside a Slurm job, and each pod's bash -c script. */
    static void collect(String where, String text, Map<String, String> out) throws IOException {
        if (where.endsWith(".sh") || where.endsWith(".sbatch")) {
            out.put(where, text);
            int start = text.indexOf("<<'SHARDPLAN_NODE_SCRIPT'");
            if (start >= 0) {
                int body = text.indexOf('\n', start) + 1;
                int end = text.indexOf("\nSHARDPLAN_NODE_SCRIPT\n", body);
                // srun runs it with bash -c and the job's environment (HEAD_ADDR exported above it).
                out.put(where + "#node-script", "#!/usr/bin/env bash\n: \"${HEAD_ADDR:?}\"\n" + text.substring(body, end + 1));
            }
        } else if (where.contains("/kubernetes/")) {
            int n = 0;
            for (JsonNode d : HostileStringTest.yaml(text)) {
                JsonNode t = d.path("spec").path("leaderWorkerTemplate");
                for (String role : List.of("leaderTemplate", "workerTemplate")) {
                    for (JsonNode c : t.path(role).path("spec").path("containers")) {
                        if (c.path("command").size() == 2 && c.path("command").get(0).asText().equals("/bin/bash"))
                            out.put(where + "#" + role + "-" + (n++) + "#pod", "#!/usr/bin/env bash\n" + c.path("args").get(0).asText().replace("$$", "$"));
                    }
                }
            }
        }
    }
}
