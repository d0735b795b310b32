package dev.shardplan.diag;

/**
 * A stable diagnostic code. The id never changes meaning once released; each has a catalogue
 * page {@code docs/diagnostics/<id>.md}, also shown by {@code shardplan explain <id>}.
 */
public record Code(String id, String name, Severity severity, String summary) {
    @Override
    public String toString() {
        return id;
    }
}
