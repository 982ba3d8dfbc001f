"""Wire format between judge and runner: length-prefixed JSON frames, arrays as `.npy` files.

Every JSON object on the wire is a tagged value, so a student's own dict can
never pose as an array reference; the judge only opens `.npy` files whose names
it recognises, inside the exchange folder, with `allow_pickle=False`.
"""

from __future__ import annotations

import json
import os
import re
import struct
from pathlib import Path
from typing import Any

import numpy as np

MAX_FRAME = 64 * 1024 * 1024
MAX_ITEMS = 200_000  # list/dict elements per encoded value
MAX_DEPTH = 16
MAX_STR = 20_000
MAX_ARRAY_BYTES = 1 << 30
_NPY_NAME = re.compile(r"^(in|out)-\d+(-\d+)?\.npy$")


class ProtocolError(Exception):
    """The peer sent something that is not a well-formed frame or value."""


def write_frame(fd: int, obj: dict) -> None:
    data = json.dumps(obj, allow_nan=True).encode()
    buf = struct.pack(">I", len(data)) + data
    while buf:
        n = os.write(fd, buf)
        buf = buf[n:]


def read_exact(fd: int, n: int) -> bytes:
    chunks = []
    while n:
        chunk = os.read(fd, min(n, 1 << 20))
        if not chunk:
            raise EOFError
        chunks.append(chunk)
        n -= len(chunk)
    return b"".join(chunks)


def read_frame(fd: int) -> dict:
    (size,) = struct.unpack(">I", read_exact(fd, 4))
    if size > MAX_FRAME:
        raise ProtocolError(f"frame of {size} bytes")
    obj = json.loads(read_exact(fd, size))
    if not isinstance(obj, dict):
        raise ProtocolError("frame is not an object")
    return obj


class Opaque:
    """A runner object that has no plain-data form: only its type name and a short repr cross."""

    def __init__(self, type_name: str, text: str):
        self.type_name = type_name
        self.text = text

    def __repr__(self) -> str:
        return f"<{self.type_name}: {self.text[:80]}>"


class AsTensor:
    """A judge input that must reach the student's code as a `tf.constant` (or `tf.Variable`)."""

    def __init__(self, array, variable: bool = False):
        self.array = np.asarray(array)
        self.kind = "variable" if variable else "tensor"


def type_name(obj: Any) -> str:
    t = type(obj)
    return f"{t.__module__}.{t.__qualname__}"


class Encoder:
    """Turns values into tagged JSON, writing arrays to `<folder>/<prefix>-<n>.npy`."""

    def __init__(self, folder: Path, prefix: str):
        self.folder = folder
        self.prefix = prefix
        self.count = 0
        self.items = 0

    def _array(self, arr: np.ndarray, kind: str = "array") -> dict:
        arr = np.array(arr, copy=True, subok=False)  # plain ndarray, never a subclass
        if arr.dtype.hasobject or arr.dtype.kind not in "biufc":
            return {"opaque": f"numpy.ndarray[{arr.dtype}]", "repr": repr(arr)[:200]}
        self.count += 1
        name = f"{self.prefix}-{self.count}.npy"
        np.save(self.folder / name, arr, allow_pickle=False)
        return {"nd": name, "as": kind}

    def encode(self, obj: Any, depth: int = 0) -> Any:
        self.items += 1
        if depth > MAX_DEPTH or self.items > MAX_ITEMS:
            return {"opaque": "truncated", "repr": "value too large or too deep"}
        if obj is None or isinstance(obj, bool):
            return obj if type(obj) in (bool, type(None)) else bool(obj)
        if type(obj) is int:
            return obj if abs(obj) < 2**62 else {"opaque": "int", "repr": str(obj)[:100]}
        if type(obj) is float:
            return obj
        if type(obj) is str:
            return {"str": obj[:MAX_STR]}
        if isinstance(obj, np.generic) and obj.dtype.kind in "biufc":
            return self._array(np.asarray(obj))
        if isinstance(obj, np.ndarray):
            return self._array(obj)
        if isinstance(obj, AsTensor):
            return self._array(obj.array, obj.kind)
        if type(obj) in (list, tuple):
            return {"list" if type(obj) is list else "tuple": [self.encode(x, depth + 1) for x in obj]}
        if type(obj) is dict:
            return {"dict": [[self.encode(k, depth + 1), self.encode(v, depth + 1)] for k, v in obj.items()]}
        return self._foreign(obj, depth)

    def _foreign(self, obj: Any, depth: int) -> Any:
        """Tensors, variables and other array-likes become arrays; anything else stays opaque."""
        name = type_name(obj)
        if name.startswith(("tensorflow.", "keras.", "tf_keras.")) and hasattr(obj, "numpy"):
            try:
                return self._array(np.asarray(obj.numpy()), "tensor")
            except Exception:  # noqa: BLE001 - a symbolic tensor has no value
                pass
        if isinstance(obj, (int, float, str, list, tuple, dict)):  # subclasses: strip to the base type
            base = next(t for t in (bool, int, float, str, list, tuple, dict) if isinstance(obj, t))
            try:
                return self.encode(base(obj), depth)
            except Exception:  # noqa: BLE001
                pass
        try:
            text = repr(obj)
        except Exception:  # noqa: BLE001
            text = "?"
        return {"opaque": name, "repr": text[:300]}


def decode(value: Any, folder: Path, prefix: str = "out", depth: int = 0, convert=None) -> Any:
    """Rebuild plain Python/numpy data; only base types, never objects from the peer.

    `convert(array, kind)` lets the runner turn judge inputs into tensors or variables.
    """
    if depth > MAX_DEPTH + 2:
        raise ProtocolError("value too deep")
    if value is None or isinstance(value, (bool, int, float)):
        return value
    if not isinstance(value, dict) or len(value) not in (1, 2):
        raise ProtocolError(f"untagged value {str(value)[:60]}")
    if "str" in value:
        return str(value["str"])
    if "list" in value:
        return [decode(v, folder, prefix, depth + 1, convert) for v in value["list"]]
    if "tuple" in value:
        return tuple(decode(v, folder, prefix, depth + 1, convert) for v in value["tuple"])
    if "dict" in value:
        out = {}
        for k, v in value["dict"]:
            key = decode(k, folder, prefix, depth + 1, convert)
            # values are converted like list items: an AsTensor passed by keyword arrives as a tensor
            out[key if isinstance(key, (str, int, float, bool, tuple)) or key is None else repr(key)] = decode(
                v, folder, prefix, depth + 1, convert
            )
        return out
    if "nd" in value:
        name = str(value["nd"])
        if not _NPY_NAME.match(name) or not name.startswith(prefix + "-"):
            raise ProtocolError(f"bad array reference {name!r}")
        path = folder / name
        if path.is_symlink() or not path.is_file():
            raise ProtocolError(f"missing array file {name!r}")
        if path.stat().st_size > MAX_ARRAY_BYTES:
            raise ProtocolError(f"array file {name!r} too large")
        arr = np.asarray(np.load(path, allow_pickle=False))
        return convert(arr, str(value.get("as", "array"))) if convert else arr
    if "opaque" in value:
        return Opaque(str(value["opaque"]), str(value.get("repr", "")))
    raise ProtocolError(f"unknown tag {list(value)[:2]}")
