package dev.shardplan.golden;

import dev.shardplan.diag.Code;
import dev.shardplan.diag.Codes;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The diagnostics catalogue cannot rot (rustc's error index): the example on every page
 * {@code docs/diagnostics/SPxxxx.md} is compiled as written and must print exactly what the page
 * says it prints, and show the page's code.
 *
 * <p>An example is a run of fenced blocks in the page's "## Example" section: a {@code plan}
 * block is {@code input.plan}; a block whose info string has {@code file=PATH} is another file
 * of the project ({@code plan file=shared.plan}, {@code json file=models/x/config.json}); the
 * info string {@code escapes} turns {@code \xNN} into that byte (for an example of bad
 * encoding). Then a line with the command in backticks and the word "prints", e.g.
 * {@code `shardplan check input.plan` prints}, and a {@code text} block with the output: the
 * diagnostics as {@code check}, {@code compile -o OUT [--target a,b]} or {@code simulate} print
 * them (without the summary line), in a fresh project folder. {@code -Dshardplan.golden.update=true}
 * rewrites the text blocks from what the compiler prints.
 *
 * <p>A few codes have an input no page can hold; their pages show the output of the golden case
 * that generates it, which {@code CatalogueTest} keeps in step.
 */
class CatalogueExamplesTest {
    static final Path DOCS = Path.of("../docs/diagnostics");

    /** Codes whose example cannot be written in a page, and why. */
    static final Map<String, String> NOT_COMPILED = Map.of(
            "SP0007", "10,000 nested blocks (golden case SP0007-nesting-10000-deep generates them)",
            "SP0903", "a file over the size limit (golden case SP0903-file-too-large generates it)",
            "SP0901", "a bug in shardplan: no plan causes it (golden case SP0901-internal-error injects one)",
            "SP0803", "a bug in shardplan's templates: no plan causes it (golden case SP0803-template-error injects one)",
            "SP0701", "no command prints it: simulate stops at the memory error first (golden case SP0701-not-simulated runs the api)",
            "SP0660", "unreachable from a plan: shardplan gives SGLang tp = dp x tp under dp attention (LauncherRulesTest tests the rule)",
            "SP0904", "its figures are the running JVM's heap, which differ by machine (cli OutOfMemoryTest runs it in a small heap)");

    static final Pattern FENCE = Pattern.compile("^```(\\S*)(.*)$");
    static final Pattern COMMAND = Pattern.compile("`shardplan (check|compile|simulate) ([^`]*)` prints");

    @TempDir
    Path temp;

    /** One example: its files, the command, the printed output and where that output sits in the page. */
    record Example(Map<String, byte[]> files, String stage, List<String> args, String printed, int start, int end) {}

    @TestFactory
    Stream<DynamicTest> everyPageExampleCompilesAsWritten() throws IOException {
        List<DynamicTest> tests = new ArrayList<>();
        for (Path page : pages()) {
            String id = page.getFileName().toString().substring(0, 6);
            if (NOT_COMPILED.containsKey(id)) continue;
            tests.add(DynamicTest.dynamicTest(id, () -> check(page, id)));
        }
        return tests.stream();
    }

    private void check(Path page, String id) throws IOException {
        String text = Files.readString(page, StandardCharsets.UTF_8);
        List<Example> examples = examples(text);
        if (examples.isEmpty()) fail(id + ".md has no example that a test can compile (see CatalogueExamplesTest for the form)");
        StringBuilder updated = new StringBuilder();
        int from = 0;
        int n = 0;
        boolean shown = false;
        for (Example e : examples) {
            Path root = temp.resolve(id + "-" + (n++));
            String actual = run(e, root);
            shown |= actual.contains("[" + id + "]");
            updated.append(text, from, e.start()).append(actual);
            from = e.end();
            if (!GoldenTest.UPDATE) assertEquals(e.printed(), actual, id + ".md example " + n + " prints something else");
        }
        updated.append(text.substring(from));
        if (GoldenTest.UPDATE && !updated.toString().equals(text)) Files.writeString(page, updated.toString(), StandardCharsets.UTF_8);
        assertTrue(shown, id + ".md: no example shows " + id);
    }

    static String run(Example e, Path root) throws IOException {
        Files.createDirectories(root);
        for (var f : e.files().entrySet()) {
            Path p = root.resolve(f.getKey());
            Files.createDirectories(p.getParent());
            Files.write(p, f.getValue());
        }
        List<Path> inputs = new ArrayList<>();
        String out = null;
        Set<dev.shardplan.model.Target> targets = EnumSet.noneOf(dev.shardplan.model.Target.class);
        for (int i = 0; i < e.args().size(); i++) {
            String a = e.args().get(i);
            if (a.equals("-o") || a.equals("--out")) out = e.args().get(++i);
            else if (a.equals("--target")) {
                for (String t : e.args().get(++i).split(",")) targets.add(dev.shardplan.model.Target.parse(t));
            } else inputs.add(root.resolve(a));
        }
        if (e.stage().equals("compile") && out == null) throw new IllegalArgumentException("compile needs -o OUT");
        GoldenTest.Stage stage = new GoldenTest.Stage(e.stage(), List.of(), out, targets, null);
        // A page shows the diagnostics without the blank line after the last one.
        return GoldenTest.relativize(stage.run(root, inputs), root).stripTrailing() + "\n";
    }

    /** The examples of a page's "## Example" section, in order. */
    static List<Example> examples(String text) {
        List<Example> out = new ArrayList<>();
        int section = text.indexOf("\n## Example");
        if (section < 0) return out;
        int sectionEnd = text.indexOf("\n## ", section + 4);
        if (sectionEnd < 0) sectionEnd = text.length();
        Map<String, byte[]> files = new java.util.LinkedHashMap<>();
        String stage = null;
        List<String> args = null;
        int pos = section;
        while (pos < sectionEnd) {
            int eol = text.indexOf('\n', pos + 1);
            if (eol < 0) eol = text.length();
            String line = text.substring(pos + 1, eol);
            Matcher cmd = COMMAND.matcher(line);
            if (cmd.find()) {
                stage = cmd.group(1);
                args = List.of(cmd.group(2).trim().split("\\s+"));
            }
            Matcher f = FENCE.matcher(line);
            if (f.matches() && !f.group(1).isEmpty()) {
                int bodyStart = eol + 1;
                int close = text.indexOf("\n```\n", eol - 1);
                if (close < 0) close = text.indexOf("\n```", eol - 1);
                String body = close < bodyStart ? "" : text.substring(bodyStart, close + 1);
                String lang = f.group(1);
                String info = f.group(2);
                Matcher file = Pattern.compile("file=(\\S+)").matcher(info);
                if (lang.equals("text") && stage != null && !file.find()) {
                    out.add(new Example(files, stage, args, body, bodyStart, close + 1));
                    files = new java.util.LinkedHashMap<>();
                    stage = null;
                } else {
                    String name = file.find(0) ? file.group(1) : lang.equals("plan") ? "input.plan" : null;
                    if (name != null) files.put(name, info.contains("escapes") ? unescape(body) : body.getBytes(StandardCharsets.UTF_8));
                }
                pos = text.indexOf('\n', close + 1);
                if (pos < 0) break;
                continue;
            }
            pos = eol;
        }
        return out;
    }

    /** {@code \xNN} as that byte, everything else as UTF-8. */
    static byte[] unescape(String s) {
        var bytes = new java.io.ByteArrayOutputStream();
        int i = 0;
        while (i < s.length()) {
            if (s.startsWith("\\x", i) && i + 4 <= s.length()) {
                bytes.write(HexFormat.fromHexDigits(s, i + 2, i + 4));
                i += 4;
            } else {
                int cp = s.codePointAt(i);
                bytes.writeBytes(new String(Character.toChars(cp)).getBytes(StandardCharsets.UTF_8));
                i += Character.charCount(cp);
            }
        }
        return bytes.toByteArray();
    }

    static List<Path> pages() throws IOException {
        try (Stream<Path> s = Files.list(DOCS)) {
            return s.filter(f -> f.getFileName().toString().matches("SP\\d{4}\\.md")).sorted().toList();
        }
    }

    /** Every registered code has a page with an example, compiled here or listed in {@link #NOT_COMPILED}. */
    @Test
    void everyCodeIsCoveredHere() throws IOException {
        List<String> missing = new ArrayList<>();
        for (Code c : Codes.all()) {
            Path p = DOCS.resolve(c.id() + ".md");
            if (!Files.exists(p)) missing.add(c.id() + " (no page)");
            else if (!NOT_COMPILED.containsKey(c.id()) && examples(Files.readString(p, StandardCharsets.UTF_8)).isEmpty()) {
                missing.add(c.id() + " (no compilable example)");
            }
        }
        assertTrue(missing.isEmpty(), "pages without a compiled example: " + missing);
    }

    /** The parser of examples reads what the pages write. */
    @Test
    void readsFilesCommandsAndOutput() {
        String page = """
                # SP0000: x

                ## Example

                ```plan file=shared.plan
                import "input.plan"
                ```

                ```plan
                import "shared.plan"
                ```

                `shardplan check input.plan` prints

                ```text
                error[SP0104]: ...
                ```

                ## How to fix
                """;
        List<Example> ex = examples(page);
        assertEquals(1, ex.size());
        assertEquals(List.of("shared.plan", "input.plan"), List.copyOf(ex.get(0).files().keySet()));
        assertEquals("check", ex.get(0).stage());
        assertEquals(List.of("input.plan"), ex.get(0).args());
        assertEquals("error[SP0104]: ...\n", ex.get(0).printed());
        assertEquals("error[SP0104]: ...\n", page.substring(ex.get(0).start(), ex.get(0).end()));
        assertEquals(0xE9, unescape("caf\\xE9")[3] & 0xff);
    }
}
