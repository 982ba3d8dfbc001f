"""Reading (and cutting) the datasets' files: the one data module the runner imports.

The runner's `load_data()` (`grader/runner/patches.py`) reads the grader's copy through these
functions, so a student gets the very same arrays as Keras' own loader would give; the judge reads
its held-out images through them too. Loading never imports Keras. CIFAR-10 batches are pickles:
only numpy's array reconstruction may be loaded from them.
"""

from __future__ import annotations

import gzip
import json
import pickle
import struct
from pathlib import Path

import numpy as np

from grader.data.catalogue import FASHION_FILES, SYNTHETIC_KEY

Arrays = tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]


def read_mnist_npz(path: Path) -> Arrays:
    with np.load(path, allow_pickle=False) as f:
        arrays = tuple(np.asarray(f[k]) for k in ("x_train", "y_train", "x_test", "y_test"))
    for arr in arrays:
        arr.setflags(write=False)
    x_train, y_train, x_test, y_test = arrays
    if x_train.shape[1:] != (28, 28) or len(x_train) != len(y_train) or len(x_test) != len(y_test):
        raise ValueError(f"{path}: not an MNIST archive (x_train {x_train.shape}, x_test {x_test.shape})")
    return (x_train, y_train), (x_test, y_test)


def read_idx(path: Path) -> np.ndarray:
    """An IDX file (gzipped or not): the format of MNIST and Fashion-MNIST's original files."""
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as f:
        data = f.read()
    zero, dtype_code, ndim = struct.unpack(">HBB", data[:4])
    if zero != 0 or dtype_code != 0x08:
        raise ValueError(f"{path}: not an unsigned-byte IDX file")
    dims = struct.unpack(f">{ndim}I", data[4:4 + 4 * ndim])
    arr = np.frombuffer(data, np.uint8, offset=4 + 4 * ndim).reshape(dims)
    return arr


class _ArrayUnpickler(pickle.Unpickler):
    """CIFAR batches are pickles: only numpy's array reconstruction may be loaded from them."""

    ALLOWED = {("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "_reconstruct"),
               ("numpy", "ndarray"), ("numpy", "dtype"), ("_codecs", "encode")}

    def find_class(self, module: str, name: str):
        if (module, name) not in self.ALLOWED:
            raise pickle.UnpicklingError(f"forbidden global {module}.{name} in a CIFAR batch")
        return super().find_class(module, name)


def read_cifar_batch(path: Path) -> tuple[np.ndarray, np.ndarray]:
    with open(path, "rb") as f:
        d = _ArrayUnpickler(f, encoding="bytes").load()
    d = {k.decode() if isinstance(k, bytes) else k: v for k, v in d.items()}
    data = np.asarray(d["data"], dtype=np.uint8).reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)
    return data, np.asarray(d["labels"], dtype=np.uint8).reshape(-1, 1)


def read_cifar(path: Path) -> Arrays:
    """CIFAR-10 from the batches folder or from an npz in Keras' layout (synthetic, or a budget subset)."""
    return read_cifar_npz(path) if path.suffix == ".npz" else read_cifar_batches(path)


def read_cifar_npz(path: Path) -> Arrays:
    with np.load(path, allow_pickle=False) as f:
        x_train, y_train, x_test, y_test = (np.asarray(f[k]) for k in ("x_train", "y_train", "x_test", "y_test"))
    for x, y in ((x_train, y_train), (x_test, y_test)):
        if x.dtype != np.uint8 or x.shape[1:] != (32, 32, 3) or y.shape != (len(x), 1):
            raise ValueError(f"{path}: not a CIFAR-10 archive in Keras' layout (x {x.shape} {x.dtype}, y {y.shape})")
    return (x_train, y_train.astype(np.uint8, copy=False)), (x_test, y_test.astype(np.uint8, copy=False))


def synthetic_marker(path: Path) -> dict | None:
    """What generated an npz (generator, seed, sizes), or None for real data."""
    if path.suffix != ".npz" or not path.is_file():
        return None
    with np.load(path, allow_pickle=False) as f:
        if SYNTHETIC_KEY not in f.files:
            return None
        text = str(f[SYNTHETIC_KEY])
    try:
        marker = json.loads(text)
    except ValueError:
        marker = None
    return marker if isinstance(marker, dict) else {"generator": text}


def read_cifar_batches(folder: Path) -> Arrays:
    """Channels-last, labels (N, 1) uint8: what Keras returns with its default image format."""
    parts = [read_cifar_batch(folder / f"data_batch_{i}") for i in range(1, 6)]
    x_test, y_test = read_cifar_batch(folder / "test_batch")
    x_train = np.concatenate([p[0] for p in parts])
    y_train = np.concatenate([p[1] for p in parts])
    return (x_train, y_train), (x_test, y_test)


def subset_files(name: str, path: Path, folder: Path, *, train: int | None, test: int | None) -> Path:
    """The first `train`/`test` examples of the copy at `path`, written to `folder` in Keras' layout.

    CIFAR-10 becomes `folder/cifar10.npz` (Keras' arrays; a synthetic source keeps its marker).
    """
    if name == "cifar10":
        (x_tr, y_tr), (x_te, y_te) = read_cifar(path)
        folder.mkdir(parents=True, exist_ok=True)
        out = folder / "cifar10.npz"
        marker = synthetic_marker(path)
        extra = {SYNTHETIC_KEY: np.array(json.dumps(marker))} if marker is not None else {}
        np.savez(out, x_train=x_tr[:train or None], y_train=y_tr[:train or None], x_test=x_te[:test or None],
                 y_test=y_te[:test or None], **extra)
        return out
    if name == "mnist":
        (x_tr, y_tr), (x_te, y_te) = read_mnist_npz(path)
    else:
        x_tr, y_tr, x_te, y_te = (read_idx(path / f) for f in FASHION_FILES)
    x_tr, y_tr, x_te, y_te = x_tr[:train or None], y_tr[:train or None], x_te[:test or None], y_te[:test or None]
    folder.mkdir(parents=True, exist_ok=True)
    if name == "mnist":
        out = folder / "mnist.npz"
        np.savez(out, x_train=x_tr, y_train=y_tr, x_test=x_te, y_test=y_te)
        return out
    out = folder / "fashion-mnist"
    out.mkdir(exist_ok=True)
    for fname, arr in zip(FASHION_FILES, (x_tr, y_tr, x_te, y_te), strict=True):
        write_idx(out / fname, arr)
    return out


def write_idx(path: Path, arr: np.ndarray) -> None:
    header = struct.pack(">HBB", 0, 0x08, arr.ndim) + struct.pack(f">{arr.ndim}I", *arr.shape)
    with gzip.open(path, "wb", compresslevel=1) as f:
        f.write(header + np.ascontiguousarray(arr, dtype=np.uint8).tobytes())
