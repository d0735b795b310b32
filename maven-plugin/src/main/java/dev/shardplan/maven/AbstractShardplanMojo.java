package dev.shardplan.maven;

import dev.shardplan.api.IncrementalBuild;
import dev.shardplan.api.Message;
import dev.shardplan.api.Version;
import dev.shardplan.diag.Severity;
import org.apache.maven.plugin.AbstractMojo;
import org.apache.maven.plugin.MojoExecutionException;
import org.apache.maven.plugin.MojoFailureException;
import org.apache.maven.plugin.descriptor.PluginDescriptor;
import org.apache.maven.plugin.logging.Log;
import org.apache.maven.plugins.annotations.Parameter;
import org.apache.maven.project.MavenProject;

import java.io.File;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * What the check and compile goals share: choosing the plan files, the digest cache, printing
 * diagnostics as {@code file:line:col: error[CODE]: message} lines and failing the build on errors.
 * The goals only say which compiler call to make.
 */
abstract class AbstractShardplanMojo extends AbstractMojo {
    /**
     * The folder that holds the {@code .plan} files. Imports may reach any file inside the project
     * folder; diagnostics name files relative to it.
     *
     * @since 0.1.0
     */
    @Parameter(property = "shardplan.sourceDirectory", defaultValue = "${project.basedir}/src/main/plans", required = true)
    protected File sourceDirectory;

    /**
     * Ant-style patterns, relative to {@code sourceDirectory}, of the files to take; default
     * {@code **}{@code /*.plan}. Files that are only imported need not be included.
     *
     * @since 0.1.0
     */
    @Parameter
    protected List<String> includes;

    /**
     * Ant-style patterns, relative to {@code sourceDirectory}, of files to leave out (for example
     * shared files that hold only clusters or models and are imported by the others).
     *
     * @since 0.1.0
     */
    @Parameter
    protected List<String> excludes;

    /**
     * Fail the build when the compiler reports warnings, not only errors.
     *
     * @since 0.1.0
     */
    @Parameter(property = "shardplan.failOnWarning", defaultValue = "false")
    protected boolean failOnWarning;

    /**
     * Skip this goal.
     *
     * @since 0.1.0
     */
    @Parameter(property = "shardplan.skip", defaultValue = "false")
    protected boolean skip;

    @Parameter(defaultValue = "${project}", readonly = true, required = true)
    protected MavenProject project;

    @Parameter(defaultValue = "${plugin}", readonly = true, required = true)
    protected PluginDescriptor plugin;

    /** The goal's name, for messages and the cache file. */
    abstract String goal();

    /** The past tense for the summary: "checked", "compiled". */
    abstract String verb();

    /** The folder whose {@code <plan>/} subfolders the goal writes, or null. */
    abstract Path outputDirectory();

    /** Goal parameters that change the compiler's result, for the cache fingerprint. */
    abstract String parameters();

    /** The compiler call. */
    abstract IncrementalBuild.Step step() throws MojoExecutionException;

    /** Runs after a successful build (the compile goal registers its output as a resource folder). */
    void after() {}

    @Override
    public void execute() throws MojoExecutionException, MojoFailureException {
        if (skip) {
            getLog().info("shardplan: " + goal() + " skipped");
            return;
        }
        Path root = project.getBasedir().toPath().toAbsolutePath().normalize();
        Path src = sourceDirectory.toPath().toAbsolutePath().normalize();
        List<Path> inputs;
        try {
            inputs = PlanFiles.select(src, includes, excludes);
        } catch (IOException e) {
            throw new MojoExecutionException("shardplan: cannot list " + src + ": " + e.getMessage(), e);
        }
        IncrementalBuild.Request request = new IncrementalBuild.Request(root, inputs, cacheFile(), fingerprint(), outputDirectory());
        IncrementalBuild.Outcome outcome;
        try {
            outcome = IncrementalBuild.run(request, step());
        } catch (IOException e) {
            throw new MojoExecutionException("shardplan: " + e.getMessage(), e);
        } catch (RuntimeException e) {
            // A plan error never gets here: the compiler reports those as diagnostics.
            throw new MojoExecutionException("shardplan internal error, please report it with this trace"
                    + " (shardplan " + Version.VERSION + ", Maven plugin " + plugin.getVersion() + ")", e);
        }
        log(getLog(), outcome.messages());
        long errors = outcome.count(Severity.ERROR);
        long warnings = outcome.count(Severity.WARNING);
        if (errors > 0 || (failOnWarning && warnings > 0)) {
            throw new MojoFailureException("shardplan " + goal() + " found " + count(errors, "error") + " and "
                    + count(warnings, "warning") + " in " + display(root, src)
                    + (errors == 0 ? " (failOnWarning is set)" : "") + "; see the lines above");
        }
        getLog().info(summary(root, src, inputs.size(), outcome));
        after();
    }

    private String summary(Path root, Path src, int files, IncrementalBuild.Outcome o) {
        StringBuilder sb = new StringBuilder("shardplan: ");
        if (files == 0) {
            sb.append("no plan files in ").append(display(root, src));
        } else if (o.compiled().isEmpty()) {
            sb.append("nothing to ").append(goal()).append(", ").append(count(o.upToDate().size(), "file")).append(" up to date");
        } else {
            sb.append(verb()).append(' ').append(count(o.compiled().size(), "file"));
            if (!o.upToDate().isEmpty()) sb.append(", ").append(o.upToDate().size()).append(" up to date");
        }
        if (!o.deletedOutputs().isEmpty()) {
            sb.append("; removed the outputs of ").append(count(o.deletedOutputs().size(), "plan")).append(" that no longer exist");
        }
        return sb.toString();
    }

    /** Each message at its severity's level, detail lines indented beneath it. */
    static void log(Log log, List<Message> messages) {
        for (Message m : messages) {
            emit(log, m.severity(), m.line());
            for (String d : m.details()) {
                for (String line : d.split("\n", -1)) emit(log, m.severity(), "    " + line);
            }
        }
    }

    private static void emit(Log log, Severity s, String line) {
        switch (s) {
            case ERROR -> log.error(line);
            case WARNING -> log.warn(line);
            case NOTE -> log.info(line);
        }
    }

    private Path cacheFile() {
        return Path.of(project.getBuild().getDirectory(), "shardplan", goal() + "-cache.json");
    }

    private String fingerprint() {
        return "shardplan-maven-plugin " + plugin.getVersion() + "; compiler " + Version.VERSION + " " + CompilerJar.digest()
                + "; goal " + goal() + "; " + parameters();
    }

    static String count(long n, String noun) {
        return n + " " + noun + (n == 1 ? "" : "s");
    }

    static String display(Path root, Path p) {
        return p.startsWith(root) && !p.equals(root) ? root.relativize(p).toString().replace('\\', '/') : p.toString();
    }
}
