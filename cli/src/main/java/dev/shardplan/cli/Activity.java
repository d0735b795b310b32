package dev.shardplan.cli;

/**
 * What the command is doing now ("analysing plan 3/34: name"), kept whether or not a progress
 * line shows it, so that running out of memory can be reported against the work that did it.
 */
final class Activity {
    private static volatile String now = "starting";

    private Activity() {}

    static void set(String what) {
        now = what;
    }

    static String now() {
        return now;
    }
}
