package dev.shardplan.resolve;

import dev.shardplan.api.Frontend;
import dev.shardplan.api.FrontendResult;
import dev.shardplan.diag.Codes;
import dev.shardplan.diag.Diagnostic;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Import paths: a relative import not found beside the importing file is looked up in each import
 * path in order; a file found there is confined to that import path as project files are to the
 * project root.
 */
class ImportPathsTest {
    @TempDir
    Path tmp;

    static final String CLUSTER = """
            import "std:nodes"
            cluster shared_h100 { nodes 1 x HGX_H100 }
            """;

    static String plan(String importLine) {
        return importLine + """

                import "std:models"
                import "std:workloads"
                plan p {
                  model llama_3_1_8b
                  cluster shared_h100
                  workload natural_reasoning
                  parallel { tp 1 }
                  engine vllm { max_num_seqs 64 }
                }
                """;
    }

    Path write(String rel, String text) throws Exception {
        Path f = tmp.resolve(rel);
        Files.createDirectories(f.getParent());
        Files.writeString(f, text);
        return f;
    }

    static List<String> codes(FrontendResult r) {
        return r.diagnostics().stream().map(d -> d.code().id()).toList();
    }

    @Test
    void anImportNotBesideTheFileIsFoundInTheImportPaths() throws Exception {
        Path project = tmp.resolve("project");
        Path in = write("project/src/a.plan", plan("import \"clusters/h100.plan\""));
        write("shared/clusters/h100.plan", CLUSTER);
        FrontendResult r = Frontend.check(project, List.of(tmp.resolve("shared")), List.of(in));
        assertEquals(List.of(), r.diagnostics());
        assertEquals(1, r.plans().size());
        assertEquals("shared_h100", r.plans().get(0).cluster().name());
        // The shared file is a dependency of the plan, so incremental builds see it change.
        assertTrue(r.dependencies().get("src/a.plan").contains(tmp.resolve("shared/clusters/h100.plan").toString().replace('\\', '/')),
                r.dependencies().toString());
    }

    @Test
    void withoutTheImportPathTheImportIsNotFound() throws Exception {
        Path in = write("project/src/a.plan", plan("import \"clusters/h100.plan\""));
        write("shared/clusters/h100.plan", CLUSTER);
        FrontendResult r = Frontend.check(tmp.resolve("project"), List.of(), List.of(in));
        assertTrue(codes(r).contains(Codes.IMPORT_NOT_FOUND.id()), r.diagnostics().toString());
    }

    @Test
    void aFileBesideTheImporterWinsOverTheImportPaths() throws Exception {
        Path in = write("project/a.plan", plan("import \"clusters/h100.plan\""));
        write("project/clusters/h100.plan", CLUSTER);
        write("shared/clusters/h100.plan", "this is not a plan file");
        FrontendResult r = Frontend.check(tmp.resolve("project"), List.of(tmp.resolve("shared")), List.of(in));
        assertEquals(List.of(), r.diagnostics());
    }

    @Test
    void importPathsAreSearchedInOrder() throws Exception {
        Path in = write("project/a.plan", plan("import \"c.plan\""));
        write("first/c.plan", CLUSTER);
        write("second/c.plan", "not a plan");
        FrontendResult r = Frontend.check(tmp.resolve("project"), List.of(tmp.resolve("first"), tmp.resolve("second")), List.of(in));
        assertEquals(List.of(), r.diagnostics());
    }

    @Test
    void aSharedFileMayNotLeaveItsImportPath() throws Exception {
        Path in = write("project/a.plan", plan("import \"c.plan\""));
        write("shared/c.plan", "import \"../secret/x.plan\"\n" + CLUSTER);
        write("secret/x.plan", "");
        FrontendResult r = Frontend.check(tmp.resolve("project"), List.of(tmp.resolve("shared")), List.of(in));
        Diagnostic d = r.diagnostics().stream().filter(x -> x.code() == Codes.IMPORT_OUTSIDE).findFirst().orElseThrow(
                () -> new AssertionError(r.diagnostics().toString()));
        assertTrue(d.message().contains("leaves the import path"), d.message());
    }

    @Test
    void leavingTheProjectRootSaysHowToShareFiles() throws Exception {
        Path in = write("project/a.plan", plan("import \"../shared/c.plan\""));
        write("shared/c.plan", CLUSTER);
        FrontendResult r = Frontend.check(tmp.resolve("project"), List.of(), List.of(in));
        Diagnostic d = r.diagnostics().stream().filter(x -> x.code() == Codes.IMPORT_OUTSIDE).findFirst().orElseThrow();
        assertTrue(d.help().contains("import paths"), d.help());
    }

    @Test
    void aMissingImportNamesEveryPlaceItLooked() throws Exception {
        Path in = write("project/a.plan", plan("import \"nowhere.plan\""));
        Files.createDirectories(tmp.resolve("shared"));
        FrontendResult r = Frontend.check(tmp.resolve("project"), List.of(tmp.resolve("shared")), List.of(in));
        Diagnostic d = r.diagnostics().stream().filter(x -> x.code() == Codes.IMPORT_NOT_FOUND).findFirst().orElseThrow();
        assertEquals(2, d.notes().size(), d.notes().toString());
        assertTrue(d.notes().get(1).contains(tmp.resolve("shared").resolve("nowhere.plan").toString()), d.notes().toString());
    }
}
