package dev.shardplan.predict;

import dev.shardplan.analysis.Analyzer;
import dev.shardplan.analysis.PlanAnalysis;
import dev.shardplan.api.Frontend;
import dev.shardplan.api.FrontendResult;
import dev.shardplan.diag.Span;
import dev.shardplan.model.EfficiencyProfile;
import dev.shardplan.model.EngineKind;
import dev.shardplan.model.Plan;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * The serving calibration set (src/test/resources/calibration/serving.csv): published measurements
 * of vLLM, SGLang and TensorRT-LLM with their conditions and sources, each predicted by compiling
 * the plan it describes (the std GPU, a node of them, the std model or one of calibration/models.plan,
 * the engine release and settings, the measured workload) and simulating it exactly as
 * {@code shardplan simulate} would (docs/calibration.md).
 *
 * <p>Metrics: {@code tpot_ms} is the mean time per output token after the first (a closed loop at the
 * measured concurrency, 4 x concurrency requests); {@code output_tok_s} the output throughput of the run.
 * {@code ttft_ms}, where a source gives it, is shown beside the prediction but not fitted.
 */
final class ServingCalibration {
    private ServingCalibration() {}

    /** One measured run. {@code heldOut}: in the held-out split (never used to fit). */
    record Case(String id, EngineKind engine, String version, String release, String gpu, String model, int tp, int pp, int dp,
                int ep, Map<String, String> settings, int isl, int osl, int requests, int concurrency, double rate, String metric,
                double measured, boolean heldOut, String source, String note, double ttftMs) {}

    /** A case compiled: its plan and analysis (done once; constants vary on top). */
    record Compiled(Case c, Plan plan, PlanAnalysis analysis) {}

    /** A case with its prediction; {@code error} = predicted / measured − 1; the predicted mean TTFT (ms). */
    record Row(Case c, double predicted, double error, double ttftMs) {}

    static List<Case> load() {
        List<Case> out = new ArrayList<>();
        try (var in = ServingCalibration.class.getResourceAsStream("/calibration/serving.csv");
             var br = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
            String header = br.readLine();
            if (!header.startsWith("id,engine,")) throw new IllegalStateException("unexpected header " + header);
            String line;
            while ((line = br.readLine()) != null) {
                if (line.isBlank()) continue;
                List<String> f = csv(line);
                Map<String, String> settings = new LinkedHashMap<>();
                for (String kv : f.get(10).split(";")) {
                    if (kv.isBlank()) continue;
                    String[] p = kv.split("=", 2);
                    settings.put(p[0], p[1]);
                }
                out.add(new Case(f.get(0), EngineKind.valueOf(f.get(1).toUpperCase(Locale.ROOT)), f.get(2), f.get(3), f.get(4), f.get(5),
                        Integer.parseInt(f.get(6)), Integer.parseInt(f.get(7)), Integer.parseInt(f.get(8)), Integer.parseInt(f.get(9)),
                        settings, Integer.parseInt(f.get(11)), Integer.parseInt(f.get(12)), Integer.parseInt(f.get(13)),
                        Integer.parseInt(f.get(14)), Double.parseDouble(f.get(15)), f.get(16), Double.parseDouble(f.get(17)),
                        f.get(18).equals("heldout"), f.get(19), f.get(20), f.size() > 21 && !f.get(21).isEmpty() ? Double.parseDouble(f.get(21)) : Double.NaN));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out;
    }

    /** RFC 4180 fields of one line (quotes only around fields with commas). */
    static List<String> csv(String line) {
        List<String> out = new ArrayList<>();
        StringBuilder sb = new StringBuilder();
        boolean q = false;
        for (int i = 0; i < line.length(); i++) {
            char ch = line.charAt(i);
            if (q) {
                if (ch == '"' && i + 1 < line.length() && line.charAt(i + 1) == '"') {
                    sb.append('"');
                    i++;
                } else if (ch == '"') q = false;
                else sb.append(ch);
            } else if (ch == '"') q = true;
            else if (ch == ',') {
                out.add(sb.toString());
                sb.setLength(0);
            } else sb.append(ch);
        }
        out.add(sb.toString());
        return out;
    }

    private static final Map<String, String> NODES = Map.of("H100_SXM", "HGX_H100", "H200_SXM", "HGX_H200", "A100_80GB", "HGX_A100");

    /** The plan source of a case: its node, workload and plan. */
    static String source(Case c) {
        String id = c.id().replaceAll("[^A-Za-z0-9_]", "_");
        int gpus = c.tp() * c.pp() * c.dp();
        int nodes = (gpus + 7) / 8;
        StringBuilder sb = new StringBuilder();
        sb.append("cluster c_").append(id).append(" { nodes ").append(nodes).append(" x ").append(NODES.get(c.gpu())).append(" }\n");
        sb.append("workload w_").append(id).append(" {\n  requests ").append(c.requests()).append('\n');
        sb.append(c.rate() > 0 ? String.format(Locale.ROOT, "  arrival %s req/s%n", num(c.rate())) : "  arrival offline\n");
        if (c.concurrency() > 0) sb.append("  concurrency ").append(c.concurrency()).append('\n');
        sb.append("  prompt fixed(").append(c.isl()).append(") tokens\n  output fixed(").append(c.osl()).append(") tokens\n");
        sb.append("  max_length ").append(c.isl() + c.osl()).append(" tokens\n}\n");
        sb.append("plan p_").append(id).append(" {\n  model ").append(c.model()).append("\n  cluster c_").append(id)
                .append("\n  workload w_").append(id).append('\n');
        sb.append("  parallel { dp ").append(c.dp()).append("; tp ").append(c.tp()).append("; pp ").append(c.pp())
                .append("; ep ").append(c.ep()).append(" }\n");
        sb.append("  engine ").append(c.engine().id()).append(" { version \"").append(c.release()).append('"');
        for (var e : c.settings().entrySet()) sb.append("; ").append(e.getKey()).append(' ').append(e.getValue());
        sb.append(" }\n}\n");
        return sb.toString();
    }

    private static String num(double v) {
        return v == Math.rint(v) ? String.valueOf((long) v) : String.valueOf(v);
    }

    /** Compiles every case (one module) and analyses each plan once. */
    static List<Compiled> compile(List<Case> cases) {
        try {
            Path dir = Files.createTempDirectory("calibration");
            try (var in = ServingCalibration.class.getResourceAsStream("/calibration/models.plan")) {
                Files.write(dir.resolve("models.plan"), in.readAllBytes());
            }
            StringBuilder sb = new StringBuilder("import \"std:nodes\"\nimport \"std:models\"\nimport \"models.plan\"\n\n");
            for (Case c : cases) sb.append(source(c)).append('\n');
            Path f = dir.resolve("calibration.plan");
            Files.writeString(f, sb.toString());
            FrontendResult r = Frontend.check(dir, List.of(f));
            if (r.hasErrors()) throw new IllegalStateException("calibration plans do not compile: " + r.diagnostics());
            Map<String, Plan> byName = new TreeMap<>();
            for (Plan p : r.plans()) byName.put(p.name(), p);
            List<Compiled> out = new ArrayList<>();
            for (Case c : cases) {
                Plan p = byName.get("p_" + c.id().replaceAll("[^A-Za-z0-9_]", "_"));
                out.add(new Compiled(c, p, Analyzer.core(p, dev.shardplan.analysis.StepTimeModel.ROOFLINE)));
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Predicts a compiled case with the constants {@code eff} (null: its engine's std:efficiency profile). */
    static Row predict(Compiled k, Efficiency eff) {
        Plan plan = k.plan();
        if (eff != null) {
            plan = new Plan(plan.name(), plan.sourceFile(), plan.model(), plan.cluster(), plan.workload(), plan.parallel(), plan.engine(),
                    plan.slos(), plan.emit(), plan.deploy(), Map.of(),
                    new EfficiencyProfile("fit", plan.engine().kind(), List.of(), eff.asMap(), Span.NONE), plan.spans(), plan.span());
        }
        Efficiency e = Predictor.efficiency(plan);
        PlanInputs in = AnalysisInputs.of(k.analysis(), e);
        Prediction p = Predictor.simulate(plan, in, RequestSet.draw(plan.workload(), Predictor.DEFAULT_SEED), Predictor.DEFAULT_SEED);
        if (!p.simulated()) throw new IllegalStateException(k.c().id() + " is not simulated: " + p.diagnostics());
        SimResult r = p.result();
        double v = switch (k.c().metric()) {
            case "tpot_ms" -> r.tpot().mean() * 1e3;
            case "output_tok_s" -> r.outputThroughput();
            default -> throw new IllegalArgumentException(k.c().metric());
        };
        return new Row(k.c(), v, v / k.c().measured() - 1, r.ttft().mean() * 1e3);
    }

    /** Mean absolute percentage error of rows. */
    static double mape(List<Row> rows) {
        double s = 0;
        for (Row r : rows) s += Math.abs(r.error());
        return rows.isEmpty() ? 0 : s / rows.size();
    }
}
