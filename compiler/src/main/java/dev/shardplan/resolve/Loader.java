package dev.shardplan.resolve;

import dev.shardplan.ast.Nodes.Import;
import dev.shardplan.ast.Nodes.SourceFile;
import dev.shardplan.diag.Codes;
import dev.shardplan.diag.Diagnostic;
import dev.shardplan.diag.Diagnostics;
import dev.shardplan.diag.Sources;
import dev.shardplan.diag.Span;
import dev.shardplan.parse.ParseResult;
import dev.shardplan.parse.PlanFileParser;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;

/**
 * Reads, parses and links files: relative imports (confined to the project root), {@code std:}
 * modules from the compiler's resources, cycle detection. Each file is read once per compilation.
 *
 * <p>Import paths are extra roots (shared folders, plan files unpacked from a dependency jar)
 * searched in order for a relative import not found beside the importing file. A file found in
 * one is confined to it as project files are to the project root: its own imports may not leave
 * it, though they too may be found in the import paths.
 */
public final class Loader {
    /** Larger files are refused: real plans are a few KiB. */
    public static final long MAX_FILE_BYTES = 4L << 20;
    public static final String STD_PREFIX = "std:";
    private static final String STD_RESOURCES = "/dev/shardplan/std/";

    /**
     * The standard library is constant within a JVM, so its text and parse (immutable values) are
     * shared by every compilation instead of re-read and re-parsed each time.
     */
    private static final Map<String, String> STD_TEXT = new java.util.concurrent.ConcurrentHashMap<>();
    private static final Map<String, ParseResult> STD_PARSED = new java.util.concurrent.ConcurrentHashMap<>();

    private final Path root;
    private final List<Path> importPaths;
    private final Map<Path, String> overlay;
    private final Sources sources;
    private final Diagnostics diags;
    private final Map<String, Module> done = new HashMap<>();
    private final LinkedHashSet<String> inProgress = new LinkedHashSet<>();
    private final Map<String, Boolean> failed = new HashMap<>();

    public Loader(Path root, Sources sources, Diagnostics diags) {
        this(root, List.of(), sources, diags);
    }

    /** A loader whose relative imports are also looked up, in order, in {@code importPaths}. */
    public Loader(Path root, List<Path> importPaths, Sources sources, Diagnostics diags) {
        this(root, importPaths, Map.of(), sources, diags);
    }

    /**
     * A loader that reads the files in {@code overlay} (absolute paths) from their given text
     * instead of from disk, as an editor's unsaved buffers are: such a file exists even when it is
     * not on disk, and is held to the same size and encoding limits as a file read from disk.
     */
    public Loader(Path root, List<Path> importPaths, Map<Path, String> overlay, Sources sources, Diagnostics diags) {
        this.root = root.toAbsolutePath().normalize();
        this.importPaths = importPaths.stream().map(p -> p.toAbsolutePath().normalize()).distinct().toList();
        Map<Path, String> o = new HashMap<>();
        overlay.forEach((k, v) -> o.put(k.toAbsolutePath().normalize(), v));
        this.overlay = Map.copyOf(o);
        this.sources = sources;
        this.diags = diags;
    }

    public Path root() {
        return root;
    }

    /** The extra import roots, absolute, in lookup order. */
    public List<Path> importPaths() {
        return importPaths;
    }

    /**
     * The root that confines {@code file}: the innermost import path holding it (an import path
     * may lie inside the project, as unpacked dependencies do under target/), else the project root.
     */
    private Path confinement(Path file) {
        Path best = null;
        for (Path ip : importPaths) {
            if (file.startsWith(ip) && (best == null || ip.getNameCount() > best.getNameCount())) best = ip;
        }
        return best != null ? best : root;
    }

    /**
     * Whether {@code file}'s real path (every symbolic link followed) lies inside {@code confine}'s
     * real path; false when either cannot be resolved.
     */
    static boolean realInside(Path file, Path confine) {
        try {
            return file.toRealPath().startsWith(confine.toRealPath());
        } catch (IOException | SecurityException e) {
            return false;
        }
    }

    /**
     * Why a data file (a config.json, a CSV) read for a declaration of the module at
     * {@code modulePath} (null: the standard library) may not be read, or null when it may: it
     * must lie inside the root that confines the module, by its path and by its real path, so
     * that neither {@code ../} nor a symbolic link reads (and quotes in a diagnostic) a file
     * from elsewhere. A file that does not exist passes: reading it reports that.
     */
    public String dataFileRefusal(Path modulePath, Path file) {
        Path confine = modulePath == null ? root : confinement(modulePath);
        String where = confine.equals(root) ? "the project root" : "the import path " + confine;
        if (!file.startsWith(confine)) return "leaves " + where;
        if (Files.exists(file) && !realInside(file, confine)) return "is a symbolic link to a file outside " + where;
        return null;
    }

    /** The display id of a file: relative to the root with '/' separators when inside it. */
    public String idOf(Path file) {
        Path abs = file.toAbsolutePath().normalize();
        if (abs.startsWith(root)) {
            String rel = root.relativize(abs).toString().replace('\\', '/');
            return rel.isEmpty() ? abs.getFileName().toString() : rel;
        }
        return abs.toString().replace('\\', '/');
    }

    /** Loads an input file given on the command line; null (with diagnostics) when it fails. */
    public Module load(Path file) {
        return run(open(file.toAbsolutePath().normalize(), null, null));
    }

    public Module loadStd(String name, Span from) {
        return run(openStd(name, from));
    }

    /** Modules shipped in the compiler. */
    public static List<String> stdModules() {
        return List.of("std:gpus", "std:nodes", "std:models", "std:workloads", "std:efficiency");
    }

    /** A file being loaded: parsed, its imports resolved one by one, then built into its Module. */
    private static final class Frame {
        final String id;
        final Path abs;
        final SourceFile ast;
        final List<Module> imports = new ArrayList<>();
        int next;

        Frame(String id, Path abs, SourceFile ast) {
            this.id = id;
            this.abs = abs;
            this.ast = ast;
        }
    }

    /**
     * Loads a file and everything it imports, depth first with an explicit stack (a chain of
     * thousands of imports is as deep as the heap, not the thread stack, allows). {@code start}
     * is a Module already loaded, a Frame to load, or null (failed).
     */
    private Module run(Object start) {
        if (!(start instanceof Frame first)) return (Module) start;
        Deque<Frame> stack = new ArrayDeque<>();
        stack.push(first);
        Module last = null;
        while (!stack.isEmpty()) {
            Frame f = stack.peek();
            if (f.next < f.ast.imports().size()) {
                Import imp = f.ast.imports().get(f.next++);
                Object r = resolveImport(f.abs, imp);
                if (r instanceof Module m) f.imports.add(m);
                else if (r instanceof Frame child) stack.push(child);
                continue;
            }
            stack.pop();
            Module m = new Module(f.id, f.abs, f.ast, List.copyOf(f.imports));
            done.put(f.id, m);
            inProgress.remove(f.id);
            if (!stack.isEmpty()) stack.peek().imports.add(m);
            last = m;
        }
        return last;
    }

    private Object openStd(String name, Span from) {
        String id = STD_PREFIX + name;
        Module m = done.get(id);
        if (m != null) return m;
        String res = STD_RESOURCES + name + ".plan";
        String cached = STD_TEXT.get(id);
        if (cached != null) return parse(id, null, cached);
        try (InputStream in = Loader.class.getResourceAsStream(res)) {
            if (in == null) {
                diags.add(Diagnostic.of(Codes.IMPORT_NOT_FOUND, from, "no standard library module `" + id + "`")
                        .help("standard modules: " + String.join(", ", stdModules())).build());
                return null;
            }
            String text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            STD_TEXT.put(id, text);
            return parse(id, null, text);
        } catch (IOException e) {
            diags.add(Diagnostic.of(Codes.INTERNAL, from, "cannot read " + res + ": " + e.getMessage()).build());
            return null;
        }
    }

    /**
     * Reads and parses every {@code std:} module into the shared caches, for a caller that knows
     * a compilation will follow and has a thread to spare (the CLI, while it parses its arguments).
     * The same text gives the same parse on any thread, so what a compilation sees does not
     * depend on whether this ran, or finished.
     */
    public static void prefetchStd() {
        for (String id : stdModules()) {
            String text = stdSource(id.substring(STD_PREFIX.length()));
            if (text != null) STD_PARSED.computeIfAbsent(id, k -> PlanFileParser.parse(k, text));
        }
    }

    /**
     * The source text of a {@code std:} module as shipped in the compiler ({@code name} without the
     * prefix, e.g. "gpus"), for tools that show it read-only; null when there is no such module.
     */
    public static String stdSource(String name) {
        String id = STD_PREFIX + name;
        String cached = STD_TEXT.get(id);
        if (cached != null) return cached;
        if (!stdModules().contains(id)) return null;
        try (InputStream in = Loader.class.getResourceAsStream(STD_RESOURCES + name + ".plan")) {
            if (in == null) return null;
            String text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            STD_TEXT.put(id, text);
            return text;
        } catch (IOException e) {
            return null;
        }
    }

    private Object open(Path abs, Span from, String importText) {
        String id = idOf(abs);
        Module m = done.get(id);
        if (m != null) return m;
        if (failed.containsKey(id)) return null;
        if (!isFile(abs)) {
            if (from == null) {
                diags.add(Diagnostic.of(Codes.FILE_NOT_FOUND, Span.NONE, "cannot read `" + abs + "`: no such file")
                        .help("check the path").build());
            } else {
                diags.add(Diagnostic.of(Codes.IMPORT_NOT_FOUND, from, "imported file `" + importText + "` not found")
                        .note("looked for " + abs)
                        .help("check the path; relative imports are resolved from the importing file's folder").build());
            }
            failed.put(id, true);
            return null;
        }
        String text = readText(abs, id, from);
        if (text == null) {
            failed.put(id, true);
            return null;
        }
        return parse(id, abs, text);
    }

    /** Parses a file's text into a frame whose imports are still to be resolved; null when it does not parse. */
    private Frame parse(String id, Path abs, String text) {
        sources.put(id, text);
        ParseResult pr = abs == null ? STD_PARSED.computeIfAbsent(id, k -> PlanFileParser.parse(k, text)) : PlanFileParser.parse(id, text);
        diags.addAll(pr.diagnostics());
        if (pr.file() == null) {
            failed.put(id, true);
            return null;
        }
        inProgress.add(id);
        return new Frame(id, abs, pr.file());
    }

    /** A Module already loaded, a Frame to load, or null (reported). */
    private Object resolveImport(Path importer, Import imp) {
        String p = imp.path();
        if (p.startsWith(STD_PREFIX)) {
            String id = p;
            if (inProgress.contains(id)) {
                cycle(id, imp);
                return null;
            }
            return openStd(p.substring(STD_PREFIX.length()), imp.span());
        }
        if (importer == null) {
            diags.add(Diagnostic.of(Codes.IMPORT_OUTSIDE, imp.span(), "standard library modules can only import `std:` modules").build());
            return null;
        }
        Path target;
        List<Path> alternatives = new ArrayList<>();
        try {
            target = importer.getParent().resolve(p).toAbsolutePath().normalize();
            for (Path ip : importPaths) {
                Path c = ip.resolve(p).toAbsolutePath().normalize();
                if (c.startsWith(ip) && !c.equals(target)) alternatives.add(c);
            }
        } catch (java.nio.file.InvalidPathException e) {
            diags.add(Diagnostic.of(Codes.IMPORT_NOT_FOUND, imp.span(), "invalid import path `" + p + "`")
                    .help("write a relative path such as \"common/cluster.plan\"").build());
            return null;
        }
        Path confine = confinement(importer);
        boolean inside = target.startsWith(confine);
        if (!inside || !isFile(target)) {
            // Beside the importer first; then the import paths, in order.
            Path found = null;
            for (Path c : alternatives) {
                if (isFile(c)) {
                    found = c;
                    break;
                }
            }
            if (found != null) {
                target = found;
            } else if (!inside) {
                Diagnostic.Builder b = Diagnostic.of(Codes.IMPORT_OUTSIDE, imp.span(), "import `" + p + "` leaves the "
                                + (confine.equals(root) ? "project root" : "import path it was found in"))
                        .note("it resolves to " + target + ", outside " + confine);
                for (Path c : alternatives) b.note("not in the import path either: no " + c);
                diags.add(b.help(importPaths.isEmpty()
                        ? "keep shared plan files inside the project, move the project root up, or add their folder to the import paths (--import-path; Maven: importPaths)"
                        : "import shared files by their path inside an import path, e.g. \"" + target.getFileName() + "\"").build());
                return null;
            } else if (!alternatives.isEmpty()) {
                Diagnostic.Builder b = Diagnostic.of(Codes.IMPORT_NOT_FOUND, imp.span(), "imported file `" + p + "` not found")
                        .note("looked for " + target);
                for (Path c : alternatives) b.note("and in the import paths for " + c);
                diags.add(b.help("check the path; relative imports are resolved from the importing file's folder, then from each import path").build());
                return null;
            }
        }
        // The path stays inside by its name; its real location (symlinks followed) must too, or a
        // link inside the project would read, and quote in diagnostics, a file from anywhere.
        if (Files.exists(target) && !realInside(target, confinement(target))) {
            diags.add(Diagnostic.of(Codes.IMPORT_OUTSIDE, imp.span(), "import `" + p + "` is a symbolic link to a file outside the "
                            + (confinement(target).equals(root) ? "project root" : "import path it was found in"))
                    .note("files are confined by their real path, with links followed")
                    .help("copy the file into the project instead of linking to it, or add its real folder to the import paths").build());
            return null;
        }
        String id = idOf(target);
        if (inProgress.contains(id)) {
            cycle(id, imp);
            return null;
        }
        return open(target, imp.span(), p);
    }

    private void cycle(String id, Import imp) {
        List<String> chain = new ArrayList<>();
        boolean on = false;
        for (String s : inProgress) {
            if (s.equals(id)) on = true;
            if (on) chain.add(s);
        }
        chain.add(id);
        diags.add(Diagnostic.of(Codes.IMPORT_CYCLE, imp.span(), "import cycle: " + String.join(" -> ", chain))
                .help("move the shared declarations into a file that both import").build());
    }

    private boolean isFile(Path abs) {
        return overlay.containsKey(abs) || Files.isRegularFile(abs);
    }

    private String readText(Path abs, String id, Span from) {
        String given = overlay.get(abs);
        if (given != null) {
            byte[] bytes = given.getBytes(StandardCharsets.UTF_8);
            if (bytes.length > MAX_FILE_BYTES) {
                tooLarge(id, from, bytes.length);
                return null;
            }
            // The same checks as for bytes read from disk: an editor may hold a binary file as text.
            return decode(bytes, id);
        }
        try {
            long size = Files.size(abs);
            if (size > MAX_FILE_BYTES) {
                tooLarge(id, from, size);
                return null;
            }
            byte[] bytes = Files.readAllBytes(abs);
            return decode(bytes, id);
        } catch (IOException e) {
            diags.add(Diagnostic.of(Codes.FILE_NOT_FOUND, from == null ? Span.NONE : from, "cannot read `" + id + "`: " + e.getMessage()).build());
            return null;
        }
    }

    private void tooLarge(String id, Span from, long size) {
        diags.add(Diagnostic.of(Codes.FILE_TOO_LARGE, from == null ? new Span(id, 1, 1, 1, 1, 0, 0) : from,
                        "`" + id + "` is " + size + " bytes, over the " + MAX_FILE_BYTES + "-byte limit")
                .help("plan files are small; split the file or check that it is the right one").build());
    }

    /** Strict UTF-8; the first bad byte is reported with its line and column. */
    private String decode(byte[] bytes, String id) {
        int off = 0;
        if (bytes.length >= 3 && (bytes[0] & 0xff) == 0xEF && (bytes[1] & 0xff) == 0xBB && (bytes[2] & 0xff) == 0xBF) off = 3;
        CharsetDecoder dec = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
        try {
            CharBuffer cb = dec.decode(ByteBuffer.wrap(bytes, off, bytes.length - off));
            String s = cb.toString();
            int nul = s.indexOf('\0');
            if (nul >= 0) {
                badEncoding(id, bytes, off + new String(bytes, off, Math.max(0, nul), StandardCharsets.UTF_8).getBytes(StandardCharsets.UTF_8).length, "a NUL byte");
                return null;
            }
            return s;
        } catch (CharacterCodingException e) {
            // find the first offending byte by decoding prefixes
            int bad = firstBadByte(bytes, off);
            badEncoding(id, bytes, bad, String.format("byte 0x%02X", bytes[bad] & 0xff));
            return null;
        }
    }

    private void badEncoding(String id, byte[] bytes, int bad, String what) {
        int line = 1, col = 1;
        String prefix = new String(bytes, 0, bad, StandardCharsets.UTF_8);
        for (int i = 0; i < prefix.length(); i++) {
            if (prefix.charAt(i) == '\n') { line++; col = 1; } else col++;
        }
        diags.add(Diagnostic.of(Codes.BAD_ENCODING, new Span(id, line, col, line, col, prefix.length(), prefix.length() + 1),
                        "`" + id + "` is not valid UTF-8 text: " + what + " at byte " + bad)
                .help("save the file as UTF-8; plan files are text").build());
    }

    private static int firstBadByte(byte[] b, int off) {
        int i = off;
        while (i < b.length) {
            int c = b[i] & 0xff;
            int n = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : -1;
            if (n < 0 || i + n > b.length) return i;
            CharsetDecoder dec = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
            try {
                dec.decode(ByteBuffer.wrap(b, i, n));
            } catch (CharacterCodingException e) {
                return i;
            }
            i += n;
        }
        return Math.min(off, b.length - 1);
    }
}
