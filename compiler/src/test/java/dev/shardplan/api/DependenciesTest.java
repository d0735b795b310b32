package dev.shardplan.api;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Incremental builds need every file a plan reads: imports, Hugging Face configs and CSV lengths. */
class DependenciesTest {
    @TempDir
    Path root;

    @Test
    void importsConfigsAndCsvFilesAreDependencies() throws Exception {
        Files.createDirectories(root.resolve("common/hf"));
        Files.writeString(root.resolve("common/hf/config.json"), """
                {"model_type": "llama", "num_hidden_layers": 2, "hidden_size": 256, "num_attention_heads": 4,
                 "num_key_value_heads": 2, "intermediate_size": 512, "vocab_size": 1000}
                """);
        Files.writeString(root.resolve("common/lengths.csv"), "len\n100\n200\n");
        Files.writeString(root.resolve("common/defs.plan"), """
                import "std:nodes"
                model tiny from huggingface "hf/config.json" { }
                workload w {
                  requests 10
                  prompt empirical("lengths.csv") tokens
                  output fixed(100) tokens
                  max_length 4k tokens
                }
                cluster c { nodes 1 x HGX_H100 }
                """);
        Files.writeString(root.resolve("a.plan"), """
                import "common/defs.plan"
                plan p {
                  model tiny
                  cluster c
                  workload w
                  parallel { tp 1 }
                  engine vllm { }
                }
                """);
        FrontendResult r = Frontend.check(root, List.of(root.resolve("a.plan")));
        assertTrue(r.diagnostics().isEmpty(), r.diagnostics().toString());
        assertEquals(Set.of("a.plan", "common/defs.plan", "common/hf/config.json", "common/lengths.csv"),
                r.dependencies().get("a.plan"));
    }
}
