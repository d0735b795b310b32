package dev.shardplan.api;

import dev.shardplan.analysis.PlanAnalysis;
import dev.shardplan.diag.Diagnostic;
import dev.shardplan.model.Plan;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The analyses a long-lived caller (the language server) already has, by plan, so that a check
 * after an edit analyses only the plans the edit changed. A plan's analysis and launcher findings
 * are a function of the resolved plan alone, and a resolved plan is records all the way down,
 * compared by value: a plan equal to one analysed before (same model, cluster, workload, settings,
 * allows and source spans, so the findings point at the same text) gets that plan's results. A
 * value that compares by identity (a data file's lengths) makes every check a miss, never a wrong
 * hit. Spans hold offsets, so an edit that moves text reuses the plans before it, not those after.
 * Bounded: the least recently used plans go first. Safe for use from several threads.
 */
public final class AnalysisCache {
    /** What the check keeps of one plan: its analysis and the plan's own findings before suppression. */
    record Entry(PlanAnalysis analysis, List<Diagnostic> findings) {
        Entry {
            findings = List.copyOf(findings);
        }
    }

    private final Map<Plan, Entry> entries;
    private final int capacity;
    private long hits, misses;

    /** A cache of the last {@code capacity} plans analysed. */
    public AnalysisCache(int capacity) {
        this.capacity = capacity;
        this.entries = new LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<Plan, Entry> e) {
                return size() > AnalysisCache.this.capacity;
            }
        };
    }

    /** A cache that keeps nothing: what a one-shot check uses. */
    static AnalysisCache none() {
        return new AnalysisCache(0);
    }

    synchronized Entry get(Plan p) {
        Entry e = capacity == 0 ? null : entries.get(p);
        if (e != null) hits++;
        else misses++;
        return e;
    }

    synchronized void put(Plan p, Entry e) {
        if (capacity > 0) entries.put(p, e);
    }

    /** Plans whose results were reused, and plans analysed, since the cache was made. */
    public synchronized long hits() {
        return hits;
    }

    public synchronized long misses() {
        return misses;
    }
}
