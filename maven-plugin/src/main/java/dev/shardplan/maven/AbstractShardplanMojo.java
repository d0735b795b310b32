package dev.shardplan.maven;

import dev.shardplan.api.IncrementalBuild;
import dev.shardplan.api.Message;
import dev.shardplan.diag.Version;
import dev.shardplan.diag.Severity;
import dev.shardplan.model.Plan;
import org.apache.maven.artifact.Artifact;
import org.apache.maven.plugin.AbstractMojo;
import org.apache.maven.plugin.MojoExecutionException;
import org.apache.maven.plugin.MojoFailureException;
import org.apache.maven.plugin.descriptor.PluginDescriptor;
import org.apache.maven.plugin.logging.Log;
import org.apache.maven.plugins.annotations.Component;
import org.apache.maven.plugins.annotations.Parameter;
import org.apache.maven.project.MavenProject;
import org.eclipse.aether.RepositorySystem;
import org.eclipse.aether.RepositorySystemSession;
import org.eclipse.aether.artifact.DefaultArtifact;
import org.eclipse.aether.repository.RemoteRepository;
import org.eclipse.aether.resolution.ArtifactRequest;
import org.eclipse.aether.resolution.ArtifactResolutionException;
import org.sonatype.plexus.build.incremental.BuildContext;

import java.io.File;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

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
     * Extra folders searched, in order, for a relative import that is not found beside the
     * importing file: {@code import "clusters/h200.plan"} finds {@code <importPath>/clusters/h200.plan}.
     * Modules of one build share plan files this way ({@code ${project.basedir}/../shared-plans}).
     * A {@code .jar} or {@code .zip} file is unpacked (its {@code .plan} files) and searched the
     * same way. A file found in an import path may import files inside it (or in the other import
     * paths), not outside it.
     *
     * @since 0.1.0
     */
    @Parameter
    protected List<File> importPaths;

    /**
     * Artifacts whose {@code .plan} files are importable without being project dependencies,
     * as {@code groupId:artifactId:version} (or {@code groupId:artifactId:extension:version},
     * {@code groupId:artifactId:extension:classifier:version}); each is resolved from the
     * project's repositories and searched like an import path, after {@code importPaths}.
     *
     * @since 0.1.0
     */
    @Parameter
    protected List<String> importDependencies;

    /**
     * Do not search the project's own dependencies for plan files. By default every dependency
     * (compile, provided and system scope) that holds {@code .plan} files is an import root, so a
     * team can ship its cluster and model declarations as a jar: a plan then imports them by their
     * path inside that jar.
     *
     * @since 0.1.0
     */
    @Parameter(property = "shardplan.ignoreProjectDependencies", defaultValue = "false")
    protected boolean ignoreProjectDependencies;

    /**
     * Fail the build when the compiler reports warnings, not only errors.
     *
     * @since 0.1.0
     */
    @Parameter(property = "shardplan.failOnWarning", defaultValue = "false")
    protected boolean failOnWarning;

    /**
     * Findings the project has reviewed and accepts in every plan: each entry a warning or note
     * code ({@code <code>SP0807</code>}, or its name) and a {@code <reason>}. A suppressed finding
     * does not count towards {@code failOnWarning}; it is logged as suppressed, with the reason,
     * and counted in the summary. Errors are never suppressed: an entry naming an error code, an
     * unknown code or no reason stops the build. To accept a finding in one plan only, write
     * {@code allow SP0403 "reason"} in that plan instead.
     *
     * @since 0.1.0
     */
    @Parameter
    protected List<Suppression> suppressions;

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

    @Parameter(defaultValue = "${repositorySystemSession}", readonly = true, required = true)
    protected RepositorySystemSession repositorySession;

    @Component
    protected RepositorySystem repositorySystem;

    /** The IDE's view of the build under m2e (changed files, markers, refresh); plexus' default one otherwise. */
    @Component
    protected BuildContext buildContext;

    /**
     * Messages this build already logged for this project, kept in the project's context so that
     * a warning that the check goal printed is not printed again by the compile goal, which checks
     * the same plans.
     */
    static final String LOGGED = "dev.shardplan.maven.logged";

    /** The goal's name, for messages and the cache file. */
    abstract String goal();

    /** The past tense for the summary: "checked", "compiled". */
    abstract String verb();

    /** The folder whose {@code <plan>/} subfolders the goal writes, or null. */
    abstract Path outputDirectory();

    /** Goal parameters that change the compiler's result, for the cache fingerprint. */
    abstract String parameters();

    /** The compiler call, with {@code importRoots} searched for imports and the project's {@code suppressions} applied. */
    abstract IncrementalBuild.Step step(List<Path> importRoots, List<dev.shardplan.diag.Suppression> suppressions)
            throws MojoExecutionException;

    /** Runs after a successful build, given its outcome (the compile goal prunes stale copies). */
    void after(IncrementalBuild.Outcome outcome) throws MojoExecutionException {}

    /** Runs after a successful or skipped-as-unchanged build (the compile goal registers its resource folder). */
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
        List<Path> roots;
        try {
            inputs = PlanFiles.select(src, includes, excludes);
            roots = importRoots();
        } catch (IOException e) {
            throw new MojoExecutionException("shardplan: cannot read the plans or their import paths: " + e.getMessage(), e);
        }
        if (buildContext.isIncremental() && !changed(src, roots)) {
            // An IDE build after an edit elsewhere: nothing this goal reads changed.
            getLog().debug("shardplan: no plan file changed");
            after();
            return;
        }
        List<dev.shardplan.diag.Suppression> allowed = projectSuppressions();
        IncrementalBuild.Request request = new IncrementalBuild.Request(root, inputs, cacheFile(), fingerprint(roots, allowed),
                outputDirectory());
        IncrementalBuild.Outcome outcome;
        List<IncrementalBuild.StepResult> results = new ArrayList<>();
        IncrementalBuild.Step step = step(roots, allowed);
        try {
            outcome = IncrementalBuild.run(request, (r, in) -> {
                IncrementalBuild.StepResult res = step.run(r, in);
                results.add(res);
                return res;
            });
        } catch (IOException e) {
            throw new MojoExecutionException("shardplan: " + e.getMessage(), e);
        } catch (RuntimeException e) {
            // A plan error never gets here: the compiler reports those as diagnostics.
            throw new MojoExecutionException("shardplan internal error, please report it with this trace"
                    + " (shardplan " + Version.VERSION + ", Maven plugin " + plugin.getVersion() + ")", e);
        }
        log(getLog(), unlogged(outcome.messages()));
        IdeMarkers.update(buildContext, "dev.shardplan.maven.markers." + goal(), root, src, outcome.messages());
        long errors = outcome.count(Severity.ERROR);
        long warnings = outcome.count(Severity.WARNING);
        if (errors > 0 || (failOnWarning && warnings > 0)) {
            throw new MojoFailureException("shardplan " + goal() + " found " + count(errors, "error") + " and "
                    + count(warnings, "warning") + " in " + display(root, src)
                    + (errors == 0 ? " (failOnWarning is set)" : "") + "; see the lines above");
        }
        for (String id : outcome.compiled()) getLog().info("shardplan: " + verb() + " " + id + describe(root, id, results));
        getLog().info(summary(root, src, inputs.size(), outcome));
        after(outcome);
        after();
    }

    /** The {@code suppressions} parameter, checked as the compiler checks an {@code allow}: a bad entry stops the build. */
    List<dev.shardplan.diag.Suppression> projectSuppressions() throws MojoExecutionException {
        List<dev.shardplan.diag.Suppression> out = new ArrayList<>();
        if (suppressions == null) return out;
        for (Suppression s : suppressions) {
            try {
                out.add(dev.shardplan.diag.Suppression.project(s.getCode(), s.getReason()));
            } catch (IllegalArgumentException e) {
                throw new MojoExecutionException("shardplan: <suppressions>: " + e.getMessage());
            }
        }
        return out;
    }

    /** The messages the goals of this build have not logged yet for this project; they count as logged now. */
    private List<Message> unlogged(List<Message> messages) {
        synchronized (project) {
            @SuppressWarnings("unchecked")
            Set<Message> logged = (Set<Message>) project.getContextValue(LOGGED);
            if (logged == null) {
                logged = new HashSet<>();
                project.setContextValue(LOGGED, logged);
            }
            List<Message> out = new ArrayList<>();
            for (Message m : messages) if (logged.add(m)) out.add(m);
            return out;
        }
    }

    /** ": plan a, plan b" with the plans the input declares, and where they went (compile). */
    private String describe(Path root, String id, List<IncrementalBuild.StepResult> results) {
        List<String> names = new ArrayList<>();
        for (IncrementalBuild.StepResult r : results) {
            for (Plan p : r.plans()) if (id.equals(p.sourceFile())) names.add(p.name());
        }
        if (names.isEmpty()) return "";
        StringBuilder sb = new StringBuilder(": ");
        Path out = outputDirectory();
        for (int i = 0; i < names.size(); i++) {
            if (i > 0) sb.append(", ");
            sb.append("plan ").append(names.get(i));
            if (out != null) sb.append(" -> ").append(display(root, out.resolve(names.get(i))));
        }
        return sb.toString();
    }

    /** Whether the IDE reports a change under the plan folder or an import root. */
    private boolean changed(Path src, List<Path> roots) {
        if (buildContext.hasDelta(src.toFile())) return true;
        for (Path r : roots) if (buildContext.hasDelta(r.toFile())) return true;
        return false;
    }

    /**
     * The folders searched for imports: {@code importPaths}, then {@code importDependencies},
     * then the project's dependencies that hold plan files, each once, in that order.
     */
    List<Path> importRoots() throws IOException, MojoExecutionException {
        ImportRoots ir = new ImportRoots(Path.of(project.getBuild().getDirectory(), "shardplan", "imports"));
        LinkedHashSet<Path> out = new LinkedHashSet<>();
        if (importPaths != null) {
            int i = 0;
            for (File f : importPaths) {
                Path r = ir.root(f.toPath(), "path-" + (i++) + "-" + f.getName(), true);
                if (r != null) out.add(r);
            }
        }
        if (importDependencies != null) {
            for (String coords : importDependencies) {
                Path r = ir.root(resolve(coords.strip()), unpackName(coords.strip()), false);
                if (r != null) out.add(r);
                else getLog().warn("shardplan: importDependencies entry " + coords.strip() + " holds no .plan files");
            }
        }
        if (!ignoreProjectDependencies) {
            for (Artifact a : project.getArtifacts()) {
                if (a.getFile() == null) continue;
                String scope = a.getScope();
                if (scope != null && !scope.equals(Artifact.SCOPE_COMPILE) && !scope.equals(Artifact.SCOPE_PROVIDED)
                        && !scope.equals(Artifact.SCOPE_SYSTEM)) continue;
                Path r = ir.root(a.getFile().toPath(), unpackName(a.getGroupId() + ":" + a.getArtifactId()
                        + (a.getClassifier() == null || a.getClassifier().isEmpty() ? "" : ":" + a.getClassifier())), false);
                if (r != null) out.add(r);
            }
        }
        for (String w : ir.warnings()) getLog().warn("shardplan: " + w);
        for (Path r : out) getLog().debug("shardplan: import root " + r);
        return List.copyOf(out);
    }

    private static String unpackName(String coords) {
        return coords.replaceAll("[^A-Za-z0-9._-]+", "/");
    }

    /** The file of an {@code importDependencies} entry, resolved from the project's repositories. */
    private Path resolve(String coords) throws MojoExecutionException {
        DefaultArtifact a;
        try {
            a = new DefaultArtifact(coords);
        } catch (IllegalArgumentException e) {
            throw new MojoExecutionException("shardplan: importDependencies entry `" + coords
                    + "` is not groupId:artifactId[:extension[:classifier]]:version");
        }
        List<RemoteRepository> repos = project.getRemoteProjectRepositories();
        try {
            File f = repositorySystem.resolveArtifact(repositorySession, new ArtifactRequest(a, repos, null)).getArtifact().getFile();
            return f.toPath();
        } catch (ArtifactResolutionException e) {
            throw new MojoExecutionException("shardplan: cannot resolve importDependencies entry " + coords + ": " + e.getMessage(), e);
        }
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
        if (o.suppressed() > 0) sb.append("; ").append(count(o.suppressed(), "finding")).append(" suppressed");
        if (!o.deletedOutputs().isEmpty()) {
            sb.append("; removed the outputs of ").append(count(o.deletedOutputs().size(), "plan")).append(" that no longer exist");
        }
        return sb.toString();
    }

    /**
     * Each message at its severity's level, detail lines indented beneath it; a suppressed one
     * on one info line with the reason it is accepted.
     */
    static void log(Log log, List<Message> messages) {
        for (Message m : messages) {
            if (m.isSuppressed()) {
                log.info("suppressed " + m.line() + " (" + m.suppressed() + ")");
                continue;
            }
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

    private String fingerprint(List<Path> roots, List<dev.shardplan.diag.Suppression> allowed) {
        List<String> sup = allowed.stream().map(s -> s.code().id() + "=" + s.reason()).toList();
        return "shardplan-maven-plugin " + plugin.getVersion() + "; compiler " + Version.VERSION + " " + CompilerJar.digest()
                + "; goal " + goal() + "; import roots " + roots + "; suppressions " + sup + "; " + parameters();
    }

    static String count(long n, String noun) {
        return n + " " + noun + (n == 1 ? "" : "s");
    }

    static String display(Path root, Path p) {
        return p.startsWith(root) && !p.equals(root) ? root.relativize(p).toString().replace('\\', '/') : p.toString();
    }
}
