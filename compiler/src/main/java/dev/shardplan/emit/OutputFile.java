package dev.shardplan.emit;

import java.util.Objects;

/** One generated file: a path relative to the plan's output folder ("vllm/node0.sh"), its text, and whether it is a script. */
public record OutputFile(String path, String content, boolean executable) {
    public OutputFile {
        Objects.requireNonNull(path, "path");
        Objects.requireNonNull(content, "content");
    }

    public static OutputFile text(String path, String content) {
        return new OutputFile(path, content, false);
    }

    public static OutputFile script(String path, String content) {
        return new OutputFile(path, content, true);
    }
}
