package dev.shardplan.emit;

import dev.shardplan.diag.Version;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.LocalDateTime;
import java.util.HexFormat;
import java.util.List;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * The runtime shim (the Python package runtime/shardplan_shim, shipped inside the compiler) as
 * one zip archive: `python3 ARCHIVE --plan plan.json verify` runs it, and with the archive on
 * PYTHONPATH `python3 -m shardplan_shim` (as torchrun and srun start it). A compile writes it once
 * into the output folder and each plan's plan.json names it with its SHA-256, so plans reference
 * one copy instead of carrying the sources. Its bytes depend only on the sources: entries in a
 * fixed order, stored uncompressed (no compressor version to vary), with a fixed timestamp.
 */
public final class ShimArchive {
    /** The package's files under runtime/ (a test keeps this list equal to the folder). */
    public static final List<String> MODULES = List.of(
            "shardplan_shim/__init__.py", "shardplan_shim/__main__.py", "shardplan_shim/attention.py",
            "shardplan_shim/bench.py", "shardplan_shim/cli.py", "shardplan_shim/config.py", "shardplan_shim/dist.py",
            "shardplan_shim/kernels.py", "shardplan_shim/kvcache.py", "shardplan_shim/launch.py", "shardplan_shim/mlp.py",
            "shardplan_shim/model.py", "shardplan_shim/moe.py", "shardplan_shim/names.py", "shardplan_shim/pipeline.py",
            "shardplan_shim/plan.py", "shardplan_shim/quant.py", "shardplan_shim/reference/__init__.py",
            "shardplan_shim/reference/common.py", "shardplan_shim/reference/deepseek.py",
            "shardplan_shim/reference/gpt_oss.py", "shardplan_shim/reference/llama.py",
            "shardplan_shim/reference/mixtral.py", "shardplan_shim/reference/qwen3.py",
            "shardplan_shim/reference/qwen_moe.py", "shardplan_shim/rope.py", "shardplan_shim/safetensors_io.py",
            "shardplan_shim/scale.py", "shardplan_shim/verify.py", "shardplan_shim/weights.py");
    private static final String RESOURCES = "/dev/shardplan/emit/shim/";
    /** What `python3 ARCHIVE` runs: the package's command line. */
    private static final String MAIN = "from shardplan_shim.cli import main\n\nmain()\n";
    /** The earliest time a zip entry can hold (DOS time): no build clock leaks into the bytes. */
    private static final LocalDateTime EPOCH = LocalDateTime.of(1980, 1, 1, 0, 0);

    private final byte[] bytes;
    private final String sha256;

    private ShimArchive(byte[] bytes) {
        this.bytes = bytes;
        try {
            this.sha256 = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The archive of the shim this compiler ships (built on first use). */
    public static ShimArchive get() {
        return Holder.ARCHIVE;
    }

    /** The archive's file name, written once per output folder: shardplan-shim-VERSION.pyz. */
    public static String fileName() {
        return "shardplan-shim-" + Version.VERSION + ".pyz";
    }

    public byte[] bytes() {
        return bytes.clone();
    }

    public String sha256() {
        return sha256;
    }

    private static final class Holder {
        static final ShimArchive ARCHIVE = build();
    }

    private static ShimArchive build() {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        try (ZipOutputStream zip = new ZipOutputStream(buf, StandardCharsets.UTF_8)) {
            put(zip, "__main__.py", MAIN.getBytes(StandardCharsets.UTF_8));
            for (String m : MODULES) put(zip, m, resource(m));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return new ShimArchive(buf.toByteArray());
    }

    private static void put(ZipOutputStream zip, String name, byte[] data) throws IOException {
        ZipEntry e = new ZipEntry(name);
        e.setMethod(ZipEntry.STORED);
        e.setSize(data.length);
        e.setCompressedSize(data.length);
        CRC32 crc = new CRC32();
        crc.update(data);
        e.setCrc(crc.getValue());
        e.setTimeLocal(EPOCH);
        zip.putNextEntry(e);
        zip.write(data);
        zip.closeEntry();
    }

    private static byte[] resource(String path) {
        try (InputStream s = ShimArchive.class.getResourceAsStream(RESOURCES + path)) {
            if (s == null) throw new IllegalStateException("the shim module " + path + " is missing from the compiler's resources");
            return s.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
