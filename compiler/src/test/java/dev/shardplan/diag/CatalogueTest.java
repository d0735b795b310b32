package dev.shardplan.diag;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The diagnostics catalogue: one page per registered code, packaged, and in step with the golden tests. */
class CatalogueTest {
    static final Path DOCS = Path.of("../docs/diagnostics");
    static final Path GOLDEN = Path.of("src/test/resources/golden");

    @Test
    void everyRegisteredCodeHasAPackagedPageWithItsTitle() {
        List<String> problems = new ArrayList<>();
        for (Code c : Codes.all()) {
            String page = Explanations.page(c);
            if (page == null) {
                problems.add(c.id() + ": no page docs/diagnostics/" + c.id() + ".md");
                continue;
            }
            String first = page.lines().findFirst().orElse("");
            if (!first.equals("# " + c.id() + ": " + c.name())) problems.add(c.id() + ": title line is `" + first + "`");
            if (page.length() < 200) problems.add(c.id() + ": the page is too short to explain anything");
        }
        assertTrue(problems.isEmpty(), String.join("\n", problems));
    }

    @Test
    void everyPageHasTheCatalogueSections() throws IOException {
        for (Code c : Codes.all()) {
            String page = Files.readString(DOCS.resolve(c.id() + ".md"), StandardCharsets.UTF_8);
            assertTrue(page.contains("Severity: **" + c.severity().label() + "**"), c.id() + " states its severity");
            for (String h : List.of("## What it means", "## Example", "## How to fix")) assertTrue(page.contains(h), c.id() + " has " + h);
            assertTrue(page.contains(c.id() + "]"), c.id() + " shows the diagnostic as printed");
        }
    }

    @Test
    void theIndexListsEveryCode() throws IOException {
        String index = Files.readString(DOCS.resolve("README.md"), StandardCharsets.UTF_8);
        for (Code c : Codes.all()) {
            assertTrue(index.contains("[" + c.id() + "](" + c.id() + ".md)"), "README.md lists " + c.id());
        }
    }

    /** The printed examples are copied from golden expected files; they must not drift from them. */
    @Test
    void printedExamplesMatchTheirGoldenCases() throws IOException {
        Pattern ref = Pattern.compile("golden/([A-Za-z0-9_-]+)`");
        int checked = 0;
        try (Stream<Path> pages = Files.list(DOCS)) {
            for (Path p : pages.filter(f -> f.getFileName().toString().matches("SP\\d{4}\\.md")).sorted().toList()) {
                String id = p.getFileName().toString().substring(0, 6);
                String page = Files.readString(p, StandardCharsets.UTF_8);
                Matcher m = ref.matcher(page);
                while (m.find()) {
                    String expected = Files.readString(GOLDEN.resolve(m.group(1)).resolve("expected.txt"), StandardCharsets.UTF_8);
                    for (String block : expected.split("\n\n")) {
                        if (!block.startsWith("error[" + id + "]") && !block.startsWith("warning[" + id + "]")) continue;
                        assertTrue(page.contains(block.strip()), id + ".md shows the current rendering of golden case " + m.group(1) + ":\n" + block);
                        checked++;
                    }
                }
            }
        }
        assertTrue(checked >= 30, "examples checked: " + checked);
    }

    @Test
    void explainPagesAreTheDocsFiles() throws IOException {
        Code c = Codes.byId("sp0202");
        assertNotNull(c);
        assertEquals(Files.readString(DOCS.resolve("SP0202.md"), StandardCharsets.UTF_8), Explanations.page(c));
    }
}
