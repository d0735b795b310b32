package dev.shardplan.model;

import dev.shardplan.api.FrontendResult;
import dev.shardplan.api.Frontend;
import dev.shardplan.ast.Nodes.Decl;
import dev.shardplan.parse.PlanFileParser;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Parameter counts computed by {@link Model} for every standard-library model, held against the
 * publishers' counts in src/test/resources/params/published-params.csv (conventions in
 * docs/parameters.md).
 */
class ParameterCountTest {
    record Published(String model, double total, Double active, boolean activeWithEmbedding,
                     double totalTolerance, double activeTolerance, String source) {}

    static Map<String, Model> models;
    static Map<String, Published> published;

    @BeforeAll
    static void load(@TempDir Path root) throws IOException {
        List<String> names = stdModelNames();
        StringBuilder sb = new StringBuilder("import \"std:models\"\nimport \"std:nodes\"\nimport \"std:workloads\"\n");
        sb.append("cluster c { nodes 1 x HGX_H200 }\n");
        for (String n : names) {
            sb.append("plan p_").append(n).append(" { model ").append(n)
                    .append("; cluster c; workload chat; parallel { tp 8 }; engine vllm { gpu_memory_utilization 0.9 } }\n");
        }
        Path f = root.resolve("all.plan");
        Files.writeString(f, sb.toString());
        FrontendResult r = Frontend.check(root, List.of(f));
        assertEquals(List.of(), r.diagnostics());
        models = new TreeMap<>();
        for (Plan p : r.plans()) models.put(p.model().name(), p.model());
        assertEquals(new TreeSet<>(names), models.keySet());
        published = new TreeMap<>();
        for (String line : Files.readAllLines(Path.of("src/test/resources/params/published-params.csv"))) {
            if (line.isBlank() || line.startsWith("#")) continue;
            String[] c = line.split("\\|", -1);
            assertEquals(7, c.length, line);
            published.put(c[0], new Published(c[0], Double.parseDouble(c[1]), c[2].equals("-") ? null : Double.parseDouble(c[2]),
                    c[3].equals("yes"), Double.parseDouble(c[4]) / 100, c[5].equals("-") ? 0 : Double.parseDouble(c[5]) / 100, c[6]));
        }
    }

    static List<String> stdModelNames() throws IOException {
        try (InputStream in = Model.class.getResourceAsStream("/dev/shardplan/std/models.plan")) {
            String text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            List<String> out = new ArrayList<>();
            for (Decl d : PlanFileParser.parse("std:models", text).file().decls()) out.add(d.name().text());
            return out;
        }
    }

    @Test
    void everyStandardModelHasAPublishedCount() {
        assertEquals(models.keySet(), published.keySet());
    }

    @TestFactory
    Stream<DynamicTest> totalWithinToleranceOfPublished() {
        return published.values().stream().map(p -> DynamicTest.dynamicTest(p.model(), () -> {
            long computed = models.get(p.model()).totalParams();
            double err = Math.abs(computed - p.total()) / p.total();
            assertTrue(err <= p.totalTolerance(), String.format("%s: computed %,d vs published %.4g (%.2f%%, allowed %.0f%%)",
                    p.model(), computed, p.total(), err * 100, p.totalTolerance() * 100));
        }));
    }

    @TestFactory
    Stream<DynamicTest> activeWithinToleranceOfPublished() {
        return published.values().stream().filter(p -> p.active() != null).map(p -> DynamicTest.dynamicTest(p.model(), () -> {
            Model m = models.get(p.model());
            assertTrue(m.isMoe(), p.model() + " has an active count, so it is a MoE model");
            long computed = m.activeParams(p.activeWithEmbedding());
            double err = Math.abs(computed - p.active()) / p.active();
            assertTrue(err <= p.activeTolerance(), String.format("%s: computed active %,d (embedding %s) vs published %.4g (%.2f%%, allowed %.0f%%)",
                    p.model(), computed, p.activeWithEmbedding() ? "counted" : "not counted", p.active(), err * 100, p.activeTolerance() * 100));
        }));
    }

    @Test
    void denseModelsAreFullyActive() {
        for (Model m : models.values()) {
            if (m.isMoe()) continue;
            assertEquals(m.totalParams(), m.activeParams(true), m.name());
            assertEquals(m.totalParams() - m.embeddingParams(), m.activeParams(false), m.name());
        }
    }

    /**
     * Llama-3.1-8B by hand: embedding and untied head 2 x 128256 x 4096 = 1,050,673,152; per layer
     * q 4096x4096 = 16,777,216, k and v 2 x 4096x1024 = 8,388,608, o 16,777,216, SwiGLU
     * 3 x 4096 x 14336 = 176,160,768, two RMSNorms 8,192: 218,112,000, x 32 = 6,979,584,000;
     * final norm 4,096. Total 8,030,261,248, the HF safetensors count.
     */
    @Test
    void llama8bExactly() {
        Model m = models.get("llama_3_1_8b");
        assertEquals(218_112_000L, m.layerParams(0));
        assertEquals(8_030_261_248L, m.totalParams());
    }

    /**
     * DeepSeek-V3 MLA attention of one layer by hand: q_a 7168x1536 = 11,010,048, q_a norm 1,536,
     * q_b 1536 x 128 x (128+64) = 37,748,736, kv_a 7168 x (512+64) = 4,128,768, kv_a norm 512,
     * kv_b 512 x 128 x (128+128) = 16,777,216, o 128 x 128 x 7168 = 117,440,512: 187,107,328.
     * One routed expert 3 x 7168 x 2048 = 44,040,192; router 7168 x 256 + 256 correction biases.
     */
    @Test
    void deepSeekV3PartsByHand() {
        Model m = models.get("deepseek_v3");
        assertEquals(187_107_328L, m.attentionParams());
        assertEquals(44_040_192L, m.expertParams());
        assertEquals(44_040_192L, m.sharedExpertParams());
        assertEquals(7168L * 256 + 256, m.routerParams());
        assertEquals(3L * 7168 * 18432, m.denseFfnParams());
    }
}
