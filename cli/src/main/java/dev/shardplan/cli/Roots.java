package dev.shardplan.cli;

import java.nio.file.Path;
import java.util.List;

/** The project root: given, else the current folder. */
final class Roots {
    private Roots() {}

    static Path root(Path given, List<Path> paths) {
        if (given != null) return given.toAbsolutePath().normalize();
        return Path.of("").toAbsolutePath().normalize();
    }
}
