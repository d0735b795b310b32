package dev.shardplan.api;

/** The compiler version, recorded in outputs and internal-error reports. */
public final class Version {
    private Version() {}

    public static final String VERSION = "0.1.0";
}
