"""MNIST, Fashion-MNIST and CIFAR-10 on machines without network: where they are, how to load them.

Searched in order: the folders of `$GRADER_DATA_DIR` (several may be given, separated by
`os.pathsep`; default `~/.local/share/tp-grader/datasets`), the Keras cache (`$KERAS_HOME/datasets`, default `~/.keras/datasets`), Debian's dataset packages
(`/usr/share/datasets`), then Keras' own download, where there is network. Every location
uses the Keras cache layout (`mnist.npz`, `fashion-mnist/*.gz`, `cifar-10-batches-py/`), so a
folder copied from a laptop's `~/.keras/datasets` works as it is. Loading never imports Keras:
the grader stays light, and a student's notebook gets the very same arrays from `load_data()`
(see `grader/runner/patches.py`).

CIFAR-10 cannot be had offline; `grader data synthesize cifar10` writes a synthetic stand-in
(`cifar10-synthetic.npz`, see `grader.synthetic`) to the data folder. It is used only where no
real copy exists anywhere, and its `Source.synthetic` is set so that every report says so.
"""

from __future__ import annotations

import functools
import gzip
import json
import os
import pickle
import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from grader.model import Message

NAMES = ("mnist", "fashion_mnist", "cifar10")
TITLES = {"mnist": "MNIST", "fashion_mnist": "Fashion-MNIST", "cifar10": "CIFAR-10"}
DEBIAN_ROOT = Path("/usr/share/datasets")
FASHION_FILES = ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
                 "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")
CIFAR_BATCHES = ("data_batch_1", "data_batch_2", "data_batch_3", "data_batch_4", "data_batch_5", "test_batch")
#: Synthetic stand-ins (`grader data synthesize`), looked for in the data folders after every real copy.
SYNTHETIC_FILES = {"cifar10": "cifar10-synthetic.npz"}
SYNTHETIC_ORIGIN = "synthétique (grader data synthesize) — pas le vrai CIFAR-10"
#: The npz key that marks generated arrays (a JSON string: generator, seed, sizes).
SYNTHETIC_KEY = "synthetic"
_KERAS_ORIGIN = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"
#: Where Keras downloads from, and the sha256 it expects (None: Keras checks none).
ORIGINS: dict[str, list[tuple[str, str | None]]] = {
    "mnist": [(_KERAS_ORIGIN + "mnist.npz", "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1")],
    "fashion_mnist": [(_KERAS_ORIGIN + f, None) for f in FASHION_FILES],
    "cifar10": [("https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz",
                 "6d958be074577803d12ecdefd02955f39262c83c16fe9348329d7fe0b5c001ce")],
}

Arrays = tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]


class DatasetUnavailable(Exception):
    """No copy of a dataset on this machine; `message` says exactly how to get one, in French and English."""

    def __init__(self, message: Message) -> None:
        super().__init__(message.fr)
        self.message = message


#: Where a copy was found, as the console says it in English (the French is `Source.origin`).
ORIGINS_EN = {"cache Keras": "Keras cache", SYNTHETIC_ORIGIN: "synthetic (grader data synthesize) — not the real CIFAR-10"}


def origin_text(origin: str, lang: str = "fr") -> str:
    return ORIGINS_EN.get(origin, origin) if lang == "en" else origin


@dataclass(frozen=True)
class Source:
    """One usable copy: `path` is `mnist.npz`, the `fashion-mnist` folder, `cifar-10-batches-py`, or
    `cifar10-synthetic.npz` when `synthetic` (generated images, not the real dataset: say so)."""

    dataset: str
    origin: str  # "GRADER_DATA_DIR" | "cache Keras" | "Debian" | SYNTHETIC_ORIGIN
    path: Path
    synthetic: bool = False


def data_dirs() -> list[Path]:
    """The grader's data folders, in search order: `$GRADER_DATA_DIR` split on `os.pathsep`."""
    env = os.environ.get("GRADER_DATA_DIR")
    dirs = [Path(p).expanduser() for p in (env or "").split(os.pathsep) if p]
    if dirs:
        return dirs
    base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return [base / "tp-grader" / "datasets"]


def data_dir() -> Path:
    """The first data folder: `grader data import` and `grader data synthesize` write there."""
    return data_dirs()[0]


def keras_cache() -> Path:
    return Path(os.environ.get("KERAS_HOME") or Path.home() / ".keras").expanduser() / "datasets"


def locations() -> list[tuple[str, Path]]:
    return [*(("GRADER_DATA_DIR", d) for d in data_dirs()), ("cache Keras", keras_cache()), ("Debian", DEBIAN_ROOT)]


def _candidates(name: str, root: Path) -> list[Path]:
    if name == "mnist":
        return [root / "mnist.npz"]
    if name == "fashion_mnist":
        return [root / "fashion-mnist"]
    # Keras 3 extracts to `cifar-10-batches-py-target/`, Keras 2 to the folder itself
    return [root / "cifar-10-batches-py", root / "cifar-10-batches-py-target" / "cifar-10-batches-py"]


def complete(name: str, path: Path) -> bool:
    if name == "mnist" or path.suffix == ".npz":
        return path.is_file() and path.stat().st_size > 0  # imports are atomic; Keras removes partial files
    files = FASHION_FILES if name == "fashion_mnist" else CIFAR_BATCHES
    return path.is_dir() and all((path / f).is_file() for f in files)


def locate(name: str) -> Source | None:
    """The first complete real copy in search order, else a synthetic one in the data folders, or None.

    A real copy anywhere always wins: synthetic images must never replace real ones unnoticed.
    Nothing is downloaded here.
    """
    _check_name(name)
    for origin, root in locations():
        for path in _candidates(name, root):
            if complete(name, path):
                return Source(name, origin, path)
    if name in SYNTHETIC_FILES:
        for root in data_dirs():
            path = root / SYNTHETIC_FILES[name]
            if complete(name, path):
                return Source(name, SYNTHETIC_ORIGIN, path, synthetic=True)
    return None


def how_to_get(name: str, lang: str = "fr") -> str:
    """Exact steps for an instructor whose machine has no copy."""
    return how_to_get_message(name).get(lang)


def how_to_get_message(name: str) -> Message:
    """`how_to_get` in both languages."""
    _check_name(name)
    target = data_dir()
    steps = [Message(f"`grader data import {name}` (téléchargement par les adresses de Keras, réseau requis)",
                     f"`grader data import {name}` (download from Keras' addresses, network needed)")]
    if name == "mnist":
        steps.append(Message("`grader data import mnist CHEMIN` avec un mnist.npz (clés x_train y_train x_test "
                             "y_test) ou un dossier des 4 fichiers IDX officiels",
                             "`grader data import mnist PATH` with a mnist.npz (keys x_train y_train x_test "
                             "y_test) or a folder of the 4 official IDX files"))
    elif name == "fashion_mnist":
        steps.append(Message("`apt-get install dataset-fashion-mnist` (Debian/Ubuntu : "
                             "/usr/share/datasets/fashion-mnist)",
                             "`apt-get install dataset-fashion-mnist` (Debian/Ubuntu: "
                             "/usr/share/datasets/fashion-mnist)"))
        steps.append(Message("`grader data import fashion_mnist DOSSIER` avec les 4 fichiers .gz",
                             "`grader data import fashion_mnist FOLDER` with the 4 .gz files"))
    else:
        steps.append(Message("`grader data import cifar10 cifar-10-python.tar.gz` (ou le dossier "
                             "cifar-10-batches-py)", "`grader data import cifar10 cifar-10-python.tar.gz` (or the "
                             "cifar-10-batches-py folder)"))
        steps.append(Message("pour des tests seulement, `grader data synthesize cifar10` (images synthétiques, pas "
                             "le vrai CIFAR-10)", "for tests only, `grader data synthesize cifar10` (synthetic "
                             "images, not the real CIFAR-10)"))
    steps.append(Message(f"ou copier un ~/.keras/datasets d'une machine qui l'a vers {target}",
                         f"or copy a ~/.keras/datasets from a machine that has it to {target}"))
    where = ", ".join(str(r) for _, r in locations())
    return Message(f"{TITLES[name]} introuvable ({where}). Pour l'obtenir : " + " ; ".join(s.fr for s in steps) + ".",
                   f"{TITLES[name]} not found ({where}). To get it: " + "; ".join(s.en for s in steps) + ".")


def _check_name(name: str) -> None:
    if name not in NAMES:
        raise ValueError(f"unknown dataset {name!r}; known: {', '.join(NAMES)}")


# -- loading --------------------------------------------------------------------------------------
@functools.lru_cache(maxsize=4)
def _load_cached(name: str, path: str) -> Arrays:
    p = Path(path)
    if name == "mnist":
        return read_mnist_npz(p)
    if name == "fashion_mnist":
        return ((read_idx(p / FASHION_FILES[0]), read_idx(p / FASHION_FILES[1])),
                (read_idx(p / FASHION_FILES[2]), read_idx(p / FASHION_FILES[3])))
    arrays = read_cifar(p)
    for arr in (*arrays[0], *arrays[1]):
        arr.setflags(write=False)
    return arrays


def load(name: str) -> Arrays:
    """`(x_train, y_train), (x_test, y_test)` exactly as `keras.datasets.<name>.load_data()` returns them.

    Read-only arrays, cached per process: the judge loads MNIST once for a whole class.
    """
    source = locate(name)
    if source is None:
        raise DatasetUnavailable(how_to_get_message(name))
    return _load_cached(name, str(source.path))


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


# -- serving a runner -----------------------------------------------------------------------------
def serve(names: list[str] | tuple[str, ...], *, train: int | None = None,
          test: int | None = None) -> dict[str, dict]:
    """What the runner's `load_data()` reads: {dataset: {"path", "train", "test", "synthetic"}}.

    `path` is what Keras' own `get_file` would return for `mnist` (the `.npz` file) and
    `fashion_mnist` (the folder of the four `.gz`). For `cifar10` it is the `cifar-10-batches-py`
    folder or an npz in Keras' layout, read by the runner's own `load_data` (Keras' reader wants
    exactly 5 x 10 000 images, so could serve no subset). `synthetic: True` marks generated images.
    For `names` (the assignment's datasets) under a budget, `train` and `test` say how many leading
    examples the runner serves (`subset_files` writes them there), so the rest of the test set
    stays with the judge as held-out images. Other datasets found on the machine are served whole.
    """
    served: dict[str, dict] = {}
    for name in NAMES:
        source = locate(name)
        if source is None:
            continue
        entry: dict = {"path": str(source.path)}
        if source.synthetic:
            entry["synthetic"] = True
        if name in names:
            entry.update({k: int(v) for k, v in (("train", train), ("test", test)) if v})
        served[name] = entry
    return served


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


def status(lang: str = "fr") -> list[tuple[str, Source | None, str]]:
    """(dataset, source or None, one line for an instructor, in `lang`) for every dataset."""
    rows = []
    for name in NAMES:
        source = locate(name)
        sep = ":" if lang == "en" else " :"
        line = f"{origin_text(source.origin, lang)}{sep} {source.path}" if source else how_to_get(name, lang)
        if source and source.synthetic:
            line += Message(f" — images générées pour les tests ; `grader data import {name}` pour le vrai jeu",
                            f" — images generated for tests; `grader data import {name}` for the real "
                            "dataset").get(lang)
        rows.append((name, source, line))
    return rows

