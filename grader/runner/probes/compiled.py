"""How a student's model was compiled (runner side): its compile config, optimizer and learning rate,
and its loss evaluated on arrays the judge chose (a loss is judged by what it computes, whatever
form it was given in: a string, a function, a `keras.losses.Loss`, a function of the student's)."""

from __future__ import annotations

import types
from typing import Any

import numpy as np

from grader.runner.probes import error_text, type_info


def describe(ns: dict, name: str) -> dict[str, Any]:
    """{"type", "mro", "compiled", "config" (`get_compile_config()`), "optimizer" (class name), "lr"}."""
    m = ns[name]
    out: dict[str, Any] = {**type_info(m), "compiled": bool(getattr(m, "compiled", False)), "config": None,
                           "optimizer": None, "lr": None}
    if out["compiled"]:
        out["config"] = m.get_compile_config()
        opt = getattr(m, "optimizer", None)
        out["optimizer"] = type(opt).__name__ if opt is not None else None
        try:
            out["lr"] = float(np.asarray(opt.learning_rate))
        except Exception:  # noqa: BLE001
            pass
    return out


def _loss_name(loss: Any) -> str | None:
    if loss is None or isinstance(loss, str):
        return loss
    if isinstance(loss, types.FunctionType):
        return getattr(loss, "__name__", "fonction")
    fn = getattr(loss, "fn", None)
    inner = getattr(fn, "__name__", None) if callable(fn) else getattr(loss, "name", None)
    return type(loss).__name__ + (f" ({inner})" if inner else "")


def loss_value(ns: dict, name: str, y_true: np.ndarray, y_pred: np.ndarray) -> dict[str, Any]:
    """{"compiled", "loss" (its name, a hint), "value" (mean loss on the pair, None when it cannot be
    evaluated), "error"}; a single-output list or dict of losses reads as that loss."""
    m = ns[name]
    loss = getattr(m, "loss", None)
    if isinstance(loss, (list, tuple)) and len(loss) == 1:
        loss = loss[0]
    elif isinstance(loss, dict) and len(loss) == 1:
        loss = next(iter(loss.values()))
    out: dict[str, Any] = {"compiled": bool(getattr(m, "compiled", loss is not None)), "loss": _loss_name(loss),
                           "value": None, "error": None}
    if loss is not None:
        try:
            import keras

            fn = keras.losses.get(loss) if isinstance(loss, str) else loss
            t = keras.ops.convert_to_tensor(np.asarray(y_true, dtype="float32"))
            p = keras.ops.convert_to_tensor(np.asarray(y_pred, dtype="float32"))
            out["value"] = float(np.mean(np.asarray(fn(t, p))))
        except Exception as e:  # noqa: BLE001 - a loss that cannot be evaluated: said so
            out["error"] = error_text(e)
    return out
