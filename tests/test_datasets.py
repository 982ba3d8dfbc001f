"""Offline datasets: search order, Keras-identical loading, imports (never the network), served subsets."""

from __future__ import annotations

import io
import pickle
import tarfile
from pathlib import Path

import numpy as np
import pytest
from conftest import SHARED_DATA

from grader import dataset_import, datasets


@pytest.fixture
def roots(tmp_path, monkeypatch):
    """Three empty locations standing for GRADER_DATA_DIR, the Keras cache and Debian's folder."""
    paths = {k: tmp_path / k for k in ("data", "keras", "debian")}
    for p in paths.values():
        p.mkdir()
    monkeypatch.setenv("GRADER_DATA_DIR", str(paths["data"]))
    monkeypatch.setenv("KERAS_HOME", str(paths["keras"]))
    monkeypatch.setattr(datasets, "DEBIAN_ROOT", paths["debian"])
    datasets._load_cached.cache_clear()
    return {"data": paths["data"], "keras": paths["keras"] / "datasets", "debian": paths["debian"]}


def fake_mnist(n_train: int = 50, n_test: int = 20, seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {"x_train": rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
            "y_train": rng.integers(0, 10, n_train, dtype=np.uint8),
            "x_test": rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
            "y_test": rng.integers(0, 10, n_test, dtype=np.uint8)}


def write_fashion(folder: Path, arrays: dict[str, np.ndarray]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for fname, key in zip(datasets.FASHION_FILES, ("x_train", "y_train", "x_test", "y_test"), strict=True):
        datasets.write_idx(folder / fname, arrays[key])
    return folder


def write_cifar(folder: Path, per_batch: int = 4) -> Path:
    """Batches in the original format: py2-style pickles with bytes keys, data (n, 3072) channels-first."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(1)
    for name in datasets.CIFAR_BATCHES:
        batch = {b"data": rng.integers(0, 256, (per_batch, 3072), dtype=np.uint8),
                 b"labels": [int(v) for v in rng.integers(0, 10, per_batch)], b"batch_label": b"x"}
        (folder / name).write_bytes(pickle.dumps(batch, protocol=2))
    return folder


def test_search_order_data_dir_then_keras_cache_then_debian(roots):
    assert datasets.locate("fashion_mnist") is None
    write_fashion(roots["debian"] / "fashion-mnist", fake_mnist(seed=1))
    assert datasets.locate("fashion_mnist").origin == "Debian"
    write_fashion(roots["keras"] / "fashion-mnist", fake_mnist(seed=2))
    assert datasets.locate("fashion_mnist").origin == "cache Keras"
    write_fashion(roots["data"] / "fashion-mnist", fake_mnist(seed=3))
    source = datasets.locate("fashion_mnist")
    assert source.origin == "GRADER_DATA_DIR" and source.path == roots["data"] / "fashion-mnist"
    (x_train, _), _ = datasets.load("fashion_mnist")
    assert np.array_equal(x_train, fake_mnist(seed=3)["x_train"])


def test_incomplete_copies_are_skipped(roots):
    folder = write_fashion(roots["data"] / "fashion-mnist", fake_mnist())
    (folder / datasets.FASHION_FILES[3]).unlink()
    assert datasets.locate("fashion_mnist") is None


def test_mnist_npz_loads_like_keras(roots):
    np.savez(roots["data"] / "mnist.npz", **fake_mnist())
    (x_train, y_train), (x_test, y_test) = datasets.load("mnist")
    assert x_train.shape == (50, 28, 28) and x_train.dtype == np.uint8 and y_test.shape == (20,)
    assert not x_train.flags.writeable  # cached for the whole class: nobody may edit it


def test_cifar_batches_in_both_keras_layouts(roots):
    write_cifar(roots["keras"] / "cifar-10-batches-py-target" / "cifar-10-batches-py")  # Keras 3
    assert datasets.locate("cifar10").origin == "cache Keras"
    (x_train, y_train), (x_test, y_test) = datasets.load("cifar10")
    assert x_train.shape == (20, 32, 32, 3) and y_train.shape == (20, 1) and x_test.shape == (4, 32, 32, 3)
    raw = datasets._ArrayUnpickler(open(roots["keras"] / "cifar-10-batches-py-target/cifar-10-batches-py/test_batch",
                                        "rb"), encoding="bytes").load()[b"data"]
    assert np.array_equal(x_test[0, :, :, 0].ravel(), raw[0, :1024])  # channels-last, like Keras
    write_cifar(roots["data"] / "cifar-10-batches-py")  # Keras 2 / `grader data import`
    assert datasets.locate("cifar10").path == roots["data"] / "cifar-10-batches-py"


def test_cifar_pickles_may_hold_arrays_only(tmp_path):
    class Evil:
        def __reduce__(self):
            return (print, ("pwned",))

    path = tmp_path / "data_batch_1"
    path.write_bytes(pickle.dumps({b"data": Evil(), b"labels": []}))
    with pytest.raises(pickle.UnpicklingError, match="forbidden"):
        datasets.read_cifar_batch(path)


def test_missing_dataset_says_how_to_get_it(roots):
    with pytest.raises(datasets.DatasetUnavailable) as e:
        datasets.ensure("fashion_mnist", download=False)
    assert "apt-get install dataset-fashion-mnist" in str(e.value) and "grader data import" in str(e.value)
    rows = {name: line for name, source, line in datasets.status()}
    assert "introuvable" in rows["mnist"]


def test_serve_sizes_only_the_assignments_datasets(roots):
    np.savez(roots["data"] / "mnist.npz", **fake_mnist())
    write_fashion(roots["debian"] / "fashion-mnist", fake_mnist())
    write_cifar(roots["data"] / "cifar-10-batches-py")
    served = datasets.serve(["mnist", "cifar10"], train=30, test=10)
    assert served["mnist"] == {"path": str(roots["data"] / "mnist.npz"), "train": 30, "test": 10}
    assert served["fashion_mnist"] == {"path": str(roots["debian"] / "fashion-mnist")}
    assert served["cifar10"] == {"path": str(roots["data"])}  # Keras joins "cifar-10-batches-py"; never cut


def test_subset_files_keep_the_leading_examples(roots, tmp_path):
    arrays = fake_mnist()
    np.savez(roots["data"] / "mnist.npz", **arrays)
    out = datasets.subset_files("mnist", roots["data"] / "mnist.npz", tmp_path / "s", train=30, test=5)
    with np.load(out) as f:
        assert np.array_equal(f["x_train"], arrays["x_train"][:30]) and np.array_equal(f["y_test"], arrays["y_test"][:5])
    folder = write_fashion(roots["data"] / "fashion-mnist", arrays)
    out = datasets.subset_files("fashion_mnist", folder, tmp_path / "f", train=None, test=7)
    assert datasets.read_idx(out / "t10k-images-idx3-ubyte.gz").shape == (7, 28, 28)
    assert datasets.read_idx(out / "train-labels-idx1-ubyte.gz").shape == (50,)


def test_import_mnist_from_idx_files_and_npz(roots, tmp_path):
    arrays = fake_mnist()
    idx = tmp_path / "idx"
    idx.mkdir()
    for key, stem in dataset_import._IDX.items():
        datasets.write_idx(idx / f"{stem}.gz", arrays[key])
    source = dataset_import.import_dataset("mnist", idx)
    assert source.path == roots["data"] / "mnist.npz" and datasets.locate("mnist") == source
    (x_train, _), (_, y_test) = datasets.load("mnist")
    assert np.array_equal(x_train, arrays["x_train"]) and np.array_equal(y_test, arrays["y_test"])
    other = tmp_path / "other"
    copied = dataset_import.import_dataset("mnist", roots["data"] / "mnist.npz", dest_root=other)
    assert copied.path == other / "mnist.npz" and copied.origin == str(other)
    bad = tmp_path / "bad.npz"
    np.savez(bad, x_train=np.zeros((2, 5, 5)), y_train=np.zeros(2), x_test=np.zeros((1, 5, 5)), y_test=np.zeros(1))
    with pytest.raises(ValueError, match="not an MNIST"):
        dataset_import.import_dataset("mnist", bad, dest_root=tmp_path / "nope")
    assert not (tmp_path / "nope" / "mnist.npz").exists()


def test_import_cifar_from_the_official_tarball(roots, tmp_path):
    batches = write_cifar(tmp_path / "src" / "cifar-10-batches-py")
    tarball = tmp_path / "cifar-10-python.tar.gz"
    with tarfile.open(tarball, "w:gz") as tar:
        tar.add(batches, arcname="cifar-10-batches-py")
        evil = tarfile.TarInfo("cifar-10-batches-py/../../escape")
        evil.size = 1
        tar.addfile(evil, io.BytesIO(b"x"))
    source = dataset_import.import_dataset("cifar10", tarball)
    assert source.path == roots["data"] / "cifar-10-batches-py" and datasets.locate("cifar10") == source
    assert not list(tmp_path.rglob("escape"))


def test_download_uses_keras_origins_and_checks_their_hash(roots, tmp_path):
    arrays = fake_mnist()
    fetched = []

    def fake_fetch(url: str, target: Path) -> None:  # no network in tests
        fetched.append(url)
        np.savez(target, **arrays)

    with pytest.raises(ValueError, match="sha256"):
        dataset_import.import_dataset("mnist", fetch=fake_fetch)
    assert fetched == [datasets.ORIGINS["mnist"][0][0]] and datasets.locate("mnist") is None

    def fashion_fetch(url: str, target: Path) -> None:
        key = dict(zip(datasets.FASHION_FILES, ("x_train", "y_train", "x_test", "y_test"), strict=True))
        datasets.write_idx(target, arrays[key[target.name]])

    source = dataset_import.import_dataset("fashion_mnist", fetch=fashion_fetch)
    assert source.path == roots["data"] / "fashion-mnist" and datasets.load("fashion_mnist")[1][1].shape == (20,)


@pytest.mark.skipif(not (SHARED_DATA / "mnist.npz").is_file(), reason="no offline MNIST beside the repo")
def test_real_offline_copies(monkeypatch):
    monkeypatch.setenv("GRADER_DATA_DIR", str(SHARED_DATA))
    (x_train, y_train), (x_test, y_test) = datasets.load("mnist")
    assert x_train.shape == (60000, 28, 28) and x_test.shape == (10000, 28, 28) and x_train.dtype == np.uint8
    assert y_train[:5].tolist() == [5, 0, 4, 1, 9]
    (fx, fy), _ = datasets.load("fashion_mnist")
    assert fx.shape == (60000, 28, 28) and int(fy.max()) == 9
