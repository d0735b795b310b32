package dev.shardplan.layout;

/** A half-open index range [start, end), e.g. layers 0..40 or query heads 16..32. */
public record Range(int start, int end) {
    public static final Range EMPTY = new Range(0, 0);

    public int size() {
        return Math.max(0, end - start);
    }

    public boolean isEmpty() {
        return size() == 0;
    }

    @Override
    public String toString() {
        return "[" + start + ", " + end + ")";
    }
}
