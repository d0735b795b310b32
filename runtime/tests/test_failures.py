"""A crashing rank or a missing peer ends every rank within the timeout, with a clear error."""

import json
import os
import shutil
import tempfile
import unittest

from unittest import mock

from launcher import fixture, launch, local

TIMEOUT = 10   # the shim's --timeout in these tests


class FailureTests(unittest.TestCase):
    def assert_clean_failure(self, res, bound):
        self.assertFalse(res.timed_out, "ranks hung instead of failing\n" + res.describe())
        self.assertLess(res.elapsed, bound, res.describe())
        self.assertEqual(res.leftover_groups, [], "orphan processes left behind")
        for r in res.ranks:
            self.assertEqual(r.returncode, 2, res.describe())
            lines = [l for l in r.stderr.splitlines() if l.startswith("shardplan_shim: rank")]
            self.assertEqual(len(lines), 1, r.stderr)
            self.assertIn("error", lines[0])
            self.assertFalse(r.metrics["ok"])
            self.assertIn("error", r.metrics)

    def test_crashing_rank_tp2(self):
        res = launch(fixture("r1_distill_qwen14b_tp2"), "verify", 2, ["--timeout", str(TIMEOUT)],
                     env={"SHARDPLAN_SHIM_FAIL_RANK": "1"}, timeout=TIMEOUT + 50)
        self.assert_clean_failure(res, TIMEOUT + 40)
        self.assertIn("injected failure", res.ranks[1].stderr)

    def test_crashing_rank_propagates_through_pipeline(self):
        # Rank 3 (last stage) dies; its TP peer fails, then the first stage loses its pipeline peer.
        res = launch(fixture("qwen3_8b_tp2_pp2"), "verify", 4, ["--timeout", str(TIMEOUT)],
                     env={"SHARDPLAN_SHIM_FAIL_RANK": "3"}, timeout=TIMEOUT + 60)
        self.assert_clean_failure(res, TIMEOUT + 50)

    def test_master_alone_times_out(self):
        res = launch(fixture("r1_distill_qwen14b_tp2"), "verify", 2, ["--timeout", "5"], ranks=[0], timeout=60)
        self.assert_clean_failure(res, 45)
        self.assertIn("rendezvous", res.ranks[0].stderr)

    def test_worker_without_master_times_out(self):
        res = launch(fixture("r1_distill_qwen14b_tp2"), "verify", 2, ["--timeout", "5"], ranks=[1], timeout=60)
        self.assert_clean_failure(res, 45)
        self.assertIn("rendezvous", res.ranks[0].stderr)

    def test_inconsistent_plan_is_rejected(self):
        with open(fixture("r1_distill_qwen14b_tp2")) as f:
            raw = json.load(f)
        raw["ranks"][1]["ffn"] = [7000, 13824]      # gap: rank 0 ends at 6912
        d = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, d, True)
        path = os.path.join(d, "bad.plan.json")
        with open(path, "w") as f:
            json.dump(raw, f)
        res = launch(path, "verify", 2, ["--timeout", "5"], timeout=60)
        self.assert_clean_failure(res, 30)
        self.assertIn("ffn along tp group", res.ranks[0].stderr)

    def test_local_world_stops_when_a_rank_crashes(self):
        with mock.patch.dict(os.environ, {"SHARDPLAN_SHIM_FAIL_RANK": "3"}):
            res = local(fixture("qwen3_8b_tp2_pp2"), "verify", "--timeout", str(TIMEOUT))
        self.assertEqual(res.code, 2, res.describe())
        self.assertIn("injected failure", res.metrics[3]["error"])

    def test_wrong_world_size(self):
        res = launch(fixture("r1_distill_qwen14b_tp2"), "verify", 1, ["--timeout", "5"], timeout=60)
        self.assert_clean_failure(res, 30)
        self.assertIn("WORLD_SIZE", res.ranks[0].stderr)


if __name__ == "__main__":
    unittest.main()
