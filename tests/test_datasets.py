"""Offline datasets: search order, Keras-identical loading, imports (never the network), served subsets."""

from __future__ import annotations

import io
import os
import pickle
import tarfile
from pathlib import Path

import numpy as np
import pytest
from conftest import SHARED_DATA

from grader.data import catalogue, files, importing, lookup, serving, synthetic


@pytest.fixture
def roots(tmp_path, monkeypatch):
    """Three empty locations standing for GRADER_DATA_DIR, the Keras cache and Debian's folder."""
    paths = {k: tmp_path / k for k in ("data", "keras", "debian")}
    for p in paths.values():
        p.mkdir()
    monkeypatch.setenv("GRADER_DATA_DIR", str(paths["data"]))
    monkeypatch.setenv("KERAS_HOME", str(paths["keras"]))
    monkeypatch.setattr(lookup, "DEBIAN_ROOT", paths["debian"])
    lookup._load_cached.cache_clear()
    return {"data": paths["data"], "keras": paths["keras"] / "datasets", "debian": paths["debian"]}


def fake_mnist(n_train: int = 50, n_test: int = 20, seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {"x_train": rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
            "y_train": rng.integers(0, 10, n_train, dtype=np.uint8),
            "x_test": rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
            "y_test": rng.integers(0, 10, n_test, dtype=np.uint8)}


def write_fashion(folder: Path, arrays: dict[str, np.ndarray]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for fname, key in zip(catalogue.FASHION_FILES, ("x_train", "y_train", "x_test", "y_test"), strict=True):
        files.write_idx(folder / fname, arrays[key])
    return folder


def write_cifar(folder: Path, per_batch: int = 4) -> Path:
    """Batches in the original format: py2-style pickles with bytes keys, data (n, 3072) channels-first."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(1)
    for name in catalogue.CIFAR_BATCHES:
        batch = {b"data": rng.integers(0, 256, (per_batch, 3072), dtype=np.uint8),
                 b"labels": [int(v) for v in rng.integers(0, 10, per_batch)], b"batch_label": b"x"}
        (folder / name).write_bytes(pickle.dumps(batch, protocol=2))
    return folder


def test_search_order_data_dir_then_keras_cache_then_debian(roots):
    assert lookup.locate("fashion_mnist") is None
    write_fashion(roots["debian"] / "fashion-mnist", fake_mnist(seed=1))
    assert lookup.locate("fashion_mnist").origin == "Debian"
    write_fashion(roots["keras"] / "fashion-mnist", fake_mnist(seed=2))
    assert lookup.locate("fashion_mnist").origin == "cache Keras"
    write_fashion(roots["data"] / "fashion-mnist", fake_mnist(seed=3))
    source = lookup.locate("fashion_mnist")
    assert source.origin == "GRADER_DATA_DIR" and source.path == roots["data"] / "fashion-mnist"
    (x_train, _), _ = lookup.load("fashion_mnist")
    assert np.array_equal(x_train, fake_mnist(seed=3)["x_train"])


def test_incomplete_copies_are_skipped(roots):
    folder = write_fashion(roots["data"] / "fashion-mnist", fake_mnist())
    (folder / catalogue.FASHION_FILES[3]).unlink()
    assert lookup.locate("fashion_mnist") is None


def test_mnist_npz_loads_like_keras(roots):
    np.savez(roots["data"] / "mnist.npz", **fake_mnist())
    (x_train, y_train), (x_test, y_test) = lookup.load("mnist")
    assert x_train.shape == (50, 28, 28) and x_train.dtype == np.uint8 and y_test.shape == (20,)
    assert not x_train.flags.writeable  # cached for the whole class: nobody may edit it


def test_cifar_batches_in_both_keras_layouts(roots):
    write_cifar(roots["keras"] / "cifar-10-batches-py-target" / "cifar-10-batches-py")  # Keras 3
    assert lookup.locate("cifar10").origin == "cache Keras"
    (x_train, y_train), (x_test, y_test) = lookup.load("cifar10")
    assert x_train.shape == (20, 32, 32, 3) and y_train.shape == (20, 1) and x_test.shape == (4, 32, 32, 3)
    raw = files._ArrayUnpickler(open(roots["keras"] / "cifar-10-batches-py-target/cifar-10-batches-py/test_batch",
                                        "rb"), encoding="bytes").load()[b"data"]
    assert np.array_equal(x_test[0, :, :, 0].ravel(), raw[0, :1024])  # channels-last, like Keras
    write_cifar(roots["data"] / "cifar-10-batches-py")  # Keras 2 / `grader data import`
    assert lookup.locate("cifar10").path == roots["data"] / "cifar-10-batches-py"


def test_cifar_pickles_may_hold_arrays_only(tmp_path):
    class Evil:
        def __reduce__(self):
            return (print, ("pwned",))

    path = tmp_path / "data_batch_1"
    path.write_bytes(pickle.dumps({b"data": Evil(), b"labels": []}))
    with pytest.raises(pickle.UnpicklingError, match="forbidden"):
        files.read_cifar_batch(path)


def test_missing_dataset_says_how_to_get_it(roots):
    with pytest.raises(lookup.DatasetUnavailable) as e:
        importing.ensure("fashion_mnist", download=False)
    assert "apt-get install dataset-fashion-mnist" in str(e.value) and "grader data import" in str(e.value)
    rows = {name: line for name, source, line in lookup.status()}
    assert "introuvable" in rows["mnist"]


def test_serve_sizes_only_the_assignments_datasets(roots):
    np.savez(roots["data"] / "mnist.npz", **fake_mnist())
    write_fashion(roots["debian"] / "fashion-mnist", fake_mnist())
    write_cifar(roots["data"] / "cifar-10-batches-py")
    served = serving.serve(["mnist", "cifar10"], train=30, test=10)
    assert served["mnist"] == {"path": str(roots["data"] / "mnist.npz"), "train": 30, "test": 10}
    assert served["fashion_mnist"] == {"path": str(roots["debian"] / "fashion-mnist")}
    # read by the runner's own `load_data` (Keras' reader wants 5 x 10 000 images): cut like the others
    assert served["cifar10"] == {"path": str(roots["data"] / "cifar-10-batches-py"), "train": 30, "test": 10}


def test_subset_files_keep_the_leading_examples(roots, tmp_path):
    arrays = fake_mnist()
    np.savez(roots["data"] / "mnist.npz", **arrays)
    out = files.subset_files("mnist", roots["data"] / "mnist.npz", tmp_path / "s", train=30, test=5)
    with np.load(out) as f:
        assert np.array_equal(f["x_train"], arrays["x_train"][:30]) and np.array_equal(f["y_test"], arrays["y_test"][:5])
    folder = write_fashion(roots["data"] / "fashion-mnist", arrays)
    out = files.subset_files("fashion_mnist", folder, tmp_path / "f", train=None, test=7)
    assert files.read_idx(out / "t10k-images-idx3-ubyte.gz").shape == (7, 28, 28)
    assert files.read_idx(out / "train-labels-idx1-ubyte.gz").shape == (50,)


def test_subset_files_cut_cifar10_to_one_npz(roots, tmp_path):
    folder = write_cifar(roots["data"] / "cifar-10-batches-py")
    (x_train, y_train), (x_test, _) = files.read_cifar(folder)
    out = files.subset_files("cifar10", folder, tmp_path / "c", train=7, test=3)
    assert out == tmp_path / "c" / "cifar10.npz" and files.synthetic_marker(out) is None
    (sx, sy), (tx, ty) = files.read_cifar(out)
    assert np.array_equal(sx, x_train[:7]) and np.array_equal(sy, y_train[:7]) and np.array_equal(tx, x_test[:3])
    assert ty.shape == (3, 1) and ty.dtype == np.uint8


def test_import_mnist_from_idx_files_and_npz(roots, tmp_path):
    arrays = fake_mnist()
    idx = tmp_path / "idx"
    idx.mkdir()
    for key, stem in importing._IDX.items():
        files.write_idx(idx / f"{stem}.gz", arrays[key])
    source = importing.import_dataset("mnist", idx)
    assert source.path == roots["data"] / "mnist.npz" and lookup.locate("mnist") == source
    (x_train, _), (_, y_test) = lookup.load("mnist")
    assert np.array_equal(x_train, arrays["x_train"]) and np.array_equal(y_test, arrays["y_test"])
    other = tmp_path / "other"
    copied = importing.import_dataset("mnist", roots["data"] / "mnist.npz", dest_root=other)
    assert copied.path == other / "mnist.npz" and copied.origin == str(other)
    bad = tmp_path / "bad.npz"
    np.savez(bad, x_train=np.zeros((2, 5, 5)), y_train=np.zeros(2), x_test=np.zeros((1, 5, 5)), y_test=np.zeros(1))
    with pytest.raises(ValueError, match="not an MNIST"):
        importing.import_dataset("mnist", bad, dest_root=tmp_path / "nope")
    assert not (tmp_path / "nope" / "mnist.npz").exists()


def test_import_cifar_from_the_official_tarball(roots, tmp_path):
    batches = write_cifar(tmp_path / "src" / "cifar-10-batches-py")
    tarball = tmp_path / "cifar-10-python.tar.gz"
    with tarfile.open(tarball, "w:gz") as tar:
        tar.add(batches, arcname="cifar-10-batches-py")
        evil = tarfile.TarInfo("cifar-10-batches-py/../../escape")
        evil.size = 1
        tar.addfile(evil, io.BytesIO(b"x"))
    source = importing.import_dataset("cifar10", tarball)
    assert source.path == roots["data"] / "cifar-10-batches-py" and lookup.locate("cifar10") == source
    assert not list(tmp_path.rglob("escape"))


def test_download_uses_keras_origins_and_checks_their_hash(roots, tmp_path):
    arrays = fake_mnist()
    fetched = []

    def fake_fetch(url: str, target: Path) -> None:  # no network in tests
        fetched.append(url)
        np.savez(target, **arrays)

    with pytest.raises(ValueError, match="sha256"):
        importing.import_dataset("mnist", fetch=fake_fetch)
    assert fetched == [catalogue.ORIGINS["mnist"][0][0]] and lookup.locate("mnist") is None

    def fashion_fetch(url: str, target: Path) -> None:
        key = dict(zip(catalogue.FASHION_FILES, ("x_train", "y_train", "x_test", "y_test"), strict=True))
        files.write_idx(target, arrays[key[target.name]])

    source = importing.import_dataset("fashion_mnist", fetch=fashion_fetch)
    assert source.path == roots["data"] / "fashion-mnist" and lookup.load("fashion_mnist")[1][1].shape == (20,)


@pytest.mark.skipif(not (SHARED_DATA / "mnist.npz").is_file(), reason="no offline MNIST beside the repo")
def test_real_offline_copies(monkeypatch):
    monkeypatch.setenv("GRADER_DATA_DIR", str(SHARED_DATA))
    (x_train, y_train), (x_test, y_test) = lookup.load("mnist")
    assert x_train.shape == (60000, 28, 28) and x_test.shape == (10000, 28, 28) and x_train.dtype == np.uint8
    assert y_train[:5].tolist() == [5, 0, 4, 1, 9]
    (fx, fy), _ = lookup.load("fashion_mnist")
    assert fx.shape == (60000, 28, 28) and int(fy.max()) == 9


# -- the synthetic CIFAR-10 (real CIFAR-10 cannot be had offline) ---------------------------------------
def test_synthetic_cifar10_layout_balance_and_determinism():
    (x_train, y_train), (x_test, y_test) = synthetic.make_cifar10(200, 100, seed=3)
    assert x_train.shape == (200, 32, 32, 3) and x_test.shape == (100, 32, 32, 3) and x_train.dtype == np.uint8
    assert y_train.shape == (200, 1) and y_test.shape == (100, 1) and y_train.dtype == np.uint8
    assert np.bincount(y_train.ravel()).tolist() == [20] * 10 and np.bincount(y_test.ravel()).tolist() == [10] * 10
    _, (test_again, _) = synthetic.make_cifar10(50, 100, seed=3)
    assert np.array_equal(test_again, x_test)  # the test set does not depend on the training size
    (same, _), _ = synthetic.make_cifar10(200, 100, seed=3)
    (other, _), _ = synthetic.make_cifar10(200, 100, seed=4)
    assert np.array_equal(same, x_train) and not np.array_equal(other, x_train)
    assert 40 < x_train.mean() < 200 and x_train.std() > 30  # neither blank nor saturated


def test_synthetic_cifar10_is_learnable_but_not_trivial():
    """Cheap proxies (the Keras figures are in the module's docs): class means of 8 x 8 thumbnails are
    well above chance but far from perfect, and the colour alone does not tell the class."""
    (x_train, y_train), (x_test, y_test) = synthetic.make_cifar10(2000, 1000, seed=0)

    def nearest_mean(features, test_features) -> float:
        means = np.stack([features[y_train.ravel() == k].mean(0) for k in range(10)])
        pred = np.argmin(((test_features[:, None] - means[None]) ** 2).sum(-1), axis=1)
        return float((pred == y_test.ravel()).mean())

    def thumbs(x):
        return x.reshape(len(x), 8, 4, 8, 4, 3).mean((2, 4)).reshape(len(x), -1) / 255.0

    def colour(x):
        return x.reshape(len(x), -1, 3).mean(1) / 255.0

    assert 0.18 < nearest_mean(thumbs(x_train), thumbs(x_test)) < 0.6
    assert nearest_mean(colour(x_train), colour(x_test)) < 0.35


def test_locate_prefers_real_cifar_and_searches_every_data_dir(roots, tmp_path, monkeypatch):
    first, second = tmp_path / "d1", tmp_path / "d2"
    monkeypatch.setenv("GRADER_DATA_DIR", os.pathsep.join([str(first), str(second)]))
    assert lookup.data_dirs() == [first, second] and lookup.data_dir() == first
    synth = importing.synthesize("cifar10", train=30, test=20, seed=1, dest_root=second)
    source = lookup.locate("cifar10")
    assert source == synth and source.synthetic and source.path == second / "cifar10-synthetic.npz"
    assert source.origin == "synthétique (grader data synthesize) — pas le vrai CIFAR-10"
    (x_train, y_train), (x_test, _) = lookup.load("cifar10")
    (ex, ey), (et, _) = synthetic.make_cifar10(30, 20, seed=1)
    assert np.array_equal(x_train, ex) and np.array_equal(y_train, ey) and np.array_equal(x_test, et)
    assert files.synthetic_marker(source.path)["seed"] == 1
    assert serving.serve(["cifar10"], test=5)["cifar10"] == {"path": str(source.path), "synthetic": True, "test": 5}
    assert "synthétique" in dict((n, line) for n, _, line in lookup.status())["cifar10"]
    write_cifar(roots["keras"] / "cifar-10-batches-py")  # a real copy anywhere beats the synthetic one
    assert lookup.locate("cifar10") == lookup.Source("cifar10", "cache Keras", roots["keras"] / "cifar-10-batches-py")
    write_cifar(second / "cifar-10-batches-py")
    assert lookup.locate("cifar10").path == second / "cifar-10-batches-py"
    np.savez(second / "mnist.npz", **fake_mnist(seed=1))
    assert lookup.locate("mnist").path == second / "mnist.npz"
    first.mkdir()
    np.savez(first / "mnist.npz", **fake_mnist(seed=2))
    assert lookup.locate("mnist") == lookup.Source("mnist", "GRADER_DATA_DIR", first / "mnist.npz")


def test_cli_data_synthesize_and_status(roots, tmp_path, capsys):
    from grader import cli

    assert cli.main(["data", "synthesize", "cifar10", "--train", "40", "--test", "20"]) == 0
    path = roots["data"] / "cifar10-synthetic.npz"
    assert lookup.locate("cifar10") == lookup.Source("cifar10", catalogue.SYNTHETIC_ORIGIN, path, synthetic=True)
    (x_train, _), (x_test, y_test) = lookup.load("cifar10")
    assert x_train.shape == (40, 32, 32, 3) and y_test.shape == (20, 1)
    assert "SYNTHÉTIQUE" in capsys.readouterr().err
    assert cli.main(["data", "status"]) == 0
    assert "synthétique" in " ".join(capsys.readouterr().out.split())
    assert cli.main(["data", "synthesize", "cifar10", "--train", "10", "--test", "10", "--dir", str(tmp_path / "o")]) == 0
    assert files.read_cifar(tmp_path / "o" / "cifar10-synthetic.npz")[0][0].shape == (10, 32, 32, 3)


def test_prepare_records_a_synthetic_dataset(roots, monkeypatch):
    import dataclasses

    from grader import assignments, budget
    from grader.grading import plan as grading

    importing.synthesize("cifar10", train=30, test=20, dest_root=roots["data"])
    real_plan = budget.plan
    monkeypatch.setattr(grading.budget_mod, "plan", lambda a, **k: dataclasses.replace(real_plan(a, **k),
                                                                                       datasets=("cifar10",)))
    _, limits, ctx = grading.prepare(assignments.load("tp-tenseurs").assignment, profile="cpu")
    assert ctx.options["synthetic_datasets"] == ["cifar10"] and limits.datasets["cifar10"]["synthetic"] is True


def test_the_test_session_cannot_reach_the_network():
    """conftest's guard: a download attempted by any test (Keras' loaders included) fails at once."""
    import socket

    with pytest.raises(ConnectionRefusedError, match="network"):
        socket.create_connection(("93.184.216.34", 443), timeout=1)
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s, pytest.raises(ConnectionRefusedError):
        s.connect_ex(("8.8.8.8", 53))


def test_data_status_follows_lang(roots, capsys):
    from grader import cli

    assert cli.main(["data", "status", "--lang", "en"]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "not found" in out and "To get it" in out and "introuvable" not in out and "Jeux" not in out
    assert cli.main(["data", "status"]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "introuvable" in out and "not found" not in out
    with pytest.raises(lookup.DatasetUnavailable) as e:
        importing.ensure("mnist", download=False)
    assert e.value.message.fr.startswith("MNIST introuvable") and e.value.message.en.startswith("MNIST not found")
