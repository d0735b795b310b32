package dev.shardplan.engine;

/** The type of a setting's value in the plan language. */
public enum Kind {
    /** A number with a range, e.g. a memory fraction. */
    NUMBER,
    /** A whole number (a count), possibly written with a tokens unit (`8k tokens`). */
    COUNT,
    /** true or false. */
    BOOL,
    /** One word out of the release's accepted values. */
    CHOICE,
    /** An amount of memory, written with a size unit (`64 GiB`); held in bytes. */
    SIZE
}
