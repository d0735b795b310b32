package dev.shardplan.emit;

import dev.shardplan.diag.Diagnostic;
import dev.shardplan.model.DType;
import dev.shardplan.model.Plan;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** Small facts about a plan that several emitters share. */
final class Shapes {
    private Shapes() {}

    /** GPUs per node the plan uses at most (what a pod or Slurm node must request). */
    static int gpusPerNodeUsed(Layout l) {
        int max = 0;
        for (int n = 0; n < l.nodes(); n++) max = Math.max(max, l.ranksOnNode(n).size());
        return max;
    }

    /** CUDA_VISIBLE_DEVICES for a node when the plan uses a subset or another order of its GPUs, else null. */
    static String visibleDevices(Layout l, int node) {
        List<Integer> gpus = l.gpusOnNode(node);
        boolean identity = gpus.size() == l.gpusPerNode();
        for (int i = 0; i < gpus.size() && identity; i++) identity = gpus.get(i) == i;
        if (identity) return null;
        StringBuilder b = new StringBuilder();
        for (int g : gpus) {
            if (b.length() > 0) b.append(',');
            b.append(g);
        }
        return b.toString();
    }

    /** "40,40,46": an explicit PP layer split as the engines' *_PP_LAYER_PARTITION variables take it, else null. */
    static String layerPartition(Plan plan) {
        List<Integer> s = plan.parallel().layerSplit();
        if (s.isEmpty()) return null;
        StringBuilder b = new StringBuilder();
        for (int x : s) {
            if (b.length() > 0) b.append(',');
            b.append(x);
        }
        return b.toString();
    }

    /** Rounds a memory fraction down to 3 decimals (never promise more memory than the budget has). */
    static double fraction(double f) {
        double clamped = Math.max(0.001, Math.min(1.0, f));
        return BigDecimal.valueOf(clamped).setScale(3, RoundingMode.FLOOR).doubleValue();
    }

    /** vLLM gpu_memory_utilization: the plan's when it targets vLLM, else everything the budget puts on the GPU over its memory. */
    static double vllmUtilization(EmitInput in) {
        if (in.plan().engine().kind() == dev.shardplan.model.EngineKind.VLLM) return EngineDefaults.memoryFraction(in.plan());
        Layout.Memory m = in.layout().bindingMemory();
        return fraction((double) (m.weights() + m.activation() + m.nonTorch() + m.cudaGraph() + m.kvPool()) / m.total());
    }

    /**
     * SGLang mem_fraction_static = (weights + KV pool) / total memory (launchers.md §6.7); null
     * when the plan targets SGLang and leaves it to SGLang's own heuristic.
     */
    static Double sglangStatic(EmitInput in) {
        if (in.plan().engine().kind() == dev.shardplan.model.EngineKind.SGLANG)
            return in.plan().engine().memoryFraction() > 0 ? in.plan().engine().memoryFraction() : null;
        Layout.Memory m = in.layout().bindingMemory();
        return fraction((double) (m.weights() + m.kvPool()) / m.total());
    }

    /** TRT-LLM free_gpu_memory_fraction = KV pool / memory left after weights and buffers (launchers.md §6.7). */
    static double trtllmFree(EmitInput in) {
        if (in.plan().engine().kind() == dev.shardplan.model.EngineKind.TRTLLM) return EngineDefaults.memoryFraction(in.plan());
        Layout.Memory m = in.layout().bindingMemory();
        long free = m.total() - m.weights() - m.activation() - m.nonTorch() - m.cudaGraph();
        return fraction(free <= 0 ? 0 : (double) m.kvPool() / free);
    }

    /** True when the KV cache dtype is the model's own compute dtype (the engines' "auto"). */
    static boolean kvIsModelDtype(Plan plan) {
        DType kv = plan.kvDtype();
        DType model = plan.model().dtype();
        if (kv == model) return true;
        // An 8-bit checkpoint computes in bf16 (DeepSeek FP8), so a bf16 KV cache is the engines' default.
        return kv == DType.BF16 && model.bytes() < 2;
    }

    /**
     * The model's reasoning parser spelled for a launcher, or null when there is none. Spellings:
     * vLLM docs/features/reasoning_outputs.md, SGLang server_args.py, TRT-LLM trtllm_serve_cli.yaml
     * (launchers.md §0, §1.2, §2.1, §3.1).
     */
    static String reasoningParser(Plan plan, String launcher, List<Diagnostic> diags) {
        String p = plan.model().reasoningParser();
        if (p == null || p.isEmpty()) return null;
        String key = p.toLowerCase(Locale.ROOT).replace('-', '_');
        Map<String, String> row = PARSERS.get(key);
        String spelled = row == null ? null : row.get(launcher);
        if (spelled == null) {
            diags.add(Diagnostic.of(EmitCodes.UNKNOWN_REASONING_PARSER, plan.spanOf("model"),
                            launcher + ": no known spelling of reasoning parser `" + p + "`")
                    .note("known parsers for " + launcher + ": " + known(launcher))
                    .help("start the server with the parser flag added by hand, or drop the parser from the model")
                    .build());
        }
        return spelled;
    }

    private static String known(String launcher) {
        List<String> out = new ArrayList<>();
        for (var e : PARSERS.entrySet()) if (e.getValue().containsKey(launcher)) out.add(e.getValue().get(launcher));
        out.sort(null);
        return String.join(", ", out);
    }

    private static final Map<String, Map<String, String>> PARSERS = Map.ofEntries(
            Map.entry("deepseek_r1", Map.of("vllm", "deepseek_r1", "sglang", "deepseek-r1", "trtllm", "deepseek-r1")),
            Map.entry("qwen3", Map.of("vllm", "qwen3", "sglang", "qwen3", "trtllm", "qwen3")),
            Map.entry("deepseek_v3", Map.of("vllm", "deepseek_v3", "sglang", "deepseek-v3")),
            Map.entry("glm45", Map.of("vllm", "glm45", "sglang", "glm45")),
            Map.entry("granite", Map.of("vllm", "granite")),
            Map.entry("minimax_m2_append_think", Map.of("vllm", "minimax_m2_append_think", "trtllm", "minimax_m2_append_think")),
            Map.entry("gpt_oss", Map.of("sglang", "gpt-oss")),
            Map.entry("qwen3_thinking", Map.of("sglang", "qwen3-thinking")),
            Map.entry("kimi", Map.of("sglang", "kimi")),
            Map.entry("kimi_k2", Map.of("trtllm", "kimi_k2")),
            Map.entry("step3", Map.of("sglang", "step3")));
}
