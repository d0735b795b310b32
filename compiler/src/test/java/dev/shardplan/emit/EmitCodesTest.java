package dev.shardplan.emit;

import dev.shardplan.diag.Code;
import dev.shardplan.diag.Codes;
import org.junit.jupiter.api.Test;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every emit code is in the one registry, in its range, and has its catalogue page. */
class EmitCodesTest {
    @Test
    void everyCodeIsRegisteredAndDocumented() throws Exception {
        int n = 0;
        for (Field f : EmitCodes.class.getFields()) {
            if (!Modifier.isStatic(f.getModifiers()) || f.getType() != Code.class) continue;
            Code c = (Code) f.get(null);
            n++;
            assertSame(c, Codes.byId(c.id()), c.id() + " registered");
            int num = Integer.parseInt(c.id().substring(2));
            assertTrue(num >= 650 && num < 700 || num >= 800 && num < 900, c.id() + " in SP0650-SP0699 or SP08xx");
            Path page = Path.of("..", "docs", "diagnostics", c.id() + ".md");
            assertTrue(Files.isRegularFile(page), "catalogue page " + page);
            String text = Files.readString(page);
            assertTrue(text.startsWith("# " + c.id() + ": " + c.name() + "\n"), page + " title");
            assertTrue(text.contains("\n## How to fix\n"), page + " says how to fix it");
        }
        assertTrue(n >= 20);
    }
}
