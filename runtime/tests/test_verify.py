"""verify notices a partitioned model that drops any part of its architecture, and reads every
family's Hugging Face tensor names from a safetensors checkpoint.

Each mutation builds the partitioned model without one feature (the reference keeps it) and
must make verify fail; the plain runs of every compiled plan are CompiledPlansVerifyTest's.
"""

import json
import os
import shutil
import sys
import tempfile
import unittest

import torch

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from launcher import fixture, local                              # noqa: E402
from shardplan_shim import reference                             # noqa: E402
from shardplan_shim.plan import load_plan                        # noqa: E402
from shardplan_shim.safetensors_io import write_safetensors      # noqa: E402
from shardplan_shim.scale import scaled_plan                     # noqa: E402
from shardplan_shim.weights import SyntheticSource               # noqa: E402

FAST = ["--decode-tokens", "3", "--prompt-len", "6", "--timeout", "60"]

# (fixture, features the partitioned model drops one at a time)
MUTATIONS = [
    ("qwen3_8b_tp2_pp2", ["qk_norm"]),
    ("llama8b_pp4", ["rope_scaling"]),
    ("qwen2_moe_tp2", ["qkv_bias", "shared_expert_gate", "shared_experts", "norm_topk_prob", "tp_allreduce"]),
    ("mixtral_tp2_pp2", ["norm_topk_prob"]),
    ("qwen3_30b_a3b_dp2_tp2", ["norm_topk_prob"]),
    ("deepseek_v3_tp4_pp2", ["correction_bias", "routed_scaling_factor", "expert_groups", "scoring", "rope_interleave",
                             "rope_scaling", "quant_scales", "shared_experts"]),
    ("deepseek_v2_tp2", ["expert_groups", "routed_scaling_factor", "rope_scaling"]),
    ("gpt_oss_20b_tp2_ep2", ["attention_sinks", "sliding_window", "qkv_bias", "o_bias", "router_bias", "expert_bias",
                             "swiglu_limit", "rope_scaling", "quant_scales", "fp4_nibbles"]),
    ("mistral_nvfp4_tp2_pp2", ["sliding_window", "quant_scales", "fp4_nibbles"]),
    ("llama70b_fp8_tp4", ["quant_scales"]),
]


class MutationTests(unittest.TestCase):
    def test_dropping_any_feature_fails_verify(self):
        for name, features in MUTATIONS:
            for f in features:
                with self.subTest(plan=name, mutation=f):
                    res = local(fixture(name), "verify", *FAST, "--verify-layers", "1" if "pp" in name else "2",
                                "--mutate", f)
                    self.assertEqual(res.code, 1, f"verify passed without {f}: " + res.describe())
                    m = res.metrics[0]
                    self.assertGreater(m["max_rel_err"], 1e-6, res.describe())

    def test_a_mutation_the_model_does_not_have_is_an_error(self):
        res = local(fixture("llama8b_pp4"), "verify", *FAST, "--mutate", "qk_norm")
        self.assertEqual(res.code, 2, res.describe())
        self.assertIn("no such feature", res.metrics[0]["error"])


class Recorder:
    """A synthetic source that remembers every full tensor the reference asks for."""

    def __init__(self, src):
        self.src, self.seen = src, {}

    def get(self, name, shape, box=None, kind="float", fan_in=0):
        self.seen[name] = (tuple(shape), kind, fan_in)
        return self.src.get(name, shape, box, kind, fan_in)


def write_checkpoint(plan, folder: str):
    """The tensors of the plan's (scaled) model as a two-shard Hugging Face checkpoint, in the
    plan's format: F32 floats, F8_E4M3 codes, U8 packed FP4 / e8m0, F32 scales."""
    src = SyntheticSource(99, torch.float64, torch.device("cpu"))
    rec = Recorder(src)
    reference.build(plan.model, rec)
    tensors, labels = {}, {}
    for name, (shape, kind, fan_in) in rec.seen.items():
        t = src.get(name, shape, None, kind, fan_in)
        tensors[name] = t.float() if kind in ("float", "f32") else t
        if kind == "fp8":
            labels[name] = "F8_E4M3"
    names = sorted(tensors)
    half = len(names) // 2
    weight_map = {}
    for i, part in enumerate((names[:half], names[half:])):
        fn = f"model-0000{i + 1}-of-00002.safetensors"
        write_safetensors(os.path.join(folder, fn), {n: tensors[n] for n in part}, {"format": "pt"}, labels)
        weight_map.update({n: fn for n in part})
    with open(os.path.join(folder, "model.safetensors.index.json"), "w") as f:
        json.dump({"metadata": {}, "weight_map": weight_map}, f)


class CheckpointTests(unittest.TestCase):
    """Per family: a checkpoint of the reference's tensors, read by the partitioned model's own
    names and slices (both read the same file: a name either side spells wrong is missing)."""

    FAMILIES = ["llama8b_pp4", "r1_distill_qwen14b_tp2", "qwen3_8b_tp2_pp2", "qwen2_moe_tp2", "qwen3_30b_a3b_tp2_ep2",
                "mixtral_tp2_pp2", "deepseek_v2_tp2", "deepseek_v3_tp4_pp2", "gpt_oss_20b_tp2_ep2", "mistral_nvfp4_tp2_pp2",
                "llama70b_fp8_tp4"]

    def test_every_family_verifies_from_a_sharded_checkpoint(self):
        for name in self.FAMILIES:
            with self.subTest(plan=name):
                d = tempfile.mkdtemp(prefix="shardplan_ckpt_")
                self.addCleanup(shutil.rmtree, d, True)
                small = scaled_plan(load_plan(fixture(name)), layers_per_stage=1 if "pp" in name else 2)
                path = os.path.join(d, "plan.json")
                with open(path, "w") as f:
                    json.dump(small.raw, f)
                ck = os.path.join(d, "ckpt")
                os.makedirs(ck)
                write_checkpoint(small, ck)
                res = local(path, "verify", *FAST, "--weights", ck)
                self.assertEqual(res.code, 0, res.describe())
                self.assertIn("checkpoint(", res.metrics[0]["weights"])

    def test_a_tensor_of_the_wrong_shape_is_named(self):
        d = tempfile.mkdtemp(prefix="shardplan_ckpt_")
        self.addCleanup(shutil.rmtree, d, True)
        small = scaled_plan(load_plan(fixture("qwen3_8b_tp2_pp2")), layers_per_stage=1)
        with open(os.path.join(d, "plan.json"), "w") as f:
            json.dump(small.raw, f)
        bad = dict(small.raw, model=dict(small.raw["model"], hidden=small.model.hidden * 2))
        ck = os.path.join(d, "ckpt")
        os.makedirs(ck)
        write_checkpoint(load_plan_raw(bad), ck)
        res = local(os.path.join(d, "plan.json"), "verify", *FAST, "--weights", ck)
        self.assertEqual(res.code, 2, res.describe())
        self.assertIn("has shape", res.metrics[0]["error"])


def load_plan_raw(raw):
    from shardplan_shim.plan import parse_plan
    return parse_plan(raw)


if __name__ == "__main__":
    unittest.main()
