"""Runner-side code of tp1-cifar10 (shipped to the runner as source by `obs.run`: absolute imports
only, nothing that knows an expected value): `predict_image` called on files written here."""

from __future__ import annotations

import os
import shutil
import tempfile
from typing import Any

import numpy as np

from grader.checks.probes import error_text, require_keras_model


def describe_answer(r: Any) -> dict[str, Any]:
    """What `predict_image` returned, as plain data: {"type", "name" or "index", "conf", reprs}."""
    out: dict[str, Any] = {"type": type(r).__qualname__, "name": None, "index": None, "conf": None}
    if not isinstance(r, (tuple, list)) or len(r) != 2:
        try:
            out["length"] = len(r)
        except Exception:  # noqa: BLE001
            pass
        return out
    name, conf = r
    out["name_type"] = type(name).__qualname__
    out["name_repr"] = repr(name)[:80]
    if isinstance(name, str):
        out["name"] = str(name)[:200]
    elif isinstance(name, (int, np.integer)) and not isinstance(name, bool):
        out["index"] = int(name)
    else:
        try:
            a = np.asarray(name)
            if a.size == 1 and a.dtype.kind in "iu":
                out["index"] = int(a)
        except Exception:  # noqa: BLE001
            pass
    out["conf_repr"] = repr(conf)[:80]
    try:
        c = np.asarray(conf, dtype=np.float64)
        if c.size == 1 and not isinstance(conf, (bool, str)):
            out["conf"] = float(c.reshape(()))
    except Exception:  # noqa: BLE001
        pass
    return out


def predict_images(ns: dict, names: list[str], files: list[np.ndarray], candidates: np.ndarray) -> dict[str, Any]:
    """`model_cnn.predict(candidates)` (the images as the judge prepared them), and `predict_image(path)`
    on each file (its bytes in `files`) written to a scratch folder: {"probs", "answers"}."""
    m = ns["model_cnn"]
    require_keras_model(m, "model_cnn")
    probs = np.asarray(m.predict(np.asarray(candidates, dtype="float32"), verbose=0, batch_size=256), dtype=np.float64)
    folder = tempfile.mkdtemp(prefix="grader-predict-image-")
    answers = []
    try:
        for fname, data in zip(names, files, strict=False):
            path = os.path.join(folder, fname)
            with open(path, "wb") as fh:
                fh.write(np.asarray(data, dtype=np.uint8).tobytes())
            try:
                answers.append(describe_answer(ns["predict_image"](path)))
            except Exception as e:  # noqa: BLE001 - the student's error, per file
                answers.append({"error": error_text(e, 400)})
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return {"probs": probs, "answers": answers}
