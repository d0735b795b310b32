package dev.shardplan.diag;

/** How bad a finding is. Errors fail the build; warnings fail it only with --fail-on-warning. */
public enum Severity {
    ERROR, WARNING, NOTE;

    public String label() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
