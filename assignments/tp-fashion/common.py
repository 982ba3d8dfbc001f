"""Shared by tp-fashion's checks: the registry, fixed figures, the budget, model descriptions.

A model is observed as plain data (`MODEL_INFO` runs in the runner): per layer its class and the
few config entries the TP fixes. `normalize` folds separate activation layers (`Activation`,
`ReLU`, `LeakyReLU`, `Softmax`) into the Dense/Conv2D before them, so `Dense(128)` followed by
`LeakyReLU(negative_slope=0.1)` reads as `Dense(128, leaky_relu(0.1))`, and the Keras string
`"leaky_relu"` (slope 0.2) as `Dense(128, leaky_relu(0.2))`.
"""

from __future__ import annotations

from grader.budget import group
from grader.judge.checks import CheckFailed, Registry, fail
from grader.model import Message, Status

checks = Registry()

DATASET = "fashion_mnist"
FULL = {"train": 60_000, "test": 10_000}
N_PARAMS_ANN = 109_386
N_PARAMS_CNN = 225_034
DEFAULT_THRESHOLD = 0.65
KERAS_MODEL = "keras.src.models.model.Model"
#: slope of Keras' own `leaky_relu` activation (the string), for the messages
KERAS_LEAKY_DEFAULT = 0.2






MODEL_INFO = """
import numpy as np

def _name(c):
    return c.__module__ + "." + c.__qualname__

def _activation(value):
    if isinstance(value, dict):
        cfg = value.get("config")
        value = cfg if isinstance(cfg, str) else (cfg or {}).get("name", value.get("class_name"))
    return None if value is None else str(value)

def _plain(v):
    if isinstance(v, (list, tuple)):
        return [_plain(x) for x in v]
    if isinstance(v, (bool, int, float, str)) or v is None:
        return v
    try:
        return float(v)
    except Exception:
        return str(v)[:80]

def model_info(m):
    info = {"type": _name(type(m)), "mro": [_name(c) for c in type(m).__mro__][:24], "layers": []}
    try:
        info["input_shape"] = [None if d is None else int(d) for d in m.input_shape]
    except Exception as e:
        info["input_shape"] = None
        info["input_error"] = f"{type(e).__name__}: {e}"[:300]
    for layer in list(getattr(m, "layers", []) or []):
        try:
            cfg = layer.get_config()
        except Exception:
            cfg = {}
        try:
            params = int(layer.count_params())
        except Exception:
            params = None
        entry = {"class": type(layer).__name__, "activation": _activation(cfg.get("activation")), "params": params}
        for key in ("units", "rate", "filters", "kernel_size", "pool_size", "negative_slope", "alpha"):
            if key in cfg:
                entry[key] = _plain(cfg[key])
        info["layers"].append(entry)
    try:
        info["params"] = int(m.count_params())
    except Exception as e:
        info["params"] = None
        info["params_error"] = f"{type(e).__name__}: {e}"[:300]
    try:
        info["n_inputs"], info["n_outputs"] = len(m.inputs), len(m.outputs)
    except Exception:
        info["n_inputs"] = info["n_outputs"] = None
    return info
"""


def _square(value) -> int | list | None:
    if isinstance(value, (list, tuple)):
        vals = [int(v) for v in value]
        return vals[0] if len(set(vals)) == 1 else vals
    return None if value is None else int(value)


def _leaky(slope) -> str:
    return f"leaky_relu({round(float(slope), 6):g})"


def _folded(layer: dict) -> str | None:
    """The activation a separate activation layer applies (None when it is not one)."""
    cls = layer["class"]
    if cls == "Activation":
        act = layer.get("activation")
        return _leaky(KERAS_LEAKY_DEFAULT) if act == "leaky_relu" else act
    if cls == "Softmax":
        return "softmax"
    if cls == "LeakyReLU":
        slope = layer.get("negative_slope", layer.get("alpha"))
        return _leaky(0.3 if slope is None else slope)
    if cls == "ReLU":
        slope = float(layer.get("negative_slope") or 0.0)
        return _leaky(slope) if slope else "relu"
    return None


def normalize(info: dict) -> list[tuple]:
    """Plain tuples per layer: ("Dense", units, act), ("Dropout", rate), ("Conv2D", filters, kernel, act)..."""
    out: list[list] = []
    for layer in info["layers"]:
        cls = layer["class"]
        if cls == "InputLayer":
            continue
        folded = _folded(layer)
        if folded is not None:
            if out and out[-1][0] in ("Dense", "Conv2D") and out[-1][-1] in (None, "linear"):
                out[-1][-1] = folded
                continue
            out.append(["Activation", folded])
            continue
        act = layer.get("activation")
        if act == "leaky_relu":
            act = _leaky(KERAS_LEAKY_DEFAULT)
        if cls == "Dense":
            out.append([cls, layer.get("units"), act])
        elif cls == "Conv2D":
            out.append([cls, layer.get("filters"), _square(layer.get("kernel_size")), act])
        elif cls == "Dropout":
            out.append([cls, round(float(layer.get("rate") or 0.0), 6)])
        elif cls in ("MaxPooling2D", "MaxPool2D"):
            out.append(["MaxPooling2D", _square(layer.get("pool_size"))])
        else:
            out.append([cls])
    return [tuple(x) for x in out]


def show(layer: tuple) -> str:
    cls = layer[0]
    if cls == "Dense":
        return f"Dense({layer[1]}, {layer[2] or 'linear'})"
    if cls == "Conv2D":
        return f"Conv2D({layer[1]}, {layer[2]}, {layer[3] or 'linear'})"
    if cls in ("Dropout", "MaxPooling2D", "Activation"):
        return f"{cls}({layer[1]:g})" if isinstance(layer[1], float) else f"{cls}({layer[1]})"
    return cls


def show_all(layers: list[tuple]) -> str:
    return " → ".join(show(x) for x in layers) or "aucune"


def first_difference(found: list[tuple], expected: list[tuple]) -> str:
    for i, (f, e) in enumerate(zip(found, expected, strict=False)):
        if f != e:
            return f" Couche {i + 1} : {show(f)} au lieu de {show(e)}."
    return f" {len(found)} couche(s) au lieu de {len(expected)}."


def built(obs, function: str, code: str) -> dict:
    """Run a probe that calls the student's `function`; its error is the student's."""
    if not obs.describe(function).get("callable"):
        raise fail(f"`{function}` n'est pas une fonction.", f"`{function}` is not a function.")
    try:
        return obs.memo(("built", function, code), lambda: obs.probe(code))
    except CheckFailed as e:
        if e.status is Status.ERROR:
            raise CheckFailed(Message(f"`{function}(...)` a levé une erreur.", f"`{function}(...)` raised an error."),
                              Status.ERROR, e.details) from e
        raise


def require_keras_model(info: dict, what: str) -> None:
    if KERAS_MODEL not in info["mro"]:
        raise fail(f"{what} est de type {info['type']} ; attendu un modèle Keras (`keras.Sequential([...])`). "
                   "N'oubliez pas le `return`.", f"{what} is a {info['type']}; expected a Keras model.")
    if info.get("n_inputs") not in (None, 1) or info.get("n_outputs") not in (None, 1):
        raise fail(f"{what} doit avoir une seule entrée et une seule sortie.", f"{what} needs one input, one output.")


def require_input_shape(info: dict, what: str, shape: tuple[int, ...]) -> None:
    found = info.get("input_shape")
    want = f"keras.Input(shape={shape})"
    if found is None:
        raise fail(f"{what} n'a pas de forme d'entrée : commencez par `{want}`.",
                   f"{what} has no input shape: start with `{want}`.")
    if list(found) != [None, *shape]:
        raise fail(f"{what} attend des entrées de forme {tuple(found[1:])} ; attendu {shape} (`{want}`).",
                   f"{what} expects inputs of shape {tuple(found[1:])}; expected {shape}.")


def require_params(info: dict, what: str, expected: int, hint: str = "") -> None:
    count = info.get("params")
    if count is None:
        raise fail(f"Impossible de compter les paramètres de {what} : le modèle n'est pas construit. Déclarez "
                   "l'entrée avec `keras.Input(...)`.", f"Cannot count the parameters of {what}: not built.",
                   details=str(info.get("params_error", "")))
    if count != expected:
        per_layer = ", ".join(f"{layer['class']} : {group(layer['params'])}" for layer in info["layers"]
                              if layer.get("params"))
        raise fail(f"{what} a {group(count)} paramètres ({per_layer}) ; attendu {group(expected)}.{hint}",
                   f"{what} has {count:,} parameters; expected {expected:,}.")
