package dev.shardplan.lsp;

import dev.shardplan.diag.Version;
import dev.shardplan.resolve.Loader;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.TreeMap;

/**
 * The standard library as read-only files, so "go to definition" can open a std declaration in any
 * editor: the text shipped in the compiler, written once per compiler build under a folder named
 * by its digest (never edited in place; an open std file gets no diagnostics and no edits).
 */
final class StdFiles {
    private final Path dir;
    private final Map<String, String> texts = new TreeMap<>();

    StdFiles(Path base) {
        for (String id : Loader.stdModules()) {
            String name = id.substring(Loader.STD_PREFIX.length());
            String text = Loader.stdSource(name);
            if (text != null) texts.put(name, text);
        }
        this.dir = base.toAbsolutePath().normalize().resolve("std-" + Version.VERSION + "-" + digest(texts));
    }

    /** The default home: $XDG_CACHE_HOME/shardplan, else ~/.cache/shardplan. */
    static Path defaultBase() {
        String xdg = System.getenv("XDG_CACHE_HOME");
        Path base = xdg != null && !xdg.isBlank() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".cache");
        return base.resolve("shardplan");
    }

    Path dir() {
        return dir;
    }

    /** The file of std module {@code name} ("gpus"), written on first use; null when it cannot be written. */
    Path file(String name) {
        String text = texts.get(name);
        if (text == null) return null;
        Path f = dir.resolve(name + ".plan");
        try {
            if (Files.isRegularFile(f) && Files.readString(f, StandardCharsets.UTF_8).equals(text)) return f;
            Files.createDirectories(dir);
            Path tmp = Files.createTempFile(dir, name, ".tmp");
            try {
                Files.writeString(tmp, text, StandardCharsets.UTF_8);
                tmp.toFile().setReadOnly();
                try {
                    Files.move(tmp, f, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
                } catch (AtomicMoveNotSupportedException e) {
                    Files.move(tmp, f, StandardCopyOption.REPLACE_EXISTING);
                }
            } finally {
                Files.deleteIfExists(tmp);
            }
            return f;
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    /** The std module a path is the file of ("gpus"), or null. */
    String moduleOf(Path p) {
        if (p == null) return null;
        Path abs = p.toAbsolutePath().normalize();
        if (!dir.equals(abs.getParent())) return null;
        String n = abs.getFileName().toString();
        if (!n.endsWith(".plan")) return null;
        String name = n.substring(0, n.length() - ".plan".length());
        return texts.containsKey(name) ? name : null;
    }

    String text(String name) {
        return texts.get(name);
    }

    private static String digest(Map<String, String> texts) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            for (Map.Entry<String, String> e : texts.entrySet()) {
                md.update(e.getKey().getBytes(StandardCharsets.UTF_8));
                md.update((byte) 0);
                md.update(e.getValue().getBytes(StandardCharsets.UTF_8));
                md.update((byte) 0);
            }
            return HexFormat.of().formatHex(md.digest()).substring(0, 12);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required of every Java runtime", e);
        }
    }
}
