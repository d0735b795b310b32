package dev.shardplan.model;

import java.util.Locale;

/** Element types of weights, activations and KV caches, with their storage size. */
public enum DType {
    FP32(4.0), BF16(2.0), FP16(2.0), FP8(1.0), INT8(1.0), INT4(0.5), FP4(0.5);

    private final double bytes;

    DType(double bytes) {
        this.bytes = bytes;
    }

    /** Bytes per element, without quantisation scales. */
    public double bytes() {
        return bytes;
    }

    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static DType parse(String s) {
        for (DType d : values()) if (d.id().equals(s.toLowerCase(Locale.ROOT))) return d;
        return null;
    }
}
