"""Runner patches in-process (no TensorFlow): served datasets, `fit` caps, the post-import hook.

The same patches on real Keras, in a real runner, are exercised by tests/test_tp_mnist_dense.py.
"""

from __future__ import annotations

import sys
import types

import numpy as np
import pytest

from grader.data import catalogue, files
from grader.runner import patches


@pytest.fixture(autouse=True)
def fresh(tmp_path):
    patches._caps.clear()
    patches.take_notes()
    patches._subset.cache_clear()
    yield
    patches.install({})
    patches.uninstall_hook()


def _bind(**kwargs) -> dict:
    a = dict(kwargs)
    patches._cap_call(a, {"epochs": 1, "initial_epoch": 0})
    return a


def test_epochs_and_training_examples_are_capped():
    patches.install({"budget": {"profile": "cpu", "epochs": 2, "train_size": 100}})
    x, y = np.zeros((1000, 28, 28)), np.arange(1000)
    a = {"x": x, "y": y, "epochs": 5}
    record = patches._cap_call(a, {"epochs": 1})
    assert a["epochs"] == 2 and a["x"].shape == (100, 28, 28) and a["y"].tolist() == list(range(100))
    assert record == {"epochs": [5, 2], "train_size": [1000, 100], "profile": "CPU"}
    assert patches._describe(record) == {
        "fr": "Budget CPU du correcteur : entraînement limité à 2 époque(s) (5 demandées), sur 100 exemples "
              "(1 000 fournis).",
        "en": "The grader's CPU budget: training limited to 2 epoch(s) (5 asked), on 100 examples (1,000 given)."}


def test_large_batches_are_capped_so_a_short_budget_still_trains():
    patches.install({"budget": {"profile": "cpu", "epochs": 1, "max_batch_size": 64}})
    a = {"x": np.zeros((1000, 4)), "y": np.zeros(1000), "epochs": 1, "batch_size": 512}
    record = patches._cap_call(a, {"epochs": 1})
    assert a["batch_size"] == 64 and record["batch_size"] == [512, 64]
    assert "lots de 64 exemples (512 demandés)" in patches._describe(record)["fr"]
    assert "batches of 64 examples (512 asked)" in patches._describe(record)["en"]
    small = {"x": np.zeros((1000, 4)), "y": np.zeros(1000), "epochs": 1, "batch_size": 32}
    assert patches._cap_call(small, {"epochs": 1}) == {} and small["batch_size"] == 32


def test_within_budget_nothing_changes():
    patches.install({"budget": {"epochs": 2, "train_size": 100}})
    a = {"x": np.zeros((50, 3)), "y": np.zeros(50), "epochs": 2}
    assert patches._cap_call(a, {}) == {} and a["x"].shape == (50, 3)


def test_validation_split_keeps_the_training_part_at_the_cap():
    patches.install({"budget": {"train_size": 90}})
    a = {"x": np.zeros((1000, 4)), "y": np.zeros(1000), "validation_split": 0.1}
    record = patches._cap_call(a, {})
    assert len(a["x"]) == 100 and record["train_size"] == [900, 90]


def test_inputs_as_lists_dicts_and_validation_data():
    patches.install({"budget": {"train_size": 10, "validation_size": 5}})
    a = {"x": {"img": np.zeros((40, 2)), "meta": np.zeros((40, 1))}, "y": [np.zeros(40), np.ones(40)],
         "validation_data": (np.zeros((30, 2)), np.zeros(30))}
    record = patches._cap_call(a, {})
    assert a["x"]["img"].shape == (10, 2) and [len(v) for v in a["y"]] == [10, 10]
    assert [len(v) for v in a["validation_data"]] == [5, 5] and record["validation_size"] == [30, 5]


def test_batched_inputs_get_fewer_steps():
    class Flow:  # like ImageDataGenerator.flow(...)
        batch_size = 32

        def __len__(self):
            return 100

    patches.install({"budget": {"train_size": 320}})
    a = {"x": Flow()}
    assert patches._cap_call(a, {}) == {"steps_per_epoch": 10, "profile": "CPU"} and a["steps_per_epoch"] == 10


def test_fit_wrapper_binds_positional_arguments():
    class Model:
        def fit(self, x=None, y=None, batch_size=None, epochs=1, verbose="auto"):
            return len(x), epochs

    patches.install({"budget": {"profile": "cpu", "epochs": 1, "train_size": 3}})
    module = types.SimpleNamespace(Model=Model)
    patches._patch_fit(module)
    assert Model().fit(np.zeros(10), np.zeros(10), 4, 7) == (3, 1)
    assert patches.caps()[0]["epochs"] == [7, 1]
    assert "1 époque(s) (7 demandées)" in patches.take_notes()[0]["fr"] and patches.take_notes() == []
    patches._patch_fit(module)  # idempotent
    assert Model().fit(np.zeros(10)) == (3, 1)


def test_no_budget_no_wrapper():
    class Model:
        def fit(self, x=None):
            return x

    patches.install({"budget": {"profile": "gpu"}})
    patches._patch_fit(types.SimpleNamespace(Model=Model))
    assert not hasattr(Model.fit, "_grader_capped")


def test_served_files_and_budget_subsets(tmp_path):
    arrays = {"x_train": np.arange(10 * 784, dtype=np.uint8).reshape(10, 28, 28), "y_train": np.arange(10) % 10,
              "x_test": np.zeros((4, 28, 28), np.uint8), "y_test": np.zeros(4, np.uint8)}
    np.savez(tmp_path / "mnist.npz", **arrays)
    served = {"mnist": {"path": str(tmp_path / "mnist.npz"), "train": 6, "test": 2},
              "fashion_mnist": {"path": "/srv/fashion-mnist"}}
    patches.install({"datasets": served, "budget": {"profile": "cpu"}}, tmp_path / "exchange")
    path = patches._served_file("mnist", "mnist.npz", "https://example.invalid/mnist.npz")
    with np.load(path) as f:
        assert f["x_train"].shape == (6, 28, 28) and f["y_test"].shape == (2,)
    assert path.startswith(str(tmp_path / "exchange"))
    assert patches.take_notes() == [{"fr": "MNIST servi par le correcteur, réduit par le budget CPU : 6 images "
                                           "d'entraînement, 2 images de test.",
                                     "en": "MNIST served by the grader, cut by the CPU budget: 6 training images, "
                                           "2 test images."}]
    assert patches._served_file("fashion_mnist", "t10k-images-idx3-ubyte.gz") == \
        "/srv/fashion-mnist/t10k-images-idx3-ubyte.gz"
    with pytest.raises(patches.DatasetNotServed, match="CIFAR-10"):
        patches._served_file("cifar10", "cifar-10-batches-py-target")
    assert catalogue.NAMES == tuple(patches._TITLES)


def test_hook_patches_a_module_right_after_its_import(tmp_path, monkeypatch):
    pkg = tmp_path / "fakepkg_patches"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "mod.py").write_text("def get_file(*a, **k):\n    return 'network'\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    hook = patches._AfterImport({"fakepkg_patches.mod": lambda m: setattr(m, "get_file", lambda *a: "local")})
    sys.meta_path.insert(0, hook)
    try:
        import fakepkg_patches.mod as mod

        assert mod.get_file() == "local"
        assert hook not in sys.meta_path  # done: it removes itself
    finally:
        if hook in sys.meta_path:
            sys.meta_path.remove(hook)
        for name in ("fakepkg_patches.mod", "fakepkg_patches"):
            sys.modules.pop(name, None)


# -- CIFAR-10: Keras' `load_data` replaced, subsets, the synthetic stand-in -----------------------------
def _synthetic_npz(folder, train: int = 60, test: int = 40):
    from grader.data.importing import synthesize

    return synthesize("cifar10", train=train, test=test, seed=5, dest_root=folder).path


def _served_cifar(tmp_path, train: int = 30, test: int = 10) -> tuple[dict, tuple]:
    """What `grade()` gives a runner: the grader cuts the subset into its own folder first."""
    from grader.grading.plan import serve_subsets
    from grader.runner.session import Limits

    full = _synthetic_npz(tmp_path / "data")
    entry = {"path": str(full), "synthetic": True, "train": train, "test": test}
    (tmp_path / "cut").mkdir()
    limits = serve_subsets(Limits(datasets={"cifar10": entry}), tmp_path / "cut")
    return limits.datasets, files.read_cifar(full)


def _fake_cifar_module(name: str = "fake_keras_cifar10"):
    module = types.ModuleType(name)

    def load_data():
        return "network"

    module.load_data = load_data
    sys.modules[name] = module
    return module, load_data


def test_cifar10_load_data_serves_the_cut_subset_in_keras_layout(tmp_path):
    served, ((_, _), (x_test_full, _)) = _served_cifar(tmp_path)
    assert served["cifar10"]["path"] == str(tmp_path / "cut" / "cifar10" / "cifar10.npz") and served["cifar10"]["cut"]
    module, original = _fake_cifar_module()
    alias = types.ModuleType("fake_student_module")  # `from keras.datasets.cifar10 import load_data` done earlier
    alias.load_data = alias.renamed = original
    sys.modules[alias.__name__] = alias
    try:
        patches.install({"datasets": served, "budget": {"profile": "cpu"}})
        patches._patch_dataset(module, "cifar10")
        assert module.load_data is alias.load_data is alias.renamed and module.load_data is not original
        (x_train, y_train), (x_test, y_test) = alias.renamed()
    finally:
        sys.modules.pop(module.__name__)
        sys.modules.pop(alias.__name__)
    assert x_train.shape == (30, 32, 32, 3) and x_test.shape == (10, 32, 32, 3) and x_train.dtype == np.uint8
    assert y_train.shape == (30, 1) and y_test.dtype == np.uint8 and x_train.flags.writeable
    assert np.array_equal(x_test, x_test_full[:10])
    note = patches.take_notes()[0]["fr"]
    assert note.startswith("CIFAR-10 synthétique servi par le correcteur (images générées : le vrai CIFAR-10 n'est "
                           "pas disponible sur cette machine) : 30 images d'entraînement, 10 images de test")


def test_held_out_cifar10_images_never_reach_the_runner(tmp_path):
    served, ((x_train_full, _), (x_test_full, _)) = _served_cifar(tmp_path, train=50, test=10)
    cut = sorted((tmp_path / "cut").rglob("*"))
    assert [p.name for p in cut if p.is_file()] == ["cifar10.npz"]
    with np.load(served["cifar10"]["path"]) as f:
        given = {img.tobytes() for key in ("x_train", "x_test") for img in f[key]}
        assert len(f["x_test"]) == 10 and "synthetic" in f.files  # the marker travels with the subset
    assert not given & {img.tobytes() for img in x_test_full[10:]}
    assert given == {img.tobytes() for img in (*x_train_full[:50], *x_test_full[:10])}


def test_cifar10_channels_first_and_real_copies_without_budget(tmp_path):
    from test_datasets import write_cifar

    folder = write_cifar(tmp_path / "cifar-10-batches-py")
    patches.install({"datasets": {"cifar10": {"path": str(folder)}}})
    backend = types.SimpleNamespace(image_data_format=lambda: "channels_first")
    (x_train, y_train), (x_test, _) = patches._served_cifar10(backend)
    assert x_train.shape == (20, 3, 32, 32) and y_train.shape == (20, 1) and x_test.shape == (4, 3, 32, 32)
    assert patches.take_notes() == []  # the real set, whole: nothing to say
    patches.install({})
    with pytest.raises(patches.DatasetNotServed, match="CIFAR-10"):
        patches._served_cifar10()


_KERAS_SCRIPT = r"""
import json, os, sys
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
from grader.runner import patches
limits = json.loads(sys.argv[1])
early = sys.argv[2] == "early"
if early:  # Keras imported and `load_data` bound before the patches: they must rebind it
    import keras
    from keras.datasets.cifar10 import load_data as bound_before
patches.install(limits)
import keras
import tensorflow as tf
import tensorflow.keras.datasets.cifar10 as tfk_cifar10
from keras.datasets.cifar10 import load_data as bound_after
calls = [keras.datasets.cifar10.load_data, tf.keras.datasets.cifar10.load_data, tfk_cifar10.load_data, bound_after]
if early:
    calls.append(bound_before)
out = []
for call in calls:
    (xa, ya), (xb, yb) = call()
    out.append([list(xa.shape), str(xa.dtype), list(ya.shape), str(ya.dtype), list(xb.shape), int(xb.sum())])
print("RESULT" + json.dumps({"out": out, "notes": patches.take_notes()}))
"""


@pytest.mark.slow  # real Keras CIFAR-10 loading, in one runner per import path: the slow tier
def test_real_keras_cifar10_under_every_import_path(tmp_path):
    import importlib.util
    import json
    import subprocess

    if importlib.util.find_spec("keras") is None:
        pytest.skip("Keras not installed")
    served, (_, (x_test_full, _)) = _served_cifar(tmp_path, train=30, test=10)
    env = {**__import__("os").environ, "KERAS_HOME": str(tmp_path / "keras"), "CUDA_VISIBLE_DEVICES": ""}
    procs = {mode: subprocess.Popen([sys.executable, "-c", _KERAS_SCRIPT, json.dumps({"datasets": served}), mode],
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
             for mode in ("hook", "early")}
    for mode, proc in procs.items():
        stdout, stderr = proc.communicate(timeout=300)
        line = [ln for ln in stdout.splitlines() if ln.startswith("RESULT")]
        assert proc.returncode == 0 and line, (mode, stderr[-3000:])
        result = json.loads(line[0][len("RESULT"):])
        expected = [[30, 32, 32, 3], "uint8", [30, 1], "uint8", [10, 32, 32, 3], int(x_test_full[:10].sum())]
        assert result["out"] == [expected] * (5 if mode == "early" else 4), mode
        assert all("CIFAR-10 synthétique" in n["fr"] and "Synthetic CIFAR-10" in n["en"] for n in result["notes"]) \
        and result["notes"], mode
