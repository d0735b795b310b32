package dev.shardplan.diag;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** The text of every file a compilation read, so renderers can quote source lines. */
public final class Sources {
    private final Map<String, String[]> lines = new ConcurrentHashMap<>();

    public void put(String file, String text) {
        lines.put(file, text.split("\r?\n", -1));
    }

    /** The 1-based line, without its newline, or null when unknown. */
    public String line(String file, int line) {
        String[] ls = lines.get(file);
        if (ls == null || line < 1 || line > ls.length) return null;
        return ls[line - 1];
    }
}
