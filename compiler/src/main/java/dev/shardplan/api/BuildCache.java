package dev.shardplan.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.shardplan.diag.Jsons;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * What the last build saw, per input file: a SHA-256 digest of the file and every project file it
 * imports, the plans it declared and the warnings it produced. A build tool keeps one such file
 * (under {@code target/}) so that unchanged inputs do no work. The fingerprint names the compiler
 * version and the build's parameters; a cache written under another fingerprint is ignored.
 */
public final class BuildCache {
    /** Bumped when the file layout changes; older files are then ignored. */
    static final int FORMAT = 1;

    /** One input's record: its digest, the files it was computed over, its plans and messages. */
    public record Entry(String digest, Set<String> dependencies, Set<String> plans, List<Message> messages) {
        public Entry {
            dependencies = Set.copyOf(new TreeSet<>(dependencies));
            plans = Set.copyOf(new TreeSet<>(plans));
            messages = List.copyOf(messages);
        }
    }

    private final String fingerprint;
    private final TreeMap<String, Entry> entries;

    private BuildCache(String fingerprint, Map<String, Entry> entries) {
        this.fingerprint = fingerprint;
        this.entries = new TreeMap<>(entries);
    }

    /** A cache that knows nothing. */
    public static BuildCache empty(String fingerprint) {
        return new BuildCache(fingerprint, Map.of());
    }

    /** The cache stored in {@code file}, or an empty one when it is absent, unreadable or from other parameters. */
    public static BuildCache load(Path file, String fingerprint) {
        JsonNode root;
        try (InputStream in = Files.newInputStream(file)) {
            root = Jsons.MAPPER.readTree(in);
        } catch (NoSuchFileException e) {
            return empty(fingerprint);
        } catch (IOException e) {
            // A damaged cache costs one full build, never a wrong one.
            return empty(fingerprint);
        }
        if (root == null || root.path("format").asInt() != FORMAT || !fingerprint.equals(root.path("fingerprint").asText(null))) {
            return empty(fingerprint);
        }
        Map<String, Entry> out = new TreeMap<>();
        JsonNode es = root.path("entries");
        var names = es.fieldNames();
        while (names.hasNext()) {
            String id = names.next();
            JsonNode e = es.get(id);
            String digest = e.path("digest").asText(null);
            if (digest == null) continue;
            List<Message> ms = new ArrayList<>();
            for (JsonNode m : e.path("messages")) {
                Message msg = Message.fromJson(m);
                if (msg != null) ms.add(msg);
            }
            out.put(id, new Entry(digest, strings(e.path("dependencies")), strings(e.path("plans")), ms));
        }
        return new BuildCache(fingerprint, out);
    }

    private static Set<String> strings(JsonNode arr) {
        Set<String> out = new TreeSet<>();
        for (JsonNode n : arr) if (n.isTextual()) out.add(n.asText());
        return out;
    }

    public String fingerprint() {
        return fingerprint;
    }

    /** The record of an input, or null. */
    public Entry get(String id) {
        return entries.get(id);
    }

    public void put(String id, Entry e) {
        entries.put(id, e);
    }

    public void remove(String id) {
        entries.remove(id);
    }

    /** All recorded inputs, sorted. */
    public Set<String> ids() {
        return new TreeSet<>(entries.keySet());
    }

    /** Writes the cache as canonical JSON through a temporary file, so a crash never leaves half a cache. */
    public void save(Path file) throws IOException {
        ObjectNode root = Jsons.MAPPER.createObjectNode();
        root.put("format", FORMAT);
        root.put("fingerprint", fingerprint);
        ObjectNode es = root.putObject("entries");
        for (Map.Entry<String, Entry> me : entries.entrySet()) {
            Entry e = me.getValue();
            ObjectNode n = es.putObject(me.getKey());
            n.put("digest", e.digest());
            ArrayNode deps = n.putArray("dependencies");
            new TreeSet<>(e.dependencies()).forEach(deps::add);
            ArrayNode plans = n.putArray("plans");
            new TreeSet<>(e.plans()).forEach(plans::add);
            ArrayNode ms = n.putArray("messages");
            for (Message m : e.messages()) ms.add(m.toJson());
        }
        Path dir = file.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        Path tmp = Files.createTempFile(dir, file.getFileName().toString(), ".tmp");
        try {
            Files.writeString(tmp, Jsons.canonical(root), StandardCharsets.UTF_8);
            try {
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /**
     * SHA-256 over the fingerprint and, in sorted order, each file's id and bytes; null when one of
     * the files cannot be read (the input then counts as changed).
     */
    public static String digest(String fingerprint, Path root, Collection<String> ids) {
        MessageDigest md;
        try {
            md = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required of every Java runtime", e);
        }
        update(md, fingerprint);
        Path r = root.toAbsolutePath().normalize();
        for (String id : new TreeSet<>(ids)) {
            byte[] bytes;
            try {
                bytes = Files.readAllBytes(r.resolve(id));
            } catch (IOException | RuntimeException e) {
                return null;
            }
            update(md, id);
            md.update(longBytes(bytes.length));
            md.update(bytes);
        }
        return HexFormat.of().formatHex(md.digest());
    }

    private static void update(MessageDigest md, String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        // Length-prefixed, so that ("ab","c") and ("a","bc") never digest alike.
        md.update(longBytes(b.length));
        md.update(b);
    }

    private static byte[] longBytes(long v) {
        byte[] b = new byte[8];
        for (int i = 7; i >= 0; i--) {
            b[i] = (byte) v;
            v >>>= 8;
        }
        return b;
    }
}
