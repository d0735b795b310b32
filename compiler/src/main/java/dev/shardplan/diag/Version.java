package dev.shardplan.diag;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;

/**
 * The compiler's version, as the build declares it (the pom's {@code project.version}, filtered
 * into {@code version.properties}): recorded in generated files, plan.json and internal-error
 * reports. It sits with the diagnostics because internal errors name it and every layer may.
 */
public final class Version {
    private Version() {}

    public static final String VERSION = load();

    private static String load() {
        try (InputStream in = Version.class.getResourceAsStream("version.properties")) {
            if (in == null) throw new IllegalStateException("version.properties is missing from the compiler's jar");
            Properties p = new Properties();
            p.load(in);
            String v = p.getProperty("version", "");
            if (v.isEmpty() || v.contains("${")) throw new IllegalStateException("version.properties was not filtered by the build: " + v);
            return v;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
