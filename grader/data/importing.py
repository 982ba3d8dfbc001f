"""`grader data import`: put a dataset where the grader looks first, from local files or Keras' origins.

Everything is validated (shapes, checksums where Keras has one) and written under a temporary
name, then moved into place: an interrupted import never leaves a copy that looks complete.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tarfile
import tempfile
import urllib.request
from collections.abc import Callable
from pathlib import Path

import numpy as np

from grader.data import catalogue, files, lookup
from grader.model import Message


class DatasetImportError(ValueError):
    """A dataset cannot be imported as asked; `str()` is the English, `text(lang)` either language."""

    def __init__(self, fr: str, en: str):
        self.message = Message(fr, en)
        super().__init__(en)

    def text(self, lang: str = "fr") -> str:
        return self.message.get(lang)

Fetch = Callable[[str, Path], None]
_IDX = {"x_train": "train-images-idx3-ubyte", "y_train": "train-labels-idx1-ubyte",
        "x_test": "t10k-images-idx3-ubyte", "y_test": "t10k-labels-idx1-ubyte"}


def download(url: str, target: Path, timeout: float = 30.0) -> None:
    """Stream `url` to `target` (network needed; never called by the tests)."""
    with urllib.request.urlopen(url, timeout=timeout) as response, open(target, "wb") as f:  # noqa: S310
        shutil.copyfileobj(response, f, 1 << 20)


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


def import_dataset(name: str, src: Path | None = None, *, dest_root: Path | None = None,
                   fetch: Fetch = download) -> lookup.Source:
    """Copy (or download, when `src` is None) `name` into `dest_root` (default `GRADER_DATA_DIR`)."""
    if name not in catalogue.NAMES:
        raise DatasetImportError(f"jeu de données inconnu {name!r} ; connus : {', '.join(catalogue.NAMES)}",
                                 f"unknown dataset {name!r}; known: {', '.join(catalogue.NAMES)}")
    dest_root = Path(dest_root) if dest_root else lookup.data_dir()
    dest_root.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=dest_root, prefix=".import-") as tmp_name:
        tmp = Path(tmp_name)
        if src is None:
            src = _fetch_all(name, tmp, fetch)
        staged = {"mnist": _stage_mnist, "fashion_mnist": _stage_fashion, "cifar10": _stage_cifar}[name](
            Path(src), tmp / "staged")
        dest = dest_root / staged.name
        if dest.is_dir():
            shutil.rmtree(dest)
        os.replace(staged, dest)
    origin = "GRADER_DATA_DIR" if dest_root == lookup.data_dir() else str(dest_root)
    return lookup.Source(name, origin, dest)


def synthesize(name: str = "cifar10", *, train: int = 5000, test: int = 2000, seed: int = 0,
               dest_root: Path | None = None) -> lookup.Source:
    """Write a synthetic stand-in (`cifar10-synthetic.npz`) into `dest_root` (default: first data folder).

    For tests and CI where the real dataset cannot be had; the file carries a `synthetic` marker
    and `lookup.locate` uses it only where no real copy exists.
    """
    if name not in catalogue.SYNTHETIC_FILES:
        raise DatasetImportError(f"pas de substitut synthétique de {name!r} ; disponibles : "
                                 f"{', '.join(catalogue.SYNTHETIC_FILES)}",
                                 f"no synthetic {name!r}; available: {', '.join(catalogue.SYNTHETIC_FILES)}")
    from grader.data.synthetic import make_cifar10

    dest_root = Path(dest_root) if dest_root else lookup.data_dir()
    dest_root.mkdir(parents=True, exist_ok=True)
    (x_train, y_train), (x_test, y_test) = make_cifar10(train, test, seed)
    marker = {"generator": "grader.data.synthetic.make_cifar10", "seed": seed, "train": train, "test": test,
              "note": "images synthétiques, pas le vrai CIFAR-10"}
    dest = dest_root / catalogue.SYNTHETIC_FILES[name]
    fd, tmp_name = tempfile.mkstemp(dir=dest_root, prefix=".synth-", suffix=".npz")
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez(f, x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test,
                     **{catalogue.SYNTHETIC_KEY: np.array(json.dumps(marker))})
        os.chmod(tmp_name, 0o644)  # mkstemp's 0600 would hide it from a runner under its own uid
        os.replace(tmp_name, dest)
    finally:
        if os.path.exists(tmp_name):
            os.unlink(tmp_name)
    return lookup.Source(name, catalogue.SYNTHETIC_ORIGIN, dest, synthetic=True)


def _fetch_all(name: str, tmp: Path, fetch: Fetch) -> Path:
    folder = tmp / "download"
    folder.mkdir()
    for url, digest in catalogue.ORIGINS[name]:
        target = folder / url.rsplit("/", 1)[1]
        fetch(url, target)
        if digest and sha256(target) != digest:
            raise DatasetImportError(f"{url} : sha256 différent (téléchargement corrompu ou partiel)",
                                     f"{url}: sha256 mismatch (corrupt or partial download)")
    return folder / "mnist.npz" if name == "mnist" else (
        folder / "cifar-10-python.tar.gz" if name == "cifar10" else folder)


def _stage_mnist(src: Path, staged: Path) -> Path:
    """A Keras-layout `mnist.npz` from an npz or a folder of the four official IDX files."""
    staged.mkdir()
    out = staged / "mnist.npz"
    if src.is_file():
        files.read_mnist_npz(src)
        shutil.copyfile(src, out)
        return out
    arrays = {key: files.read_idx(_find_idx(src, stem)) for key, stem in _IDX.items()}
    np.savez_compressed(out, **arrays)
    files.read_mnist_npz(out)
    return out


def _find_idx(folder: Path, stem: str) -> Path:
    for name in (f"{stem}.gz", stem, stem.replace("-idx", ".idx")):
        if (folder / name).is_file():
            return folder / name
    raise DatasetImportError(f"{folder} : {stem}(.gz) introuvable", f"{folder}: {stem}(.gz) not found")


def _stage_fashion(src: Path, staged: Path) -> Path:
    out = staged / "fashion-mnist"
    out.mkdir(parents=True)
    for fname in catalogue.FASHION_FILES:
        path = _find_idx(src, fname[:-3])
        arr = files.read_idx(path)
        if path.suffix == ".gz":
            shutil.copyfile(path, out / fname)
        else:
            files.write_idx(out / fname, arr)
    if files.read_idx(out / catalogue.FASHION_FILES[0]).shape[1:] != (28, 28):
        raise DatasetImportError(f"{src} : les images ne font pas 28 x 28", f"{src}: images are not 28 x 28")
    return out


def _stage_cifar(src: Path, staged: Path) -> Path:
    """From `cifar-10-python.tar.gz` (only its `cifar-10-batches-py/` files) or that folder."""
    staged.mkdir()
    out = staged / "cifar-10-batches-py"
    if src.is_file():
        with tarfile.open(src, "r:*") as tar:
            members = [m for m in tar.getmembers()
                       if m.isfile() and Path(m.name).parent.name == "cifar-10-batches-py" and ".." not in m.name]
            out.mkdir()
            for m in members:
                f = tar.extractfile(m)
                assert f is not None
                (out / Path(m.name).name).write_bytes(f.read())
    else:
        folder = src if (src / "data_batch_1").is_file() else src / "cifar-10-batches-py"
        shutil.copytree(folder, out)
    if not lookup.complete("cifar10", out):
        raise DatasetImportError(f"{src} : lots CIFAR-10 manquants ({', '.join(catalogue.CIFAR_BATCHES)})",
                                 f"{src}: missing CIFAR-10 batches ({', '.join(catalogue.CIFAR_BATCHES)})")
    files.read_cifar_batch(out / "test_batch")
    return out


def ensure(name: str, *, download: bool = True) -> lookup.Source:
    """A usable copy, downloading it into `data_dir()` where there is network; else DatasetUnavailable
    (lookup is `grader.data.lookup`, which never imports this network code)."""
    source = lookup.locate(name)
    if source is None and download:
        try:
            source = import_dataset(name)
        except (OSError, ValueError) as e:
            steps = lookup.how_to_get_message(name)
            raise lookup.DatasetUnavailable(Message(f"{steps.fr} (téléchargement impossible : {e})",
                                             f"{steps.en} (download impossible: {e})")) from e
    if source is None:
        raise lookup.DatasetUnavailable(lookup.how_to_get_message(name))
    return source
