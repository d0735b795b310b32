"""Decode/prefill attention kernels against a naive dense implementation.

torch 1.13 (the CPU test machine) has no F.scaled_dot_product_attention, so the SDPA code
path is also run here against a stand-in with SDPA's documented semantics; the stand-in
checks what the real kernels need (last dimension contiguous, no KV heads repeated, the
pool read in place when the blocks are contiguous)."""

import math
import os
import sys
import unittest
from unittest import mock

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from shardplan_shim import model as M                                  # noqa: E402


class FakeSDPA:
    """SDPA semantics (torch 2.5 docs) in plain torch; records every call."""

    def __init__(self):
        self.calls = []

    def __call__(self, q, k, v, attn_mask=None, dropout_p=0.0, is_causal=False, scale=None, enable_gqa=False):
        self.calls.append({"q": tuple(q.shape), "k": tuple(k.shape), "k_ptr": k.storage().data_ptr(),
                           "mask": attn_mask is not None, "is_causal": is_causal, "gqa": enable_gqa})
        assert q.stride(-1) == 1 and k.stride(-1) == 1 and v.stride(-1) == 1
        assert dropout_p == 0.0
        if enable_gqa:
            rep = q.shape[-3] // k.shape[-3]
            k, v = k.repeat_interleave(rep, -3), v.repeat_interleave(rep, -3)
        else:
            assert q.shape[-3] == k.shape[-3], "heads differ without enable_gqa"
        scale = 1.0 / math.sqrt(q.shape[-1]) if scale is None else scale
        s = torch.matmul(q, k.transpose(-1, -2)) * scale
        Lq, Lk = q.shape[-2], k.shape[-2]
        if is_causal:
            s = s.masked_fill(torch.ones(Lq, Lk, dtype=torch.bool).triu(1), float("-inf"))
        if attn_mask is not None:
            s = s.masked_fill(~attn_mask, float("-inf"))
        return torch.matmul(torch.softmax(s, -1), v)


def make_cache(B, lens, kvh, d, bs, contiguous, seed=0, dtype=torch.float64):
    """Pools [nb, bs, kvh, d] (+1 spare block) holding random K/V, the block table, and the
    dense per-sequence K/V [B, kvh, L_b, d] they represent."""
    g = torch.Generator().manual_seed(seed)
    per = (max(lens) + bs - 1) // bs
    nb = B * per + 1
    kc = torch.randn(nb, bs, kvh, d, generator=g, dtype=dtype)
    vc = torch.randn(nb, bs, kvh, d, generator=g, dtype=dtype)
    ids = list(range(1, 1 + B * per)) if contiguous else torch.randperm(nb, generator=g)[:B * per].tolist()
    table = torch.tensor(ids).view(B, per)
    dense = []
    for b in range(B):
        k = kc[table[b]].reshape(per * bs, kvh, d)[:lens[b]].transpose(0, 1)
        v = vc[table[b]].reshape(per * bs, kvh, d)[:lens[b]].transpose(0, 1)
        dense.append((k, v))
    return kc, vc, table, (per if contiguous else 0), (1 if contiguous else 0), dense


def naive(q, k, v, scale, causal_from=None):
    """q [hq, Tq, d], k/v [kvh, L, d] -> [hq, Tq, d] with KV heads repeated."""
    rep = q.shape[0] // k.shape[0]
    k, v = k.repeat_interleave(rep, 0), v.repeat_interleave(rep, 0)
    s = torch.matmul(q, k.transpose(-1, -2)) * scale
    if causal_from is not None:
        qpos = torch.arange(causal_from, causal_from + q.shape[1])[:, None]
        s = s.masked_fill(torch.arange(k.shape[1])[None, :] > qpos, float("-inf"))
    return torch.matmul(torch.softmax(s, -1), v)


class DecodeAttentionTests(unittest.TestCase):
    def run_decode(self, lens, contiguous, impl, kvh=2, g=3, d=8, bs=4):
        B = len(lens)
        kc, vc, table, stride, base, dense = make_cache(B, lens, kvh, d, bs, contiguous)
        start = [n - 1 for n in lens]
        meta = M.make_meta(table, stride, base, start, 1, bs)
        q = torch.randn(B, kvh, g, d, dtype=torch.float64, generator=torch.Generator().manual_seed(5))
        scale = 1 / math.sqrt(d)
        fake = FakeSDPA()
        env = {"SHARDPLAN_SHIM_ATTN": impl}
        with mock.patch.dict(os.environ, env), mock.patch.object(M, "HAS_SDPA", True), \
                mock.patch.object(M.F, "scaled_dot_product_attention", fake, create=True):
            k, v = M.decode_kv(kc, meta), M.decode_kv(vc, meta)
            self.assertEqual(tuple(k.shape), (B, kvh, max(lens), d))
            if contiguous:
                self.assertEqual(k.storage().data_ptr(), kc.storage().data_ptr())   # a view of the pool
            out = M.attend_decode(q, k, v, meta, scale)
        for b in range(B):
            ref = naive(q[b].reshape(kvh * g, 1, d), dense[b][0], dense[b][1], scale)
            self.assertLess((out[b].reshape(kvh * g, d) - ref[:, 0]).abs().max().item(), 1e-12)
        if impl == "sdpa":
            self.assertEqual(len(fake.calls), 1)
            c = fake.calls[0]
            self.assertEqual(c["q"], (B, kvh, g, d))          # g query rows per KV head, no GQA
            self.assertEqual(c["k"][1], kvh)                  # KV heads never repeated
            self.assertFalse(c["gqa"] or c["is_causal"])
            self.assertEqual(c["mask"], len(set(lens)) > 1)   # no mask when all lengths agree
            if contiguous:
                self.assertEqual(c["k_ptr"], kc.storage().data_ptr())
        else:
            self.assertEqual(fake.calls, [])

    def test_matmul_equal_lengths_contiguous(self):
        self.run_decode([9, 9, 9], True, "matmul")

    def test_matmul_ragged_shuffled(self):
        self.run_decode([5, 12, 1, 8], False, "matmul")

    def test_sdpa_equal_lengths_contiguous(self):
        self.run_decode([9, 9, 9], True, "sdpa")

    def test_sdpa_ragged_contiguous(self):
        self.run_decode([5, 12, 1, 8], True, "sdpa")

    def test_sdpa_ragged_shuffled(self):
        self.run_decode([7, 3, 16], False, "sdpa")

    def test_prefill_fused_path(self):
        # The fused prefill needs CUDA; force its condition to check shapes and GQA use.
        B, T, kvh, g, d, bs = 2, 7, 2, 2, 8, 4
        kc, vc, table, _, _, _ = make_cache(B, [T] * B, kvh, d, bs, False, seed=3)
        meta = M.make_meta(table, 0, 0, [0] * B, T, bs)
        q = torch.randn(B * T, kvh, g, d, dtype=torch.float64)
        k_new = torch.randn(B * T, kvh, d, dtype=torch.float64)
        M.write_cache(kc, meta, k_new)
        M.write_cache(vc, meta, k_new * 2)
        scale = 0.3
        fake = FakeSDPA()
        with mock.patch.object(M, "HAS_SDPA", True), mock.patch.object(M, "SDPA_GQA", True), \
                mock.patch.object(M, "SDPA_SCALE", True), mock.patch.object(M, "_prefill_sdpa_ok", lambda q, m: True), \
                mock.patch.object(M.F, "scaled_dot_product_attention", fake, create=True):
            fused = M.attend_per_sequence(q, kc, vc, meta, scale)
        plain = M.attend_per_sequence(q, kc, vc, meta, scale, q_chunk=3)
        self.assertEqual([c["gqa"] and c["is_causal"] for c in fake.calls], [True] * B)
        self.assertEqual(fake.calls[0]["k"], (1, kvh, T, d))
        self.assertLess((fused - plain).abs().max().item(), 1e-12)
        for b in range(B):
            kb = k_new[b * T:(b + 1) * T].transpose(0, 1)
            ref = naive(q[b * T:(b + 1) * T].reshape(T, kvh * g, d).transpose(0, 1), kb, 2 * kb, scale, 0)
            self.assertLess((plain[b * T:(b + 1) * T].reshape(T, kvh * g, d) - ref.transpose(0, 1)).abs().max().item(),
                            1e-12)

    def test_autotune_keeps_fastest_matching_and_skips_wrong_or_refusing_backends(self):
        B, kvh, g, d, L = 3, 2, 2, 8, 10
        q = torch.randn(B, kvh, g, d, dtype=torch.float64)
        k = torch.randn(B, kvh, L, d, dtype=torch.float64)
        v = torch.randn(B, kvh, L, d, dtype=torch.float64)

        def forced(name, q, k, v, scale, attn_mask=None):
            if name == "sdpa-flash":
                return torch.zeros_like(q)                     # wrong: must be rejected
            raise RuntimeError("No available kernel. Aborting execution.")

        M.DECODE_TUNING.clear()
        with mock.patch.object(M, "HAS_SDPA", True), \
                mock.patch.object(M.F, "scaled_dot_product_attention", FakeSDPA(), create=True), \
                mock.patch.object(M, "sdpa_backends_available", lambda: ["sdpa-flash", "sdpa-efficient"]), \
                mock.patch.object(M, "_sdpa_forced", forced), mock.patch.object(M.torch.cuda, "synchronize", lambda d=None: None):
            choice = M._decode_autotune(q, k, v, 0.3, None)
        self.assertEqual(choice, "matmul")
        (entry,) = M.DECODE_TUNING.values()
        self.assertEqual(entry["choice"], choice)
        self.assertNotIn("sdpa", entry["times_s"])           # plain SDPA is one of the forced backends
        self.assertTrue(str(entry["times_s"]["sdpa-flash"]).startswith("mismatch"))
        self.assertTrue(str(entry["times_s"]["sdpa-efficient"]).startswith("unsupported"))
        self.assertIsInstance(entry["times_s"]["matmul"], float)
        M.DECODE_TUNING.clear()
        # Without torch.nn.attention (torch < 2.3) plain SDPA competes; every timed call of
        # every candidate sees a key length of its own (a plan cache cannot hide rebuilds).
        seen = []
        fake = FakeSDPA()

        def spy(impl, q, k, v, scale, mask):
            seen.append((impl, k.shape[2]))
            return M._decode_matmul(q, k, v, scale, mask) if impl == "matmul" else fake(q, k, v, scale=scale)

        with mock.patch.object(M, "HAS_SDPA", True), mock.patch.object(M, "sdpa_backends_available", lambda: []), \
                mock.patch.object(M, "_decode_run", spy), mock.patch.object(M.torch.cuda, "synchronize", lambda d=None: None):
            choice = M._decode_autotune(q, k, v, 0.3, None)
        self.assertIn(choice, ("sdpa", "matmul"))
        timed = [n for _, n in seen if n != L]
        self.assertEqual(len(timed), 6)
        self.assertEqual(len(set(timed)), 6)
        self.assertTrue(all(1 <= n < L for n in timed))
        M.DECODE_TUNING.clear()

    def test_sdpa_without_scale_kwarg(self):
        # torch 2.0: no scale= argument; a non-default scale is folded into q.
        calls = []

        def sdpa20(q, k, v, attn_mask=None, dropout_p=0.0, is_causal=False):
            calls.append(1)
            return FakeSDPA()(q, k, v, attn_mask=attn_mask, is_causal=is_causal)

        q = torch.randn(2, 1, 3, 8, dtype=torch.float64)
        k = torch.randn(2, 1, 5, 8, dtype=torch.float64)
        v = torch.randn(2, 1, 5, 8, dtype=torch.float64)
        with mock.patch.object(M, "SDPA_SCALE", False), mock.patch.object(M.F, "scaled_dot_product_attention", sdpa20,
                                                                          create=True):
            a = M._sdpa(q, k, v, 0.2)
        b = FakeSDPA()(q, k, v, scale=0.2)
        self.assertEqual(calls, [1])
        self.assertLess((a - b).abs().max().item(), 1e-12)


if __name__ == "__main__":
    unittest.main()
