"""Our safetensors reader/writer: round trip, sliced reads, and rejection of bad files."""

import json
import os
import shutil
import struct
import sys
import tempfile
import unittest

import torch

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from shardplan_shim.safetensors_io import (Checkpoint, SafetensorsError, SafetensorsFile,  # noqa: E402
                                           write_safetensors)


class SafetensorsTests(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="shardplan_st_")
        self.addCleanup(shutil.rmtree, self.dir, True)
        g = torch.Generator().manual_seed(0)
        self.tensors = {
            "a.bf16": torch.randn(6, 10, generator=g).to(torch.bfloat16),
            "b.f32": torch.randn(5, 4, 3, generator=g),
            "c.f16": torch.randn(7, generator=g).to(torch.float16),
            "d.i64": torch.arange(12, dtype=torch.int64).view(3, 4),
            "e.f64": torch.randn(4, 4, generator=g, dtype=torch.float64),
            "f.empty": torch.zeros(0, 3),
        }
        self.path = os.path.join(self.dir, "m.safetensors")
        write_safetensors(self.path, self.tensors, metadata={"format": "pt"})

    def read_bytes(self):
        with open(self.path, "rb") as f:
            return f.read()

    def write_raw(self, header, data=b"", hlen=None):
        p = os.path.join(self.dir, "bad.safetensors")
        h = json.dumps(header).encode() if isinstance(header, dict) else header
        with open(p, "wb") as f:
            f.write(struct.pack("<Q", len(h) if hlen is None else hlen) + h + data)
        return p

    def assert_rejected(self, path, *needles):
        with self.assertRaises(SafetensorsError) as cm:
            SafetensorsFile(path)
        msg = str(cm.exception)
        self.assertIn(path, msg)
        for n in needles:
            self.assertIn(n, msg)

    def test_round_trip(self):
        with SafetensorsFile(self.path) as f:
            self.assertEqual(f.metadata, {"format": "pt"})
            self.assertEqual(sorted(f.keys()), sorted(self.tensors))
            for k, t in self.tensors.items():
                got = f.read(k)
                self.assertEqual(got.dtype, t.dtype)
                self.assertTrue(torch.equal(got, t), k)

    def test_fp8_tensors_read_as_their_byte_codes(self):
        # torch 1.13 has no float8 dtype: F8_E4M3 is read as uint8 codes, which quant.py decodes.
        codes = torch.tensor([[0x38, 0x7E], [0x01, 0xC0]], dtype=torch.uint8)
        p = os.path.join(self.dir, "fp8.safetensors")
        write_safetensors(p, {"w.weight": codes}, dtype_names={"w.weight": "F8_E4M3"})
        ck = Checkpoint(p)
        self.assertEqual(ck.dtype_name("w.weight"), "F8_E4M3")
        self.assertTrue(torch.equal(ck.read("w.weight", [(1, 2), (0, 2)]), codes[1:2]))

    def test_header_is_8_byte_aligned(self):
        with open(self.path, "rb") as f:
            (n,) = struct.unpack("<Q", f.read(8))
        self.assertEqual(n % 8, 0)

    def test_slices(self):
        with SafetensorsFile(self.path) as f:
            a, b = self.tensors["a.bf16"], self.tensors["b.f32"]
            self.assertTrue(torch.equal(f.read("a.bf16", [(2, 5)]), a[2:5]))                 # rows: one range
            self.assertTrue(torch.equal(f.read("a.bf16", [(0, 6), (3, 8)]), a[:, 3:8]))       # columns
            self.assertTrue(torch.equal(f.read("a.bf16", [(1, 4), (0, 10)]), a[1:4]))
            self.assertTrue(torch.equal(f.read("b.f32", [(1, 3), (1, 4), (0, 2)]), b[1:3, 1:4, 0:2]))
            self.assertTrue(torch.equal(f.read("b.f32", [(0, 5), (2, 3)]), b[:, 2:3]))
            self.assertEqual(f.read("a.bf16", [(3, 3)]).shape, (0, 10))
            with self.assertRaises(SafetensorsError):
                f.read("a.bf16", [(0, 7)])
            with self.assertRaises(SafetensorsError):
                f.read("nope")

    def test_truncated_data(self):
        data = self.read_bytes()
        p = os.path.join(self.dir, "trunc.safetensors")
        with open(p, "wb") as f:
            f.write(data[:-10])
        self.assert_rejected(p, "truncated")

    def test_truncated_header(self):
        data = self.read_bytes()
        p = os.path.join(self.dir, "trunc.safetensors")
        with open(p, "wb") as f:
            f.write(data[:20])
        self.assert_rejected(p, "truncated", "header")
        with open(p, "wb") as f:
            f.write(b"\x01\x02")
        self.assert_rejected(p, "truncated")

    def test_malformed(self):
        self.assert_rejected(self.write_raw(b"{not json"), "malformed", "JSON")
        self.assert_rejected(self.write_raw(b"[1, 2]"), "not a JSON object")
        self.assert_rejected(self.write_raw(b"{}", hlen=1 << 40), "implausibly large")
        self.assert_rejected(self.write_raw({"x": {"dtype": "Q7", "shape": [1], "data_offsets": [0, 1]}}, b"\0"),
                             "unsupported dtype")
        self.assert_rejected(self.write_raw({"x": {"dtype": "F32", "shape": [2], "data_offsets": [0, 4]}}, b"\0" * 8),
                             "needs 8 bytes")
        self.assert_rejected(self.write_raw({"x": {"dtype": "F32", "shape": [-1], "data_offsets": [0, 4]}}, b"\0" * 4),
                             "invalid shape")
        self.assert_rejected(self.write_raw({"x": {"dtype": "F32", "shape": [1], "data_offsets": [4, 0]}}, b"\0" * 4),
                             "data_offsets")
        self.assert_rejected(self.write_raw({"x": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
                                             "y": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}},
                                            b"\0" * 12), "overlap")
        self.assert_rejected(self.write_raw({"x": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]}}, b"\0" * 8),
                             "truncated", "'x'")

    def test_checkpoint_directory_with_index(self):
        write_safetensors(os.path.join(self.dir, "p2.safetensors"), {"z": torch.ones(3)})
        with open(os.path.join(self.dir, "model.safetensors.index.json"), "w") as f:
            json.dump({"weight_map": {**{k: "m.safetensors" for k in self.tensors}, "z": "p2.safetensors"}}, f)
        ck = Checkpoint(self.dir)
        self.assertTrue(torch.equal(ck.read("z"), torch.ones(3)))
        self.assertTrue(torch.equal(ck.read("a.bf16", [(0, 2)]), self.tensors["a.bf16"][:2]))
        with self.assertRaises(SafetensorsError):
            ck.read("missing")
        ck.close()

    def test_checkpoint_rejects_bad_shard(self):
        with open(os.path.join(self.dir, "zz.safetensors"), "wb") as f:
            f.write(b"\x05")
        with self.assertRaises(SafetensorsError) as cm:
            Checkpoint(self.dir)
        self.assertIn("zz.safetensors", str(cm.exception))


if __name__ == "__main__":
    unittest.main()
