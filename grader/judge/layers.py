"""A Keras model seen as plain data, and the architecture checks every Keras TP shares.

`MODEL_INFO` runs in the runner (prepend it to a probe and call `model_info(m)`): it hands back
per layer its class, the config entries the course fixes and its parameter counts, never an
object. `normalize` turns that into one tuple per layer, folding a separate activation layer
(`Activation`, `ReLU`, `LeakyReLU`, `Softmax`) into the Dense/Conv2D right before it, so that
`Dense(128)` + `Activation("relu")` reads as `Dense(128, relu)`: a style, not a mistake. A layer
the course does not fix reads as its class name. Tuples:

    ("Dense", units, act)             ("Conv2D", filters, kernel, *options, act)
    ("Dropout", rate)                 ("MaxPooling2D", pool[, "strides=s"])
    ("LSTM", units[, "return_sequences"])   ("BatchNormalization",)   ("Flatten",) ...

Conv2D options are strings, present only when not Keras' default ("padding=same", "strides=2"),
so `("Conv2D", 32, 3, "relu")` is a plain valid-padded convolution.
"""

from __future__ import annotations

from typing import Any

from grader.budget import group
from grader.judge.checks import CheckFailed, fail
from grader.model import Message, Status

KERAS_MODEL = "keras.src.models.model.Model"
#: slope of Keras' own `leaky_relu` activation (the string), for the messages
KERAS_LEAKY_DEFAULT = 0.2
_RECURRENT = ("LSTM", "GRU", "SimpleRNN")
#: TensorFlow functions passed as activations serialise under their own names (`tf.nn.softmax`)
_ALIASES = {"softmax_v2": "softmax", "log_softmax_v2": "log_softmax"}

MODEL_INFO = """
import numpy as np

def _name(c):
    return c.__module__ + "." + c.__qualname__

def _activation(value):
    if isinstance(value, dict):
        cfg = value.get("config")
        value = cfg if isinstance(cfg, str) else (cfg or {}).get("name", value.get("class_name"))
    if value is not None and not isinstance(value, str):
        value = getattr(value, "__name__", str(value))
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

def _count(weights):
    return int(sum(int(np.prod(w.shape)) for w in weights))

_KEYS = ("units", "rate", "filters", "kernel_size", "pool_size", "strides", "padding", "negative_slope", "alpha",
         "return_sequences", "axis", "target_shape")

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
        entry = {"class": type(layer).__name__, "activation": _activation(cfg.get("activation")), "params": params,
                 "trainable": bool(getattr(layer, "trainable", True))}
        for key in _KEYS:
            if key in cfg:
                entry[key] = _plain(cfg[key])
        info["layers"].append(entry)
    try:
        info["params"] = int(m.count_params())
        info["trainable_params"] = _count(m.trainable_weights)
        info["non_trainable_params"] = _count(m.non_trainable_weights)
    except Exception as e:
        info["params"] = None
        info["params_error"] = f"{type(e).__name__}: {e}"[:300]
    try:
        info["n_inputs"], info["n_outputs"] = len(m.inputs), len(m.outputs)
    except Exception:
        info["n_inputs"] = info["n_outputs"] = None
    return info
"""


def fresh_probe(function: str, args: str = "") -> str:
    """Probe calling `function(args)` twice: the model, and whether the two calls share anything."""
    return MODEL_INFO + f"""
m1 = ns["{function}"]({args})
m2 = ns["{function}"]({args})
shared = {{id(w) for w in getattr(m1, "weights", [])}} & {{id(w) for w in getattr(m2, "weights", [])}}
result = {{"model": model_info(m1), "same_object": m1 is m2, "shared_weights": len(shared)}}
"""


def variable_probe(name: str) -> str:
    """Probe describing the notebook's variable `name` (a trained model)."""
    return MODEL_INFO + f'\nresult = model_info(ns["{name}"])\n'


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
        act = _ALIASES.get(layer.get("activation"), layer.get("activation"))
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


def _conv_options(layer: dict) -> list[str]:
    options = []
    if layer.get("padding") not in (None, "valid"):
        options.append(f"padding={layer['padding']}")
    strides = _square(layer.get("strides"))
    if strides not in (None, 1):
        options.append(f"strides={strides}")
    return options


def normalize(info: dict) -> list[tuple]:
    """One plain tuple per layer (see the module docstring); InputLayer dropped, activations folded."""
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
        act = _ALIASES.get(layer.get("activation"), layer.get("activation"))
        if act == "leaky_relu":
            act = _leaky(KERAS_LEAKY_DEFAULT)
        if cls == "Dense":
            out.append([cls, layer.get("units"), act])
        elif cls in ("Conv2D", "Convolution2D"):
            out.append(["Conv2D", layer.get("filters"), _square(layer.get("kernel_size")), *_conv_options(layer), act])
        elif cls == "Dropout":
            out.append([cls, round(float(layer.get("rate") or 0.0), 6)])
        elif cls in ("MaxPooling2D", "MaxPool2D"):
            pool, strides = _square(layer.get("pool_size")), _square(layer.get("strides"))
            out.append(["MaxPooling2D", pool, *([f"strides={strides}"] if strides not in (None, pool) else [])])
        elif cls in _RECURRENT:
            out.append([cls, layer.get("units"), *(["return_sequences"] if layer.get("return_sequences") else [])])
        else:
            out.append([cls])
    return [tuple(x) for x in out]


def show(layer: tuple) -> str:
    cls = layer[0]
    if cls == "Dense":
        return f"Dense({layer[1]}, {layer[2] or 'linear'})"
    if cls == "Conv2D":
        return f"Conv2D({', '.join(str(x) for x in layer[1:-1])}, {layer[-1] or 'linear'})"
    if len(layer) > 1:
        return f"{cls}({', '.join(f'{x:g}' if isinstance(x, float) else str(x) for x in layer[1:])})"
    return cls


def show_all(layers: list[tuple]) -> str:
    return " → ".join(show(x) for x in layers) or "aucune"


def first_difference(found: list[tuple], expected: list[tuple]) -> str:
    for i, (f, e) in enumerate(zip(found, expected, strict=False)):
        if f != e:
            return f" Couche {i + 1} : {show(f)} au lieu de {show(e)}."
    return f" {len(found)} couche(s) au lieu de {len(expected)}."


def compare(found: list[tuple], expected: list[tuple], what: str, extra: str = "") -> None:
    """Fail naming the first differing layer; `extra` is a TP-specific hint."""
    if found == expected:
        return
    raise fail(f"Couches de {what} : {show_all(found)} ; attendu {show_all(expected)}."
               f"{first_difference(found, expected)}{extra}",
               f"Layers of {what}: {show_all(found)}; expected {show_all(expected)}.")


def built(obs, function: str, code: str, **inputs: Any) -> dict:
    """Run a probe that calls the student's `function` once per submission, its failure included (a
    function that raises or times out is not run again by every check that reads it); its error is
    the student's."""
    if not obs.describe(function).get("callable"):
        raise fail(f"`{function}` n'est pas une fonction.", f"`{function}` is not a function.")

    def compute() -> tuple[bool, Any]:
        try:
            return True, obs.probe(code, **inputs)
        except CheckFailed as e:
            if e.status is Status.ERROR:
                e = CheckFailed(Message(f"`{function}(...)` a levé une erreur.", f"`{function}(...)` raised an error."),
                                Status.ERROR, e.details)
            return False, e

    ok, value = obs.memo(("built", function, code), compute)
    if not ok:
        raise value
    return value


def require_fresh(built_info: dict, function: str) -> None:
    if built_info["same_object"] or built_info["shared_weights"]:
        raise fail(f"Deux appels à `{function}()` renvoient le même modèle (ou des poids partagés) : créez le "
                   "modèle *dans* la fonction et renvoyez-le.",
                   f"Two calls of `{function}()` return the same model (or share weights).")


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


def require_params(info: dict, what: str, expected: int, hint: str = "", *,
                   non_trainable: int | None = None) -> None:
    """Exact parameter count (and, when given, how many of them are non-trainable)."""
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
    found = info.get("non_trainable_params")
    if non_trainable is not None and found is not None and found != non_trainable:
        raise fail(f"{what} a {group(found)} paramètres non entraînables ; attendu {group(non_trainable)} "
                   "(les moyennes et variances mobiles des BatchNormalization).",
                   f"{what} has {found:,} non-trainable parameters; expected {non_trainable:,}.")
