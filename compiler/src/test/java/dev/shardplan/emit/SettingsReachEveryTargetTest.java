package dev.shardplan.emit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shardplan.analysis.Fixtures;
import dev.shardplan.engine.Effective;
import dev.shardplan.engine.EngineConfig;
import dev.shardplan.engine.EngineSpec;
import dev.shardplan.engine.Engines;
import dev.shardplan.engine.Kind;
import dev.shardplan.engine.Origin;
import dev.shardplan.engine.Release;
import dev.shardplan.engine.Role;
import dev.shardplan.engine.Setting;
import dev.shardplan.model.EngineKind;
import dev.shardplan.model.Plan;
import dev.shardplan.model.Target;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.statistics.Statistics;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Every setting of a plan reaches the server on every path: for generated plans (an engine, one
 * of its releases, a layout over one or two nodes, a random subset of that release's settings
 * with random accepted values, recipes where they apply, random deploy strings), every target
 * that starts the plan's engine (its launch scripts, including vLLM's mp and Ray variants and
 * TensorRT-LLM's srun one, the Kubernetes manifest and the Slurm job) is parsed back: the
 * engine's command line, the config file it points at (vLLM --config, TensorRT-LLM's LLM-API
 * YAML, written beside the script or inline in a pod or a Slurm task) and its environment. Each
 * setting the plan wrote, and the context length the workload needs, must be there in the
 * release's spelling and with its value, as must the model path, degrees, served name and port.
 */
class SettingsReachEveryTargetTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final java.util.concurrent.atomic.AtomicInteger LAUNCHES = new java.util.concurrent.atomic.AtomicInteger();
    static final java.util.Set<String> PATHS = java.util.concurrent.ConcurrentHashMap.newKeySet();

    /** The property read real launches back, and of every kind: it cannot pass by refusing every plan. */
    @AfterContainer
    static void someLaunchesOfEveryKindWereRead() {
        if (LAUNCHES.get() < 40) throw new AssertionError("launches read back: " + LAUNCHES.get());
        for (String want : List.of("vllm/node0.sh", "vllm/mp/node0.sh", "vllm/ray/node0.sh", "sglang/node0.sh", "trtllm/serve.sh", "trtllm/srun.sh",
                "slurm/job.sbatch", "kubernetes/leaderworkerset.yaml"))
            if (PATHS.stream().noneMatch(p -> p.startsWith(want))) throw new AssertionError("no " + want + " read back: " + PATHS);
    }

    /** A layout over one or two HGX H200 nodes, with the model it fits. */
    record Shape(String model, int nodes, String parallel) {}

    static final List<Shape> SHAPES = List.of(
            new Shape("llama_3_1_70b_fp8", 1, "dp 2; tp 4"),
            new Shape("deepseek_r1_distill_qwen_14b", 1, "pp 2; tp 4"),
            new Shape("llama_3_1_405b", 2, "tp 8; pp 2"),
            new Shape("deepseek_r1", 2, "dp 16; tp 1; ep 16; dp_attention true"),
            new Shape("qwen3_235b_a22b_fp8", 1, "tp 8; ep 8"));

    @Provide
    Arbitrary<Long> seeds() {
        return Arbitraries.longs();
    }

    @Property(tries = 60)
    void everyTargetOfThePlansEngineCarriesEverySetting(@ForAll("seeds") long seed) throws Exception {
        Random r = new Random(seed);
        EngineKind kind = EngineKind.values()[r.nextInt(3)];
        EngineSpec spec = Engines.spec(kind);
        Release rel = spec.releases().get(r.nextInt(spec.releases().size()));
        Shape shape = SHAPES.get(r.nextInt(SHAPES.size()));
        Plan plan = Fixtures.plan(source(r, spec, rel, shape), "p");
        EmitInput in = EmitTesting.input(plan);
        int checked = 0;
        for (Target t : List.of(targetOf(kind), Target.KUBERNETES, Target.SLURM)) {
            Emit.Rendered out = Emit.standard().render(List.of(in), Set.of(t));
            // A layout the target or release cannot launch is refused with a diagnostic (LauncherRulesTest); nothing to read back.
            if (!out.ok()) continue;
            Map<String, String> files = new TreeMap<>();
            for (OutputFile f : out.plans().get("p")) files.put(f.path(), f.content());
            for (var launch : launches(t, files).entrySet()) {
                List<String> missing = missing(in, launch.getValue());
                assertEquals(List.of(), missing, rel.label() + " " + shape + " " + launch.getKey() + "\n" + source(new Random(seed), spec, rel, shape));
                checked++;
                LAUNCHES.incrementAndGet();
                PATHS.add(launch.getKey());
            }
        }
        Statistics.label("launches read back").collect(checked > 0 ? "some" : "none (layout refused)");
    }

    static Target targetOf(EngineKind k) {
        return switch (k) {
            case VLLM -> Target.VLLM;
            case SGLANG -> Target.SGLANG;
            case TRTLLM -> Target.TRTLLM;
        };
    }

    // ---- plans ----

    static String source(Random r, EngineSpec spec, Release rel, Shape shape) {
        StringBuilder eng = new StringBuilder("version \"" + rel.version() + "\"");
        boolean ep = shape.parallel().contains("ep ");
        boolean mtp = shape.model().equals("deepseek_r1");
        for (Setting s : spec.settings(rel)) {
            if (r.nextInt(100) >= 45) continue;
            Role role = s.role();
            if (role != null && (role == Role.ALL2ALL || role == Role.EPLB || role == Role.REDUNDANT_EXPERTS) && !ep) continue;
            if (role == Role.SPEC_TOKENS && !mtp) continue;
            String v = value(r, s, shape);
            if (v != null) eng.append("; ").append(s.name()).append(' ').append(v);
        }
        StringBuilder dep = new StringBuilder("namespace \"inference\"; hf_token_secret \"hf-token\"");
        if (r.nextBoolean()) dep.append("; served_name \"llm-").append(r.nextInt(100)).append('"');
        if (r.nextBoolean()) dep.append("; port ").append(8000 + r.nextInt(1000));
        if (r.nextBoolean()) dep.append("; model_path \"/models/m").append(r.nextInt(10)).append('"');
        if (shape.nodes() > 1 && r.nextBoolean()) dep.append("; network_interface \"ib0\"");
        if (shape.nodes() > 1) dep.append("; hosts \"n0\", \"n1\"");
        return "cluster c { nodes " + shape.nodes() + " x HGX_H200 }\nplan p {\n  model " + shape.model() + "\n  cluster c\n"
                + "  workload natural_reasoning\n  parallel { " + shape.parallel() + " }\n  engine " + spec.kind().id() + " { " + eng + " }\n"
                + "  emit vllm\n  deploy { " + dep + " }\n}\n";
    }

    /** A value the release accepts, in plan syntax; null to leave the setting out. */
    static String value(Random r, Setting s, Shape shape) {
        return switch (s.kind()) {
            case BOOL -> String.valueOf(r.nextBoolean());
            case CHOICE -> s.choices().isEmpty() ? null : s.choices().get(r.nextInt(s.choices().size()));
            case NUMBER -> String.format(Locale.ROOT, "%.2f", 0.5 + 0.45 * r.nextDouble());
            case SIZE -> (1 + r.nextInt(128)) + " GiB";
            case COUNT -> {
                if (!s.choices().isEmpty()) yield s.choices().get(r.nextInt(s.choices().size()));
                if (s.role() == Role.MAX_MODEL_LEN) yield String.valueOf(32000 + r.nextInt(8000));
                if (s.role() == Role.SPEC_TOKENS) yield String.valueOf(1 + r.nextInt(3));
                if (s.name().equals("eplb_slots")) yield String.valueOf(256 + 16 * (1 + r.nextInt(4)));
                long lo = (long) Math.max(1, s.min()), hi = (long) Math.min(s.max(), 16384);
                yield String.valueOf(lo + (long) r.nextInt((int) Math.max(1, hi - lo)));
            }
        };
    }

    // ---- reading launches back ----

    /** What one server is started with, as read from a generated file. */
    record Launched(Map<String, String> flags, Map<String, String> env, JsonNode options) {}

    /** The server launches a target wrote, by where they were read. */
    static Map<String, Launched> launches(Target t, Map<String, String> files) throws IOException {
        Map<String, Launched> out = new LinkedHashMap<>();
        for (var f : files.entrySet()) {
            String path = f.getKey(), text = f.getValue();
            if (path.startsWith("kubernetes/")) {
                for (JsonNode d : HostileStringTest.yaml(text)) {
                    JsonNode tmpl = d.path("spec").path("leaderWorkerTemplate");
                    JsonNode pod = tmpl.has("leaderTemplate") ? tmpl.get("leaderTemplate") : tmpl.path("workerTemplate");
                    for (JsonNode c : pod.path("spec").path("containers")) {
                        List<String> argv = new ArrayList<>();
                        c.path("command").forEach(x -> argv.add(x.asText()));
                        c.path("args").forEach(x -> argv.add(x.asText()));
                        Map<String, String> env = new TreeMap<>();
                        for (JsonNode e : c.path("env")) if (e.has("value")) env.put(e.path("name").asText(), e.path("value").asText().replace("$$", "$"));
                        if (argv.size() == 3 && argv.get(0).equals("/bin/bash")) {
                            String script = argv.get(2).replace("$$", "$");
                            out.put(path + " (pod script)", fromScript(script, env, null));
                        } else {
                            List<AcceptedFlagsTest.Word> words = new ArrayList<>();
                            for (String a : argv) words.add(new AcceptedFlagsTest.Word(a, true));
                            out.put(path, new Launched(flags(words), env, null));
                        }
                    }
                }
            } else if (path.endsWith(".sbatch") && path.startsWith("slurm/")) {
                int start = text.indexOf("<<'SHARDPLAN_NODE_SCRIPT'");
                String body = text.substring(text.indexOf('\n', start) + 1, text.indexOf("\nSHARDPLAN_NODE_SCRIPT\n"));
                // Node 0's case: everything before the first ";;".
                String node0 = body.substring(0, body.indexOf(";;"));
                out.put(path, fromScript(node0, exports(body), null));
            } else if (path.endsWith(".sh") && !path.startsWith("shim/")) {
                if (path.matches(".*/node[1-9][0-9]*\\.sh") || path.matches("trtllm/serve-dp[1-9].*")) continue;
                if (path.startsWith("vllm/ray/") && !path.endsWith("node0.sh")) continue;
                JsonNode config = null;
                if (path.startsWith("vllm/")) config = HostileStringTest.yaml(files.get("vllm/config.yaml")).get(0);
                if (path.startsWith("trtllm/")) config = HostileStringTest.yaml(files.get("trtllm/" + TrtllmLaunch.OPTIONS)).get(0);
                out.put(path, fromScript(text, exports(text), config));
            }
        }
        return out;
    }

    static Map<String, String> exports(String script) {
        Map<String, String> env = new TreeMap<>();
        for (List<AcceptedFlagsTest.Word> cmd : AcceptedFlagsTest.commands(AcceptedFlagsTest.stripHeredocs(script))) {
            if (cmd.size() == 2 && cmd.get(0).text().equals("export") && cmd.get(1).text().contains("=")) {
                String w = cmd.get(1).text();
                env.put(w.substring(0, w.indexOf('=')), w.substring(w.indexOf('=') + 1));
            }
        }
        return env;
    }

    /** The engine command of a script, with the options of a file it points at or writes inline. */
    static Launched fromScript(String script, Map<String, String> env, JsonNode config) throws IOException {
        JsonNode options = config;
        List<String> inline = AcceptedFlagsTest.heredocs(script);
        if (!inline.isEmpty()) options = HostileStringTest.yaml(inline.get(0)).get(0);
        Map<String, String> flags = new TreeMap<>();
        Map<String, String> envAll = new TreeMap<>(env);
        for (List<AcceptedFlagsTest.Word> cmd : AcceptedFlagsTest.commands(AcceptedFlagsTest.stripHeredocs(script))) {
            int i = 0;
            while (i < cmd.size() && (cmd.get(i).text().equals("exec") || cmd.get(i).text().equals("env") || cmd.get(i).text().matches("[A-Z_]+=.*"))) {
                String w = cmd.get(i).text();
                if (w.contains("=")) envAll.put(w.substring(0, w.indexOf('=')), w.substring(w.indexOf('=') + 1));
                i++;
            }
            List<AcceptedFlagsTest.Word> rest = cmd.subList(i, cmd.size());
            int engine = engineAt(rest);
            // The first server of a script (DP replicas after it differ only in GPUs and port).
            if (engine >= 0 && flags.isEmpty()) flags.putAll(flags(rest.subList(engine, rest.size())));
        }
        return new Launched(flags, envAll, options);
    }

    /** Where an engine's own command starts inside a command line (after mpirun, srun and trtllm-llmapi-launch). */
    static int engineAt(List<AcceptedFlagsTest.Word> w) {
        for (int i = 0; i < w.size(); i++) {
            String t = w.get(i).text();
            if (t.equals("vllm") && i + 1 < w.size() && w.get(i + 1).text().equals("serve")) return i;
            if (t.equals("trtllm-serve")) return i;
            if (t.equals("sglang.launch_server")) return i;
        }
        return -1;
    }

    /** Flags of an engine command: "--flag value", "--flag=value" and switches (""), positional words under "". */
    static Map<String, String> flags(List<AcceptedFlagsTest.Word> w) {
        Map<String, String> out = new TreeMap<>();
        int start = engineAt(w);
        if (start < 0) return out;
        int i = start + (w.get(start).text().equals("vllm") ? 2 : 1);
        if (i < w.size() && !w.get(i).text().startsWith("--")) out.put("", w.get(i++).text());
        for (; i < w.size(); i++) {
            String t = w.get(i).text();
            if (!t.startsWith("--")) continue;
            if (t.contains("=")) {
                out.put(t.substring(0, t.indexOf('=')), t.substring(t.indexOf('=') + 1));
                continue;
            }
            String next = i + 1 < w.size() ? w.get(i + 1).text() : null;
            if (next != null && (!next.startsWith("--") || next.matches("-[0-9].*"))) {
                out.put(t, next);
                i++;
            } else out.put(t, "");
        }
        return out;
    }

    // ---- what must be there ----

    /** Each written setting, and the structural values, that the launch lacks or gets with another value. */
    static List<String> missing(EmitInput in, Launched l) throws IOException {
        List<String> out = new ArrayList<>();
        EngineConfig cfg = in.engine();
        Map<String, String> flags = new TreeMap<>(l.flags());
        // vLLM's --config file holds the shared flags: its keys are the flags without "--".
        if (cfg.kind() == EngineKind.VLLM && flags.containsKey("--config") && l.options() != null)
            for (var k : AcceptedFlagsTest.keys(l.options(), "").entrySet())
                if (!k.getKey().equals("model")) flags.putIfAbsent("--" + k.getKey(), k.getValue() == null ? "" : text(l.options().get(k.getKey())));
        String model = cfg.kind() == EngineKind.SGLANG ? flags.get("--model-path")
                : cfg.kind() == EngineKind.VLLM && flags.containsKey("--config") ? l.options().path("model").asText() : flags.get("");
        if (!in.deployment().modelPath().equals(model)) out.add("model " + in.deployment().modelPath() + " (found " + model + ")");
        String served = in.deployment().servedName();
        if (served != null && cfg.spec().hasFlag(cfg.release(), "served_model_name") && !served.equals(flags.get(cfg.spec().flag(cfg.release(), "served_model_name"))))
            out.add("served name " + served);
        String port = String.valueOf(in.deployment().port(cfg.spec()));
        if (!port.equals(flags.get(cfg.spec().flag(cfg.release(), "port"))) && !port.equals(String.valueOf(option(l.options(), "port"))))
            out.add("port " + port + " (found " + flags.get(cfg.spec().flag(cfg.release(), "port")) + ")");
        Map<String, Map<String, String>> json = new TreeMap<>();
        for (Effective e : cfg.values()) {
            if (e.origin() != Origin.PLAN && e.origin() != Origin.WORKLOAD) continue;
            Setting s = e.setting();
            if (s.off(e.value())) continue;
            Object v = s.kind() == Kind.SIZE ? s.inUnits(e.value()) : e.value();
            boolean found = false;
            if (s.jsonFlag() != null) {
                String obj = flags.get(s.jsonFlag());
                JsonNode o = obj == null ? null : JSON.readTree(obj);
                found = o != null && same(o.get(s.jsonKey()), v);
                for (var fx : s.jsonFixed().entrySet()) found &= o != null && same(o.get(fx.getKey()), fx.getValue());
            } else if (s.env() != null) {
                String want = v instanceof Boolean b ? (b ? "1" : "0") : String.valueOf(v);
                found = want.equals(l.env().get(s.env()));
            } else if (s.kind() == Kind.BOOL && (s.flag() != null || s.flagOff() != null) && ((Boolean) v ? s.flag() : s.flagOff()) != null) {
                String f = (Boolean) v ? s.flag() : s.flagOff();
                int eq = f.indexOf('=');
                found = eq < 0 ? "".equals(flags.get(f)) || "true".equals(flags.get(f)) : f.substring(eq + 1).equals(flags.get(f.substring(0, eq)));
            } else if (s.flag() != null && s.kind() != Kind.BOOL) {
                found = text(v).equals(flags.get(s.flag()));
            }
            // An options-file key carries the setting whether or not a flag does too (the file overrides the flags).
            if (s.configKey() != null && l.options() != null) {
                Object want = s.configObject() ? ((Boolean) v ? "{}" : "null") : v;
                JsonNode at = at(l.options(), s.configKey());
                boolean inFile = s.configObject() ? (Boolean) v ? at != null && at.isObject() : at != null && at.isNull() : same(at, want);
                found = s.flag() == null && s.flagOff() == null || s.kind() == Kind.BOOL && ((Boolean) v ? s.flag() : s.flagOff()) == null ? inFile : found || inFile;
                if (!inFile) found = false;
            } else if (s.configKey() != null && s.flag() == null && s.flagOff() == null) {
                found = false;
            } else if (s.kind() == Kind.BOOL && s.flag() == null && s.flagOff() == null && s.env() == null && s.jsonFlag() == null) {
                found = true;   // nothing to write, e.g. a boolean whose flagless side the plan chose
            } else if (s.kind() == Kind.BOOL && ((Boolean) v ? s.flag() : s.flagOff()) == null && s.env() == null) {
                found = true;   // the plan chose the side the launcher writes nothing for
            }
            for (int i = 0; found && i < s.with().size(); i++) {
                String w = s.with().get(i);
                if (!w.startsWith("--")) continue;
                String next = i + 1 < s.with().size() && !s.with().get(i + 1).startsWith("--") ? s.with().get(i + 1) : "";
                found = next.equals(flags.get(w));
            }
            if (!found) out.add(e.name() + " " + text(v) + " (" + e.origin().id() + ")");
        }
        return out;
    }

    static Object option(JsonNode o, String key) {
        return o == null || !o.has(key) ? null : o.get(key).asText();
    }

    static JsonNode at(JsonNode o, String path) {
        JsonNode n = o;
        for (String k : path.split("\\.")) {
            if (n == null || !n.has(k)) return null;
            n = n.get(k);
        }
        return n;
    }

    static boolean same(JsonNode n, Object v) {
        if (n == null) return false;
        if (v instanceof Boolean b) return n.isBoolean() ? n.booleanValue() == b : n.asText().equals(b.toString());
        if (v instanceof Number x) return n.isNumber() ? Math.abs(n.doubleValue() - x.doubleValue()) < 1e-9 : n.asText().equals(text(v));
        return n.asText().equals(String.valueOf(v));
    }

    static String text(Object v) {
        if (v instanceof JsonNode n) return n.isBoolean() ? n.asText() : n.asText();
        return Command.text(v);
    }
}
