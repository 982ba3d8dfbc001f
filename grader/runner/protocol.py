"""Wire format between judge and runner: length-prefixed JSON frames, arrays as `.npy` files.

Every JSON object on the wire is a tagged value, so a student's own dict can
never pose as an array reference; the judge only opens `.npy` files whose names
it recognises, inside the exchange folder (`grader.runner.exchange`: no link, no
FIFO, bounded reads), parses their header itself (plain numeric dtypes only, the
data exactly the size the header promises) and never unpickles.

A reply is decoded under a budget the *decoder* enforces (the runner's encoder has
limits too, but student code can patch it): items, nesting and array bytes, each
array file read once however often it is referenced. A frame's size and its count
of JSON containers are checked before `json.loads` builds anything. Over budget,
`ReplyTooLarge`: the student's failure ("réponse trop volumineuse"), never the
grader's memory or time.
"""

from __future__ import annotations

import io
import json
import os
import re
import struct
from typing import Any

import numpy as np

from grader.runner.exchange import Exchange, TooLarge, UnsafeFile

MAX_FRAME = 64 * 1024 * 1024  # a request (the judge's): probes' source, tagged inputs
MAX_REPLY_FRAME = 16 * 1024 * 1024  # a reply (the runner's): values are small, arrays travel as files
MAX_ITEMS = 200_000  # list/dict elements per encoded value
MAX_DEPTH = 16
MAX_STR = 20_000
MAX_ARRAY_BYTES = 1 << 30  # one array file
MAX_REPLY_BYTES = 512 << 20  # all the array files of one reply, each counted once
_NPY_NAME = re.compile(r"^(in|out)-\d+(-\d+)?\.npy$")


class ProtocolError(Exception):
    """The peer sent something that is not a well-formed frame or value."""


class ReplyTooLarge(ProtocolError):
    """A reply beyond the decoder's budget (items, depth, bytes): the student's doing, said as such."""


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


def read_frame(fd: int, max_size: int = MAX_FRAME, max_containers: int = 0) -> dict:
    """One frame. `max_containers` > 0 bounds its JSON objects and arrays, counted on the bytes before
    `json.loads` builds them (a 16 MB frame of `[]` would be a gigabyte of Python lists); brackets inside
    strings count too, which only makes the bound stricter."""
    (size,) = struct.unpack(">I", read_exact(fd, 4))
    if size > max_size:
        raise ReplyTooLarge(f"frame of {size} bytes (at most {max_size})")
    data = read_exact(fd, size)
    if max_containers and data.count(b"[") + data.count(b"{") > max_containers:
        raise ReplyTooLarge(f"frame of more than {max_containers} JSON containers")
    try:
        obj = json.loads(data)
    except RecursionError as e:
        raise ReplyTooLarge("frame nested too deep") from e
    if not isinstance(obj, dict):
        raise ProtocolError("frame is not an object")
    return obj


def read_reply(fd: int) -> dict:
    """A runner's reply frame, bounded for the judge (see `read_frame`)."""
    return read_frame(fd, MAX_REPLY_FRAME, 4 * MAX_ITEMS + 64)


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
    """Turns values into tagged JSON, writing arrays to `<folder>/<prefix>-<n>.npy` (created afresh:
    a link planted under that name is replaced, never written through)."""

    def __init__(self, folder: Exchange, prefix: str):
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
        self.folder.write(name, lambda f: np.lib.format.write_array(f, arr, allow_pickle=False))
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
            except OSError:  # the folder is full (the student filled it): said as such, not "not an array"
                raise
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


class Decoder:
    """Rebuilds plain Python/numpy data from a tagged value under a budget; never objects from the peer.

    `convert(array, kind)` lets the runner turn judge inputs into tensors or variables. Each array
    file is read once: a value that references it a million times costs its items, not a million reads.
    """

    def __init__(self, folder: Exchange, prefix: str = "out", *, convert=None, max_items: int = MAX_ITEMS,
                 max_bytes: int = MAX_REPLY_BYTES):
        self.folder, self.prefix, self.convert = folder, prefix, convert
        self.items_left, self.bytes_left = max_items, max_bytes
        self._arrays: dict[str, np.ndarray] = {}

    def decode(self, value: Any, depth: int = 0) -> Any:
        self.items_left -= 1
        if self.items_left < 0:
            raise ReplyTooLarge(f"more than {MAX_ITEMS} items")
        if depth > MAX_DEPTH + 2:
            raise ReplyTooLarge("value too deep")
        if value is None or isinstance(value, (bool, int, float)):
            return value
        if not isinstance(value, dict) or len(value) not in (1, 2):
            raise ProtocolError(f"untagged value {str(value)[:60]}")
        if "str" in value:
            return str(value["str"])
        if "list" in value:
            return [self.decode(v, depth + 1) for v in _seq(value["list"])]
        if "tuple" in value:
            return tuple(self.decode(v, depth + 1) for v in _seq(value["tuple"]))
        if "dict" in value:
            out = {}
            for pair in _seq(value["dict"]):
                if not isinstance(pair, list) or len(pair) != 2:
                    raise ProtocolError("malformed dict entry")
                key = self.decode(pair[0], depth + 1)
                # values are converted like list items: an AsTensor passed by keyword arrives as a tensor
                out[key if isinstance(key, (str, int, float, bool, tuple)) or key is None else repr(key)] = \
                    self.decode(pair[1], depth + 1)
            return out
        if "nd" in value:
            arr = self._array(str(value["nd"]))
            return self.convert(arr, str(value.get("as", "array"))) if self.convert else arr
        if "opaque" in value:
            return Opaque(str(value["opaque"]), str(value.get("repr", ""))[:MAX_STR])
        raise ProtocolError(f"unknown tag {list(value)[:2]}")

    def _array(self, name: str) -> np.ndarray:
        if not _NPY_NAME.match(name) or not name.startswith(self.prefix + "-"):
            raise ProtocolError(f"bad array reference {name[:60]!r}")
        if name not in self._arrays:
            try:
                data = self.folder.read(name, min(MAX_ARRAY_BYTES, max(0, self.bytes_left)))
            except TooLarge as e:
                raise ReplyTooLarge(f"array file {name!r} too large") from e
            except UnsafeFile as e:
                raise ProtocolError(f"array file {name!r} unreadable: {e}") from e
            self.bytes_left -= len(data)
            self._arrays[name] = parse_npy(data, name)
        return self._arrays[name]


def _seq(value: Any) -> list:
    if not isinstance(value, list):
        raise ProtocolError("malformed container")
    return value


def parse_npy(data: bytearray, name: str = "array") -> np.ndarray:
    """An `.npy` file's array, read by our own rules: format 1.0 or 2.0, a plain numeric dtype, and
    exactly the bytes its header promises (a header that claims a terabyte allocates nothing)."""
    f = io.BytesIO(data)
    try:
        version = np.lib.format.read_magic(f)
        if version == (1, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_1_0(f)
        elif version == (2, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_2_0(f)
        else:
            raise ProtocolError(f"{name}: npy format {version}")
    except (ValueError, TypeError, SyntaxError) as e:
        raise ProtocolError(f"{name}: bad npy header ({e})") from e
    if dtype.hasobject or dtype.kind not in "biufc" or dtype.itemsize == 0:
        raise ProtocolError(f"{name}: dtype {dtype} is not plain numbers")
    count = 1
    for d in shape:
        if not isinstance(d, int) or d < 0:
            raise ProtocolError(f"{name}: bad shape {shape}")
        count *= d
    offset = f.tell()
    if count * dtype.itemsize != len(data) - offset:
        raise ProtocolError(f"{name}: {len(data) - offset} data bytes for shape {shape} of {dtype}")
    arr = np.frombuffer(data, dtype=dtype, count=count, offset=offset)
    return arr.reshape(shape[::-1]).T if fortran else arr.reshape(shape)


def decode(value: Any, folder: Exchange, prefix: str = "out", convert=None, *, max_items: int = MAX_ITEMS,
           max_bytes: int = MAX_REPLY_BYTES) -> Any:
    """`Decoder(...).decode(value)`: one value under one budget."""
    return Decoder(folder, prefix, convert=convert, max_items=max_items, max_bytes=max_bytes).decode(value)
