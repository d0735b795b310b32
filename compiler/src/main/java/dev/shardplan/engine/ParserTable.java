package dev.shardplan.engine;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** An engine's reasoning-parser names: shardplan's name for the parser, the engine's, and the first release that registers it. */
record ParserTable(List<Entry> entries) {
    record Entry(String ours, String theirs, String since) {}

    static ParserTable of(String... triples) {
        List<Entry> e = new ArrayList<>();
        for (int i = 0; i < triples.length; i += 3) e.add(new Entry(triples[i], triples[i + 1], triples[i + 2]));
        return new ParserTable(List.copyOf(e));
    }

    Optional<String> lookup(Release r, String parser) {
        for (Entry e : entries) if (e.ours().equals(parser) && r.atLeast(e.since())) return Optional.of(e.theirs());
        return Optional.empty();
    }

    List<String> names(Release r) {
        List<String> out = new ArrayList<>();
        for (Entry e : entries) if (r.atLeast(e.since()) && !e.theirs().isEmpty()) out.add(e.theirs());
        return out;
    }
}
