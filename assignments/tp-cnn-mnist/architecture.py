"""Q2: `build_model()`'s architecture, observed as plain layer configs and parameter counts."""

from __future__ import annotations

from grader.budget import group
from grader.judge.checks import CheckFailed, fail
from grader.model import Message, Status

from .common import N_PARAMS, checks

EXPECTED_LAYERS = ("Conv2D(32, 3x3, relu)", "MaxPooling2D(2x2)", "Conv2D(64, 3x3, relu)", "MaxPooling2D(2x2)",
                   "Conv2D(64, 3x3, relu)", "Flatten", "Dense(128, relu)", "Dropout(0.5)", "Dense(10, softmax)")

_MODEL_INFO = """
import numpy as np

def _name(c):
    return c.__module__ + "." + c.__qualname__

def _activation(value):
    if isinstance(value, dict):
        cfg = value.get("config")
        value = cfg if isinstance(cfg, str) else (cfg or {}).get("name", value.get("class_name"))
    return None if value is None else str(value)

def _ints(value):
    if value is None:
        return None
    if isinstance(value, (list, tuple)):
        return [int(v) for v in value]
    return [int(value)]

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
        rate = cfg.get("rate")
        info["layers"].append({"class": type(layer).__name__, "units": cfg.get("units"),
                               "filters": cfg.get("filters"), "kernel_size": _ints(cfg.get("kernel_size")),
                               "pool_size": _ints(cfg.get("pool_size")), "strides": _ints(cfg.get("strides")),
                               "padding": cfg.get("padding"), "rate": None if rate is None else float(rate),
                               "activation": _activation(cfg.get("activation")), "params": params})
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

_BUILD_PROBE = _MODEL_INFO + """
m1 = ns["build_model"]()
m2 = ns["build_model"]()
shared = {id(w) for w in getattr(m1, "weights", [])} & {id(w) for w in getattr(m2, "weights", [])}
result = {"model": model_info(m1), "same_object": m1 is m2, "shared_weights": len(shared),
          "is_notebook_model": m1 is ns.get("model")}
"""


def _built(obs) -> dict:
    if not obs.describe("build_model").get("callable"):
        raise fail("`build_model` n'est pas une fonction.", "`build_model` is not a function.")
    try:
        return obs.memo(("build_model",), lambda: obs.probe(_BUILD_PROBE))
    except CheckFailed as e:
        if e.status is Status.ERROR:
            raise CheckFailed(Message("`build_model()` a levé une erreur.", "`build_model()` raised an error."),
                              Status.ERROR, e.details) from e
        raise


def _size(values) -> str:
    return "x".join(str(v) for v in (values * 2 if len(values or []) == 1 else values or []))


def _describe(layer: dict) -> str:
    cls, act = layer["class"], layer["activation"]
    if cls == "Conv2D":
        extra = "" if layer["padding"] in (None, "valid") else f", padding={layer['padding']}"
        if layer["strides"] and set(layer["strides"]) != {1}:
            extra += f", strides={_size(layer['strides'])}"
        return f"Conv2D({layer['filters']}, {_size(layer['kernel_size'])}, {act}{extra})"
    if cls in ("MaxPooling2D", "AveragePooling2D"):
        strides = layer["strides"]
        extra = f", strides={_size(strides)}" if strides and _size(strides) != _size(layer["pool_size"]) else ""
        return f"{cls}({_size(layer['pool_size'])}{extra})"
    if cls == "Dense":
        return f"Dense({layer['units']}, {act})"
    if cls == "Dropout":
        return f"Dropout({layer['rate']:g})"
    return cls


def _layers(info: dict) -> list[str]:
    """One description per layer; an Activation/ReLU/Softmax layer is folded into its Conv2D or Dense."""
    out: list[dict] = []
    for layer in info["layers"]:
        cls, act = layer["class"], layer["activation"]
        if cls == "InputLayer":
            continue
        folded = {"ReLU": "relu", "Softmax": "softmax"}.get(cls, act if cls == "Activation" else None)
        if folded and out and out[-1]["class"] in ("Dense", "Conv2D") and out[-1]["activation"] in (None, "linear"):
            out[-1] = {**out[-1], "activation": folded}
            continue
        out.append(layer)
    return [_describe(layer) for layer in out]


@checks("q2", weight=0.5, fr="`build_model()` renvoie un modèle Keras.", en="`build_model()` returns a Keras model.")
def check_build_model_returns_keras_model(obs, ctx):
    info = _built(obs)["model"]
    if "keras.src.models.model.Model" not in info["mro"]:
        raise fail(f"`build_model()` renvoie un objet de type {info['type']} ; attendu un modèle "
                   "`keras.Sequential([...])`. N'oubliez pas le `return`.",
                   f"`build_model()` returns a {info['type']}; expected a `keras.Sequential([...])` model.")
    if info.get("n_inputs") not in (None, 1) or info.get("n_outputs") not in (None, 1):
        raise fail("Le modèle doit avoir une seule entrée et une seule sortie.", "The model needs one input, one output.")


@checks("q2", weight=0.5, requires=("check_build_model_returns_keras_model",),
        fr="Entrée de forme (28, 28, 1).", en="Input shape (28, 28, 1).")
def check_build_model_input_shape(obs, ctx):
    info = _built(obs)["model"]
    shape = info.get("input_shape")
    if shape is None:
        raise fail("Le modèle n'a pas de forme d'entrée : commencez par `keras.Input(shape=(28, 28, 1))`.",
                   "The model has no input shape: start with `keras.Input(shape=(28, 28, 1))`.")
    if list(shape) != [None, 28, 28, 1]:
        raise fail(f"Le modèle attend des entrées de forme {tuple(shape[1:])} ; attendu (28, 28, 1) "
                   "(`keras.Input(shape=(28, 28, 1))`).",
                   f"The model expects inputs of shape {tuple(shape[1:])}; expected (28, 28, 1).")


@checks("q2", weight=2, requires=("check_build_model_returns_keras_model",),
        fr="Couches : Conv2D(32) → MaxPool → Conv2D(64) → MaxPool → Conv2D(64) → Flatten → Dense(128) → "
        "Dropout(0.5) → Dense(10, softmax).",
        en="Layers: Conv2D(32) → MaxPool → Conv2D(64) → MaxPool → Conv2D(64) → Flatten → Dense(128) → "
        "Dropout(0.5) → Dense(10, softmax).")
def check_build_model_layers(obs, ctx):
    found = _layers(_built(obs)["model"])
    expected = list(EXPECTED_LAYERS)
    if found == expected:
        return
    shown = " → ".join(found) or "aucune"
    want = " → ".join(expected)
    hint = ""
    for i, (f, e) in enumerate(zip(found, expected, strict=False)):
        if f != e:
            hint = f" Couche {i + 1} : {f} au lieu de {e}."
            break
    if not hint:
        hint = f" {len(found)} couche(s) au lieu de {len(expected)}."
    raise fail(f"Couches du modèle : {shown} ; attendu {want}.{hint}", f"Model layers: {shown}; expected {want}.")


@checks("q2", weight=1, requires=("check_build_model_returns_keras_model",),
        fr="130 890 paramètres.", en="130,890 parameters.")
def check_build_model_param_count(obs, ctx):
    info = _built(obs)["model"]
    count = info.get("params")
    if count is None:
        raise fail("Impossible de compter les paramètres : le modèle n'est pas construit. Déclarez l'entrée avec "
                   "`keras.Input(shape=(28, 28, 1))`.", "Cannot count parameters: the model is not built.",
                   details=str(info.get("params_error", "")))
    if count != N_PARAMS:
        per_layer = ", ".join(f"{layer['class']} : {group(layer['params'])}" for layer in info["layers"]
                              if layer.get("params"))
        raise fail(f"`build_model()` a {group(count)} paramètres ({per_layer}) ; attendu {group(N_PARAMS)}. "
                   "Vérifiez le nombre de filtres (32, 64, 64), les noyaux 3 x 3 sans `padding`, les deux "
                   "`MaxPooling2D` et la couche Dense de 128.",
                   f"`build_model()` has {count:,} parameters; expected {N_PARAMS:,}.")


@checks("q2", weight=0.5, requires=("check_build_model_returns_keras_model",),
        fr="`build_model()` crée un nouveau modèle à chaque appel.", en="`build_model()` makes a new model each call.")
def check_build_model_returns_new_model(obs, ctx):
    built = _built(obs)
    if built["same_object"] or built["shared_weights"] or built["is_notebook_model"]:
        raise fail("Deux appels à `build_model()` renvoient le même modèle (ou des poids partagés) : créez le "
                   "modèle *dans* la fonction et renvoyez-le.",
                   "Two calls of `build_model()` return the same model (or share weights): create the model "
                   "inside the function.")
