package dev.shardplan.maven;

import dev.shardplan.api.Compiler;
import dev.shardplan.api.IncrementalBuild;
import org.apache.maven.plugins.annotations.LifecyclePhase;
import org.apache.maven.plugins.annotations.Mojo;
import org.apache.maven.plugins.annotations.ResolutionScope;

import java.nio.file.Path;
import java.util.List;

/**
 * Checks the project's plans: syntax, names, units, model, memory, placement. Writes nothing but
 * its digest cache; errors (and, with {@code failOnWarning}, warnings) fail the build.
 *
 * @since 0.1.0
 */
@Mojo(name = "check", defaultPhase = LifecyclePhase.VALIDATE, threadSafe = true,
        requiresDependencyResolution = ResolutionScope.COMPILE)
public class CheckMojo extends AbstractShardplanMojo {
    @Override
    String goal() {
        return "check";
    }

    @Override
    String verb() {
        return "checked";
    }

    @Override
    Path outputDirectory() {
        return null;
    }

    @Override
    String parameters() {
        return "";
    }

    @Override
    IncrementalBuild.Step step(List<Path> importRoots, List<dev.shardplan.diag.Suppression> suppressions) {
        return (root, inputs) -> IncrementalBuild.StepResult.of(Compiler.check(root, importRoots, inputs, suppressions));
    }
}
