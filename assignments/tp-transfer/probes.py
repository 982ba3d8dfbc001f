"""Runner-side code of tp-transfer (shipped to the runner as source by `obs.run`: absolute imports
only, nothing that knows an expected value).

`find_base` finds the ResNet50 base in a model in both shapes a student may build: nested
(`base(x)`: a sub-model whose layers hold `conv1_conv` ... `conv5_block3_out`), or flattened
(`ResNet50(input_tensor=x)` then `keras.Model(inputs, ...)`: those layers sit directly in the
model's `layers`, from `conv1_pad` to `conv5_block3_out`). One entry point per question, each
called by `grader.judge.layers.built` as `probe(ns, function, ...)` with the student's function's
name: `transfer_model` (q1), `unfreeze` (q2), `finetuning` (q3), `datasets` (q4).
"""

from __future__ import annotations

import gc
import inspect
import os
import shutil
import tempfile
import warnings
from collections.abc import Iterator
from typing import Any

import numpy as np

from grader.checks.probes import describe, error_text


def _walk(model: Any, depth: int = 0) -> Iterator[Any]:
    import keras

    for layer in list(getattr(model, "layers", []) or []):
        yield layer
        if isinstance(layer, keras.Model) and depth < 3:
            yield from _walk(layer, depth + 1)


def find_base(m: Any) -> dict[str, Any] | None:
    """The ResNet50 base: {"kind", "layers", "owner" (the nested base model or None), "top" (index in
    m.layers of what holds the base, or of its last flattened layer)}; None when there is none."""
    import keras

    top_layers = list(getattr(m, "layers", []) or [])
    for layer in _walk(m):
        if isinstance(layer, keras.Model) and layer is not m:
            names = [x.name for x in layer.layers]
            if "conv1_conv" in names and "conv5_block3_out" in names:
                top = next((i for i, t in enumerate(top_layers)
                            if t is layer or (isinstance(t, keras.Model) and any(x is layer for x in _walk(t)))),
                           None)
                return {"kind": "nested", "layers": list(layer.layers), "owner": layer, "top": top}
    names = [x.name for x in top_layers]
    if "conv1_pad" in names and "conv5_block3_out" in names:
        start, end = names.index("conv1_pad"), names.index("conv5_block3_out")
        if end + 1 < len(names) and names[end + 1] in ("avg_pool", "max_pool"):  # ResNet50(pooling=...)
            end += 1
        return {"kind": "flattened", "layers": top_layers[start:end + 1], "owner": None, "top": end}
    return None


def split_weights(m: Any, base: dict) -> tuple[set[int], list]:
    """(ids of the base's weights, the model's other weights): the head is everything not in the base."""
    base_ids = {id(w) for layer in base["layers"] for w in layer.weights}
    return base_ids, [w for w in m.weights if id(w) not in base_ids]


def n_params(weights: list) -> int:
    return int(sum(int(np.prod(w.shape)) for w in weights))


def reference_model(input_shape: tuple) -> Any:
    """The TP's model, built by the judge's own code: used where the student's cannot be."""
    import keras
    from keras.applications.resnet50 import preprocess_input

    base = keras.applications.ResNet50(weights=None, include_top=False, input_shape=input_shape)
    base.trainable = False
    inputs = keras.Input(shape=input_shape)
    x = base(preprocess_input(inputs), training=False)
    x = keras.layers.GlobalAveragePooling2D()(x)
    return keras.Model(inputs, keras.layers.Dense(1, activation="sigmoid")(x))


def student_model(ns: dict, input_shape: tuple) -> Any:
    return ns["build_transfer_model"](weights=None, input_shape=input_shape)


def defaults(fn: Any) -> dict[str, Any] | None:
    """The defaults of `fn`'s parameters, as plain data ("<none>" where a parameter has none)."""
    try:
        params = inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return None
    out: dict[str, Any] = {}
    for name, p in params.items():
        d = p.default
        out[name] = "<none>" if d is inspect.Parameter.empty else (
            list(d) if isinstance(d, (tuple, list)) else d if isinstance(d, (bool, int, float, str, type(None)))
            else repr(d)[:60])
    return out


def _text(e: BaseException) -> str:
    return error_text(e, 400)


# -- q1 ---------------------------------------------------------------------------------------------
def _base_input(m: Any, base: dict, images: np.ndarray, out: dict) -> None:
    """What the base's first layer (`conv1_pad`) receives when `images` go through the model: its
    class' `call` is wrapped for one forward pass."""
    first = next((x for x in base["layers"] if x.name == "conv1_pad"), None)
    if first is None:
        out["preprocess_error"] = "couche conv1_pad introuvable"
        return
    seen: list[np.ndarray] = []
    cls = type(first)
    original = cls.call

    def spy(self, *args, **kwargs):
        if self is first and not seen:
            seen.append(np.array(args[0] if args else next(iter(kwargs.values()))))
        return original(self, *args, **kwargs)

    cls.call = spy
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            m(np.asarray(images, dtype="float32"), training=False)
    except Exception as e:  # noqa: BLE001 - said in the verdict
        out["preprocess_error"] = _text(e)
    finally:
        cls.call = original
    if seen:
        out["base_input"] = seen[0].astype("float32")
    elif "preprocess_error" not in out:
        out["preprocess_error"] = "la base n'a pas été appelée"


def _short_fit(m: Any, base_ids: set[int], head: list, images: np.ndarray, targets: np.ndarray, out: dict) -> None:
    """A short training of the whole model: the frozen base must not move, the head must."""
    import keras

    try:
        before = {id(w): np.array(w.numpy()) for w in m.weights}
        m.compile(optimizer=keras.optimizers.Adam(1e-2), loss="mse", run_eagerly=True)
        x = np.asarray(images, dtype="float32")
        out_shape = tuple(int(d) for d in m.output_shape[1:])
        y = np.resize(np.asarray(targets, dtype="float32"), (len(x), *out_shape))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            m.fit(x, y, epochs=1, batch_size=2, verbose=0, shuffle=False)
        moved = [w for w in m.weights if not np.array_equal(before[id(w)], w.numpy())]
        out["fit"] = {"base_moved": [w.path for w in moved if id(w) in base_ids][:5],
                      "n_base_moved": sum(1 for w in moved if id(w) in base_ids),
                      "head_moved": sum(1 for w in moved if id(w) not in base_ids),
                      "head_weights": len(head)}
    except Exception as e:  # noqa: BLE001 - said in the verdict
        out["fit_error"] = _text(e)


def transfer_model(ns: dict, function: str, shape: list, images: np.ndarray, targets: np.ndarray) -> dict[str, Any]:
    """The student's `build_transfer_model(weights=None, input_shape=shape)`: its layers, its ResNet50
    base, which parameters are trainable, what reaches the base, and a short fit's effect."""
    fn = ns[function]
    m = fn(weights=None, input_shape=tuple(shape))
    out: dict[str, Any] = {"model": describe(m), "defaults": defaults(fn)}
    try:
        out["output_shape"] = [None if d is None else int(d) for d in m.output_shape]
    except Exception:  # noqa: BLE001
        out["output_shape"] = None
    base = find_base(m)
    if base is not None:
        base_ids, head = split_weights(m, base)
        trainable_ids = {id(w) for w in m.trainable_weights}
        base_weights = [w for x in base["layers"] for w in x.weights]
        out["base"] = {
            "kind": base["kind"], "top": base["top"], "n_layers": len(base["layers"]),
            "names": [x.name for x in base["layers"]][-3:],
            "last_class": type(base["layers"][-1]).__name__,
            "params": n_params(base_weights),
            "trainable_params": n_params([w for w in base_weights if id(w) in trainable_ids]),
            "head_params": n_params(head),
            "head_trainable_params": n_params([w for w in head if id(w) in trainable_ids]),
            "has_predictions": any(x.name == "predictions" for x in base["layers"]),
        }
        _base_input(m, base, images, out)
        _short_fit(m, base_ids, head, images, targets, out)
    default = (out["defaults"] or {}).get("input_shape")
    if not (isinstance(default, list) and tuple(default) == (224, 224, 3)):
        try:  # a default written another way (None, a list...): build once at the default size to see
            out["default_input_shape"] = fn(weights=None).input_shape
        except Exception as e:  # noqa: BLE001
            out["default_error"] = _text(e)
    del m
    gc.collect()
    return out


# -- q2 ---------------------------------------------------------------------------------------------
def _unfreeze_run(ns: dict, function: str, shape: tuple, n: int | None) -> dict[str, Any]:
    import keras

    fallback = None
    try:
        m = student_model(ns, shape)
        if find_base(m) is None:
            fallback = {"fr": "pas de base ResNet50 dans le modèle de `build_transfer_model`",
                        "en": "no ResNet50 base in `build_transfer_model`'s model"}
    except Exception as e:  # noqa: BLE001 - a q1 mistake: the judge's model instead
        fallback = {"fr": "`build_transfer_model(weights=None, ...)` a échoué : " + _text(e),
                    "en": "`build_transfer_model(weights=None, ...)` failed: " + _text(e)}
    if fallback:
        m = reference_model(shape)
    returned = ns[function](m) if n is None else ns[function](m, n)
    target = returned if isinstance(returned, keras.Model) else m
    base = find_base(target)
    run: dict[str, Any] = {"n": n, "fallback": fallback, "returned_other_model": target is not m}
    if base is None:
        run["no_base"] = True
        return run
    tids = {id(w) for w in target.trainable_weights}
    run["flags"] = [bool(x.trainable) for x in base["layers"]]
    run["weighted"] = [bool(x.weights) for x in base["layers"]]
    run["effective"] = [any(id(w) in tids for w in x.weights) for x in base["layers"]]
    run["names"] = [x.name for x in base["layers"]]
    run["owner_trainable"] = None if base["owner"] is None else bool(base["owner"].trainable)
    top = base["top"] if base["top"] is not None else len(target.layers)
    head = [x for x in list(target.layers)[top + 1:] if x.weights]
    run["head"] = [[x.name, bool(x.trainable) and bool(x.trainable_weights)
                    and all(id(w) in tids for w in x.trainable_weights)] for x in head]
    return run


def unfreeze(ns: dict, function: str, shape: list, counts: list) -> dict[str, Any]:
    """`unfreeze_top(model[, n])` for each of `counts` (None: the default), each on a fresh model: per
    entry of the base's `layers` its trainable flag, whether it has weights, whether they train."""
    out: dict[str, Any] = {"defaults": defaults(ns[function]), "runs": []}
    for n in counts:
        out["runs"].append(_unfreeze_run(ns, function, tuple(shape), n))
        gc.collect()
    return out


# -- q3 ---------------------------------------------------------------------------------------------
def finetuning(ns: dict, function: str, shape: list, y_true: np.ndarray, y_pred: np.ndarray) -> dict[str, Any]:
    """The judge's reference model compiled by the student's `compile_for_finetuning`: its optimizer,
    and its loss and metrics computed on labels and probabilities the judge picked."""
    import keras

    m = reference_model(tuple(shape))
    returned = ns[function](m)
    target = returned if isinstance(returned, keras.Model) else m
    opt = getattr(target, "optimizer", None)
    out: dict[str, Any] = {"compiled": bool(getattr(target, "compiled", False)) and opt is not None,
                           "returned_other_model": target is not m}
    if opt is not None:
        out["optimizer"] = {"type": type(opt).__name__, "mro": [c.__name__ for c in type(opt).__mro__][:12]}
        try:
            out["optimizer"]["learning_rate"] = float(np.asarray(opt.learning_rate))
        except Exception as e:  # noqa: BLE001
            out["optimizer"]["lr_error"] = _text(e)
        try:
            decay = opt.weight_decay
            out["optimizer"]["weight_decay"] = decay if isinstance(decay, (int, float)) else None
        except Exception:  # noqa: BLE001
            pass
        try:
            cfg = target.get_compile_config() or {}
            out["loss_config"] = str(cfg.get("loss"))[:200]
            out["metrics_config"] = str(cfg.get("metrics"))[:200]
        except Exception:  # noqa: BLE001
            pass
        y, p = np.asarray(y_true, dtype="float32"), np.asarray(y_pred, dtype="float32")
        try:
            out["loss"] = float(np.asarray(target.compute_loss(x=None, y=y, y_pred=p)))
        except Exception as e:  # noqa: BLE001
            out["loss_error"] = _text(e)
        try:
            values = target.compute_metrics(None, y, p, None)
            out["metrics"] = {str(k): float(np.asarray(v)) for k, v in dict(values).items() if np.asarray(v).size == 1}
        except Exception as e:  # noqa: BLE001
            out["metrics_error"] = _text(e)
    del m, target, returned
    gc.collect()
    return out


# -- q4 ---------------------------------------------------------------------------------------------
def _write_images(folder: str, spec: list) -> None:
    import tensorflow as tf

    for cls, name, h, w, fmt, colour in spec:
        os.makedirs(os.path.join(folder, cls), exist_ok=True)
        img = np.empty((int(h), int(w), 3), np.uint8)
        img[...] = np.asarray(colour, np.uint8)
        data = tf.io.encode_png(img) if fmt == "png" else tf.io.encode_jpeg(img, quality=95)
        with open(os.path.join(folder, cls, name), "wb") as f:
            f.write(data.numpy())


def _plain_spec(s: Any) -> dict[str, Any]:
    try:
        return {"shape": None if s.shape.rank is None else [None if d is None else int(d) for d in s.shape],
                "dtype": s.dtype.name}
    except Exception:  # noqa: BLE001
        return {"shape": None, "dtype": type(s).__name__}


def _dataset(ds: Any, folder: str, limit: int) -> dict[str, Any]:
    """A dataset read once (at most `limit` batches): per image the colour at its centre and its label."""
    import tensorflow as tf

    out: dict[str, Any] = {"type": type(ds).__name__, "is_dataset": isinstance(ds, tf.data.Dataset)}
    if not out["is_dataset"]:
        return out
    spec = ds.element_spec
    out["spec"] = [_plain_spec(s) for s in spec] if isinstance(spec, (tuple, list)) else [_plain_spec(spec)]
    paths = getattr(ds, "file_paths", None)
    if paths is not None:
        out["file_paths"] = [os.path.relpath(str(p), folder) for p in paths]
    batches, centres, labels, shapes, dtypes = [], [], [], set(), set()
    for i, element in enumerate(ds):
        if i >= limit:
            out["truncated"] = True
            break
        if isinstance(element, (tuple, list)) and len(element) >= 2:
            x, y = np.asarray(element[0]), np.asarray(element[1])
        else:
            x, y = np.asarray(element[0] if isinstance(element, (tuple, list)) else element), None
        batches.append(int(x.shape[0]) if x.ndim else 0)
        shapes.add(tuple(int(d) for d in x.shape[1:]))
        dtypes.add(x.dtype.name)
        if x.ndim == 4 and x.shape[-1] >= 3:
            h, w = x.shape[1] // 2, x.shape[2] // 2
            centres.extend(x[:, max(h - 4, 0):h + 4, max(w - 4, 0):w + 4, :3].astype("float64").mean(axis=(1, 2)))
        if y is not None:
            labels.extend(y.reshape(len(y), -1).astype("float64").tolist() if y.ndim else [[float(y)]])
    out.update(batches=batches, shapes=sorted([list(s) for s in shapes]), dtypes=sorted(dtypes),
               centres=np.asarray(centres, dtype="float64").reshape(-1, 3), labels=labels, has_labels=bool(labels))
    return out


class SerialPool:
    """Stands in for the ThreadPool with which Keras lists the class folders, where the sandbox gives
    no writable /dev/shm for its semaphores: the same calls, one after the other."""

    class Done:
        def __init__(self, value: Any):
            self.value = value

        def get(self, timeout: float | None = None) -> Any:
            return self.value

    def apply_async(self, fn, args=(), kwds=None):
        return self.Done(fn(*args, **(kwds or {})))

    def close(self) -> None:
        pass

    def join(self) -> None:
        pass

    def terminate(self) -> None:
        pass


def datasets(ns: dict, function: str, spec: list, batch: int, limit: int) -> dict[str, Any]:
    """`make_datasets(folder, batch_size=batch)` on a folder of images written here from `spec` (class,
    file name, height, width, format, colour), in a fresh scratch folder; both datasets read once."""
    import keras.src.utils.dataset_utils as dataset_utils

    try:
        root = tempfile.mkdtemp(prefix="grader-images-")
    except OSError:
        root = tempfile.mkdtemp(prefix="grader-images-", dir=os.getcwd())
    folder = os.path.join(root, "images")
    pool_class = dataset_utils.ThreadPool
    try:
        _write_images(folder, spec)
        try:
            pool_class().terminate()
        except OSError:
            dataset_utils.ThreadPool = SerialPool
        made = ns[function](folder, batch_size=int(batch))
        out: dict[str, Any] = {"defaults": defaults(ns[function]), "type": type(made).__name__,
                               "length": len(made) if isinstance(made, (tuple, list)) else None}
        if isinstance(made, (tuple, list)) and len(made) == 2:
            out["train"], out["val"] = _dataset(made[0], folder, int(limit)), _dataset(made[1], folder, int(limit))
        return out
    finally:
        dataset_utils.ThreadPool = pool_class
        shutil.rmtree(root, ignore_errors=True)
