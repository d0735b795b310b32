package dev.shardplan.emit;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class TemplatesTest {
    public record View(String name, List<String> items) {}

    @Test
    void rendersWithoutHtmlEscaping() {
        String out = Templates.shared().renderInline("t", "{{name}}:{{#items}}[{{.}}]{{/items}}", new View("<a & 'b'>", List.of("x\"y", "&")));
        assertEquals("<a & 'b'>:[x\"y][&]", out);
    }

    @Test
    void aMissingValueFailsInsteadOfPrintingNothing() {
        assertThrows(Templates.MissingValueException.class,
                () -> Templates.shared().renderInline("t", "{{name}} {{nmae}}", new View("n", List.of())));
        assertThrows(Templates.MissingValueException.class,
                () -> Templates.shared().renderInline("t", "{{#missing}}x{{/missing}}", new View("n", List.of())));
    }

    @Test
    void aMissingValueInAShippedTemplateFails() {
        // node.sh.mustache needs comments, setup, env, commands and last: a view without them is refused.
        assertThrows(Templates.MissingValueException.class,
                () -> Templates.shared().render("node.sh.mustache", new View("n", List.of())));
    }
}
