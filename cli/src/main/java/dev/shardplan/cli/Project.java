package dev.shardplan.cli;

import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Where a command's plans live: the project root that confines imports, and the import paths. */
final class Project {
    @Option(names = "--root", paramLabel = "DIR", description = "project root: imports may not leave it (default: the current folder)")
    Path root;

    @Option(names = {"-I", "--import-path"}, paramLabel = "DIR",
            description = "also look for relative imports in DIR (repeatable, searched in order); files found there may import only inside it")
    List<Path> importPaths = new ArrayList<>();

    @Option(names = "--time-limit", paramLabel = "SECONDS",
            description = "stop work that runs longer and report it (SP0904) instead of running on (default: no limit)")
    Long timeLimit;

    Path root() {
        return Roots.root(root, List.of());
    }

    List<Path> importPaths() {
        return importPaths.stream().map(p -> p.toAbsolutePath().normalize()).toList();
    }
}
