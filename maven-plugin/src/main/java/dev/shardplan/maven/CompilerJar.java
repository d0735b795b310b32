package dev.shardplan.maven;

import dev.shardplan.api.Compiler;

import java.io.IOException;
import java.io.InputStream;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.CodeSource;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * A digest of the compiler jar, so that a rebuilt compiler of the same version (a snapshot, a
 * changed standard library, which lives in the jar) never reuses results of the old one.
 */
final class CompilerJar {
    private CompilerJar() {}

    static String digest() {
        try {
            CodeSource cs = Compiler.class.getProtectionDomain().getCodeSource();
            if (cs == null || cs.getLocation() == null) return "unknown";
            Path p = Path.of(cs.getLocation().toURI());
            // Run from a folder of classes (inside an IDE): the version alone has to do.
            if (!Files.isRegularFile(p)) return "classes";
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            try (InputStream in = new DigestInputStream(Files.newInputStream(p), md)) {
                in.transferTo(java.io.OutputStream.nullOutputStream());
            }
            return HexFormat.of().formatHex(md.digest());
        } catch (IOException | URISyntaxException | NoSuchAlgorithmException | RuntimeException e) {
            return "unknown";
        }
    }
}
