package dev.shardplan.lsp;

import dev.shardplan.diag.Span;
import org.eclipse.lsp4j.Position;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The compiler counts code points after a byte order mark; LSP counts UTF-16 units per line. */
class TextIndexTest {
    @Test
    void astralCharactersAndTheByteOrderMarkShiftColumns() {
        // "🦙" is one code point, two UTF-16 units.
        String text = "\uFEFFa 🦙 b\ncd";
        TextIndex t = new TextIndex(text);
        assertEquals(new Position(0, 1), t.position(0));           // 'a', after the BOM
        assertEquals(new Position(0, 6), t.position(4));           // 'b': a, space, llama, space
        assertEquals(new Position(1, 1), t.position(7));           // 'd'
        assertEquals(4, t.offset(new Position(0, 6)));
        assertEquals(7, t.offset(new Position(1, 1)));
        assertEquals(7 + 1, t.offset(new Position(1, 99)));        // clamped to the line's end
        assertEquals(new Position(0, 3), t.range(new Span("f", 1, 3, 1, 3, 2, 3)).getStart());
        assertEquals(new Position(0, 5), t.range(new Span("f", 1, 3, 1, 3, 2, 3)).getEnd());
    }
}
