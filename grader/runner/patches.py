"""Runner-side patches: Keras datasets come from the grader's copy, and `Model.fit` keeps to the budget.

Installed by `worker.serve()` before any cell runs, from the limits the judge passes:
`limits["datasets"]` maps a dataset to the grader's copy (see `grader.data.serving.serve`), and
`limits["budget"]` says what a `fit` call may use (see `grader.budget.TRAINING_KEYS`).
Nothing is imported eagerly: the patches apply when Keras' own modules are first imported
(whether through `keras`, `tf.keras` or `tensorflow.keras`, the same `keras.src` modules back
them), so a runner that never imports TensorFlow does not pay for it.

Keras' `load_data()` functions call the `get_file` of their own module; replacing that one name
serves every alias at once, and never reaches the network (`mnist.load_data()` would otherwise
delete a local file whose checksum differs from the original's and download it again).
CIFAR-10's `load_data()` is replaced whole instead: Keras' reader insists on exactly 5 x 10 000
training images, so it could serve neither a budget's subset nor the synthetic stand-in. The hook
runs before `keras.api` re-exports it, so every alias gets the replacement; where Keras was imported
already, module attributes still bound to the original are rebound.
"""

from __future__ import annotations

import contextlib
import functools
import inspect
import math
import sys
from pathlib import Path
from typing import Any

from grader.data.catalogue import TITLES as _TITLES
from grader.numbers import group as _group
from grader.runner import budget_caps
from grader.runner.probes import KERAS_MODEL_MODULE

# `grader.data.files` is the file reader, the one data module the runner reads (with the catalogue's titles).

_DATASET_MODULES = {"keras.src.datasets.mnist": "mnist", "keras.src.datasets.fashion_mnist": "fashion_mnist",
                    "keras.src.datasets.cifar10": "cifar10"}
_MODEL_MODULE = KERAS_MODEL_MODULE

_served: dict[str, dict] = {}
_scratch: list[Path] = []  # where budget subsets are written (the runner's exchange folder)
_budget: dict[str, Any] = {}
_notes: list[dict[str, str]] = []  # {"fr", "en"}: the judge reads them as Messages
_caps: list[dict] = []


def install(limits: dict, scratch: Path | None = None) -> None:
    """Patch what is already imported; hook the rest to be patched right after its import.

    `scratch` is a folder of the run's own where budget-sized copies of a dataset are written.
    """
    _scratch[:] = [scratch] if scratch is not None else []
    _served.clear()
    _served.update({str(k): dict(v) for k, v in dict(limits.get("datasets") or {}).items() if isinstance(v, dict)})
    _budget.clear()
    _budget.update(dict(limits.get("budget") or {}))
    hooks = {name: functools.partial(_patch_dataset, dataset=ds) for name, ds in _DATASET_MODULES.items()}
    hooks[_MODEL_MODULE] = _patch_fit
    pending = {}
    for name, patch in hooks.items():
        if name in sys.modules:
            patch(sys.modules[name])
        else:
            pending[name] = patch
    uninstall_hook()
    if pending:
        sys.meta_path.insert(0, _AfterImport(pending))


def uninstall_hook() -> None:
    """Remove a pending post-import hook (a fresh `install`, or tests running in-process)."""
    for finder in [f for f in sys.meta_path if isinstance(f, _AfterImport)]:
        sys.meta_path.remove(finder)


def take_notes() -> list[dict[str, str]]:
    """Notes for the cell that just ran (what was served or capped), then forgotten."""
    out = list(_notes)
    _notes.clear()
    return out


def caps() -> list[dict]:
    """Every `fit` call so far: what was asked, what ran (for the checks' messages)."""
    return [dict(c) for c in _caps]


class _AfterImport:
    """Meta-path finder that runs a patch right after a watched module executes."""

    def __init__(self, hooks: dict):
        self.hooks = hooks
        self.busy = False

    def find_spec(self, name, path=None, target=None):
        if name not in self.hooks or self.busy:
            return None
        self.busy = True
        try:
            spec = next((s for f in sys.meta_path if f is not self and hasattr(f, "find_spec")
                         for s in [f.find_spec(name, path, target)] if s is not None), None)
        finally:
            self.busy = False
        if spec is None or spec.loader is None or not hasattr(spec.loader, "exec_module"):
            return spec
        patch = self.hooks.pop(name)
        if not self.hooks:
            with contextlib.suppress(ValueError):
                sys.meta_path.remove(self)
        exec_module = spec.loader.exec_module

        def exec_and_patch(module):
            exec_module(module)
            patch(module)

        spec.loader.exec_module = exec_and_patch
        return spec


# -- datasets -------------------------------------------------------------------------------------
class DatasetNotServed(RuntimeError):
    """The grader has no copy of this dataset; the runner never downloads."""


def _patch_dataset(module, dataset: str) -> None:
    module.get_file = functools.partial(_served_file, dataset)
    if dataset == "cifar10":
        _patch_cifar10(module)


def _patch_cifar10(module) -> None:
    original = getattr(module, "load_data", None)
    if original is None or getattr(original, "_grader_served", False):
        return

    def load_data():
        return _served_cifar10(getattr(module, "backend", None))

    functools.update_wrapper(load_data, original)
    load_data._grader_served = True
    module.load_data = load_data
    for mod in list(sys.modules.values()):  # aliases bound before the patch (Keras imported already)
        try:
            namespace = vars(mod)
        except Exception:  # noqa: BLE001 - None entries, odd lazy modules: nothing bound there
            continue
        if not isinstance(namespace, dict):
            continue
        for key, value in list(namespace.items()):
            if value is original:
                namespace[key] = load_data


def _served_cifar10(backend=None):
    """Keras' `cifar10.load_data()` from the grader's arrays: uint8 channels-last (unless Keras is set to
    channels-first), labels (N, 1) uint8, cut to the budget's leading examples."""
    import numpy as np

    from grader.data.files import read_cifar, synthetic_marker

    served = _served.get("cifar10")
    if served is None:
        raise DatasetNotServed(_not_served("cifar10"))
    path = Path(served["path"])
    (x_train, y_train), (x_test, y_test) = read_cifar(path)
    train, test = served.get("train"), served.get("test")
    x_train, y_train = (np.array(a[:train or None], dtype=np.uint8) for a in (x_train, y_train))
    x_test, y_test = (np.array(a[:test or None], dtype=np.uint8) for a in (x_test, y_test))
    if backend is not None and backend.image_data_format() == "channels_first":
        x_train, x_test = x_train.transpose(0, 3, 1, 2), x_test.transpose(0, 3, 1, 2)
    sizes = f"{_group(len(x_train))} images d'entraînement, {_group(len(x_test))} images de test"
    sizes_en = f"{len(x_train):,} training images, {len(x_test):,} test images"
    if served.get("synthetic") or synthetic_marker(path) is not None:
        _note("CIFAR-10 synthétique servi par le correcteur (images générées : le vrai CIFAR-10 n'est pas "
              f"disponible sur cette machine) : {sizes}"
              + (f", selon le budget {_profile()}" if train or test else "")
              + ". Les précisions obtenues ne sont pas comparables à celles du vrai CIFAR-10.",
              "Synthetic CIFAR-10 served by the grader (generated images: the real CIFAR-10 is not available "
              f"on this machine): {sizes_en}" + (f", under the {_profile()} budget" if train or test else "")
              + ". Accuracies are not comparable with those on the real CIFAR-10.")
    elif train or test:
        _note(f"{_TITLES['cifar10']} servi par le correcteur, réduit par le budget {_profile()} : {sizes}.",
              f"{_TITLES['cifar10']} served by the grader, cut by the {_profile()} budget: {sizes_en}.")
    return (x_train, y_train), (x_test, y_test)


def _served_file(dataset: str, fname: str | None = None, origin: str | None = None, *args, **kwargs) -> str:
    served = _served.get(dataset)
    if served is None:
        raise DatasetNotServed(_not_served(dataset))
    path = Path(served["path"])
    sizes = [(served.get("train"), "d'entraînement", "training"), (served.get("test"), "de test", "test")]
    if any(n for n, _, _ in sizes) and _scratch and not served.get("cut"):  # "cut": the grader cut it already
        path = _subset(dataset, path, served.get("train"), served.get("test"))
    if dataset == "fashion_mnist" and fname:
        path = path / fname
    first_call = dataset != "fashion_mnist" or fname == "train-labels-idx1-ubyte.gz"
    if first_call and any(n for n, _, _ in sizes) and _scratch:
        _note(f"{_TITLES[dataset]} servi par le correcteur, réduit par le budget {_profile()} : "
              + ", ".join(f"{_group(n)} images {what}" for n, what, _ in sizes if n) + ".",
              f"{_TITLES[dataset]} served by the grader, cut by the {_profile()} budget: "
              + ", ".join(f"{n:,} {what} images" for n, _, what in sizes if n) + ".")
    return str(path)


@functools.lru_cache(maxsize=4)
def _subset(dataset: str, source: Path, train: int | None, test: int | None) -> Path:
    from grader.data.files import subset_files

    return subset_files(dataset, source, _scratch[0] / dataset, train=train, test=test)


# -- fit ------------------------------------------------------------------------------------------
def _patch_fit(module) -> None:
    model_cls = getattr(module, "Model", None)
    if model_cls is None or getattr(model_cls.fit, "_grader_capped", False):
        return
    if not any(_budget.get(k) for k in ("epochs", "train_size", "validation_size")):
        return
    model_cls.fit = _capped(model_cls.fit)


def _capped(fit):
    signature = inspect.signature(fit)

    @functools.wraps(fit)
    def capped_fit(*args, **kwargs):
        try:
            bound = signature.bind(*args, **kwargs)
        except TypeError:
            return fit(*args, **kwargs)  # let Keras word the error
        a = bound.arguments
        params = signature.parameters
        record = _cap_call(a, {k: p.default for k, p in params.items()})
        if record:
            _caps.append(record)
            _notes.append(_describe(record))  # already a {"fr", "en"} pair
        return fit(*bound.args, **bound.kwargs)

    capped_fit._grader_capped = True
    return capped_fit


def _cap_call(a: dict, defaults: dict) -> dict:
    """Edit the bound arguments in place; return what changed ({} when nothing did)."""
    record: dict[str, Any] = {}
    epochs_cap = _budget.get("epochs")
    epochs = a.get("epochs", defaults.get("epochs", 1))
    initial = a.get("initial_epoch", defaults.get("initial_epoch", 0)) or 0
    if epochs_cap and isinstance(epochs, int) and epochs - initial > epochs_cap:
        a["epochs"] = initial + int(epochs_cap)
        record["epochs"] = [epochs - initial, int(epochs_cap)]
    size_cap = _budget.get("train_size")
    x = a.get("x")
    n = _length(x)
    if size_cap and n is not None:
        split = float(a.get("validation_split") or 0.0)
        keep = min(n, math.ceil(int(size_cap) / (1.0 - split))) if 0 <= split < 1 else n
        if keep < n:
            for key in ("x", "y", "sample_weight"):
                if a.get(key) is not None:
                    a[key] = _head(a[key], keep)
            record["train_size"] = [n - int(n * split), keep - int(keep * split)]
    elif size_cap and x is not None and a.get("steps_per_epoch") is None:
        batches = _batches_of(x, a.get("batch_size"), int(size_cap))
        if batches:
            a["steps_per_epoch"] = batches
            record["steps_per_epoch"] = batches
    batch_cap = _budget.get("max_batch_size")  # a short budget needs enough steps to mean anything
    batch = a.get("batch_size")
    if batch_cap and isinstance(batch, int) and batch > int(batch_cap) and n is not None:
        a["batch_size"] = int(batch_cap)
        record["batch_size"] = [batch, int(batch_cap)]
    val_cap = _budget.get("validation_size")
    val = a.get("validation_data")
    if val_cap and isinstance(val, (tuple, list)) and val and (_length(val[0]) or 0) > int(val_cap):
        record["validation_size"] = [_length(val[0]), int(val_cap)]
        a["validation_data"] = tuple(_head(v, int(val_cap)) if v is not None else v for v in val)
    if record:
        record["profile"] = _profile()
    return record


def _length(x) -> int | None:
    """Number of examples of an array-like input (arrays, tensors, lists/dicts of them); None otherwise."""
    if isinstance(x, dict):
        lengths = {_length(v) for v in x.values()}
        return lengths.pop() if len(lengths) == 1 else None
    if isinstance(x, (list, tuple)) and x and all(hasattr(v, "shape") for v in x):
        lengths = {_length(v) for v in x}
        return lengths.pop() if len(lengths) == 1 else None
    shape = getattr(x, "shape", None)
    if shape is None or not hasattr(x, "__getitem__") or type(x).__name__ in ("Dataset", "DatasetV2"):
        return None
    try:
        return int(shape[0])
    except (TypeError, IndexError, ValueError):
        return None


def _head(x, n: int):
    if isinstance(x, dict):
        return {k: _head(v, n) for k, v in x.items()}
    if isinstance(x, (list, tuple)) and all(hasattr(v, "shape") for v in x):
        return type(x)(_head(v, n) for v in x)
    return x[:n]


def _batches_of(x, batch_size, size: int) -> int | None:
    """Steps for `size` examples of a batched input (a generator with `batch_size`, a tf.data set)."""
    per_batch = getattr(x, "batch_size", None) or batch_size
    if per_batch is None and type(x).__module__.startswith("tensorflow"):
        with contextlib.suppress(Exception):
            spec = x.element_spec
            first = spec[0] if isinstance(spec, tuple) else spec
            per_batch = int(first.shape[0]) if first.shape[0] is not None else None
    if not per_batch:
        return None
    steps = max(1, math.ceil(size / int(per_batch)))
    with contextlib.suppress(Exception):
        if steps >= len(x):
            return None
    return steps


def _profile() -> str:
    return str(_budget.get("profile", "cpu")).upper()


def _note(fr: str, en: str) -> None:
    _notes.append({"fr": fr, "en": en})


def _not_served(dataset: str) -> str:
    """Raised in the student's cell, so one text for both readers."""
    return (f"{_TITLES[dataset]} n'est pas disponible sur la machine de correction (pas de réseau pour "
            f"l'élève) : signalez-le à l'enseignant. / {_TITLES[dataset]} is not available on the grading "
            "machine (no network for students): tell your instructor.")


_describe = budget_caps.note


__all__ = ["DatasetNotServed", "caps", "install", "take_notes", "uninstall_hook"]
