package dev.shardplan.emit;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * The one way generated files reach the disk. For each plan it writes every file into a fresh
 * folder inside the output folder, then swaps that folder with {@code OUT/<plan>}: the plan's
 * stale files disappear with the old folder, a failure before the swap leaves the old output as
 * it was, and no reader ever sees a half-written plan. Paths are checked to stay inside
 * {@code OUT/<plan>}; contents are written as UTF-8 exactly as given (the emitters produce "\n").
 * A plan folder that already holds exactly the files to write is left untouched, so recompiling
 * unchanged plans costs reads, not writes.
 */
public final class OutputWriter {
    private static final Pattern SEGMENT = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9_.-]*");
    private static final String TEMP_PREFIX = ".shardplan-";

    /** Raised for a path that would leave its plan's folder; nothing has been written when it is thrown. */
    public static final class OutsideException extends IOException {
        public OutsideException(String message) {
            super(message);
        }
    }

    private OutputWriter() {}

    /**
     * Writes the files of each plan (plan name → files) under {@code out}, all plans validated
     * before anything is written. Returns the written paths, sorted.
     */
    public static List<Path> write(Path out, Map<String, List<OutputFile>> plans) throws IOException {
        Map<String, Map<String, OutputFile>> checked = new TreeMap<>();
        for (var e : plans.entrySet()) {
            String plan = e.getKey();
            checkSegment(plan, "plan name");
            Map<String, OutputFile> files = new TreeMap<>();
            for (OutputFile f : e.getValue()) {
                checkRelative(f.path());
                if (files.put(f.path(), f) != null) throw new IOException("two files at " + plan + "/" + f.path());
            }
            checkNoFileDirClash(plan, files.keySet());
            checked.put(plan, files);
        }
        Files.createDirectories(out);
        Path root = out.toRealPath();
        List<Path> written = new ArrayList<>();
        Map<String, Map<String, OutputFile>> changed = new TreeMap<>();
        for (var e : checked.entrySet()) {
            Path target = root.resolve(e.getKey());
            if (sameTree(target, e.getValue())) {
                for (String f : e.getValue().keySet()) written.add(target.resolve(f));
            } else {
                changed.put(e.getKey(), e.getValue());
            }
        }
        if (changed.isEmpty()) {
            written.sort(null);
            return written;
        }
        checked = changed;
        Path staging = Files.createTempDirectory(root, TEMP_PREFIX + "new-");
        try {
            for (var e : checked.entrySet()) {
                Path planDir = staging.resolve(e.getKey());
                Files.createDirectories(planDir);
                for (OutputFile f : e.getValue().values()) {
                    Path p = planDir.resolve(f.path()).normalize();
                    if (!p.startsWith(planDir)) throw new OutsideException(f.path() + " leaves the plan's folder");
                    Files.createDirectories(p.getParent());
                    Files.write(p, f.content().getBytes(StandardCharsets.UTF_8));
                    if (f.executable()) makeExecutable(p);
                }
            }
            for (String plan : checked.keySet()) {
                Path target = root.resolve(plan);
                Path old = null;
                if (Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
                    old = root.resolve(TEMP_PREFIX + "old-" + plan + "-" + Long.toHexString(System.nanoTime()));
                    move(target, old);
                }
                try {
                    move(staging.resolve(plan), target);
                } catch (IOException ex) {
                    if (old != null) move(old, target);
                    throw ex;
                }
                if (old != null) deleteTree(old);
                for (String f : checked.get(plan).keySet()) written.add(target.resolve(f));
            }
        } finally {
            deleteTree(staging);
        }
        written.sort(null);
        return written;
    }

    /**
     * Writes one file shared by the plans of {@code out} ({@code out/name}, beside their folders),
     * through a temporary file and an atomic rename; a file already holding these bytes is left
     * alone. Returns its path.
     */
    public static Path writeShared(Path out, String name, byte[] content) throws IOException {
        checkSegment(name, "shared file name");
        Files.createDirectories(out);
        Path target = out.toRealPath().resolve(name);
        if (Files.isDirectory(target, LinkOption.NOFOLLOW_LINKS)) throw new IOException(target + " is a folder (a plan of that name?)");
        if (Files.isRegularFile(target, LinkOption.NOFOLLOW_LINKS) && java.util.Arrays.equals(Files.readAllBytes(target), content)) {
            return target;
        }
        Path tmp = Files.createTempFile(target.getParent(), TEMP_PREFIX, ".tmp");
        try {
            Files.write(tmp, content);
            if (tmp.getFileSystem().supportedFileAttributeViews().contains("posix")) {
                // createTempFile makes it owner-only; a shared output is read by whoever runs the plans.
                Files.setPosixFilePermissions(tmp, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
            }
            move(tmp, target);
        } finally {
            Files.deleteIfExists(tmp);
        }
        return target;
    }

    /** Rejects absolute paths, "..", empty or hidden segments and odd characters. */
    static void checkRelative(String path) throws OutsideException {
        if (path.isEmpty() || path.startsWith("/") || path.endsWith("/"))
            throw new OutsideException("not a relative file path: " + path);
        for (String seg : path.split("/", -1)) checkSegment(seg, "path segment of " + path);
    }

    private static void checkSegment(String seg, String what) throws OutsideException {
        if (!SEGMENT.matcher(seg).matches() || seg.equals(".") || seg.equals(".."))
            throw new OutsideException(what + " '" + seg + "' is not a plain file name");
    }

    private static void checkNoFileDirClash(String plan, Set<String> paths) throws IOException {
        Set<String> dirs = new HashSet<>();
        for (String p : paths) {
            int i = p.indexOf('/');
            while (i >= 0) {
                dirs.add(p.substring(0, i));
                i = p.indexOf('/', i + 1);
            }
        }
        for (String p : paths) if (dirs.contains(p)) throw new IOException(plan + "/" + p + " is both a file and a folder");
    }

    /** Whether {@code dir} holds exactly these files (same bytes, same executable bit) and nothing else. */
    static boolean sameTree(Path dir, Map<String, OutputFile> files) throws IOException {
        if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) return false;
        Set<String> dirs = new HashSet<>();
        for (String p : files.keySet()) {
            int i = p.indexOf('/');
            while (i >= 0) {
                dirs.add(p.substring(0, i));
                i = p.indexOf('/', i + 1);
            }
        }
        boolean posix = Files.getFileStore(dir).supportsFileAttributeView("posix");
        int[] seen = {0};
        boolean[] same = {true};
        Files.walkFileTree(dir, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path d, BasicFileAttributes attrs) {
                String rel = dir.relativize(d).toString().replace('\\', '/');
                if (!rel.isEmpty() && !dirs.contains(rel)) same[0] = false;
                return same[0] ? FileVisitResult.CONTINUE : FileVisitResult.TERMINATE;
            }

            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                OutputFile f = files.get(dir.relativize(file).toString().replace('\\', '/'));
                if (f == null || !attrs.isRegularFile()
                        || attrs.size() != f.content().getBytes(StandardCharsets.UTF_8).length
                        || !java.util.Arrays.equals(Files.readAllBytes(file), f.content().getBytes(StandardCharsets.UTF_8))
                        || posix && Files.isExecutable(file) != f.executable()) {
                    same[0] = false;
                    return FileVisitResult.TERMINATE;
                }
                seen[0]++;
                return FileVisitResult.CONTINUE;
            }
        });
        return same[0] && seen[0] == files.size();
    }

    private static void move(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(from, to);
        }
    }

    private static void makeExecutable(Path p) throws IOException {
        try {
            Set<PosixFilePermission> perms = EnumSet.copyOf(Files.getPosixFilePermissions(p));
            perms.add(PosixFilePermission.OWNER_EXECUTE);
            perms.add(PosixFilePermission.GROUP_EXECUTE);
            perms.add(PosixFilePermission.OTHERS_EXECUTE);
            Files.setPosixFilePermissions(p, perms);
        } catch (UnsupportedOperationException e) {
            // Not a POSIX file system: scripts are run with "bash file.sh" there.
        }
    }

    static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p, LinkOption.NOFOLLOW_LINKS)) return;
        Files.walkFileTree(p, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                Files.delete(file);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path dir, IOException exc) throws IOException {
                Files.delete(dir);
                return FileVisitResult.CONTINUE;
            }
        });
    }
}
