package dev.shardplan.diag;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;

/** The catalogue page of a code (docs/diagnostics/ID.md, packaged into the compiler). */
public final class Explanations {
    private Explanations() {}

    /** The page text, or null when the code has no page. */
    public static String page(Code code) {
        try (InputStream in = Explanations.class.getResourceAsStream("/dev/shardplan/diag/explain/" + code.id() + ".md")) {
            return in == null ? null : new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return null;
        }
    }
}
