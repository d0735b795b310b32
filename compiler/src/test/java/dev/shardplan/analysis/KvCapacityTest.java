package dev.shardplan.analysis;

import dev.shardplan.engine.KvGroups;
import dev.shardplan.engine.MemoryBudget;
import dev.shardplan.model.Plan;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * KV-cache capacity against vLLM's own formula for the same settings (formulas.md §4.1):
 * available = util x total - weights - activation peak - non-torch - CUDA graphs;
 * num_blocks = available // page_size // num_layers; tokens = num_blocks x block_size.
 * Inputs: std:gpus CUDA totals (H100 79.10 GiB, H200 139.80 GiB), std:models architectures
 * (models.json), vLLM 0.20.1 defaults (max_num_seqs 1024, max_num_batched_tokens 8192 on >= 70 GiB
 * GPUs other than A100), activation = max(8192 x widest live elements per token x 2 B, 1024 x vocab
 * x 14 B for the Triton sampler), non-torch 90 MiB (+ 680 MiB for NCCL with NVLink SHARP from TP2 on
 * Hopper NVSwitch), no CUDA-graph term (docs/memory-model.md). These tests pin the arithmetic; the
 * model is judged against logged start-ups by dev.shardplan.engine.StartupLogValidationTest.
 */
class KvCapacityTest {
    static final long MIB = 1L << 20, GIB = 1L << 30;

    static final long NT_SINGLE = 90 * MIB, NT_NVLS = 90 * MIB + 680 * MIB;

    static void poolAddsUp(MemoryBudget m, long nonTorch) {
        assertEquals((long) Math.floor(0.9 * m.total()), m.usable());
        assertEquals(nonTorch, m.nonTorch());
        assertEquals(0, m.cudaGraph());
        assertEquals(m.usable() - m.weights() - m.activation() - nonTorch, m.kvPool());
    }

    static void within2(long expected, long actual) {
        double rel = Math.abs(actual - expected) / (double) expected;
        assertTrue(rel <= 0.02, "expected " + expected + " within 2%, got " + actual);
    }

    @Test
    void llama31_8b_one_h100_util_090() {
        Plan p = Fixtures.simple("llama_3_1_8b", "HGX_H100", 1, "tp 1", "vllm { gpu_memory_utilization 0.90 }", "natural_reasoning");
        PlanAnalysis a = Analyzer.analyze(p);
        MemoryBudget m = a.memory(0);
        // weights: 32 x (attn 4096x4096 + 2x4096x1024 + 4096x4096 = 41,943,040; ffn 3x4096x14336 = 176,160,768;
        //          norms 8,192) + embedding + lm head 2 x 128,256 x 4,096 + final norm 4,096
        //        = 8,030,261,248 params (models.json: params_total_computed_from_config) x 2 B = 16,060,522,496
        assertEquals(16_060_522_496L, m.weightParts().total());
        // + what loading allocates (LoadAllocation): the rope cache 131,072 positions x 128 x 2 B = 33,554,432;
        //   no tensor loses to the allocator's 2 MiB rounding (qkv 48, o 32, gate_up 224, down 112, embedding 1,002 MiB)
        assertEquals(16_060_522_496L + 33_554_432L, m.weights());
        // activation = max(forward 8192 x (3x4096 + 3x14336) x 2 = 905,969,664; sampler 1024 x 128,256 x 14 = 1,838,678,016)
        assertEquals(1_838_678_016L, m.activation());
        poolAddsUp(m, NT_SINGLE);
        // page = 16 x 8 kv heads x (128 + 128) x 2 B = 65,536; blocks = pool // 65,536 // 32
        assertEquals(m.kvPool() / 65_536 / 32, a.kv().blocks());
        assertEquals(a.kv().blocks() * 16, a.kv().tokens());
    }

    @Test
    void llama31_8b_matches_a_logged_vllm_run() {
        // vllm-project/vllm#10511 (H100, Llama-3-8B, same shapes as 3.1): total_gpu_memory 79.22 GiB x 0.90,
        // weights 14.96 GiB, non_torch 1.79 GiB, activation peak 1.26 GiB -> available_kv_cache_memory 53.29 GiB.
        // With the logged total and measured terms pinned, the analysis reproduces the logged KV memory.
        Plan p = Fixtures.plan("""
                gpu H100_LOGGED { vendor nvidia; memory 79.22 GiB; hbm_bandwidth 3.35 TB/s; flops { bf16 989 TFLOPS }; link_bandwidth 450 GB/s; pcie_bandwidth 64 GB/s }
                node ONE { gpus 1 x H100_LOGGED; fabric nvswitch }
                cluster c { nodes 1 x ONE }
                plan p {
                  model llama_3_1_8b; cluster c; workload natural_reasoning
                  parallel { tp 1 }
                  engine vllm { gpu_memory_utilization 0.90 }
                  tuning { activation_reserve_gib 1.26; non_torch_gib 1.79; cuda_graph_gib 0 }
                }
                """, "p");
        MemoryBudget m = Analyzer.analyze(p).memory(0);
        // 0.9 x 79.22 - 14.957 (our exact weights) - 1.26 - 1.79 = 53.30 GiB vs logged 53.29 GiB
        within2((long) (53.29 * GIB), m.kvPool());
    }

    @Test
    void llama31_70b_tp4_h100() {
        Plan p = Fixtures.simple("llama_3_1_70b", "HGX_H100", 1, "dp 2; tp 4", "vllm { gpu_memory_utilization 0.90 }", "natural_reasoning");
        PlanAnalysis a = Analyzer.analyze(p);
        MemoryBudget m = a.memory(0);
        // per rank: 16 q heads, 2 kv heads: attn 8192x2048 + 2x8192x256 + 2048x8192 = 37,748,736;
        // ffn 3 x 8192 x 7168 = 176,160,768; norms 16,384 -> 213,925,888 x 80 = 17,114,071,040
        // + embedding and lm head 2 x (128,256/4 = 32,064) x 8192 = 525,336,576 + final norm 8,192
        // = 17,639,415,808 params x 2 B = 35,278,831,616
        assertEquals(35_278_831_616L, m.weightParts().total());
        // + rope cache 33,554,432 + rounding: embedding and LM head (32,064 x 8192 x 2 B = 501 MiB each) get 502 MiB segments
        //   and keep the 1 MiB remainder (not split: a split needs more than 1 MiB) = 2 x 1,048,576
        assertEquals(35_278_831_616L + 33_554_432L + 2_097_152L, m.weights());
        // activation = max(forward 8192 x max(3x8192 + 3x7168 = 46,080; attention 2x8192 + (32+4)x128) x 2 = 754,974,720;
        //                  sampler 1024 x 128,256 x 14 = 1,838,678,016); non-torch with NVLink SHARP (TP4 on HGX H100)
        assertEquals(1_838_678_016L, m.activation());
        poolAddsUp(m, NT_NVLS);
        // page = 16 x 2 x 256 x 2 = 16,384; blocks = pool // 16,384 // 80
        assertEquals(m.kvPool() / 16_384 / 80, a.kv().blocks());
        assertEquals(a.kv().blocks() * 16, a.kv().tokens());
        assertEquals(2, a.kv().replicas());
        assertEquals(2 * a.kv().tokens(), a.kv().totalTokens());
    }

    @Test
    void qwen3_32b_tp2_h200() {
        Plan p = Fixtures.simple("qwen3_32b", "HGX_H200", 1, "dp 4; tp 2", "vllm { gpu_memory_utilization 0.90 }", "natural_reasoning");
        PlanAnalysis a = Analyzer.analyze(p);
        MemoryBudget m = a.memory(0);
        // total 143,771 MiB = 150,754,820,096 B; requested = 135,679,338,086
        // per rank: 32 q heads, 4 kv heads: attn 5120x4096 + 2x5120x512 + 4096x5120 + qk norms 256 = 47,186,176;
        // ffn 3 x 5120 x 12,800 = 196,608,000; norms 10,240 -> 243,804,416 x 64 = 15,603,482,624
        // + 2 x (151,936/2 = 75,968) x 5120 = 777,912,320 + 5,120 = 16,381,400,064 params x 2 = 32,762,800,128
        assertEquals(32_762_800_128L, m.weightParts().total());
        // + rope cache 40,960 x 128 x 2 = 10,485,760 + rounding: down_proj 5120 x 12,800 x 2 B = 125 MiB keeps 1 MiB
        //   x 64 layers, embedding and LM head 741.875 MiB keep 0.125 MiB each = 67,371,008
        assertEquals(32_762_800_128L + 10_485_760L + 67_371_008L, m.weights());
        // activation = max(forward 8192 x (3x5120 + 3x12,800) x 2 = 880,803,840; sampler 1024 x 151,936 x 14 = 2,178,154,496)
        assertEquals(2_178_154_496L, m.activation());
        poolAddsUp(m, NT_NVLS);
        // page = 16 x 4 x 256 x 2 = 32,768; blocks = pool // 32,768 // 64
        assertEquals(m.kvPool() / 32_768 / 64, a.kv().blocks());
    }

    @Test
    void deepseek_r1_fp8_tp8_h200_mla() {
        Plan p = Fixtures.simple("deepseek_r1", "HGX_H200", 1, "tp 8", "vllm { gpu_memory_utilization 0.90 }", "natural_reasoning");
        PlanAnalysis a = Analyzer.analyze(p);
        MemoryBudget m = a.memory(0);
        // FP8 128x128 blocks: a linear out x in costs out*in + ceil(out/128)*ceil(in/128)*4 B.
        // attention per rank (16 heads): q_a 1536x7168 + q_b 3072x1536 + kv_a 576x7168 + kv_b 4096x512
        //   + o 7168x2048 (+ scales) + q_a/kv_a norms (1536 + 512) x 2 B = 36,647,776 B; x 61 layers
        // dense ffn (3 layers): gate_up 4608x7168 + down 7168x2304 = 49,557,312 B
        // MoE (58 layers, experts TP-sharded, width 2048/8 = 256): 256 experts x 5,506,368 + shared 5,506,368
        //   + router (7168 x 256 + 256) x 2 B = 3,670,528
        // norms 61 x 2 x 7168 x 2 + final 7168 x 2; embedding + lm head 2 x 16,160 x 7168 x 2 (bf16)
        // total 85,140,101,152 B (79.29 GiB)
        assertEquals(85_140_101_152L, m.weightParts().total());
        // + rope cache (YaRN: 4,096 x 40 positions x qk_rope_head_dim 64 x 2 B = 20,971,520) + rounding of the dense FFN
        //   (3 layers: gate_up 31.5 MiB keeps 0.5 MiB, down 15.75 MiB keeps 0.25 MiB) = 2,359,296
        assertEquals(85_140_101_152L + 20_971_520L + 2_359_296L, m.weights());
        // activation = max(forward 8192 x (moe 3x7168 + 8 x (3x256 + 7168) = 84,992) x 2 = 1,392,508,928;
        //                  sampler 1024 x 129,280 x 14 = 1,853,358,080)
        assertEquals(1_853_358_080L, m.activation());
        poolAddsUp(m, NT_NVLS);
        // MLA: one latent per token and layer, 512 + 64 = 576 elements x 2 B, not split by TP; block 64 (FlashMLA on 9.0)
        assertEquals(m.kvPool() / 73_728 / 61, a.kv().blocks());
        assertEquals(64, a.kv().blockSize());
        assertEquals(576L * 2 * 61, a.kv().bytesPerToken());
    }

    /**
     * gpt-oss-120b: 36 layers alternating sliding-window (128 tokens; layers 0, 2, .., 34) and full
     * attention. vLLM's hybrid allocator makes 2 groups of 18 layers (group size = min(18, 18),
     * kv_cache_utils.py _get_kv_cache_groups_uniform_page_size) sharing one block pool, so a worker's
     * blocks = pool // page // 18, and a request holds cdiv(L, 16) blocks in the full group and
     * cdiv(min(128 - 1 + 8192, L), 16) + 1 in the sliding group (SlidingWindowSpec).
     */
    @Test
    void gpt_oss_120b_sliding_window_layers_one_h100() {
        Plan p = Fixtures.simple("gpt_oss_120b", "HGX_H100", 1, "tp 1", "vllm { gpu_memory_utilization 0.90 }", "natural_reasoning");
        PlanAnalysis a = Analyzer.analyze(p);
        MemoryBudget m = a.memory(0);
        // attention per layer: q 2880x4096 + k, v 2 x 2880x512 + o 4096x2880 + qkv bias 5,120 + o bias 2,880
        //   + 64 sinks = 26,550,144 x 36 layers x 2 B = 1,911,610,368
        // experts (MXFP4, group 32): 3 x 2880 x 2880 = 24,883,200 values x 0.5 B + one e8m0 scale per 32 (777,600 B)
        //   + bf16 biases (2 x 2880 + 2880) x 2 B = 13,236,480 B x 128 experts x 36 layers = 60,993,699,840
        // router (2880 x 128 + 128) x 36 x 2 B = 26,551,296; norms (36 x 2 + 1) x 2880 x 2 B = 420,480
        // embedding and lm head 201,088 x 2880 x 2 B each = 1,158,266,880 -> 65,248,815,744 B
        assertEquals(65_248_815_744L, m.weightParts().total());
        // + rope cache (YaRN: 4,096 x 32 positions x 64 x 2 B = 16,777,216); no tensor loses to the rounding
        assertEquals(65_248_815_744L + 16_777_216L, m.weights());
        // experts at 2880 wide are already a multiple of 64 (vLLM's Triton MXFP4 kernels on compute capability 9.0 pad to 64)
        // activation = max(forward 8192 x (moe 3x2880 + 4 x (3x2880 + 2880) = 54,720) x 2 = 896,532,480;
        //                  sampler 1024 x 201,088 x 14 = 2,882,797,568)
        assertEquals(2_882_797_568L, m.activation());
        poolAddsUp(m, NT_SINGLE);
        // page = 16 x 8 kv heads x (64 + 64) x 2 B = 32,768; blocks = pool // 32,768 // 18 (2 groups of 18 layers)
        assertEquals(32_768L, m.pageBytes());
        long blocks = m.kvPool() / 32_768 / 18;
        assertEquals(blocks, a.kv().blocks());
        KvGroups g = a.kv().groups();
        assertEquals(1, g.fullGroups());
        assertEquals(1, g.slidingGroups());
        assertEquals(18, g.groupSize());
        assertEquals(8_319L, g.slidingTokens()); // 128 - 1 + 8192
        // vLLM logs blocks // 2 groups x 16 tokens
        assertEquals(blocks / 2 * 16, a.kv().tokens());
        // p50 4,600 tokens: 288 + (cdiv(4,600, 16) + 1 = 289) = 577 blocks; p95 18,300: 1,144 + (cdiv(8,319, 16) + 1 = 521) = 1,665;
        // max 32,000: 2,000 + 521 = 2,521; sequences = blocks // blocks per sequence
        assertEquals(577L, a.kv().at("p50").blocksPerSeq());
        assertEquals(blocks / 577, a.kv().at("p50").sequences());
        assertEquals(1_665L, a.kv().at("p95").blocksPerSeq());
        assertEquals(blocks / 1_665, a.kv().at("p95").sequences());
        assertEquals(2_521L, a.kv().at("max").blocksPerSeq());
        assertEquals(blocks / 2_521, a.kv().at("max").sequences());
    }

    @Test
    void gpt_oss_120b_sliding_window_layers_one_h200() {
        Plan p = Fixtures.simple("gpt_oss_120b", "HGX_H200", 1, "tp 1", "vllm { gpu_memory_utilization 0.90 }", "natural_reasoning");
        PlanAnalysis a = Analyzer.analyze(p);
        MemoryBudget m = a.memory(0);
        poolAddsUp(m, NT_SINGLE);
        long blocks = m.kvPool() / 32_768 / 18;
        assertEquals(blocks, a.kv().blocks());
        assertEquals(blocks / 2 * 16, a.kv().tokens());
        assertEquals(blocks / 577, a.kv().at("p50").sequences());
        assertEquals(blocks / 1_665, a.kv().at("p95").sequences());
        assertEquals(blocks / 2_521, a.kv().at("max").sequences());
        // the longest sequence the pool holds: L with cdiv(L, 16) + 521 <= blocks
        assertEquals((blocks - 521) * 16, a.kv().longestSequence());
    }

    @Test
    void sliding_layers_of_a_pipeline_stage_follow_the_global_groups() {
        // pp 2: stage 0 holds layers 0..17 (9 sliding, 9 full), stage 1 layers 18..35; each worker divides
        // its pool by the 9 layers of its share of each 18-layer group (kv_cache_utils.py _project_kv_cache_groups_to_worker).
        Plan p = Fixtures.simple("gpt_oss_120b", "HGX_H100", 1, "pp 2", "vllm { gpu_memory_utilization 0.90 }", "natural_reasoning");
        PlanAnalysis a = Analyzer.analyze(p);
        for (int r = 0; r < 2; r++) {
            MemoryBudget m = a.memory(r);
            assertEquals(18, m.kvLayers());
            assertEquals(m.kvPool() / 32_768 / 9, m.kvBlocks());
        }
    }

    @Test
    void sglang_sizes_sliding_layers_as_full_attention() {
        // Only vLLM's hybrid allocator drops tokens outside the window; SGLang's pool is tokens = pool // (2048 x 36).
        Plan p = Fixtures.simple("gpt_oss_120b", "HGX_H200", 1, "tp 1", "sglang { mem_fraction_static 0.85 }", "natural_reasoning");
        PlanAnalysis a = Analyzer.analyze(p);
        assertEquals(1, a.kv().groups().count());
        MemoryBudget m = a.memory(0);
        assertEquals(m.kvPool() / (2048L * 36), a.kv().tokens());
    }

    static final String DEEPSEEK_V32 = """
            model deepseek_v3_2 {
              layers 61; hidden 7168; heads 128; vocab 129280
              ffn 18432
              attention mla { q_lora_rank 1536; kv_lora_rank 512; qk_nope_head_dim 128; qk_rope_head_dim 64; v_head_dim 128
                              index_topk 2048; index_head_dim 128 }
              moe { experts 256; top_k 8; expert_ffn 2048; shared_experts 1; dense_layers 3
                    scoring sigmoid; n_group 8; topk_group 4; correction_bias; norm_topk_prob; routed_scaling_factor 2.5 }
              quantization { weights fp8; block 128; keep_bf16 embedding, lm_head, router }
            }
            cluster c { nodes 1 x HGX_H200 }
            """;

    static PlanAnalysis v32(String model, String kvDtype) {
        return Analyzer.analyze(Fixtures.plan(DEEPSEEK_V32 + "plan p { model " + model + "; cluster c; workload natural_reasoning\n"
                + "  parallel { tp 8 }\n  engine vllm { gpu_memory_utilization 0.90" + kvDtype + " }\n}\n", "p"));
    }

    @Test
    void deepseek_sparse_attention_caches_fp8_ds_mla_on_vllm() {
        // vllm models/config.py DeepseekV32ForCausalLM: kv_cache_dtype auto or fp8 -> fp8_ds_mla, 656 B per token and
        // layer (512 fp8 latent + 4 fp32 scales + 64 bf16 rope); the indexer's key cache adds 128 fp8 + 128/128 x 4 B
        // scale = 132 B. Page = 64 x (656 + 132) = 50,432 B.
        for (String dtype : new String[] {"", "; kv_cache_dtype fp8"}) {
            PlanAnalysis a = v32("deepseek_v3_2", dtype);
            MemoryBudget m = a.memory(0);
            assertEquals(50_432L, m.pageBytes(), dtype);
            assertEquals(788L * 61, m.kvBytesPerToken(), dtype);
            assertEquals(m.kvPool() / 50_432 / 61, a.kv().blocks(), dtype);
        }
        // bfloat16 keeps the latent in bf16: (512 + 64) x 2 + 132 = 1,284 B
        assertEquals(64L * 1_284, v32("deepseek_v3_2", "; kv_cache_dtype bfloat16").memory(0).pageBytes());
        // dense MLA (DeepSeek-R1) with fp8 is plain fp8: (512 + 64) x 1 = 576 B, no indexer
        assertEquals(64L * 576, v32("deepseek_r1", "; kv_cache_dtype fp8").memory(0).pageBytes());
    }
}
