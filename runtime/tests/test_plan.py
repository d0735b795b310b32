"""Plan loading: the rank table is trusted but checked; verify's scaled-down copy."""

import copy
import json
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from launcher import fixture                                     # noqa: E402
from shardplan_shim.plan import PlanError, load_plan, parse_plan, scaled_plan  # noqa: E402


def raw(name):
    with open(fixture(name)) as f:
        return json.load(f)


class PlanTests(unittest.TestCase):
    def test_all_fixtures_load(self):
        for fn in os.listdir(os.path.dirname(fixture("x"))):
            if fn.endswith(".plan.json"):
                load_plan(os.path.join(os.path.dirname(fixture("x")), fn))

    def rejects(self, r, needle):
        with self.assertRaises(PlanError) as cm:
            parse_plan(r)
        self.assertIn(needle, str(cm.exception))

    def test_rejects_wrong_replicated_kv_head(self):
        r = raw("tiny_tp2_kv1")
        self.assertEqual([x["kv_heads"] for x in r["ranks"]], [[0, 1], [0, 1]])
        r["ranks"][1]["kv_heads"] = [1, 2]
        self.rejects(r, "kv head")

    def test_rejects_overlapping_heads(self):
        r = raw("tiny_tp2")
        r["ranks"][1]["q_heads"] = [1, 4]
        self.rejects(r, "q_heads")

    def test_rejects_bad_groups(self):
        r = raw("tiny_tp2_pp2")
        r["groups"]["tp"] = [[0, 2], [1, 3]]
        self.rejects(r, "groups.tp")

    def test_rejects_bad_rank_order(self):
        r = raw("tiny_tp2_pp2")
        r["ranks"][1]["tp"], r["ranks"][1]["pp"] = 0, 1
        self.rejects(r, "global rank")

    def test_rejects_incomplete_experts(self):
        r = raw("moe_tp2_ep2")
        r["ranks"][1]["experts"] = [2]
        self.rejects(r, "experts")

    def test_rejects_layer_gap(self):
        r = raw("tiny_pp2")
        for x in r["ranks"]:
            if x["pp"] == 1:
                x["layers"] = [3, 4]
        self.rejects(r, "layers")

    def test_rejects_wrong_format(self):
        r = raw("tiny_tp2")
        r["version"] = 2
        self.rejects(r, "version")

    def test_scaled_plan_keeps_structure(self):
        p = load_plan(fixture("qwen32b_tp2"))
        s = scaled_plan(p)
        self.assertEqual((s.model.heads, s.model.kv_heads), (40, 8))
        self.assertEqual(s.model.hidden, 64)
        self.assertEqual(s.model.layers, 2)
        self.assertEqual([r.q_heads for r in s.ranks], [r.q_heads for r in p.ranks])
        self.assertEqual([r.ffn for r in s.ranks], [(0, s.model.ffn // 2), (s.model.ffn // 2, s.model.ffn)])
        self.assertEqual(s.ranks[1].vocab[1], s.padded_vocab)

    def test_scaled_moe_keeps_experts_and_topk(self):
        p = load_plan(fixture("moe_tp2_ep2"))
        s = scaled_plan(p, layers_per_stage=3)
        self.assertEqual((s.model.moe.experts, s.model.moe.top_k), (4, 2))
        self.assertEqual([r.experts for r in s.ranks], [[0, 1], [2, 3]])
        self.assertTrue(any(s.model.is_moe_layer(l) for l in range(s.model.layers)))


if __name__ == "__main__":
    unittest.main()
