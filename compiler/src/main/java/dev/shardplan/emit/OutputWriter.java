package dev.shardplan.emit;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The one way files reach the disk: compile's plan folders, {@code fmt}'s rewritten plans,
 * {@code search --emit}'s winner and {@code report -o}'s page.
 *
 * <p>Every temporary is created exclusively (a name that already exists, a planted symbolic
 * link included, is never opened: another name is drawn), in the folder of what it replaces, and
 * named {@code .shardplan-<pid>-<start>-<random>...} after the process that made it. On any
 * exit the JVM can observe, this process removes its temporaries; after a {@code kill -9} the
 * next writer into that folder sees that the owner is gone and removes them (or completes the
 * compile they belong to, below).
 *
 * <p>A compile replaces all the plan folders it changes, or none. The plans are first written
 * into a staging folder; then a journal naming them is written (atomically: complete or
 * absent), each {@code OUT/<plan>} is swapped with its staged folder (the old one moved aside),
 * and the journal is deleted. A run killed before the journal exists changed nothing; a run
 * killed after it is completed by the next writer, which finds the journal and finishes the
 * swaps (docs/emit.md, "How outputs are written"). A failure inside the process puts the old
 * folders back. Paths are checked to stay inside {@code OUT/<plan>}; contents are written as
 * strict UTF-8 (text that is not valid Unicode is refused, never written as '?'). A plan folder
 * that already holds exactly the files to write is left untouched, so recompiling unchanged
 * plans costs reads, not writes.
 */
public final class OutputWriter {
    private static final Pattern SEGMENT = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9_.-]*");
    static final String TEMP_PREFIX = ".shardplan-";
    /** {@code .shardplan-<pid>-<start ms>-<random hex>} and what follows it (".new", ".old", ".journal", ".tmp"). */
    private static final Pattern OWNED = Pattern.compile("\\.shardplan-(\\d+)-(\\d+)-([0-9a-f]+)(\\..*)?");
    private static final String JOURNAL_HEADER = "shardplan-journal 1";

    /** Raised for a path that would leave its plan's folder; nothing has been written when it is thrown. */
    public static final class OutsideException extends IOException {
        public OutsideException(String message) {
            super(message);
        }
    }

    /** Raised for content that is not valid Unicode (an unpaired surrogate); nothing has been written. */
    public static final class EncodingException extends IOException {
        public EncodingException(String message) {
            super(message);
        }
    }

    private OutputWriter() {}

    // ------------------------------------------------------------------ ownership of temporaries

    /** Tokens of this process's writes in progress: its own leftovers are stale only when not among them. */
    private static final Set<String> ACTIVE = ConcurrentHashMap.newKeySet();
    /** Temporaries to remove if the JVM exits while they exist (not a compile past its journal: the next run completes that). */
    private static final Set<Path> REMOVE_ON_EXIT = ConcurrentHashMap.newKeySet();
    private static volatile boolean hooked;
    private static volatile String self;
    private static SecureRandom random;

    private static String self() {
        String s = self;
        if (s == null) {
            ProcessHandle me = ProcessHandle.current();
            long start = me.info().startInstant().map(java.time.Instant::toEpochMilli).orElse(0L);
            self = s = me.pid() + "-" + start;
        }
        return s;
    }

    private static synchronized String newToken() {
        if (random == null) random = new SecureRandom();
        byte[] b = new byte[6];
        random.nextBytes(b);
        return self() + "-" + HexFormat.of().formatHex(b);
    }

    private static void removeOnExit(Path p) {
        if (!hooked) {
            synchronized (OutputWriter.class) {
                if (!hooked) {
                    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                        for (Path x : REMOVE_ON_EXIT) {
                            try {
                                deleteTree(x);
                            } catch (IOException | RuntimeException e) {
                                // best effort at exit; the next writer removes what is left
                            }
                        }
                    }, "shardplan-temporaries"));
                    hooked = true;
                }
            }
        }
        REMOVE_ON_EXIT.add(p);
    }

    /** Names earlier releases gave their temporaries, without an owner: .shardplan-new-N, .shardplan-old-PLAN-HEX, .shardplan-N.tmp. */
    private static final Pattern LEGACY = Pattern.compile("\\.shardplan-(new-\\d+|old-[A-Za-z0-9_][A-Za-z0-9_.-]*-[0-9a-f]+|\\d+\\.tmp)");

    /**
     * Whether the writer that made an entry named {@code name} is gone (so the entry is a
     * leftover); {@code legacy}: also earlier releases' names, which only a compile's output
     * folder can hold.
     */
    static boolean stale(String name, boolean legacy) {
        Matcher m = OWNED.matcher(name);
        if (!m.matches()) return legacy && LEGACY.matcher(name).matches();
        String token = m.group(1) + "-" + m.group(2) + "-" + m.group(3);
        if ((m.group(1) + "-" + m.group(2)).equals(self())) return !ACTIVE.contains(token);
        long pid = Long.parseLong(m.group(1)), start = Long.parseLong(m.group(2));
        Optional<ProcessHandle> h = ProcessHandle.of(pid);
        if (h.isEmpty() || !h.get().isAlive()) return true;
        // A reused pid belongs to a process that started at another time.
        return start != 0 && h.get().info().startInstant().map(i -> Math.abs(i.toEpochMilli() - start) > 1000).orElse(false);
    }

    // ------------------------------------------------------------------ one file

    /**
     * Replaces (or creates) {@code target} with {@code content}, atomically: through an exclusively
     * created temporary beside it and one rename, so a reader sees the old file or the new one and
     * a symbolic link planted at any temporary name is never followed. A symbolic link at
     * {@code target} itself is replaced, not written through. A new file gets the default
     * permissions; a replaced one keeps its own. Leftover temporaries of dead writers in the
     * folder are removed first. Returns {@code target}.
     */
    public static Path writeFile(Path target, byte[] content) throws IOException {
        Path abs = target.toAbsolutePath().normalize();
        Path dir = abs.getParent();
        if (dir == null) throw new IOException(target + " is not a file path");
        Files.createDirectories(dir);
        if (Files.isDirectory(abs, LinkOption.NOFOLLOW_LINKS)) throw new IOException(target + " is a folder");
        removeStaleTemporaries(dir, false);
        String token = newToken();
        ACTIVE.add(token);
        Path tmp = null;
        try {
            tmp = createExclusive(dir, TEMP_PREFIX + token, ".tmp", content);
            if (Files.isRegularFile(abs, LinkOption.NOFOLLOW_LINKS)) copyPermissions(abs, tmp);
            move(tmp, abs);
            return abs;
        } finally {
            if (tmp != null) {
                Files.deleteIfExists(tmp);
                REMOVE_ON_EXIT.remove(tmp);
            }
            ACTIVE.remove(token);
        }
    }

    /** As {@link #writeFile(Path, byte[])} with text encoded as strict UTF-8. */
    public static Path writeFile(Path target, String text) throws IOException {
        return writeFile(target, utf8(text, target.toString()));
    }

    /**
     * A new file {@code dir/<prefix><suffix>} holding {@code content}, created with CREATE_NEW (it
     * fails rather than open an existing entry or follow a link), registered for removal at exit.
     */
    private static Path createExclusive(Path dir, String prefix, String suffix, byte[] content) throws IOException {
        Path p = dir.resolve(prefix + suffix);
        // The name holds 48 random bits: one that exists already was planted, and is refused.
        try (SeekableByteChannel ch = Files.newByteChannel(p, EnumSet.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE))) {
            removeOnExit(p);
            ByteBuffer b = ByteBuffer.wrap(content);
            while (b.hasRemaining()) ch.write(b);
            return p;
        } catch (FileAlreadyExistsException e) {
            throw new IOException("the temporary " + p + " exists already; refusing to write through it", e);
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(p);
            REMOVE_ON_EXIT.remove(p);
            throw e;
        }
    }

    private static void copyPermissions(Path from, Path to) {
        try {
            Files.setPosixFilePermissions(to, Files.getPosixFilePermissions(from, LinkOption.NOFOLLOW_LINKS));
        } catch (UnsupportedOperationException | IOException e) {
            // not POSIX, or not ours to read: the new file keeps the default permissions
        }
    }

    /**
     * Writes one file shared by the plans of {@code out} ({@code out/name}, beside their folders),
     * atomically; a file already holding these bytes is left alone. Returns its path.
     */
    public static Path writeShared(Path out, String name, byte[] content) throws IOException {
        checkSegment(name, "shared file name");
        Files.createDirectories(out);
        Path target = out.toRealPath().resolve(name);
        if (Files.isDirectory(target, LinkOption.NOFOLLOW_LINKS)) throw new IOException(target + " is a folder (a plan of that name?)");
        if (Files.isRegularFile(target, LinkOption.NOFOLLOW_LINKS) && java.util.Arrays.equals(Files.readAllBytes(target), content)) {
            return target;
        }
        return writeFile(target, content);
    }

    // ------------------------------------------------------------------ plan folders

    /**
     * Writes the files of each plan (plan name → files) under {@code out}, all plans validated
     * before anything is written. Returns the written paths, sorted.
     */
    public static List<Path> write(Path out, Map<String, List<OutputFile>> plans) throws IOException {
        return write(out, plans, Map.of());
    }

    /**
     * As {@link #write(Path, Map)}, with files shared by the plans ({@code out/<name>}, e.g. the
     * shim archive they reference) replaced in the same transaction as the plan folders.
     */
    public static List<Path> write(Path out, Map<String, List<OutputFile>> plans, Map<String, byte[]> shared) throws IOException {
        Map<String, Map<String, byte[]>> checked = new TreeMap<>();
        Map<String, Set<String>> executable = new TreeMap<>();
        for (var e : plans.entrySet()) {
            String plan = e.getKey();
            checkSegment(plan, "plan name");
            Map<String, byte[]> files = new TreeMap<>();
            Set<String> exec = new HashSet<>();
            for (OutputFile f : e.getValue()) {
                checkRelative(f.path());
                if (files.put(f.path(), utf8(f.content(), plan + "/" + f.path())) != null) throw new IOException("two files at " + plan + "/" + f.path());
                if (f.executable()) exec.add(f.path());
            }
            checkNoFileDirClash(plan, files.keySet());
            checked.put(plan, files);
            executable.put(plan, exec);
        }
        for (String name : shared.keySet()) {
            checkSegment(name, "shared file name");
            if (checked.containsKey(name)) throw new OutsideException("shared file " + name + " has the name of a plan");
        }
        Files.createDirectories(out);
        Path root = out.toRealPath();
        removeStaleTemporaries(root, true);
        List<Path> written = new ArrayList<>();
        Map<String, Map<String, byte[]>> changed = new TreeMap<>();
        for (var e : checked.entrySet()) {
            Path target = root.resolve(e.getKey());
            if (sameTree(target, e.getValue(), executable.get(e.getKey()))) {
                for (String f : e.getValue().keySet()) written.add(target.resolve(f));
            } else {
                changed.put(e.getKey(), e.getValue());
            }
        }
        Map<String, byte[]> changedShared = new TreeMap<>();
        for (var e : new TreeMap<>(shared).entrySet()) {
            Path target = root.resolve(e.getKey());
            if (Files.isDirectory(target, LinkOption.NOFOLLOW_LINKS)) throw new IOException(target + " is a folder (a plan of that name?)");
            if (Files.isRegularFile(target, LinkOption.NOFOLLOW_LINKS) && java.util.Arrays.equals(Files.readAllBytes(target), e.getValue())) {
                written.add(target);
            } else {
                changedShared.put(e.getKey(), e.getValue());
            }
        }
        if (changed.isEmpty() && changedShared.isEmpty()) {
            written.sort(null);
            return written;
        }
        String token = newToken();
        ACTIVE.add(token);
        Path staging = root.resolve(TEMP_PREFIX + token + ".new");
        Path old = root.resolve(TEMP_PREFIX + token + ".old");
        Path journal = root.resolve(TEMP_PREFIX + token + ".journal");
        try {
            Files.createDirectory(staging);
            removeOnExit(staging);
            for (var e : changed.entrySet()) {
                Path planDir = staging.resolve(e.getKey());
                Files.createDirectories(planDir);
                for (var f : e.getValue().entrySet()) {
                    Path p = planDir.resolve(f.getKey()).normalize();
                    if (!p.startsWith(planDir)) throw new OutsideException(f.getKey() + " leaves the plan's folder");
                    Files.createDirectories(p.getParent());
                    Files.write(p, f.getValue(), StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
                    if (executable.get(e.getKey()).contains(f.getKey())) makeExecutable(p);
                }
            }
            for (var e : changedShared.entrySet()) {
                Path p = staging.resolve(e.getKey());
                Files.write(p, e.getValue(), StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
                setReadable(p);
            }
            Files.createDirectory(old);
            List<String> entries = new ArrayList<>(changedShared.keySet());
            entries.addAll(changed.keySet());
            writeJournal(root, token, journal, entries);
            // From here on the next writer completes this compile if the process dies: the staged
            // folders must survive an exit, so they are no longer removed by the exit hook.
            REMOVE_ON_EXIT.remove(staging);
            List<String> swapped = new ArrayList<>();
            try {
                for (String name : entries) {
                    swapIn(root, staging, old, name);
                    swapped.add(name);
                }
            } catch (IOException | RuntimeException ex) {
                rollBack(root, staging, old, swapped);
                Files.deleteIfExists(journal);
                throw ex;
            }
            Files.delete(journal);
            for (String p : changed.keySet()) {
                for (String f : changed.get(p).keySet()) written.add(root.resolve(p).resolve(f));
            }
            for (String s : changedShared.keySet()) written.add(root.resolve(s));
        } finally {
            if (!Files.exists(journal, LinkOption.NOFOLLOW_LINKS)) {
                deleteTree(staging);
                deleteTree(old);
            }
            REMOVE_ON_EXIT.remove(staging);
            ACTIVE.remove(token);
        }
        written.sort(null);
        return written;
    }

    private static void writeJournal(Path root, String token, Path journal, List<String> entries) throws IOException {
        StringBuilder b = new StringBuilder(JOURNAL_HEADER).append('\n');
        for (String e : entries) b.append(e).append('\n');
        Path tmp = createExclusive(root, TEMP_PREFIX + token, ".journal-tmp", b.toString().getBytes(StandardCharsets.UTF_8));
        try {
            move(tmp, journal);
        } finally {
            Files.deleteIfExists(tmp);
            REMOVE_ON_EXIT.remove(tmp);
        }
    }

    /**
     * Moves the staged {@code name} into place, the current one aside into {@code old}. Idempotent:
     * when nothing is staged under {@code name} any more, the swap was done.
     */
    private static void swapIn(Path root, Path staging, Path old, String name) throws IOException {
        Path src = staging.resolve(name);
        if (!Files.exists(src, LinkOption.NOFOLLOW_LINKS)) return;
        Path target = root.resolve(name);
        if (Files.exists(target, LinkOption.NOFOLLOW_LINKS) || Files.isSymbolicLink(target)) {
            Path aside = old.resolve(name);
            if (Files.exists(aside, LinkOption.NOFOLLOW_LINKS)) deleteTree(target);
            else move(target, aside);
        }
        move(src, target);
    }

    /** Puts back what {@code swapped} replaced, newest first; the new folders go back into staging. */
    private static void rollBack(Path root, Path staging, Path old, List<String> swapped) throws IOException {
        for (int i = swapped.size() - 1; i >= 0; i--) {
            String name = swapped.get(i);
            Path target = root.resolve(name), aside = old.resolve(name);
            if (Files.exists(target, LinkOption.NOFOLLOW_LINKS)) move(target, staging.resolve(name));
            if (Files.exists(aside, LinkOption.NOFOLLOW_LINKS)) move(aside, target);
        }
    }

    /**
     * Completes, or discards, what writers that are gone left in the output folder {@code out}:
     * a compile killed after its journal is finished, one killed before it leaves nothing behind.
     * Every write into {@code out} does this first; callers need it only to inspect a folder.
     */
    public static void recover(Path out) throws IOException {
        if (Files.isDirectory(out)) removeStaleTemporaries(out.toRealPath(), true);
    }

    /**
     * Removes the leftovers of writers that are gone from {@code dir}: a compile's staging and
     * old folders (after completing it when its journal survived) with {@code compileFolder}, and
     * temporary files in any folder.
     */
    static void removeStaleTemporaries(Path dir, boolean compileFolder) throws IOException {
        List<Path> stale = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, TEMP_PREFIX + "*")) {
            for (Path p : ds) {
                String n = p.getFileName().toString();
                // Outside a compile's folder only this writer's temporary files are ours to remove.
                if (compileFolder ? stale(n, true) : n.endsWith(".tmp") && stale(n, false)) stale.add(p);
            }
        } catch (java.nio.file.NotDirectoryException | java.nio.file.NoSuchFileException e) {
            return;
        }
        if (stale.isEmpty()) return;
        Collections.sort(stale);
        if (compileFolder) {
            for (Path p : stale) {
                String n = p.getFileName().toString();
                Matcher m = OWNED.matcher(n);
                if (m.matches() && ".journal".equals(m.group(4))) complete(dir, n.substring(0, n.length() - ".journal".length()), p);
                else if (n.startsWith(TEMP_PREFIX + "old-")) restoreLegacy(dir, p);
            }
        }
        for (Path p : stale) {
            // Only a compile folder holds staged plan folders; elsewhere only files are ours.
            if (compileFolder || Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS) || Files.isSymbolicLink(p)) deleteTree(p);
        }
    }

    /** Finishes the swaps a dead compile's journal names (they are idempotent), then the journal is gone. */
    private static void complete(Path root, String base, Path journal) throws IOException {
        List<String> lines = Files.readAllLines(journal, StandardCharsets.UTF_8);
        if (lines.isEmpty() || !lines.get(0).equals(JOURNAL_HEADER)) return;
        Path staging = root.resolve(base + ".new"), old = root.resolve(base + ".old");
        if (!Files.isDirectory(staging, LinkOption.NOFOLLOW_LINKS)) return;
        Files.createDirectories(old);
        for (String name : lines.subList(1, lines.size())) {
            if (name.isEmpty()) continue;
            checkSegment(name, "journal entry");
            swapIn(root, staging, old, name);
        }
    }

    /** An earlier release's {@code .shardplan-old-<plan>-<hex>} whose plan folder is missing holds the only copy: put it back. */
    private static void restoreLegacy(Path root, Path p) throws IOException {
        String n = p.getFileName().toString().substring((TEMP_PREFIX + "old-").length());
        int dash = n.lastIndexOf('-');
        if (dash <= 0) return;
        String plan = n.substring(0, dash);
        if (!SEGMENT.matcher(plan).matches()) return;
        Path target = root.resolve(plan);
        if (!Files.exists(target, LinkOption.NOFOLLOW_LINKS) && Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) move(p, target);
    }

    // ------------------------------------------------------------------ checks and helpers

    /** Strict UTF-8: an unpaired surrogate is refused, not written as '?'. */
    static byte[] utf8(String text, String where) throws EncodingException {
        try {
            ByteBuffer b = StandardCharsets.UTF_8.newEncoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).encode(CharBuffer.wrap(text));
            byte[] out = new byte[b.remaining()];
            b.get(out);
            return out;
        } catch (CharacterCodingException e) {
            throw new EncodingException(where + " holds text that is not valid Unicode (an unpaired surrogate)");
        }
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
        Map<String, byte[]> bytes = new LinkedHashMap<>();
        Set<String> exec = new HashSet<>();
        for (var e : files.entrySet()) {
            bytes.put(e.getKey(), e.getValue().content().getBytes(StandardCharsets.UTF_8));
            if (e.getValue().executable()) exec.add(e.getKey());
        }
        return sameTree(dir, bytes, exec);
    }

    private static boolean sameTree(Path dir, Map<String, byte[]> files, Set<String> exec) throws IOException {
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
                String rel = dir.relativize(file).toString().replace('\\', '/');
                byte[] want = files.get(rel);
                if (want == null || !attrs.isRegularFile() || attrs.size() != want.length
                        || !java.util.Arrays.equals(Files.readAllBytes(file), want)
                        || posix && Files.isExecutable(file) != exec.contains(rel)) {
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
            Files.move(from, to, StandardCopyOption.REPLACE_EXISTING);
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

    /** A shared output is read by whoever runs the plans. */
    private static void setReadable(Path p) throws IOException {
        try {
            Set<PosixFilePermission> perms = EnumSet.copyOf(Files.getPosixFilePermissions(p));
            perms.add(PosixFilePermission.OWNER_READ);
            perms.add(PosixFilePermission.GROUP_READ);
            perms.add(PosixFilePermission.OTHERS_READ);
            Files.setPosixFilePermissions(p, perms);
        } catch (UnsupportedOperationException e) {
            // not POSIX
        }
    }

    static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p, LinkOption.NOFOLLOW_LINKS)) return;
        if (!Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
            Files.deleteIfExists(p);
            return;
        }
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
