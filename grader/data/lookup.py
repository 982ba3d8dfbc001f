"""Where a dataset is on this machine, and loading it for the judge, without network.

Searched in order: the folders of `$GRADER_DATA_DIR` (several may be given, separated by
`os.pathsep`; default `~/.local/share/tp-grader/datasets`), the Keras cache (`$KERAS_HOME/datasets`,
default `~/.keras/datasets`), Debian's dataset packages (`/usr/share/datasets`); downloading is
`grader.data.importing`'s, never this module's. Every location uses the Keras cache layout, so a
folder copied from a laptop's `~/.keras/datasets` works as it is.

CIFAR-10 cannot be had offline; `grader data synthesize cifar10` writes a synthetic stand-in
(`cifar10-synthetic.npz`, see `grader.data.synthetic`) to the data folder. It is used only where no
real copy exists anywhere, and its `Source.synthetic` is set so that every report says so.
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from pathlib import Path

from grader.data.catalogue import (
    CIFAR_BATCHES,
    FASHION_FILES,
    NAMES,
    SYNTHETIC_FILES,
    SYNTHETIC_ORIGIN,
    TITLES,
    check_name,
    origin_text,
)
from grader.data.files import Arrays, read_cifar, read_idx, read_mnist_npz
from grader.model import Message, MessageError

DEBIAN_ROOT = Path("/usr/share/datasets")


class DatasetUnavailable(MessageError):
    """No copy of a dataset on this machine; `message` says exactly how to get one, in French and English."""


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
    check_name(name)
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
    check_name(name)
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
