"""The partitioned model's kernels against naive or independent versions: decode/prefill
attention (sliding window and sinks included), RoPE frequencies, FP8/FP4 decoding.

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
from shardplan_shim import kernels as M                                # noqa: E402
from shardplan_shim import quant, rope                                 # noqa: E402
from shardplan_shim.config import RopeScaling                          # noqa: E402
from shardplan_shim.kvcache import make_meta, write_cache              # noqa: E402
from shardplan_shim.reference import common as R                       # noqa: E402


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


def naive(q, k, v, scale, causal_from=None, window=0, sinks=None):
    """q [hq, Tq, d], k/v [kvh, L, d] -> [hq, Tq, d] with KV heads repeated; query i of a
    sequence at position causal_from + i (decode: the last one) sees keys j <= its position and,
    with a window, only those fewer than `window` back; sinks [hq] join the softmax."""
    rep = q.shape[0] // k.shape[0]
    k, v = k.repeat_interleave(rep, 0), v.repeat_interleave(rep, 0)
    L = k.shape[1]
    start = L - q.shape[1] if causal_from is None else causal_from
    qpos = torch.arange(start, start + q.shape[1])[:, None]
    kpos = torch.arange(L)[None, :]
    hidden = kpos > qpos
    if window:
        hidden = hidden | (qpos - kpos >= window)
    s = (torch.matmul(q, k.transpose(-1, -2)) * scale).masked_fill(hidden, float("-inf"))
    if sinks is not None:
        s = torch.cat([s, sinks[:, None, None].expand(-1, s.shape[1], 1)], -1)
        return torch.matmul(torch.softmax(s, -1)[..., :L], v)
    return torch.matmul(torch.softmax(s, -1), v)


class DecodeAttentionTests(unittest.TestCase):
    def run_decode(self, lens, contiguous, impl, kvh=2, g=3, d=8, bs=4, window=0, sinks=False):
        B = len(lens)
        kc, vc, table, stride, base, dense = make_cache(B, lens, kvh, d, bs, contiguous)
        start = [n - 1 for n in lens]
        meta = make_meta(table, stride, base, start, 1, bs)
        q = torch.randn(B, kvh, g, d, dtype=torch.float64, generator=torch.Generator().manual_seed(5))
        sk = torch.randn(kvh, g, dtype=torch.float64) if sinks else None
        scale = 1 / math.sqrt(d)
        fake = FakeSDPA()
        with mock.patch.object(M, "HAS_SDPA", True), mock.patch.object(M.F, "scaled_dot_product_attention", fake, create=True):
            k, v = M.decode_kv(kc, meta), M.decode_kv(vc, meta)
            self.assertEqual(tuple(k.shape), (B, kvh, max(lens), d))
            if contiguous:
                self.assertEqual(k.storage().data_ptr(), kc.storage().data_ptr())   # a view of the pool
            out = M.AttentionKernels(impl).decode(q, k, v, meta, scale, window, sk)
        for b in range(B):
            ref = naive(q[b].reshape(kvh * g, 1, d), dense[b][0], dense[b][1], scale, window=window,
                        sinks=None if sk is None else sk.reshape(-1))
            self.assertLess((out[b].reshape(kvh * g, d) - ref[:, 0]).abs().max().item(), 1e-12)
        if sinks:
            self.assertEqual(fake.calls, [])                   # SDPA has no sinks: the matmul path
        elif impl == "sdpa":
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

    def test_sliding_window_equal_and_ragged(self):
        self.run_decode([9, 9, 9], True, "sdpa", window=4)
        self.run_decode([5, 12, 1, 8], False, "matmul", window=3)
        self.run_decode([5, 12, 1, 8], True, "sdpa", window=6)

    def test_attention_sinks(self):
        self.run_decode([5, 12, 1, 8], False, "auto", sinks=True)
        self.run_decode([9, 9, 9], True, "auto", window=4, sinks=True)

    def test_prefill_with_window_and_sinks_continuing_a_cache(self):
        B, T, kvh, g, d, bs = 2, 5, 2, 2, 8, 4
        kc, vc, table, _, _, _ = make_cache(B, [T + 3] * B, kvh, d, bs, False, seed=4)
        meta = make_meta(table, 0, 0, [3] * B, T, bs)          # 3 tokens already cached
        q = torch.randn(B * T, kvh, g, d, dtype=torch.float64)
        sk = torch.randn(kvh, g, dtype=torch.float64)
        out = M.AttentionKernels("matmul").prefill(q, kc, vc, meta, 0.4, window=3, sinks=sk, q_chunk=2)
        for b in range(B):
            k = kc[table[b]].reshape(-1, kvh, d)[:T + 3].transpose(0, 1)
            v = vc[table[b]].reshape(-1, kvh, d)[:T + 3].transpose(0, 1)
            ref = naive(q[b * T:(b + 1) * T].reshape(T, kvh * g, d).transpose(0, 1), k, v, 0.4, 3, window=3,
                        sinks=sk.reshape(-1))
            self.assertLess((out[b * T:(b + 1) * T].reshape(T, kvh * g, d) - ref.transpose(0, 1)).abs().max().item(), 1e-12)

    def test_prefill_fused_path(self):
        # The fused prefill needs CUDA; force its condition to check shapes and GQA use.
        B, T, kvh, g, d, bs = 2, 7, 2, 2, 8, 4
        kc, vc, table, _, _, _ = make_cache(B, [T] * B, kvh, d, bs, False, seed=3)
        meta = make_meta(table, 0, 0, [0] * B, T, bs)
        # Seeded: bf16 rounding of random inputs is what the tolerance bounds, so the inputs are fixed.
        gen = torch.Generator().manual_seed(11)
        q = torch.randn(B * T, kvh, g, d, dtype=torch.float64, generator=gen)
        k_new = torch.randn(B * T, kvh, d, dtype=torch.float64, generator=gen)
        write_cache(kc, meta, k_new)
        write_cache(vc, meta, k_new * 2)
        scale = 0.3
        fake = FakeSDPA()
        cuda = mock.PropertyMock(return_value=True)
        with mock.patch.object(M, "HAS_SDPA", True), mock.patch.object(M, "SDPA_GQA", True), \
                mock.patch.object(M, "SDPA_SCALE", True), mock.patch.object(torch.Tensor, "is_cuda", cuda), \
                mock.patch.object(M.F, "scaled_dot_product_attention", fake, create=True):
            fused = M.AttentionKernels("sdpa").prefill(q.to(torch.bfloat16), kc.to(torch.bfloat16), vc.to(torch.bfloat16),
                                                       meta, scale).double()
        plain = M.AttentionKernels("matmul").prefill(q, kc, vc, meta, scale, q_chunk=3)
        self.assertEqual([c["gqa"] and c["is_causal"] for c in fake.calls], [True] * B)
        self.assertEqual(fake.calls[0]["k"], (1, kvh, T, d))
        # bf16 keeps 8 significant bits: relative error ~2^-8 per rounding, a few roundings deep.
        self.assertLess((fused - plain).abs().max().item(), 2e-2 * max(1.0, plain.abs().max().item()))
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

        kern = M.AttentionKernels("auto")
        with mock.patch.object(M, "HAS_SDPA", True), \
                mock.patch.object(M.F, "scaled_dot_product_attention", FakeSDPA(), create=True), \
                mock.patch.object(M, "_backends", lambda: ["sdpa-flash", "sdpa-efficient"]), \
                mock.patch.object(M, "_sdpa_forced", forced), mock.patch.object(M.torch.cuda, "synchronize", lambda d=None: None):
            choice = kern._autotune(q, k, v, 0.3, None)
        self.assertEqual(choice, "matmul")
        (entry,) = kern.tuning.values()
        self.assertEqual(entry["choice"], choice)
        self.assertNotIn("sdpa", entry["times_s"])           # plain SDPA is one of the forced backends
        self.assertTrue(str(entry["times_s"]["sdpa-flash"]).startswith("mismatch"))
        self.assertTrue(str(entry["times_s"]["sdpa-efficient"]).startswith("unsupported"))
        self.assertIsInstance(entry["times_s"]["matmul"], float)
        # Without torch.nn.attention (torch < 2.3) plain SDPA competes; every timed call of
        # every candidate sees a key length of its own (a plan cache cannot hide rebuilds).
        seen = []
        fake = FakeSDPA()

        kern = M.AttentionKernels("auto")

        def spy(impl, q, k, v, scale, mask):
            seen.append((impl, k.shape[2]))
            return M.AttentionKernels._matmul(q, k, v, scale, mask) if impl == "matmul" else fake(q, k, v, scale=scale)

        with mock.patch.object(M, "HAS_SDPA", True), mock.patch.object(M, "_backends", lambda: []), \
                mock.patch.object(kern, "_run", spy), mock.patch.object(M.torch.cuda, "synchronize", lambda d=None: None):
            choice = kern._autotune(q, k, v, 0.3, None)
        self.assertIn(choice, ("sdpa", "matmul"))
        timed = [n for _, n in seen if n != L]
        self.assertEqual(len(timed), 6)
        self.assertEqual(len(set(timed)), 6)
        self.assertTrue(all(1 <= n < L for n in timed))

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


class RopeTests(unittest.TestCase):
    """rope.py (partitioned) and reference/common.py compute the frequencies independently."""

    def check(self, dim, theta, sc):
        inv, attn = rope.frequencies(dim, theta, sc)
        cfg = mock.Mock(rope_theta=theta, rope_scaling=sc)
        ref, ref_attn = R.rope_frequencies(dim, cfg)
        self.assertLess((inv - torch.tensor(ref, dtype=torch.float64)).abs().max().item(), 1e-15)
        self.assertAlmostEqual(attn, ref_attn, places=14)
        return inv, attn

    def test_llama3_stretches_only_long_wavelengths(self):
        inv, _ = self.check(128, 500000.0, RopeScaling("llama3", 8.0, 8192, low_freq_factor=1.0, high_freq_factor=4.0))
        base = 500000.0 ** -(torch.arange(0, 128, 2, dtype=torch.float64) / 128)
        wl = 2 * math.pi / base
        self.assertTrue(torch.equal(inv[wl < 2048], base[wl < 2048]))
        self.assertLess((inv[wl > 8192] - base[wl > 8192] / 8).abs().max().item(), 1e-18)

    def test_yarn_as_deepseek_and_gpt_oss_declare_it(self):
        _, attn = self.check(64, 10000.0, RopeScaling("yarn", 40.0, 4096, beta_fast=32, beta_slow=1, mscale=1.0,
                                                       mscale_all_dim=1.0, truncate=True))
        self.assertEqual(attn, 1.0)            # mscale == mscale_all_dim: DeepSeek scales the softmax instead
        self.assertAlmostEqual(rope.mla_softmax_scale(192, RopeScaling("yarn", 40.0, 4096, mscale_all_dim=1.0)),
                               192 ** -0.5 * (0.1 * math.log(40) + 1) ** 2)
        _, attn = self.check(64, 150000.0, RopeScaling("yarn", 32.0, 4096, beta_fast=32, beta_slow=1, truncate=False))
        self.assertAlmostEqual(attn, 0.1 * math.log(32) + 1)
        self.check(16, 10000.0, RopeScaling("linear", 4.0))

    def test_interleaved_pairs_rotate_like_complex_numbers(self):
        x = torch.randn(3, 2, 8, dtype=torch.float64)
        pos = torch.tensor([0, 5, 11])
        t = rope.RotaryTable(8, 10000.0, None, interleave=True)
        cos, sin = t.cos_sin(pos, torch.float64)
        ours = t.apply(x, cos, sin)
        ref = R.rope_pairs(x.transpose(0, 1)[None], pos, mock.Mock(rope_theta=10000.0, rope_scaling=None))[0].transpose(0, 1)
        # Dot products, not layouts, must agree (ours regroups the pairs into halves).
        y = torch.randn(3, 2, 8, dtype=torch.float64)
        ours_y = t.apply(y, cos, sin)
        ref_y = R.rope_pairs(y.transpose(0, 1)[None], pos, mock.Mock(rope_theta=10000.0, rope_scaling=None))[0].transpose(0, 1)
        self.assertLess(((ours * ours_y).sum(-1) - (ref * ref_y).sum(-1)).abs().max().item(), 1e-12)


class QuantTests(unittest.TestCase):
    def test_e4m3_and_e2m1_values(self):
        t = quant.e4m3_table()
        self.assertEqual((t[0x38].item(), t[0x7E].item(), t[0x01].item(), t[0xC0].item()), (1.0, 448.0, 2.0 ** -9, -2.0))
        self.assertTrue(math.isnan(t[0x7F].item()) and math.isnan(t[0xFF].item()))
        codes = torch.arange(256, dtype=torch.uint8)
        ref = R.e4m3(codes)
        ok = torch.isnan(ref) == torch.isnan(t)
        self.assertTrue(bool(ok.all()) and torch.equal(ref[~torch.isnan(ref)], t[~torch.isnan(t)]))
        self.assertEqual(quant.e2m1_table().tolist(), [0, .5, 1, 1.5, 2, 3, 4, 6, -0., -.5, -1, -1.5, -2, -3, -4, -6])
        self.assertTrue(torch.equal(R.e2m1(torch.arange(16)), quant.e2m1_table()))

    def test_slices_dequantise_like_the_whole_tensor(self):
        from shardplan_shim.config import QuantConfig
        from shardplan_shim.weights import SyntheticSource
        src = SyntheticSource(7, torch.float64, torch.device("cpu"))
        for scheme, block, group in (("fp8_block", 8, 0), ("nvfp4", 0, 16), ("fp8_tensor", 0, 0)):
            m = mock.Mock(quant=QuantConfig(scheme, "fp8", block, group, ("attention",)))
            m.quantised = lambda part: part == "attention"
            full = R.Weights(m, src).linear("w", 40, 64, "attention")
            load = quant.Loader(m, src, torch.float64, torch.device("cpu"))
            for rows, cols in (((0, 40), (0, 64)), ((3, 29), (5, 50)), ((8, 16), (48, 64))):
                part = load.linear("w", 40, 64, rows, cols, "attention")
                self.assertTrue(torch.equal(part, full[rows[0]:rows[1], cols[0]:cols[1]]), (scheme, rows, cols))
        full = R.Weights(m, src).mxfp4("e", 3, 10, 64)
        part = quant.Loader(m, src, torch.float64, torch.device("cpu")).mxfp4("e", (3,), 10, 64, [(1, 3)], (2, 7), (20, 60))
        self.assertTrue(torch.equal(part, full[1:3, 2:7, 20:60]))


if __name__ == "__main__":
    unittest.main()
