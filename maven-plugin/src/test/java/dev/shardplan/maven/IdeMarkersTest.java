package dev.shardplan.maven;

import dev.shardplan.api.Message;
import dev.shardplan.diag.Severity;
import org.codehaus.plexus.util.Scanner;
import org.junit.jupiter.api.Test;
import org.sonatype.plexus.build.incremental.BuildContext;
import org.sonatype.plexus.build.incremental.DefaultBuildContext;

import java.io.File;
import java.io.OutputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Diagnostics become IDE markers on their file and line, and the last build's markers are cleared. */
class IdeMarkersTest {
    /** An IDE's build context as m2e provides one: records markers instead of logging them. */
    static final class Ide implements BuildContext {
        final List<String> calls = new ArrayList<>();
        final Map<String, Object> values = new HashMap<>();

        public boolean hasDelta(String relpath) { return true; }
        public boolean hasDelta(File file) { return true; }
        @SuppressWarnings("rawtypes") public boolean hasDelta(List relpaths) { return true; }
        public void refresh(File file) { calls.add("refresh " + file); }
        public OutputStream newFileOutputStream(File file) { throw new UnsupportedOperationException(); }
        public Scanner newScanner(File basedir) { throw new UnsupportedOperationException(); }
        public Scanner newDeleteScanner(File basedir) { throw new UnsupportedOperationException(); }
        public Scanner newScanner(File basedir, boolean ignoreDelta) { throw new UnsupportedOperationException(); }
        public boolean isIncremental() { return true; }
        public void setValue(String key, Object value) { values.put(key, value); }
        public Object getValue(String key) { return values.get(key); }
        public void addWarning(File file, int line, int column, String message, Throwable cause) { addMessage(file, line, column, message, SEVERITY_WARNING, cause); }
        public void addError(File file, int line, int column, String message, Throwable cause) { addMessage(file, line, column, message, SEVERITY_ERROR, cause); }
        public void addMessage(File file, int line, int column, String message, int severity, Throwable cause) {
            calls.add((severity == SEVERITY_ERROR ? "error " : "warning ") + file + ":" + line + ":" + column + " " + message);
        }
        public void removeMessages(File file) { calls.add("clear " + file); }
        public boolean isUptodate(File target, File source) { return false; }
    }

    @Test
    void aMessageLineGivesFileLineAndColumn() {
        var m = IdeMarkers.of(new Message(Severity.ERROR, "src/main/plans/a.plan:14:40: error[SP0205]: bad unit", List.of("help: remove the unit")));
        assertEquals("src/main/plans/a.plan", m.file());
        assertEquals(14, m.line());
        assertEquals(40, m.column());
        assertEquals("error[SP0205]: bad unit\nhelp: remove the unit", m.text());
        assertEquals(BuildContext.SEVERITY_ERROR, m.severity());
        assertNull(IdeMarkers.of(new Message(Severity.WARNING, "warning[SP0001]: no location", List.of())).file());
    }

    @Test
    void markersReplaceThoseOfTheLastBuild() {
        Ide ide = new Ide();
        Path root = Path.of("/p");
        IdeMarkers.update(ide, "k", root, root.resolve("src"), List.of(
                new Message(Severity.WARNING, "a.plan:3:4: warning[SP0403]: trap", List.of()),
                new Message(Severity.NOTE, "a.plan:1:1: note[SP0001]: a note is no marker", List.of())));
        assertTrue(ide.calls.contains("warning /p/a.plan:3:4 warning[SP0403]: trap"), ide.calls.toString());
        assertEquals(1, ide.calls.stream().filter(c -> c.startsWith("warning") || c.startsWith("error")).count());
        ide.calls.clear();
        IdeMarkers.update(ide, "k", root, root.resolve("src"), List.of());
        assertTrue(ide.calls.contains("clear /p/a.plan"), "the fixed file's marker is cleared: " + ide.calls);
    }

    @Test
    void theCommandLinesDefaultContextGetsNothingItWouldLogTwice() {
        assertFalse(IdeMarkers.shown(new DefaultBuildContext()));
        assertTrue(IdeMarkers.shown(new Ide()));
    }
}
