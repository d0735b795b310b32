"""Partitioned model == unpartitioned model (logits within 1e-5, identical greedy tokens)."""

import os
import shutil
import tempfile
import unittest

from launcher import fixture, launch

import sys
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from shardplan_shim.plan import load_plan                       # noqa: E402
from shardplan_shim.safetensors_io import write_safetensors     # noqa: E402
from shardplan_shim.weights import synthetic_checkpoint_tensors  # noqa: E402

DECODE = 32


class VerifyTests(unittest.TestCase):
    def verify(self, name, world, extra=(), timeout=150, decode=DECODE):
        res = launch(fixture(name), "verify", world, ["--timeout", "60", "--decode-tokens", str(decode), *extra],
                     timeout=timeout)
        self.assertTrue(res.ok, res.describe())
        self.assertEqual(len(res.ranks), world)
        for r in res.ranks:
            m = r.metrics
            self.assertIsNotNone(m, f"rank {r.rank} wrote no metrics\n{res.describe()}")
            self.assertTrue(m["ok"], m)
            self.assertLessEqual(m["max_rel_err"], 1e-5)
            self.assertTrue(m["tokens_match"])
            self.assertEqual(m["rank"], r.rank)
            if m["local"]["is_last_stage"]:
                toks = m["local"]["tokens"]
                self.assertTrue(all(len(t) == decode for t in toks))
                self.assertEqual(toks, m["local"]["ref_tokens"])
        return res

    def test_tp2(self):
        self.verify("tiny_tp2", 2)

    def test_pp2_micro_batches(self):
        res = self.verify("tiny_pp2", 2, ["--batch", "3", "--micro-batches", "2"])
        self.assertEqual(res.ranks[0].metrics["micro_batches"], 2)

    def test_tp2_pp2(self):
        self.verify("tiny_tp2_pp2", 4)

    def test_dp2_contiguous_kv(self):
        # Each DP replica runs its own slice of the batch and must match on its own.
        res = self.verify("tiny_dp2", 2, ["--batch", "4", "--kv-layout", "contiguous"])
        self.assertEqual([r.metrics["local"]["batch"] for r in res.ranks], [[0, 2], [2, 4]])

    def test_tp2_fewer_kv_heads_than_tp(self):
        self.verify("tiny_tp2_kv1", 2)

    def test_moe_ep2_allgather(self):
        self.verify("moe_tp2_ep2", 2, ["--moe-dispatch", "allgather"])

    def test_moe_ep2_alltoall(self):
        self.verify("moe_tp2_ep2", 2, ["--moe-dispatch", "alltoall", "--batch", "3"])

    def test_moe_tp2_no_ep(self):
        self.verify("moe_tp2", 2)

    def test_mla_tp2(self):
        self.verify("mla_tp2", 2)

    def test_real_shaped_plan_scaled_down(self):
        # A 32B-shaped plan: verify keeps heads/kv_heads and shrinks the sizes.
        res = self.verify("qwen32b_tp2", 2, decode=8)
        m = res.ranks[0].metrics["model"]
        self.assertEqual((m["heads"], m["kv_heads"]), (40, 8))
        self.assertLess(m["hidden"], 5120)


def llama_tensor_shapes(m):
    H, hd = m.hidden, m.head_dim
    shapes = {"model.embed_tokens.weight": (m.vocab, H), "model.norm.weight": (H,)}
    if not m.tied_embeddings:
        shapes["lm_head.weight"] = (m.vocab, H)
    for l in range(m.layers):
        p = f"model.layers.{l}."
        shapes.update({
            p + "input_layernorm.weight": (H,), p + "post_attention_layernorm.weight": (H,),
            p + "self_attn.q_proj.weight": (m.heads * hd, H), p + "self_attn.k_proj.weight": (m.kv_heads * hd, H),
            p + "self_attn.v_proj.weight": (m.kv_heads * hd, H), p + "self_attn.o_proj.weight": (H, m.heads * hd),
            p + "mlp.gate_proj.weight": (m.ffn, H), p + "mlp.up_proj.weight": (m.ffn, H),
            p + "mlp.down_proj.weight": (H, m.ffn)})
        if m.qkv_bias:
            shapes.update({p + "self_attn.q_proj.bias": (m.heads * hd,), p + "self_attn.k_proj.bias": (m.kv_heads * hd,),
                           p + "self_attn.v_proj.bias": (m.kv_heads * hd,)})
    return shapes


class CheckpointVerifyTests(unittest.TestCase):
    def test_tp2_from_sharded_safetensors_checkpoint(self):
        import json
        import torch
        plan = load_plan(fixture("tiny_tp2"))
        tensors = synthetic_checkpoint_tensors(llama_tensor_shapes(plan.model), seed=77, dtype=torch.float32)
        d = tempfile.mkdtemp(prefix="shardplan_ckpt_")
        self.addCleanup(shutil.rmtree, d, True)
        names = sorted(tensors)
        half = len(names) // 2
        files = {"model-00001-of-00002.safetensors": names[:half], "model-00002-of-00002.safetensors": names[half:]}
        wm = {}
        for fn, ns in files.items():
            write_safetensors(os.path.join(d, fn), {n: tensors[n] for n in ns})
            wm.update({n: fn for n in ns})
        with open(os.path.join(d, "model.safetensors.index.json"), "w") as f:
            json.dump({"metadata": {}, "weight_map": wm}, f)
        res = launch(fixture("tiny_tp2"), "verify", 2, ["--weights", d, "--timeout", "60"], timeout=120)
        self.assertTrue(res.ok, res.describe())
        for r in res.ranks:
            self.assertTrue(r.metrics["ok"])
            self.assertIn("checkpoint(", r.metrics["weights"])

    def test_checkpoint_with_wrong_shape_is_rejected(self):
        import torch
        plan = load_plan(fixture("tiny_tp2"))
        shapes = llama_tensor_shapes(plan.model)
        shapes["model.layers.0.mlp.up_proj.weight"] = (plan.model.ffn + 2, plan.model.hidden)
        tensors = synthetic_checkpoint_tensors(shapes, seed=1, dtype=torch.float32)
        d = tempfile.mkdtemp(prefix="shardplan_ckpt_")
        self.addCleanup(shutil.rmtree, d, True)
        write_safetensors(os.path.join(d, "model.safetensors"), tensors)
        res = launch(fixture("tiny_tp2"), "verify", 2, ["--weights", d, "--timeout", "20"], timeout=60)
        self.assertFalse(res.ok)
        self.assertIn("model.layers.0.mlp.up_proj.weight", res.ranks[0].stderr)
        self.assertIn("shape", res.ranks[0].stderr)


if __name__ == "__main__":
    unittest.main()
