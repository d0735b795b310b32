package dev.shardplan.maven;

import dev.shardplan.api.Compiler;
import dev.shardplan.api.IncrementalBuild;
import dev.shardplan.emit.Emit;
import dev.shardplan.model.Target;
import org.apache.maven.model.Resource;
import org.apache.maven.plugin.MojoExecutionException;
import org.apache.maven.plugins.annotations.LifecyclePhase;
import org.apache.maven.plugins.annotations.Mojo;
import org.apache.maven.plugins.annotations.Parameter;

import java.io.File;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Checks the project's plans and writes each plan's launch configs ({@code plan.json} and the
 * targets' files) to {@code outputDirectory/<plan>/}, which is added as a resource folder so that
 * they are packaged. Errors (and, with {@code failOnWarning}, warnings) fail the build and write
 * nothing.
 *
 * @since 0.1.0
 */
@Mojo(name = "compile", defaultPhase = LifecyclePhase.GENERATE_RESOURCES, threadSafe = true)
public class CompileMojo extends AbstractShardplanMojo {
    /**
     * Where the launch configs go, one folder per plan. It becomes a resource folder of the
     * project, so its contents land in the artifact.
     *
     * @since 0.1.0
     */
    @Parameter(property = "shardplan.outputDirectory", defaultValue = "${project.build.directory}/generated-resources/shardplan", required = true)
    protected File outputDirectory;

    /**
     * The targets to write for every plan, replacing each plan's own {@code emit} list: any of
     * {@code vllm}, {@code sglang}, {@code trtllm}, {@code kubernetes}, {@code slurm}. Empty (the
     * default) means each plan's {@code emit} list. {@code plan.json} is always written.
     *
     * @since 0.1.0
     */
    @Parameter(property = "shardplan.targets")
    protected List<String> targets;

    @Override
    String goal() {
        return "compile";
    }

    @Override
    String verb() {
        return "compiled";
    }

    @Override
    Path outputDirectory() {
        return outputDirectory.toPath().toAbsolutePath().normalize();
    }

    @Override
    String parameters() {
        return "output " + outputDirectory() + "; targets " + parsedTargetsOrEmpty();
    }

    private Set<Target> parsedTargetsOrEmpty() {
        try {
            return parseTargets();
        } catch (MojoExecutionException e) {
            return Set.of();
        }
    }

    /** The targets asked for, in their declared order; unknown names are a configuration error. */
    Set<Target> parseTargets() throws MojoExecutionException {
        Set<Target> out = EnumSet.noneOf(Target.class);
        if (targets == null) return out;
        List<String> unknown = new ArrayList<>();
        for (String t : targets) {
            for (String part : t.split(",")) {
                String s = part.strip();
                if (s.isEmpty()) continue;
                Target x = Target.parse(s);
                if (x == null) unknown.add(s);
                else out.add(x);
            }
        }
        if (!unknown.isEmpty()) {
            throw new MojoExecutionException("shardplan: unknown target " + String.join(", ", unknown) + "; known: "
                    + Emit.standard().supported().stream().map(Target::id).sorted().collect(Collectors.joining(", ")));
        }
        return out;
    }

    @Override
    IncrementalBuild.Step step() throws MojoExecutionException {
        Set<Target> ts = parseTargets();
        Path out = outputDirectory();
        return (root, inputs) -> IncrementalBuild.StepResult.of(Compiler.compile(root, inputs, out, ts));
    }

    @Override
    void after() {
        String dir = outputDirectory().toString();
        for (Resource r : project.getResources()) {
            if (dir.equals(r.getDirectory())) return;
        }
        Resource r = new Resource();
        r.setDirectory(dir);
        project.addResource(r);
        getLog().debug("shardplan: added resource folder " + dir);
    }
}
