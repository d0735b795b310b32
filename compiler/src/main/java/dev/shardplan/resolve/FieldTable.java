package dev.shardplan.resolve;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The fields of one declaration kind or block ({@code workload}, {@code plan.parallel}), in the
 * order the language writes them: the one list the resolver checks a body against, the formatter
 * orders generated source by, and docs and the language server describe.
 */
public final class FieldTable {
    private final String context;
    private final Map<String, Field> fields = new LinkedHashMap<>();

    private FieldTable(String context, List<Field> fields) {
        this.context = context;
        for (Field f : fields) {
            Field in = f.in(context);
            if (this.fields.put(f.name(), in) != null) throw new IllegalStateException(context + " declares " + f.name() + " twice");
        }
    }

    public static FieldTable of(String context, Field... fields) {
        return new FieldTable(context, List.of(fields));
    }

    /** The table with {@code more} added at the end (a block that shares another's fields). */
    public FieldTable plus(String context, Field... more) {
        List<Field> all = new ArrayList<>(fields.values());
        all.addAll(List.of(more));
        return new FieldTable(context, all);
    }

    public String context() {
        return context;
    }

    /** Every field, in the table's order. */
    public List<Field> fields() {
        return List.copyOf(fields.values());
    }

    /** The field names, in the table's order (free keys, {@code *}, left out). */
    public Set<String> names() {
        Set<String> out = new LinkedHashSet<>(fields.keySet());
        out.remove("*");
        return Collections.unmodifiableSet(out);
    }

    /** The field of that name (a "*" row covers free keys), or null. */
    public Field find(String name) {
        Field f = fields.get(name);
        return f != null ? f : fields.get("*");
    }

    /**
     * The path of one of this table's rows ({@link Field#path()}): {@code PARALLEL_FIELDS.path(TP)} is
     * "parallel.tp". A row the table lacks is a bug.
     */
    public String path(Field row) {
        Field f = fields.get(row.name());
        if (f == null) throw new IllegalArgumentException(context + " has no field " + row.name());
        return f.path();
    }

    /** Position of a key in the table's order; keys it lacks go last. */
    public int order(String name) {
        int i = 0;
        for (String k : fields.keySet()) {
            if (k.equals(name)) return i;
            i++;
        }
        return i;
    }
}
