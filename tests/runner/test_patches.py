"""Runner patches in-process (no TensorFlow): served datasets, `fit` caps, the post-import hook.

The same patches on real Keras, in a real runner, are exercised by tests/test_tp_mnist_dense.py.
"""

from __future__ import annotations

import sys
import types

import numpy as np
import pytest

from grader import datasets
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
    assert patches._describe(record) == ("Budget CPU du correcteur : entraînement limité à 2 époque(s) "
                                         "(5 demandées), sur 100 exemples (1 000 fournis).")


def test_large_batches_are_capped_so_a_short_budget_still_trains():
    patches.install({"budget": {"profile": "cpu", "epochs": 1, "max_batch_size": 64}})
    a = {"x": np.zeros((1000, 4)), "y": np.zeros(1000), "epochs": 1, "batch_size": 512}
    record = patches._cap_call(a, {"epochs": 1})
    assert a["batch_size"] == 64 and record["batch_size"] == [512, 64]
    assert "lots de 64 exemples (512 demandés)" in patches._describe(record)
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
    assert "1 époque(s) (7 demandées)" in patches.take_notes()[0] and patches.take_notes() == []
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
    assert patches.take_notes() == ["MNIST servi par le correcteur, réduit par le budget CPU : 6 images "
                                    "d'entraînement, 2 images de test."]
    assert patches._served_file("fashion_mnist", "t10k-images-idx3-ubyte.gz") == \
        "/srv/fashion-mnist/t10k-images-idx3-ubyte.gz"
    with pytest.raises(patches.DatasetNotServed, match="CIFAR-10"):
        patches._served_file("cifar10", "cifar-10-batches-py-target")
    assert datasets.NAMES == tuple(patches._TITLES)


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
