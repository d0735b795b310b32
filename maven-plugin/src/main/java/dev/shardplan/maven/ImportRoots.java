package dev.shardplan.maven;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.List;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

/**
 * Turns what the POM names as import sources (folders, jar or zip archives, resolved dependency
 * artifacts) into the folders the compiler searches for imports. Archives are unpacked, their
 * {@code .plan} files only, into a folder of their own under {@code target/shardplan/imports/},
 * and unpacked again only when the archive changes.
 */
final class ImportRoots {
    /** Written beside the unpacked files: which archive they came from, its size and time. */
    static final String STAMP = ".shardplan-unpacked";

    private final Path unpackDir;
    private final List<String> warnings = new ArrayList<>();

    ImportRoots(Path unpackDir) {
        this.unpackDir = unpackDir.toAbsolutePath().normalize();
    }

    /** What could not be used, as warnings for the build log. */
    List<String> warnings() {
        return List.copyOf(warnings);
    }

    /**
     * The import root for a folder or archive, or null when it has no plan files (or does not
     * exist: a configured path then gets a warning, a dependency without plans silently nothing).
     * {@code name} names the unpack folder of an archive, e.g. {@code groupId/artifactId}.
     */
    Path root(Path source, String name, boolean configured) throws IOException {
        Path p = source.toAbsolutePath().normalize();
        if (Files.isDirectory(p)) {
            if (configured || hasPlans(p)) return p;
            return null;
        }
        if (!Files.isRegularFile(p)) {
            if (configured) warnings.add("import path " + p + " does not exist; it is ignored");
            return null;
        }
        String file = p.getFileName().toString().toLowerCase(java.util.Locale.ROOT);
        if (!file.endsWith(".jar") && !file.endsWith(".zip")) {
            if (configured) warnings.add("import path " + p + " is neither a folder nor a .jar or .zip archive; it is ignored");
            return null;
        }
        return unpack(p, unpackDir.resolve(name).normalize());
    }

    private static boolean hasPlans(Path dir) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            return s.anyMatch(f -> f.getFileName().toString().endsWith(".plan") && Files.isRegularFile(f));
        }
    }

    /** The archive's {@code .plan} files under {@code into}, or null when it has none. */
    Path unpack(Path archive, Path into) throws IOException {
        if (!into.startsWith(unpackDir)) throw new IOException("unpack folder " + into + " is outside " + unpackDir);
        String stamp = archive + "\n" + Files.size(archive) + "\n" + Files.getLastModifiedTime(archive).toMillis() + "\n";
        Path stampFile = into.resolve(STAMP);
        if (Files.isRegularFile(stampFile) && Files.readString(stampFile, StandardCharsets.UTF_8).equals(stamp)) {
            return hasPlans(into) ? into : null;
        }
        if (Files.exists(into)) OutputFolders.deleteTree(into);
        int n = 0;
        try (ZipFile zip = new ZipFile(archive.toFile())) {
            Enumeration<? extends ZipEntry> es = zip.entries();
            while (es.hasMoreElements()) {
                ZipEntry e = es.nextElement();
                if (e.isDirectory() || !e.getName().endsWith(".plan")) continue;
                Path target = into.resolve(e.getName()).normalize();
                // An entry such as ../../x.plan would write outside the folder ("zip slip").
                if (!target.startsWith(into) || e.getName().startsWith("/")) {
                    warnings.add("ignored " + e.getName() + " in " + archive + ": it would unpack outside its folder");
                    continue;
                }
                Files.createDirectories(target.getParent());
                try (InputStream in = zip.getInputStream(e)) {
                    Files.copy(in, target, StandardCopyOption.REPLACE_EXISTING);
                }
                n++;
            }
        }
        Files.createDirectories(into);
        Files.writeString(stampFile, stamp, StandardCharsets.UTF_8);
        return n > 0 ? into : null;
    }
}
