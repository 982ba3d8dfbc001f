"""What an activation computes, identified on fixed inputs: a known Keras activation, a leaky ReLU of
a measured slope, or "other".

A student may give the same activation in many spellings (`activation="relu"`, `tf.nn.relu`, a
separate `ReLU()` layer, `lambda x: keras.activations.leaky_relu(x, negative_slope=0.1)`, a small
`def`, `tf.nn.leaky_relu(x, alpha=0.1)`, `LeakyReLU(0.1)`): its name in the layer's config is no
guide (a lambda serialises as "<lambda>", a `def` under its own name, Keras' string
"leaky_relu" has slope 0.2). So the runner evaluates the activation on `GRID` and `identify`
compares the values with numpy formulas of the Keras activations. Labels:

    "relu", "sigmoid", "tanh", "softmax", "linear", "elu", "selu", "gelu", "silu", ...
    "leaky_relu(0.1)"   any x -> x (x >= 0), a * x (x < 0): the slope a, rounded to 6 decimals
    "other"             none of them (or the activation could not be evaluated)

`silu` and `swish` are one function (Keras' two names), read "silu"; so are `celu` (alpha 1) and
`elu`, read "elu"; `gelu` is accepted in its exact and tanh-approximated forms.
The formulas are numpy only: the judge imports this module too (tests, messages).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

#: one row of probe inputs: a fine grid of [-3, 3] (0 included) and four values beyond it
GRID = np.concatenate([np.linspace(-3.0, 3.0, 61), [-8.0, -5.0, 5.0, 8.0]]).astype(np.float32)[None, :]
ATOL, RTOL = 5e-5, 1e-4
OTHER = "other"
#: layers whose only job is an activation (their output replaces the previous layer's activation)
ACTIVATION_LAYERS = ("Activation", "ReLU", "LeakyReLU", "Softmax", "ELU", "ThresholdedReLU")


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return np.exp(-np.logaddexp(0.0, -x))


def _softmax(x: np.ndarray) -> np.ndarray:
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def _elu(x: np.ndarray) -> np.ndarray:
    return np.where(x > 0, x, np.expm1(np.minimum(x, 0.0)))


def _gelu_exact(x: np.ndarray) -> np.ndarray:
    from math import erf

    return 0.5 * x * (1.0 + np.vectorize(erf)(x / np.sqrt(2.0)))


def _gelu_tanh(x: np.ndarray) -> np.ndarray:
    return 0.5 * x * (1.0 + np.tanh(np.sqrt(2.0 / np.pi) * (x + 0.044715 * x ** 3)))


def _hard_sigmoid(x: np.ndarray) -> np.ndarray:
    return np.clip(x / 6.0 + 0.5, 0.0, 1.0)


def _softplus(x: np.ndarray) -> np.ndarray:
    return np.logaddexp(0.0, x)


_SELU_ALPHA, _SELU_SCALE = 1.6732632423543772, 1.0507009873554805

#: name -> the formulas Keras computes under it (first match wins; each tested against Keras itself)
KNOWN: dict[str, tuple[Callable[[np.ndarray], np.ndarray], ...]] = {
    "linear": (lambda x: x,),
    "relu": (lambda x: np.maximum(x, 0.0),),
    "sigmoid": (_sigmoid,),
    "tanh": (np.tanh,),
    "softmax": (_softmax,),
    "log_softmax": (lambda x: np.log(_softmax(x)),),
    "elu": (_elu,),
    "selu": (lambda x: _SELU_SCALE * np.where(x > 0, x, _SELU_ALPHA * np.expm1(np.minimum(x, 0.0))),),
    "gelu": (_gelu_exact, _gelu_tanh),
    "silu": (lambda x: x * _sigmoid(x),),
    "softplus": (_softplus,),
    "softsign": (lambda x: x / (1.0 + np.abs(x)),),
    "relu6": (lambda x: np.clip(x, 0.0, 6.0),),
    "hard_sigmoid": (_hard_sigmoid,),
    "hard_silu": (lambda x: x * _hard_sigmoid(x),),
    "hard_tanh": (lambda x: np.clip(x, -1.0, 1.0),),
    "exponential": (np.exp,),
    "mish": (lambda x: x * np.tanh(_softplus(x)),),
    "log_sigmoid": (lambda x: -_softplus(-x),),
    "tanh_shrink": (lambda x: x - np.tanh(x),),
    "soft_shrink": (lambda x: np.where(x > 0.5, x - 0.5, np.where(x < -0.5, x + 0.5, 0.0)),),
    "hard_shrink": (lambda x: np.where(np.abs(x) > 0.5, x, 0.0),),
    "squareplus": (lambda x: (x + np.sqrt(x * x + 4.0)) / 2.0,),
}


def leaky(slope: float) -> str:
    """The label of a leaky ReLU of `slope` (the same string the judge writes expected layers with)."""
    return f"leaky_relu({round(float(slope), 6):g})"


def _close(found: np.ndarray, expected: np.ndarray) -> bool:
    return bool(np.all(np.abs(found - expected) <= ATOL + RTOL * np.abs(expected)))


def _slope(x: np.ndarray, y: np.ndarray) -> float | None:
    """The slope a when y is x for x >= 0 and a * x for x < 0 (None when it is not that shape)."""
    neg = x < 0
    a = float(np.median(y[neg] / x[neg]))
    return a if _close(y, np.where(neg, a * x, x)) else None


def identify(values: Any, x: np.ndarray = GRID) -> str:
    """The label of the activation that gave `values` on the inputs `x` (see the module docstring)."""
    try:
        y = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        return OTHER
    x = np.asarray(x, dtype=np.float64)
    if y.shape != x.shape or not np.all(np.isfinite(y)):
        return OTHER
    for name, formulas in KNOWN.items():
        if any(_close(y, f(x)) for f in formulas):
            return name
    slope = _slope(x.reshape(-1), y.reshape(-1))
    if slope is None:
        return OTHER
    label = leaky(slope)
    return "relu" if label == leaky(0.0) else "linear" if label == leaky(1.0) else label


def _as_numpy(value: Any) -> np.ndarray:
    import keras

    return np.asarray(keras.ops.convert_to_numpy(value), dtype=np.float64)


def evaluate(fn: Callable[[Any], Any]) -> np.ndarray:
    """`fn` (an activation function or an activation layer) on `GRID`, as a float array (runner side)."""
    import keras

    return _as_numpy(fn(keras.ops.convert_to_tensor(GRID)))


def config_name(value: Any) -> str | None:
    """The activation's name as the layer's config spells it: only a hint for the messages."""
    if isinstance(value, dict):
        cfg = value.get("config")
        value = cfg if isinstance(cfg, str) else (cfg or {}).get("name", value.get("class_name"))
    if value is not None and not isinstance(value, str):
        value = getattr(value, "__name__", None) or type(value).__name__
    return None if value is None else str(value)[:60]


def of_layer(layer: Any, cache: dict[int, str] | None = None) -> dict[str, Any] | None:
    """What `layer` applies as its activation, identified (runner side): {"activation": label,
    "activation_layer": bool, "activation_error": text (only when evaluating raised)}, or None when the
    layer has none. `cache` (id of an activation function -> label) spares re-evaluating the same
    function for every layer of a large model."""
    cls = type(layer).__name__
    try:
        fn = getattr(layer, "activation", None)
    except Exception:  # noqa: BLE001 - a property that raises: no activation to read
        fn = None
    if cls in ACTIVATION_LAYERS or cls == "Lambda":
        target, key = layer, None
        if callable(fn) and cls == "Activation":
            target, key = fn, id(fn)
    elif callable(fn):
        target, key = fn, id(fn)
    else:
        return None
    out: dict[str, Any] = {"activation_layer": cls in ACTIVATION_LAYERS}
    if cache is not None and key is not None and key in cache:
        out["activation"] = cache[key]
        return out
    try:
        label = identify(evaluate(target))
    except Exception as e:  # noqa: BLE001 - a student's function that fails on plain numbers computes "other"
        label = OTHER
        out["activation_error"] = f"{type(e).__name__}: {e}"[:300]
    if cls == "Lambda" and label in (OTHER, "linear"):
        return None  # a Lambda that is no activation (a reshape, a preprocessing) stays a layer of its own
    out["activation"] = label
    out["activation_layer"] = out["activation_layer"] or cls == "Lambda"
    if cache is not None and key is not None and "activation_error" not in out:
        cache[key] = label
    return out
