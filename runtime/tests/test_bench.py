"""bench mode and the GPU check script, exercised on CPU with tiny shapes."""

import json
import os
import shutil
import subprocess
import tempfile
import unittest

from launcher import RUNTIME, fixture, launch, local


class BenchTests(unittest.TestCase):
    def test_bench_tiny_tp2_pp2(self):
        res = launch(fixture("qwen3_8b_tp2_pp2"), "bench", 4,
                     ["--tiny", "--batch", "4", "--context", "48", "--decode-tokens", "6", "--timeout", "60"],
                     timeout=120)
        self.assertTrue(res.ok, res.describe())
        for r in res.ranks:
            m = r.metrics
            self.assertTrue(m["ok"])
            run = m["runs"][0]
            self.assertEqual(len(run["decode"]["step_s"]), 6)
            self.assertGreater(run["decode"]["comm_s_per_step"], 0.0)    # TP all-reduces and PP send/recv
            self.assertGreater(run["prefill"]["median_s"], 0.0)
            self.assertGreater(m["peak_memory_bytes"], 0)
            self.assertGreater(m["weight_bytes_stored"], 0)
            self.assertEqual(run["kv_bytes"], run["kv_blocks"] * m["kv_bytes_per_token"] * 16)
        # rank 0 also prints its metrics as JSON on stdout
        self.assertEqual(json.loads(res.ranks[0].stdout.strip().splitlines()[-1])["rank"], 0)

    def test_bench_quantised_moe_with_dispatch_across_replicas(self):
        res = local(fixture("gpt_oss_120b_dp2_tp2_ep4"), "bench", "--tiny", "--batch", "4", "--context", "32",
                    "--decode-tokens", "4", "--timeout", "60")
        self.assertEqual(res.code, 0, res.describe())
        m = res.metrics[0]
        self.assertIn("mxfp4 weights dequantised", m["notes"][0])
        # MXFP4 experts are stored at about half a byte per weight, held in the compute dtype
        self.assertLess(m["weight_bytes_stored"], m["weight_bytes"])

    def test_gpu_check_script_cpu_smoke(self):
        out = tempfile.mkdtemp(prefix="shardplan_gpucheck_")
        self.addCleanup(shutil.rmtree, out, True)
        env = dict(os.environ, OUT=out, OMP_NUM_THREADS="1")
        p = subprocess.run(["bash", os.path.join(RUNTIME, "bench", "gpu_check.sh"), "--cpu-smoke"],
                           env=env, capture_output=True, text=True, timeout=200)
        self.assertEqual(p.returncode, 0, p.stdout[-3000:] + p.stderr[-3000:])
        with open(os.path.join(out, "gpu_results.json")) as f:
            res = json.load(f)
        self.assertTrue(res["ok"])
        self.assertTrue(res["verify"]["ok"])
        self.assertEqual([r["batch"] for r in res["bench"]["runs"]], [4, 8])
        for r in res["bench"]["runs"]:
            self.assertGreater(r["decode_step_median_s"], 0)


if __name__ == "__main__":
    unittest.main()
