package dev.shardplan.maven;

import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * The copy of the generated configs in {@code target/classes/shardplan/}. maven-resources-plugin
 * only ever adds files there, so a deleted plan's configs (or a target dropped from a plan) would
 * stay in the jar until {@code mvn clean}; the folder belongs to this plugin, so before the copy
 * everything in it that the output folder no longer holds is removed.
 */
final class OutputFolders {
    private OutputFolders() {}

    /**
     * Deletes the files under {@code copy} that have no counterpart (same relative path) under
     * {@code source}, then the folders left empty; returns the deleted files, relative to {@code copy}.
     */
    static List<String> prune(Path copy, Path source) throws IOException {
        List<String> deleted = new ArrayList<>();
        if (!Files.isDirectory(copy)) return deleted;
        List<Path> files;
        try (Stream<Path> s = Files.walk(copy)) {
            files = s.filter(Files::isRegularFile).sorted().toList();
        }
        for (Path f : files) {
            String rel = copy.relativize(f).toString().replace('\\', '/');
            if (!Files.isRegularFile(source.resolve(rel))) {
                Files.delete(f);
                deleted.add(rel);
            }
        }
        List<Path> dirs;
        try (Stream<Path> s = Files.walk(copy)) {
            // deepest first, so a parent is looked at after its children
            dirs = s.filter(Files::isDirectory).sorted(java.util.Comparator.reverseOrder()).toList();
        }
        for (Path d : dirs) {
            if (d.equals(copy)) continue;
            try (Stream<Path> s = Files.list(d)) {
                if (s.findAny().isEmpty()) Files.delete(d);
            }
        }
        return deleted;
    }

    static void deleteTree(Path dir) throws IOException {
        Files.walkFileTree(dir, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                Files.delete(file);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path d, IOException exc) throws IOException {
                if (exc != null) throw exc;
                Files.delete(d);
                return FileVisitResult.CONTINUE;
            }
        });
    }
}
