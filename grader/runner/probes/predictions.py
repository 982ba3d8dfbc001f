"""A student's model run on images (runner side): images the judge sends (labels stay in the judge),
or the student's own test arrays with the classes of their own labels."""

from __future__ import annotations

from typing import Any

import numpy as np

from grader.runner.probes import require_keras_model


def to_input(m: Any, x: np.ndarray) -> np.ndarray:
    """`x` reshaped to the model's input when only the layout differs ((n, 784) for (n, 28, 28), ...)."""
    try:
        shape = tuple(int(d) for d in m.input_shape[1:])
        if int(np.prod(x.shape[1:])) == int(np.prod(shape)):
            return x.reshape((len(x), *shape))
    except Exception:  # noqa: BLE001 - no usable input shape: the images as they are
        pass
    return x


def classes(labels: Any) -> np.ndarray:
    """The class of each label: argmax of one-hot rows, else the integers themselves."""
    y = np.asarray(labels)
    return np.argmax(y, axis=1) if y.ndim == 2 and y.shape[1] > 1 else y.reshape(len(y))


def _argmax(pred: Any) -> np.ndarray:
    pred = np.asarray(pred)
    return np.argmax(pred.reshape(len(pred), -1), axis=1).astype(np.int64)


def predict(ns: dict, name: str, images: np.ndarray, batch: int = 500) -> np.ndarray:
    """`ns[name].predict(images)`, the images reshaped to the model's input."""
    m = ns[name]
    require_keras_model(m, name)
    return np.asarray(m.predict(to_input(m, np.asarray(images)), verbose=0, batch_size=int(batch)))


def truth_and_predictions(ns: dict, model: str, x: str, y: str) -> dict[str, np.ndarray]:
    """{"true": classes of the student's `y`, "pred": classes `model` predicts on the student's `x`}."""
    missing = [n for n in (model, x, y) if n not in ns]
    if missing:
        raise NameError(", ".join(f"`{n}`" for n in missing) + " non défini(s)")
    m = ns[model]
    require_keras_model(m, model)
    true = classes(ns[y])
    pred = m.predict(to_input(m, np.asarray(ns[x])), verbose=0, batch_size=500)
    return {"true": true.astype(np.int64), "pred": _argmax(pred)}


def on_own_test(ns: dict, model: str, candidates: list[str], labels: str = "y_test_cat") -> dict[str, Any]:
    """`model`'s `count_params()` and, on the first of `candidates` that matches `labels` in length, the
    true and predicted classes ("source": that name, None when no candidate fits)."""
    m = ns[model]
    require_keras_model(m, model)
    out: dict[str, Any] = {"params": int(m.count_params()), "source": None}
    truth = None
    if labels in ns:
        try:
            truth = classes(ns[labels])
        except Exception:  # noqa: BLE001
            truth = None
    for name in candidates:
        if truth is None or name not in ns:
            continue
        try:
            x = np.asarray(ns[name], dtype=np.float32)
        except Exception:  # noqa: BLE001
            continue
        if x.ndim < 2 or len(x) != len(truth):
            continue
        pred = m.predict(to_input(m, x), verbose=0, batch_size=500)
        out.update(source=name, true=np.asarray(truth).astype(np.int64), pred=_argmax(pred))
        break
    return out
