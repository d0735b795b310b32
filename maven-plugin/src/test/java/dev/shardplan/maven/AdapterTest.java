package dev.shardplan.maven;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

/**
 * The plugin is a thin adapter (VISION: nothing below the adapters knows Maven, and the
 * adapters know only the compiler's entry points): it turns parameters into a compiler call
 * and prints what comes back, so it uses the api, the diagnostics, the model's plan and target
 * types and the emit stage's list of targets, and no stage's workings. A Mojo that needs more
 * asks api for it.
 */
class AdapterTest {
    @Test
    void mojosUseTheCompilerThroughItsApi() {
        JavaClasses classes = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .importPackages("dev.shardplan.maven");
        noClasses().that().resideInAPackage("dev.shardplan.maven..")
                .should().dependOnClassesThat().resideInAnyPackage("dev.shardplan.ast..", "dev.shardplan.parse..",
                        "dev.shardplan.resolve..", "dev.shardplan.format..", "dev.shardplan.layout..", "dev.shardplan.engine..",
                        "dev.shardplan.graph..", "dev.shardplan.analysis..", "dev.shardplan.predict..", "dev.shardplan.report..")
                .check(classes);
    }
}
