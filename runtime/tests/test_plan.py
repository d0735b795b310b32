"""Plan loading: the rank table the compiler writes is trusted but checked (empty ranges
included), the MoE groups it implies, and verify's scaled-down copy."""

import copy
import json
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from launcher import fixture, fixtures                          # noqa: E402
from shardplan_shim.plan import PlanError, load_plan, parse_plan  # noqa: E402
from shardplan_shim.scale import SCALED_WINDOW, scaled_plan      # noqa: E402


def raw(name):
    with open(fixture(name)) as f:
        return json.load(f)


class PlanTests(unittest.TestCase):
    def rejects(self, r, needle):
        with self.assertRaises(PlanError) as cm:
            parse_plan(r)
        self.assertIn(needle, str(cm.exception))

    def test_every_compiled_fixture_loads(self):
        self.assertGreaterEqual(len(fixtures()), 15)
        for name in fixtures():
            load_plan(fixture(name))

    def test_empty_ranges_of_stages_without_embedding_head_or_dense_layers(self):
        p = load_plan(fixture("llama8b_pp4"))
        self.assertEqual([r.vocab for r in p.ranks], [(0, 128256), (0, 0), (0, 0), (0, 128256)])
        d = load_plan(fixture("deepseek_v3_tp4_pp2"))
        self.assertEqual({r.ffn for r in d.ranks if r.pp == 1}, {(0, 0)})        # no dense layer in stage 1
        self.assertEqual({r.kv_heads for r in d.ranks}, {(0, 0)})                # MLA: no KV-head split
        r = raw("llama8b_pp4")
        r["ranks"][1]["vocab"] = [0, 128256]
        self.rejects(r, "a middle stage holds no embedding or LM head")

    def test_an_old_plan_json_is_refused_with_a_way_out(self):
        r = raw("llama8b_pp4")
        del r["model"]["rope_scaling"]
        self.rejects(r, "compile the plan again")

    def test_rejects_inconsistent_tables(self):
        r = raw("qwen3_30b_a3b_tp8")                  # 4 KV heads replicated over tp 8
        r["ranks"][1]["kv_heads"] = [1, 2]
        self.rejects(r, "need kv heads [0]")
        r = raw("qwen3_8b_tp2_pp2")
        r["ranks"][1]["q_heads"] = [8, 32]
        self.rejects(r, "q_heads along tp group")
        r = raw("qwen3_8b_tp2_pp2")
        r["groups"]["tp"] = [[0, 2], [1, 3]]
        self.rejects(r, "groups.tp")
        r = raw("qwen3_8b_tp2_pp2")
        r["ranks"][0], r["ranks"][1] = r["ranks"][1], r["ranks"][0]
        self.rejects(r, "ordered by global rank")
        r = raw("llama8b_pp4")
        r["ranks"][2]["layers"] = [17, 24]
        self.rejects(r, "layers along pp group")
        r = raw("llama8b_pp4")
        r["format"] = "other"
        self.rejects(r, "plan.format")

    def test_experts_must_form_whole_copies(self):
        r = raw("qwen3_30b_a3b_tp2_ep2")
        r["ranks"][1]["experts"] = r["ranks"][1]["experts"][1:]
        self.rejects(r, "expert 64 is held by no rank")
        r = raw("qwen3_30b_a3b_dp2_tp2")
        r["ranks"][3]["expert_ffn"] = [500, 768]
        self.rejects(r, "not a tiling")

    def test_moe_groups_follow_where_the_experts_are(self):
        tp_groups = lambda p: sorted(map(sorted, p.groups["tp"]))
        ep_tp = load_plan(fixture("qwen3_30b_a3b_tp2_ep2"))              # EP inside TP: the TP group
        self.assertEqual(sorted(map(sorted, ep_tp.moe_groups)), tp_groups(ep_tp))
        sglang = load_plan(fixture("deepseek_r1_sglang_tp8_ep2"))       # EP 2 x width 4 inside TP 8
        self.assertEqual(sorted(map(sorted, sglang.moe_groups)), tp_groups(sglang))
        self.assertEqual(len({r.expert_ffn for r in sglang.ranks}), 4)
        dp = load_plan(fixture("qwen3_30b_a3b_dp2_tp2"))                # vLLM, DP without EP: width over dp x tp
        self.assertEqual(dp.moe_groups, [[0, 1, 2, 3]])
        self.assertEqual({r.expert_ffn for r in dp.ranks}, {(0, 192), (192, 384), (384, 576), (576, 768)})
        oss = load_plan(fixture("gpt_oss_120b_dp2_tp2_ep4"))            # EP over attention DP
        self.assertEqual(oss.moe_groups, [[0, 1, 2, 3]])


class ScaledPlanTests(unittest.TestCase):
    def test_keeps_ranks_groups_heads_experts_and_the_kinds_of_layer_per_stage(self):
        p = load_plan(fixture("deepseek_v3_tp4_pp2"))
        s = scaled_plan(p)
        self.assertEqual((s.dp, s.tp, s.pp, s.world_size), (p.dp, p.tp, p.pp, p.world_size))
        self.assertEqual(s.groups, p.groups)
        self.assertEqual([r.q_heads for r in s.ranks], [r.q_heads for r in p.ranks])
        self.assertEqual([r.experts for r in s.ranks], [r.experts for r in p.ranks])
        self.assertEqual((s.model.moe.experts, s.model.moe.top_k, s.model.moe.n_group), (256, 8, 8))
        self.assertEqual(s.model.hidden, 64)
        # stage 0 held dense layers 0-2 and MoE layers: it keeps one of each; stage 1 only MoE
        self.assertEqual(s.model.moe.dense_layers, 1)
        self.assertEqual([s.stage_layers(0), s.stage_layers(1)], [(0, 2), (2, 4)])
        self.assertEqual(s.model.quant.block, 8)
        self.assertEqual(s.model.rope_scaling.original_max_position, 16)

    def test_sliding_and_full_layers_survive(self):
        s = scaled_plan(load_plan(fixture("gpt_oss_20b_tp2_ep2")))
        self.assertEqual(s.model.layer_types, ("sliding_attention", "full_attention"))
        self.assertEqual(s.model.sliding_window, SCALED_WINDOW)

    def test_ranges_are_rescaled_exactly(self):
        s = scaled_plan(load_plan(fixture("qwen3_30b_a3b_dp2_tp2")))
        w = s.model.moe.expert_ffn
        self.assertEqual(sorted(r.expert_ffn for r in s.ranks), [(i * w // 4, (i + 1) * w // 4) for i in range(4)])
        s = scaled_plan(load_plan(fixture("gpt_oss_20b_tp2_ep2")))
        self.assertEqual(s.model.moe.expert_ffn % 32, 0, "MXFP4 packs 32 inputs per scale")


if __name__ == "__main__":
    unittest.main()
