package dev.shardplan.robust;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Generates whole projects in the language: a plan file that declares GPUs, nodes, clusters,
 * models (in the body, or from a generated config.json), workloads (with generated CSVs) and
 * plans with real field names, and values drawn mostly from the plausible and sometimes from
 * the edges: zero, negative, 2^31, 2^63, 1e400, fractions where counts belong, hostile strings.
 * Most projects resolve, and a good share pass check, so that the analyses and emitters are
 * fuzzed too and not only the resolver's error paths.
 */
final class PlanFuzzer {
    final Random r;
    final Map<String, String> files = new LinkedHashMap<>();

    /** Whether this project may use edge values and hostile strings; half the projects are plausible throughout. */
    final boolean chaos;

    PlanFuzzer(long seed) {
        this.r = new Random(new java.util.SplittableRandom(seed).nextLong()); // Random's first draws follow small seeds closely
        this.chaos = r.nextBoolean();
    }

    boolean chance(int pct) {
        return r.nextInt(100) < pct;
    }

    <T> T pick(List<T> xs) {
        return xs.get(r.nextInt(xs.size()));
    }

    static final List<String> EXTREME = List.of("0", "-1", "1", "2147483647", "2147483648", "4294967296", "9223372036854775808",
            "1e400", "0.5", "65536", "65535", "1000000", "1e9", "3", "7");

    /** A whole number: usually one of {@code typical}, sometimes an extreme. */
    String count(int... typical) {
        if (chaos && chance(10)) return pick(EXTREME);
        return String.valueOf(typical[r.nextInt(typical.length)]);
    }

    String fraction() {
        if (chaos && chance(10)) return pick(List.of("0", "1", "1.5", "-0.1", "5", "1e400", "0.0001"));
        return String.format(java.util.Locale.ROOT, "%.2f", 0.5 + 0.49 * r.nextDouble());
    }

    static final List<String> HOSTILE = List.of("", " ", "-x", "--trust-remote-code", "a,b", "a:1", "$(touch /tmp/pwned)",
            "`id`", "'quoted'", "\\\"dq\\\"", "x\\ny", "tab\\there", "\\ud800", "\\u202e", "ünïcödé", "模型", "a b", "../../etc/passwd",
            "/models/llama", "meta-llama/Llama-3.1-8B", "vllm/vllm-openai:v0.11.0", "node-0", "10.0.0.1", "UPPER/Case:Tag",
            "x".repeat(300), "a//b", "s3://bucket/model", "eth0", "^lo,docker");

    static final List<String> BENIGN = List.of("/models/llama", "meta-llama/Llama-3.1-8B", "node-0", "10.0.0.1", "eth0", "inference", "gpu", "llm");

    String str() {
        return "\"" + pick(chaos ? HOSTILE : BENIGN) + "\"";
    }

    /** One of {@code plausible}, or in a chaotic project sometimes one of {@code odd}. */
    String one(List<String> plausible, List<String> odd) {
        return chaos && chance(15) ? pick(odd) : pick(plausible);
    }

    static final List<String> STD_MODELS = List.of("llama_3_1_8b", "llama_3_1_70b", "llama_3_1_405b", "qwen3_8b", "qwen3_32b",
            "qwen3_30b_a3b", "deepseek_r1", "mixtral_8x7b", "gpt_oss_20b", "deepseek_r1_distill_qwen_32b", "llama_3_1_8b_fp8");
    static final List<String> STD_NODES = List.of("HGX_H100", "HGX_H200", "HGX_A100", "DGX_B200", "MI300X_PLATFORM", "PCIE_H100",
            "PCIE_H100_NVLINK_PAIRS", "GB200_TRAY", "GAUDI3_HLS3");
    static final List<String> STD_GPUS = List.of("H100_SXM", "H200_SXM", "A100_80GB", "B200", "MI300X", "L40S", "L4");
    static final List<String> HF_CONFIGS = List.of("meta-llama--Meta-Llama-3.1-8B", "Qwen--Qwen3-30B-A3B", "deepseek-ai--DeepSeek-V3",
            "mistralai--Mixtral-8x7B-v0.1", "openai--gpt-oss-20b", "Qwen--Qwen3-32B-FP8");

    /** The project: {@code main.plan} and the files it reads. */
    Map<String, String> project(Map<String, String> hfConfigs) {
        StringBuilder b = new StringBuilder("import \"std:nodes\"\nimport \"std:models\"\nimport \"std:workloads\"\n");
        if (chance(30)) b.append("import \"std:gpus\"\n");
        String gpu = pick(STD_GPUS);
        if (chance(25)) {
            gpu = "g";
            b.append("gpu g { memory ").append(one(List.of("80 GiB", "141 GB", "24 GiB"), List.of("0 GB", "1e400 GB", "80")))
                    .append("; hbm_bandwidth ").append(one(List.of("3.35 TB/s", "4.8 TB/s"), List.of("0 TB/s", "1 GB/s")))
                    .append("; flops { bf16 ").append(one(List.of("989 TFLOPS", "312 TFLOPS"), List.of("0 TFLOPS", "1e400 TFLOPS")))
                    .append(" }; link_bandwidth 450 GB/s }\n");
        }
        String node = pick(STD_NODES);
        if (chance(30)) {
            node = "n";
            b.append("node n { gpus ").append(count(8, 8, 4, 2, 1, 16)).append(" x ").append(gpu).append("; fabric ")
                    .append(one(List.of("nvswitch", "pcie", "xgmi_mesh", "nvlink_island 2"), List.of("nvlink_island 3", "nvlink_island", "warp")));
            if (chance(60)) b.append("; nics ").append(count(8, 4, 1, 0)).append(" x ").append(one(List.of("400 Gb/s", "200 Gb/s"), List.of("0 Gb/s")));
            b.append(" }\n");
        }
        b.append("cluster c { nodes ").append(count(1, 1, 2, 4, 16)).append(" x ").append(node);
        if (chance(10)) b.append("; domain_nodes ").append(count(1, 2, 18));
        if (chance(10)) b.append("; network ").append(one(List.of("infiniband", "roce", "none"), List.of("carrier_pigeon")));
        b.append(" }\n");
        String model = pick(STD_MODELS);
        int kind = r.nextInt(10);
        if (kind < 3) {
            model = "m";
            b.append("model m { layers ").append(count(32, 80, 2, 61)).append("; hidden ").append(count(4096, 8192, 2048, 7168))
                    .append("; heads ").append(count(32, 64, 16, 128)).append("; kv_heads ").append(count(8, 8, 4, 1, 32))
                    .append("; ffn ").append(count(14336, 28672, 11008)).append("; vocab ").append(count(128256, 152064, 32000));
            if (chance(20)) b.append("; head_dim ").append(count(128, 64, 256));
            if (chance(20)) b.append("; attention mla { kv_lora_rank ").append(count(512, 0)).append("; qk_nope_head_dim 128; qk_rope_head_dim 64; v_head_dim 128 }");
            if (chance(25)) {
                b.append("; moe { experts ").append(count(8, 64, 128, 256)).append("; top_k ").append(count(2, 8, 1))
                        .append("; expert_ffn ").append(count(2048, 14336)).append(chance(30) ? "; shared_experts " + count(1, 2) : "")
                        .append(chance(20) ? "; dense_layers " + count(1, 3) : "").append(" }");
            }
            if (chance(15)) b.append("; quantization { weights ").append(pick(List.of("fp8", "int4", "fp4", "bf16"))).append("; block ").append(count(128, 0, 64)).append(" }");
            if (chance(15)) b.append("; rope_theta ").append(one(List.of("500000", "10000"), List.of("1e400", "0")));
            if (chance(10)) b.append("; sliding_window ").append(count(4096, 128)).append(" tokens every ").append(count(2, 1));
            if (chance(10)) b.append("; hf_id ").append(str());
            if (chance(10)) b.append("; max_position ").append(count(131072, 32768)).append(" tokens");
            b.append(" }\n");
        } else if (kind < 5) {
            model = "hf";
            String name = pick(HF_CONFIGS);
            String cfg = hfConfigs.get(name);
            files.put("models/config.json", cfg == null ? "{}" : HfMutator.mutate(cfg, r, chaos ? 1 + r.nextInt(3) : 0));
            b.append("model hf from huggingface \"models/config.json\" {");
            if (chance(20)) b.append(" max_position 32k tokens");
            if (chance(10)) b.append("; layers ").append(count(32, 4));
            b.append(" }\n");
        }
        String workload = "natural_reasoning";
        if (chance(40)) {
            workload = "w";
            b.append("workload w { requests ").append(count(100, 2000, 10, 1)).append("; ");
            b.append(one(List.of("arrival offline; ", "arrival 4 req/s; ", "concurrency " + count(64, 256) + "; ", ""), List.of("arrival 0 req/s; ")));
            b.append("prompt ").append(dist()).append("; output ").append(dist()).append("; max_length ")
                    .append(one(List.of("32k", "8k"), List.of("1M", "0", "1", "2"))).append(" tokens }\n");
        }
        b.append("plan p {\n  model ").append(model).append("\n  cluster c\n  workload ").append(workload).append("\n  parallel { ");
        List<String> par = new ArrayList<>();
        if (chance(60)) par.add("tp " + count(1, 2, 4, 8, 8, 16));
        if (chance(40)) par.add("dp " + count(1, 2, 4, 8));
        if (chance(25)) par.add("pp " + count(1, 2, 4));
        if (chance(20)) par.add("ep " + count(1, 8, 16));
        if (chance(8)) par.add("dp_attention true");
        if (chance(6)) par.add("layer_split " + count(16, 40) + ", " + count(16, 40));
        if (chance(6)) par.add("placement " + count(0, 1) + ", " + count(1, 2, 7) + ", " + count(2, 3) + ", " + count(3, 4));
        if (par.isEmpty()) par.add("tp 1");
        b.append(String.join("; ", par)).append(" }\n  engine ");
        String engine = pick(List.of("vllm", "vllm", "sglang", "trtllm"));
        b.append(engine).append(" {");
        List<String> eng = new ArrayList<>();
        switch (engine) {
            case "vllm" -> {
                if (chance(50)) eng.add("gpu_memory_utilization " + fraction());
                if (chance(40)) eng.add("max_num_seqs " + count(256, 1024, 64, 1));
                if (chance(20)) eng.add("block_size " + count(16, 32, 64, 7));
                if (chance(20)) eng.add("version \"" + one(List.of("0.11.0", "0.12.0", "0.8.5", "0.6.6"), List.of("9.9.9", "x")) + "\"");
                if (chance(10)) eng.add("kv_cache_dtype " + one(List.of("fp8", "auto"), List.of("int3")));
                if (chance(10)) eng.add("max_model_len " + count(32768, 4096));
            }
            case "sglang" -> {
                if (chance(50)) eng.add("mem_fraction_static " + fraction());
                if (chance(40)) eng.add("max_running_requests " + count(256, 2048));
                if (chance(20)) eng.add("version \"" + one(List.of("0.5.10", "0.4.6.post5"), List.of("0.1")) + "\"");
            }
            default -> {
                if (chance(50)) eng.add("free_gpu_memory_fraction " + fraction());
                if (chance(40)) eng.add("max_batch_size " + count(256, 2048));
                if (chance(20)) eng.add("version \"" + one(List.of("1.0.0", "1.1.0"), List.of("0.1")) + "\"");
            }
        }
        if (chaos && chance(5)) eng.add("gpu_memory_utilization 0.9"); // another engine's name
        b.append(eng.isEmpty() ? "" : " " + String.join("; ", eng) + " ").append("}\n");
        if (chance(30)) b.append("  slo { ").append(one(List.of("ttft p99 < 5 s", "tpot p50 < 60 ms", "throughput > 1000 tokens/s"), List.of("ttft p99 < -1 s"))).append(" }\n");
        List<String> targets = new ArrayList<>(List.of("vllm", "sglang", "trtllm", "kubernetes", "slurm", "shim"));
        java.util.Collections.shuffle(targets, r);
        b.append("  emit ").append(String.join(", ", targets.subList(0, 1 + r.nextInt(3)))).append("\n");
        if (chance(40)) {
            List<String> dep = new ArrayList<>();
            if (chance(50)) dep.add("model_path " + str());
            if (chance(30)) dep.add("served_name " + str());
            if (chance(30)) dep.add("image " + str());
            if (chance(30)) dep.add("hosts " + str() + ", " + str());
            if (chance(20)) dep.add("port " + count(8000, 0, 65535, 65536));
            if (chance(20)) dep.add("namespace " + str());
            if (chance(20)) dep.add("partition " + str());
            if (chance(15)) dep.add("network_interface " + str());
            b.append("  deploy { ").append(String.join("; ", dep)).append(" }\n");
        }
        if (chance(15)) {
            b.append("  tuning { ").append(one(List.of("hbm_efficiency", "compute_efficiency", "step_overhead_us", "non_torch_gib", "network_share"), List.of("bogus")))
                    .append(' ').append(one(List.of("0.8", "0.5"), List.of("5", "0", "1e400", "-1", "1500"))).append(" }\n");
        }
        b.append("}\n");
        files.put("main.plan", b.toString());
        return files;
    }

    String dist() {
        return switch (r.nextInt(6)) {
            case 0 -> "fixed(" + count(128, 1000, 0) + ") tokens";
            case 1 -> "uniform(min " + count(100, 1) + ", max " + count(400, 4000) + ") tokens";
            case 2 -> "normal(mean " + count(1000, 100) + ", stddev " + count(200, 0) + ") tokens";
            case 3 -> {
                StringBuilder csv = new StringBuilder(chance(50) ? "length\n" : "");
                int n = 1 + r.nextInt(20);
                for (int i = 0; i < n; i++) csv.append(chaos && chance(5) ? pick(List.of("x", "-5", "0", "1e400", "99999999999", "")) : String.valueOf(1 + r.nextInt(5000))).append('\n');
                files.put("data/lengths.csv", csv.toString());
                yield "empirical(\"data/lengths.csv\"" + (chance(20) ? ", column " + count(1, 2) : "") + ") tokens";
            }
            default -> "lognormal(median " + count(100, 4500) + ", p95 " + count(400, 16000, 50) + ") tokens";
        };
    }
}
