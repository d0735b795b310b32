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
import org.apache.maven.plugins.annotations.ResolutionScope;

import java.io.File;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Checks the project's plans and writes each plan's launch configs ({@code plan.json} and the
 * targets' files) to {@code outputDirectory/<plan>/}, which is added as a resource folder with
 * target path {@code shardplan}, so that they are packaged as {@code shardplan/<plan>/...}.
 * Errors (and, with {@code failOnWarning}, warnings) fail the build and write nothing. The
 * output folder and {@code target/classes/shardplan/} belong to this goal: outputs of plans that
 * are gone, and files a plan no longer generates, are removed from both.
 *
 * @since 0.1.0
 */
@Mojo(name = "compile", defaultPhase = LifecyclePhase.GENERATE_RESOURCES, threadSafe = true,
        requiresDependencyResolution = ResolutionScope.COMPILE)
public class CompileMojo extends AbstractShardplanMojo {
    /** The folder of the artifact (and of {@code target/classes}) that holds the generated configs. */
    static final String CLASSPATH_FOLDER = "shardplan";

    /**
     * Where the launch configs go, one folder per plan. It becomes a resource folder of the
     * project, so its contents land in the artifact under {@code shardplan/}. The folder belongs
     * to the plugin: a plan output in it that no plan declares any more is deleted.
     *
     * @since 0.1.0
     */
    @Parameter(property = "shardplan.outputDirectory", defaultValue = "${project.build.directory}/generated-resources/shardplan", required = true)
    protected File outputDirectory;

    /**
     * The targets to write for every plan, replacing each plan's own {@code emit} list: any of
     * {@code vllm}, {@code sglang}, {@code trtllm}, {@code kubernetes}, {@code slurm},
     * {@code shim}, {@code report}. Empty (the
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
    IncrementalBuild.Step step(List<Path> importRoots, List<dev.shardplan.diag.Suppression> suppressions)
            throws MojoExecutionException {
        Set<Target> ts = parseTargets();
        Path out = outputDirectory();
        return (root, inputs) -> IncrementalBuild.StepResult.of(Compiler.compile(root, importRoots, inputs, out, ts, false, suppressions));
    }

    /**
     * Removes from {@code target/classes/shardplan/} what the output folder no longer holds:
     * maven-resources-plugin copies new files there but never deletes, so a deleted plan's configs
     * would otherwise ship until {@code mvn clean}.
     */
    @Override
    void after(IncrementalBuild.Outcome outcome) throws MojoExecutionException {
        Path root = project.getBasedir().toPath().toAbsolutePath().normalize();
        Path copy = Path.of(project.getBuild().getOutputDirectory(), CLASSPATH_FOLDER).toAbsolutePath().normalize();
        try {
            List<String> gone = OutputFolders.prune(copy, outputDirectory());
            if (!gone.isEmpty()) {
                getLog().info("shardplan: removed " + count(gone.size(), "stale file") + " from " + display(root, copy));
                for (String g : gone) getLog().debug("shardplan: removed " + display(root, copy.resolve(g)));
                buildContext.refresh(copy.toFile());
            }
        } catch (IOException e) {
            throw new MojoExecutionException("shardplan: cannot remove stale files from " + copy + ": " + e.getMessage(), e);
        }
        for (String plan : outcome.deletedOutputs()) {
            getLog().info("shardplan: removed the output of plan " + plan + ", which no plan file declares any more");
        }
        buildContext.refresh(outputDirectory().toFile());
    }

    @Override
    void after() {
        String dir = outputDirectory().toString();
        for (Resource r : project.getResources()) {
            if (dir.equals(r.getDirectory())) return;
        }
        Resource r = new Resource();
        r.setDirectory(dir);
        r.setTargetPath(CLASSPATH_FOLDER);
        project.addResource(r);
        getLog().debug("shardplan: added resource folder " + dir + " (packaged under " + CLASSPATH_FOLDER + "/)");
    }
}
