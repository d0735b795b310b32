"""A minimal safetensors reader/writer (format: https://github.com/huggingface/safetensors).

Layout of a file:
    8 bytes   little-endian u64 N = length of the JSON header
    N bytes   JSON: {"name": {"dtype": "BF16", "shape": [..], "data_offsets": [begin, end]}, ...,
                     "__metadata__": {str: str} (optional)}
    rest      the data region; offsets are relative to its start

The reader validates the whole header up front (so a truncated or corrupt file fails
with one clear message naming the file and the problem, before any rank starts loading),
then reads only the byte ranges a rank's slice needs with os.pread: a row slice of a
row-major tensor is one contiguous range, a column slice is one range per row.
"""

from __future__ import annotations

import json
import os
import struct

import torch


class SafetensorsError(ValueError):
    """A safetensors file is truncated, malformed or does not contain what was asked."""


_DTYPES: dict[str, torch.dtype] = {
    "F64": torch.float64, "F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16,
    "I64": torch.int64, "I32": torch.int32, "I16": torch.int16, "I8": torch.int8, "U8": torch.uint8,
    "BOOL": torch.bool,
}
_NAMES = {v: k for k, v in _DTYPES.items()}
# FP8 tensors are read as their raw byte codes (torch 1.13 has no float8 dtype); quant.py decodes them.
_DTYPES.update({"F8_E4M3": torch.uint8, "F8_E5M2": torch.uint8})

# A header larger than this is certainly corrupt (real checkpoints have a few MB at most).
MAX_HEADER = 100 * 1024 * 1024


def _itemsize(dt: torch.dtype) -> int:
    return torch.empty((), dtype=dt).element_size()


class TensorInfo:
    __slots__ = ("name", "dtype", "dtype_name", "shape", "begin", "end")

    def __init__(self, name, dtype, dtype_name, shape, begin, end):
        self.name, self.dtype, self.dtype_name, self.shape, self.begin, self.end = name, dtype, dtype_name, shape, begin, end


class SafetensorsFile:
    """Header of one file plus sliced reads.  Keeps an fd open; use as a context manager."""

    def __init__(self, path: str):
        self.path = path
        try:
            self.fd = os.open(path, os.O_RDONLY)
        except OSError as e:
            raise SafetensorsError(f"{path}: cannot open ({e.strerror})") from None
        try:
            self._parse()
        except BaseException:
            os.close(self.fd)
            raise

    def _fail(self, msg: str):
        raise SafetensorsError(f"{self.path}: {msg}")

    def _parse(self):
        size = os.fstat(self.fd).st_size
        if size < 8:
            self._fail(f"truncated: {size} bytes, too short for the 8-byte header length")
        (n,) = struct.unpack("<Q", os.pread(self.fd, 8, 0))
        if n > MAX_HEADER:
            self._fail(f"malformed: header length {n} is implausibly large")
        if 8 + n > size:
            self._fail(f"truncated: header says {n} header bytes but the file has only {size - 8} after the length")
        raw = os.pread(self.fd, n, 8)
        try:
            header = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as e:
            self._fail(f"malformed: header is not valid UTF-8 JSON ({e})")
        if not isinstance(header, dict):
            self._fail("malformed: header is not a JSON object")
        self.data_start = 8 + n
        data_len = size - self.data_start
        self.metadata = header.pop("__metadata__", None) or {}
        self.tensors: dict[str, TensorInfo] = {}
        spans = []
        for name, info in header.items():
            if not isinstance(info, dict):
                self._fail(f"malformed: entry for tensor '{name}' is not an object")
            dt = info.get("dtype")
            if dt not in _DTYPES:
                self._fail(f"malformed: tensor '{name}' has unsupported dtype {dt!r}")
            shape = info.get("shape")
            if not isinstance(shape, list) or not all(isinstance(s, int) and not isinstance(s, bool) and s >= 0
                                                      for s in shape):
                self._fail(f"malformed: tensor '{name}' has invalid shape {shape!r}")
            offs = info.get("data_offsets")
            if (not isinstance(offs, list) or len(offs) != 2 or not all(isinstance(o, int) for o in offs)
                    or offs[0] < 0 or offs[1] < offs[0]):
                self._fail(f"malformed: tensor '{name}' has invalid data_offsets {offs!r}")
            numel = 1
            for s in shape:
                numel *= s
            want = numel * _itemsize(_DTYPES[dt])
            if offs[1] - offs[0] != want:
                self._fail(f"malformed: tensor '{name}' {dt}{shape} needs {want} bytes but data_offsets "
                           f"span {offs[1] - offs[0]}")
            if offs[1] > data_len:
                self._fail(f"truncated: tensor '{name}' ends at data byte {offs[1]} but the data region has "
                           f"only {data_len} bytes")
            self.tensors[name] = TensorInfo(name, _DTYPES[dt], dt, tuple(shape), offs[0], offs[1])
            spans.append((offs[0], offs[1], name))
        spans.sort()
        for (a0, a1, an), (b0, b1, bn) in zip(spans, spans[1:]):
            if b0 < a1:
                self._fail(f"malformed: tensors '{an}' and '{bn}' overlap in the data region")

    def close(self):
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        try:
            self.close()
        except Exception:
            pass

    def keys(self):
        return list(self.tensors)

    def info(self, name: str) -> TensorInfo:
        if name not in self.tensors:
            self._fail(f"no tensor named '{name}'")
        return self.tensors[name]

    def _pread_exact(self, nbytes: int, offset: int) -> bytes:
        buf = os.pread(self.fd, nbytes, offset)
        if len(buf) != nbytes:
            # The header was checked against the size at open time; the file shrank since.
            self._fail(f"truncated: short read of {len(buf)}/{nbytes} bytes at offset {offset}")
        return buf

    def read(self, name: str, slices: list[tuple[int, int]] | None = None) -> torch.Tensor:
        """Read tensor `name`, or only the box given by per-dimension half-open ranges."""
        ti = self.info(name)
        shape = ti.shape
        if slices is None:
            slices = [(0, s) for s in shape]
        slices = list(slices) + [(0, s) for s in shape[len(slices):]]
        if len(slices) != len(shape):
            self._fail(f"tensor '{name}' has {len(shape)} dims, slice has {len(slices)}")
        for d, ((a, b), s) in enumerate(zip(slices, shape)):
            if not (0 <= a <= b <= s):
                self._fail(f"tensor '{name}' dim {d} has size {s}; cannot slice [{a}, {b})")
        isz = _itemsize(ti.dtype)
        out_shape = [b - a for a, b in slices]
        numel = 1
        for s in out_shape:
            numel *= s
        buf = bytearray(numel * isz)
        if numel:
            # Innermost dims that are taken whole merge with the last partially-sliced dim into
            # one contiguous run; the dims outside it are iterated.
            k = len(shape) - 1
            while k >= 0 and slices[k] == (0, shape[k]):
                k -= 1
            strides = [1] * len(shape)
            for d in range(len(shape) - 2, -1, -1):
                strides[d] = strides[d + 1] * shape[d + 1]
            if k < 0:
                runs_outer = [()]
                run_elems = numel
                run_base = 0
            else:
                run_elems = (slices[k][1] - slices[k][0]) * strides[k]
                run_base = slices[k][0] * strides[k]
                runs_outer = [()]
                for d in range(k):
                    runs_outer = [o + (i,) for o in runs_outer for i in range(*slices[d])]
            pos = 0
            nb = run_elems * isz
            for idx in runs_outer:
                off = run_base + sum(i * strides[d] for d, i in enumerate(idx))
                buf[pos:pos + nb] = self._pread_exact(nb, self.data_start + ti.begin + off * isz)
                pos += nb
        t = torch.frombuffer(buf, dtype=ti.dtype) if numel else torch.empty(0, dtype=ti.dtype)
        return t.reshape(out_shape)


def write_safetensors(path: str, tensors: dict[str, torch.Tensor], metadata: dict[str, str] | None = None,
                      dtype_names: dict[str, str] | None = None):
    """Write tensors (CPU, any supported dtype) in safetensors format; `dtype_names` labels uint8
    code tensors as F8_E4M3 where a checkpoint stores FP8."""
    header: dict = {}
    if metadata:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    blobs = []
    off = 0
    for name in sorted(tensors):
        t = tensors[name].detach().to("cpu").contiguous()
        if t.dtype not in _NAMES:
            raise SafetensorsError(f"{path}: cannot write tensor '{name}' of dtype {t.dtype}")
        nbytes = t.numel() * t.element_size()
        buf = bytearray(nbytes)
        if nbytes:
            # Copy through a tensor view of our own buffer: works for every dtype incl. bf16.
            torch.frombuffer(buf, dtype=t.dtype).copy_(t.reshape(-1))
        blobs.append(buf)
        label = (dtype_names or {}).get(name, _NAMES[t.dtype])
        header[name] = {"dtype": label, "shape": list(t.shape), "data_offsets": [off, off + nbytes]}
        off += nbytes
    hjson = json.dumps(header, separators=(",", ":")).encode("utf-8")
    hjson += b" " * ((8 - len(hjson) % 8) % 8)   # the reference writer pads the header to 8 bytes
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(hjson)))
        f.write(hjson)
        for b in blobs:
            f.write(b)


class Checkpoint:
    """A Hugging Face checkpoint directory: model.safetensors or shards + model.safetensors.index.json."""

    def __init__(self, path: str):
        self.path = path
        self.files: dict[str, SafetensorsFile] = {}
        self.where: dict[str, str] = {}
        if os.path.isfile(path):
            names = [path]
        elif os.path.isdir(path):
            index = os.path.join(path, "model.safetensors.index.json")
            if os.path.exists(index):
                try:
                    with open(index, encoding="utf-8") as f:
                        wm = json.load(f)["weight_map"]
                except (OSError, ValueError, KeyError, TypeError) as e:
                    raise SafetensorsError(f"{index}: malformed index ({e})") from None
                names = sorted({os.path.join(path, v) for v in wm.values()})
            else:
                names = sorted(os.path.join(path, n) for n in os.listdir(path) if n.endswith(".safetensors"))
            if not names:
                raise SafetensorsError(f"{path}: no .safetensors files found")
        else:
            raise SafetensorsError(f"{path}: checkpoint path does not exist")
        # Only headers are read here; every file is validated before any tensor is loaded.
        for n in names:
            f = SafetensorsFile(n)
            self.files[n] = f
            for k in f.keys():
                if k in self.where:
                    raise SafetensorsError(f"{n}: tensor '{k}' also appears in {self.where[k]}")
                self.where[k] = n

    def has(self, name: str) -> bool:
        return name in self.where

    def shape(self, name: str) -> tuple[int, ...]:
        return self._file(name).info(name).shape

    def dtype_name(self, name: str) -> str:
        return self._file(name).info(name).dtype_name

    def _file(self, name: str) -> SafetensorsFile:
        if name not in self.where:
            raise SafetensorsError(f"{self.path}: checkpoint has no tensor '{name}'")
        return self.files[self.where[name]]

    def read(self, name: str, slices=None) -> torch.Tensor:
        return self._file(name).read(name, slices)

    def close(self):
        for f in self.files.values():
            f.close()
