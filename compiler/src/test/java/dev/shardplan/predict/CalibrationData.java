package dev.shardplan.predict;

import dev.shardplan.model.DType;
import dev.shardplan.model.Gpu;
import dev.shardplan.model.Model;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** The published runs of src/test/resources/calibration and the records they name. */
final class CalibrationData {
    private CalibrationData() {}

    static List<Calibration.Case> trtllm() {
        List<Calibration.Case> out = new ArrayList<>();
        try (var in = CalibrationData.class.getResourceAsStream("/calibration/trtllm-perf-overview.csv");
             var br = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
            String line;
            boolean header = true;
            while ((line = br.readLine()) != null) {
                if (line.startsWith("#") || line.isBlank()) continue;
                if (header) {
                    header = false;
                    continue;
                }
                String[] f = line.split(",");
                out.add(new Calibration.Case(f[0], f[1], Integer.parseInt(f[2]), Integer.parseInt(f[3]),
                        Integer.parseInt(f[4]), Integer.parseInt(f[5]), Double.parseDouble(f[6])));
            }
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return out;
    }

    static Model model(String name) {
        var q = Catalog.modelOptFp8();
        return switch (name) {
            case "llama_3_1_8b" -> Catalog.llama8b(q, DType.FP8);
            case "llama_3_3_70b" -> Catalog.llama70b(q, DType.FP8);
            case "llama_3_1_405b" -> Catalog.llama405b(q, DType.FP8);
            case "qwen3_235b_a22b" -> Catalog.qwen3_235b(q, DType.FP8);
            default -> throw new IllegalArgumentException(name);
        };
    }

    static Gpu gpu(String name) {
        return name.equals("H200") ? Catalog.h200() : Catalog.h100();
    }
}
