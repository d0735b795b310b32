"""Attention and weight-GEMM micro-benchmark for one decode step (part of gpu_check.sh).

    python3 runtime/bench/attn_micro.py OUT.json            # CUDA, Llama-3.1-8B shapes, bf16
    python3 runtime/bench/attn_micro.py OUT.json --cpu-smoke  # tiny shapes on CPU

For each (batch, context) it times, on ONE layer's paged KV pool (block size 16):
  * the shim's decode attention (kernels.AttentionKernels.decode over decode_kv views), with equal
    lengths (no mask), ragged lengths (mask), scattered blocks (index_select), the plain
    matmul fallback, and with each SDPA backend forced (which ones accept the call);
  * the previous implementation (per-block broadcast matmul over a [blocks, heads, 16, d]
    pool), for comparison;
  * achieved bandwidth = K+V bytes of the layer / time;
  * the error of the bf16 output against an fp32 dense reference (first sequences);
and once: the weight GEMMs of one decoder layer at that batch (q,k,v,o,gate,up,down) and
the LM head, with their achieved bandwidth, and fused vs chunked prefill attention for
one 4096-token prompt.  Prints one progress line per measurement to stderr.
"""

from __future__ import annotations

import json
import math
import os
import statistics
import sys
import time
import warnings

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from shardplan_shim import kernels as M        # noqa: E402
from shardplan_shim.kvcache import make_meta    # noqa: E402

IMPL = os.environ.get("SHARDPLAN_SHIM_ATTN", "auto")

T0 = time.time()


def log(msg):
    print(f"   [attn_micro +{time.time() - T0:5.1f}s] {msg}", file=sys.stderr, flush=True)


def timed(fn, dev, iters):
    """Median seconds of fn() over iters calls (after 2 warm-ups), CUDA events on GPU."""
    for _ in range(2):
        fn()
    ts = []
    for _ in range(iters):
        if dev.type == "cuda":
            a, b = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
            a.record()
            fn()
            b.record()
            b.synchronize()
            ts.append(a.elapsed_time(b) / 1e3)
        else:
            t = time.perf_counter()
            fn()
            ts.append(time.perf_counter() - t)
    return statistics.median(ts)


def old_blocked(q, kc, vc, B, n, bs, lens_t, scale):
    """The shim's previous decode attention (pool [nb, kvh, bs, d], contiguous view)."""
    k = kc.narrow(0, 0, B * n).view(B, n, *kc.shape[1:])
    v = vc.narrow(0, 0, B * n).view(B, n, *vc.shape[1:])
    s = torch.matmul(q.unsqueeze(1), k.transpose(-1, -2)).float() * scale
    kpos = torch.arange(n * bs, device=q.device).view(1, n, 1, 1, bs)
    s = s.masked_fill(kpos >= lens_t, float("-inf"))
    m = s.amax(dim=(1, 4), keepdim=True)
    p = torch.exp(s - m)
    denom = p.sum(dim=(1, 4), keepdim=True)
    o = torch.matmul(p.to(v.dtype), v).sum(dim=1)
    return (o.to(denom.dtype) / denom[:, 0]).to(q.dtype)


def dense_ref(q, k, v, lens, scale, nseq):
    """fp32 reference for the first nseq sequences: q [B, kvh, g, d], k/v [B, kvh, L, d]."""
    outs = []
    for b in range(nseq):
        L = lens[b]
        kb, vb = k[b, :, :L].float(), v[b, :, :L].float()
        s = torch.matmul(q[b].float(), kb.transpose(-1, -2)) * scale
        outs.append(torch.matmul(torch.softmax(s, -1), vb))
    return torch.stack(outs)


def bench_attention(B, L, kvh, g, d, bs, dtype, dev, iters, do_old, kern):
    res = {"batch": B, "context": L, "kv_heads": kvh, "group": g, "head_dim": d}
    n = (L + 1 + bs - 1) // bs                    # blocks per sequence (room for the new token)
    nb = B * n
    kc = torch.randn(nb, bs, kvh, d, dtype=dtype, device=dev)
    vc = torch.randn(nb, bs, kvh, d, dtype=dtype, device=dev)
    q = torch.randn(B, kvh, g, d, dtype=dtype, device=dev)
    scale = 1 / math.sqrt(d)
    kv_bytes = 2 * B * L * kvh * d * kc.element_size()
    res["kv_bytes"] = kv_bytes
    table = torch.arange(nb, device=dev).view(B, n)

    def meta_for(lens, table, contig):
        return make_meta(table, n if contig else 0, 0, [x - 1 for x in lens], 1, bs)

    def run_case(name, meta, impl=None):
        k_ = kern if impl is None else M.AttentionKernels(impl)
        fn = lambda: k_.decode(q, M.decode_kv(kc, meta), M.decode_kv(vc, meta), meta, scale)
        t = timed(fn, dev, iters)
        out = fn()
        kf, vf = M.decode_kv(kc, meta), M.decode_kv(vc, meta)
        ref = dense_ref(q, kf, vf, meta.lens, scale, min(B, 4))
        err = float((out[:ref.shape[0]].float() - ref).abs().max())
        res[name] = {"time_s": t, "GBps": kv_bytes / t / 1e9, "max_abs_err_vs_fp32": err, "impl": k_.impl}
        if k_.impl == "auto" and dev.type == "cuda":
            res[name]["auto_choice"] = k_._choice.get((str(q.device), q.dtype, tuple(q.shape), d, d,
                                                       len(set(meta.lens)) == 1))
        log(f"B={B} L={L} {name}: {t * 1e3:.3f} ms/layer, {kv_bytes / t / 1e9:.0f} GB/s, err {err:.2e}")

    equal = [L] * B
    run_case("decode_equal_lengths", meta_for(equal, table, True))
    g_ = torch.Generator().manual_seed(0)
    ragged = [L - int(x) for x in torch.randint(0, max(1, min(bs * 4, L // 2)), (B,), generator=g_)]
    run_case("decode_ragged_mask", meta_for(ragged, table, True))
    perm = torch.randperm(nb, generator=g_).to(dev).view(B, n)
    run_case("decode_scattered_blocks", meta_for(equal, perm, False))
    run_case("decode_matmul_fallback", meta_for(equal, table, True), impl="matmul")
    if kern.impl != "matmul":
        meta = meta_for(equal, table, True)
        k, v = M.decode_kv(kc, meta), M.decode_kv(vc, meta)
        per = {}
        for name in M._backends():
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    t = timed(lambda: M._sdpa_forced(name, q, k, v, scale), dev, iters)
                    # As in decode: a new key length on every call (plan-per-shape backends rebuild).
                    step = iter(range(1, 10 ** 6))
                    tg = timed(lambda: (lambda n: M._sdpa_forced(name, q, k[:, :, :n], v[:, :, :n], scale))(
                        L - next(step)), dev, iters)
                per[name] = {"ok": True, "time_s": t, "GBps": kv_bytes / t / 1e9, "time_s_new_length_each_call": tg}
            except Exception as e:   # noqa: BLE001 - a backend refusing the call is the information
                per[name] = {"ok": False, "error": " ".join(str(e).split())[:200]}
            log(f"B={B} L={L} sdpa backend {name}: {per[name]}")
        res["sdpa_backends_equal_lengths"] = per
    if do_old:
        kc_o = kc.permute(0, 2, 1, 3).contiguous()          # old layout [nb, kvh, bs, d]
        vc_o = vc.permute(0, 2, 1, 3).contiguous()
        lens_t = torch.tensor(equal, device=dev).view(B, 1, 1, 1, 1)
        t = timed(lambda: old_blocked(q, kc_o, vc_o, B, n, bs, lens_t, scale), dev, max(3, iters // 4))
        meta = meta_for(equal, table, True)
        new = kern.decode(q, M.decode_kv(kc, meta), M.decode_kv(vc, meta), meta, scale)
        diff = float((old_blocked(q, kc_o, vc_o, B, n, bs, lens_t, scale).float() - new.float()).abs().max())
        res["decode_old_blocked"] = {"time_s": t, "GBps": kv_bytes / t / 1e9, "max_abs_diff_vs_new": diff}
        log(f"B={B} L={L} old blocked: {t * 1e3:.3f} ms/layer, {kv_bytes / t / 1e9:.0f} GB/s, |old-new| {diff:.2e}")
        del kc_o, vc_o
    del kc, vc
    return res


def bench_gemms(B, H, hd, heads, kvh, ffn, vocab, dtype, dev, iters):
    ws = {"q": (heads * hd, H), "k": (kvh * hd, H), "v": (kvh * hd, H), "o": (H, heads * hd),
          "gate": (ffn, H), "up": (ffn, H), "down": (H, ffn)}
    W = {k: torch.randn(*s, dtype=dtype, device=dev) * 0.01 for k, s in ws.items()}
    x = torch.randn(B, H, dtype=dtype, device=dev)
    xf = torch.randn(B, ffn, dtype=dtype, device=dev)
    xo = torch.randn(B, heads * hd, dtype=dtype, device=dev)

    def layer():
        for k in ("q", "k", "v", "gate", "up"):
            F.linear(x, W[k])
        F.linear(xo, W["o"])
        F.linear(xf, W["down"])

    nbytes = sum(w.numel() * w.element_size() for w in W.values())
    t = timed(layer, dev, iters)
    head = torch.randn(vocab, H, dtype=dtype, device=dev) * 0.01
    th = timed(lambda: F.linear(x, head), dev, iters)
    hb = head.numel() * head.element_size()
    res = {"batch": B, "layer_weight_bytes": nbytes, "layer_time_s": t, "layer_GBps": nbytes / t / 1e9,
           "lm_head_bytes": hb, "lm_head_time_s": th, "lm_head_GBps": hb / th / 1e9}
    log(f"B={B} weight GEMMs of one layer: {t * 1e3:.3f} ms ({nbytes / t / 1e9:.0f} GB/s); "
        f"LM head {th * 1e3:.3f} ms ({hb / th / 1e9:.0f} GB/s)")
    return res


def bench_prefill(T, kvh, g, d, bs, dtype, dev, iters, kern):
    n = (T + bs - 1) // bs
    kc = torch.randn(n, bs, kvh, d, dtype=dtype, device=dev)
    vc = torch.randn(n, bs, kvh, d, dtype=dtype, device=dev)
    q = torch.randn(T, kvh, g, d, dtype=dtype, device=dev)
    meta = make_meta(torch.arange(n, device=dev).view(1, n), n, 0, [0], T, bs)
    scale = 1 / math.sqrt(d)
    plain = M.AttentionKernels("matmul")
    res = {"prompt": T, "fused_available": kern.impl != "matmul" and M.SDPA_GQA and dev.type == "cuda"
           and dtype in (torch.bfloat16, torch.float16)}
    res["chunked_matmul_time_s"] = timed(lambda: plain.prefill(q, kc, vc, meta, scale), dev, iters)
    if res["fused_available"]:
        t_f = timed(lambda: kern.prefill(q, kc, vc, meta, scale), dev, iters)
        a = kern.prefill(q, kc, vc, meta, scale).float()
        b = plain.prefill(q, kc, vc, meta, scale).float()
        res.update(fused_time_s=t_f, max_abs_diff_fused_vs_chunked=float((a - b).abs().max()))
    log(f"prefill attention T={T}: {res}")
    return res


def main():
    out = sys.argv[1]
    smoke = "--cpu-smoke" in sys.argv[2:]
    if smoke:
        dev, dtype = torch.device("cpu"), torch.float32
        shapes = dict(kvh=2, g=2, d=16, bs=16)
        cases, gem = [(2, 64), (4, 48)], dict(H=64, hd=16, heads=4, kvh=2, ffn=128, vocab=256)
        iters, T = 3, 64
    else:
        dev, dtype = torch.device("cuda"), torch.bfloat16
        shapes = dict(kvh=8, g=4, d=128, bs=16)
        cases, gem = [(64, 4096), (256, 3648)], dict(H=4096, hd=128, heads=32, kvh=8, ffn=14336, vocab=128256)
        iters, T = 20, 4096
    res = {"torch": torch.__version__, "device": torch.cuda.get_device_name(0) if dev.type == "cuda" else "cpu",
           "dtype": str(dtype).replace("torch.", ""), "attention_impl": IMPL, "decode": [],
           "gemms": []}
    torch.manual_seed(0)
    kern = M.AttentionKernels(IMPL)
    for B, L in cases:
        res["decode"].append(bench_attention(B, L, shapes["kvh"], shapes["g"], shapes["d"], shapes["bs"], dtype, dev,
                                             iters, do_old=True, kern=kern))
        res["gemms"].append(bench_gemms(B, dtype=dtype, dev=dev, iters=iters, **gem))
        if dev.type == "cuda":
            torch.cuda.empty_cache()
    res["prefill"] = bench_prefill(T, shapes["kvh"], shapes["g"], shapes["d"], shapes["bs"], dtype, dev,
                                   max(3, iters // 4), kern)
    res["decode_tuning"] = kern.tuning
    res["elapsed_s"] = time.time() - T0
    with open(out, "w") as f:
        json.dump(res, f, indent=1, sort_keys=True)
    log(f"wrote {out}")


if __name__ == "__main__":
    main()
