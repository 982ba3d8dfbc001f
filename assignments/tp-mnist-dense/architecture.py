"""Q2 and Q6: `build_model()`'s architecture, observed as plain layer configs, and `n_params`."""

from __future__ import annotations

from grader.budget import group
from grader.judge.checks import CheckFailed, fail
from grader.judge.expect import as_number
from grader.model import Message, Status

from .common import N_PARAMS, checks

EXPECTED_LAYERS = (("Flatten", None, None), ("Dense", 128, "relu"), ("Dense", 10, "softmax"))

_MODEL_INFO = """
import numpy as np

def _name(c):
    return c.__module__ + "." + c.__qualname__

def _activation(value):
    if isinstance(value, dict):
        cfg = value.get("config")
        value = cfg if isinstance(cfg, str) else (cfg or {}).get("name", value.get("class_name"))
    return None if value is None else str(value)

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
        info["layers"].append({"class": type(layer).__name__, "units": cfg.get("units"),
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
        return obs.probe(_BUILD_PROBE)
    except CheckFailed as e:
        if e.status is Status.ERROR:
            raise CheckFailed(Message("`build_model()` a levé une erreur.", "`build_model()` raised an error."),
                              Status.ERROR, e.details) from e
        raise


def _layers(info: dict) -> list[tuple]:
    """(class, units, activation) per layer; an Activation/ReLU/Softmax layer is folded into its Dense."""
    out: list[list] = []
    for layer in info["layers"]:
        cls, act = layer["class"], layer["activation"]
        if cls == "InputLayer":
            continue
        folded = {"ReLU": "relu", "Softmax": "softmax"}.get(cls, act if cls == "Activation" else None)
        if folded and out and out[-1][0] == "Dense" and out[-1][2] in (None, "linear"):
            out[-1][2] = folded
            continue
        out.append([cls, layer["units"], act if cls == "Dense" else None])
    return [tuple(x) for x in out]


def _show(layer: tuple) -> str:
    cls, units, act = layer
    return f"{cls}({units}, {act})" if cls == "Dense" else cls


@checks("q2", weight=0.5, fr="`build_model()` renvoie un modèle Keras (Sequential).",
        en="`build_model()` returns a Keras model (Sequential).")
def check_build_model_returns_keras_model(obs, ctx):
    info = _built(obs)["model"]
    if "keras.src.models.model.Model" not in info["mro"]:
        raise fail(f"`build_model()` renvoie un objet de type {info['type']} ; attendu un modèle "
                   "`keras.Sequential([...])`. N'oubliez pas le `return`.",
                   f"`build_model()` returns a {info['type']}; expected a `keras.Sequential([...])` model.")
    if info.get("n_inputs") not in (None, 1) or info.get("n_outputs") not in (None, 1):
        raise fail("Le modèle doit avoir une seule entrée et une seule sortie.", "The model needs one input, one output.")


@checks("q2", weight=0.5, requires=("check_build_model_returns_keras_model",),
        fr="Entrée de forme (28, 28).", en="Input shape (28, 28).")
def check_build_model_input_shape(obs, ctx):
    info = _built(obs)["model"]
    shape = info.get("input_shape")
    if shape is None:
        raise fail("Le modèle n'a pas de forme d'entrée : commencez par `keras.Input(shape=(28, 28))`.",
                   "The model has no input shape: start with `keras.Input(shape=(28, 28))`.")
    if list(shape) != [None, 28, 28]:
        raise fail(f"Le modèle attend des entrées de forme {tuple(shape[1:])} ; attendu (28, 28) "
                   "(`keras.Input(shape=(28, 28))`, puis `Flatten`).",
                   f"The model expects inputs of shape {tuple(shape[1:])}; expected (28, 28).")


@checks("q2", weight=1.5, requires=("check_build_model_returns_keras_model",),
        fr="Couches : Flatten → Dense(128, relu) → Dense(10, softmax).",
        en="Layers: Flatten → Dense(128, relu) → Dense(10, softmax).")
def check_build_model_layers(obs, ctx):
    found = _layers(_built(obs)["model"])
    expected = list(EXPECTED_LAYERS)
    shown = " → ".join(_show(layer) for layer in found) or "aucune"
    want = " → ".join(_show(layer) for layer in expected)
    if found == expected:
        return
    hint = ""
    for i, (f, e) in enumerate(zip(found, expected, strict=False)):
        if f != e:
            hint = f" Couche {i + 1} : {_show(f)} au lieu de {_show(e)}."
            break
    if not hint:
        hint = f" {len(found)} couche(s) au lieu de {len(expected)}."
    raise fail(f"Couches du modèle : {shown} ; attendu {want}.{hint}",
               f"Model layers: {shown}; expected {want}.")


@checks("q2", weight=1, requires=("check_build_model_returns_keras_model",),
        fr="101 770 paramètres.", en="101,770 parameters.")
def check_build_model_param_count(obs, ctx):
    info = _built(obs)["model"]
    count = info.get("params")
    if count is None:
        raise fail("Impossible de compter les paramètres : le modèle n'est pas construit. Déclarez l'entrée avec "
                   "`keras.Input(shape=(28, 28))`.", "Cannot count parameters: the model is not built.",
                   details=str(info.get("params_error", "")))
    if count != N_PARAMS:
        per_layer = ", ".join(f"{layer['class']} : {group(layer['params'])}" for layer in info["layers"]
                              if layer.get("params") is not None)
        raise fail(f"`build_model()` a {group(count)} paramètres ({per_layer}) ; attendu {group(N_PARAMS)}. "
                   "Vérifiez la taille de la couche cachée (128) et de la sortie (10).",
                   f"`build_model()` has {count:,} parameters; expected {N_PARAMS:,}. Check the hidden layer "
                   "size (128) and the output (10).")


@checks("q2", weight=0.5, requires=("check_build_model_returns_keras_model",),
        fr="`build_model()` crée un nouveau modèle à chaque appel.", en="`build_model()` makes a new model each call.")
def check_build_model_returns_new_model(obs, ctx):
    built = _built(obs)
    if built["same_object"] or built["shared_weights"] or built["is_notebook_model"]:
        raise fail("Deux appels à `build_model()` renvoient le même modèle (ou des poids partagés) : créez le "
                   "`keras.Sequential` *dans* la fonction et renvoyez-le.",
                   "Two calls of `build_model()` return the same model (or share weights): create the model "
                   "inside the function.")


@checks("q6", fr="`n_params` = 101770.", en="`n_params` = 101770.")
def check_n_params_value(obs, ctx):
    value = as_number(obs.value("n_params"), "`n_params`")
    if value == N_PARAMS:
        return
    if value != int(value):
        raise fail(f"`n_params` vaut {value:g} ; un nombre de paramètres est un entier : {group(N_PARAMS)}.",
                   f"`n_params` is {value:g}; a number of parameters is an integer: {N_PARAMS}.")
    hints = {784 * 128 + 128 * 10: " Vous avez oublié les biais (un par neurone).",
             784 * 128 + 128: " Il manque la couche de sortie (128 x 10 + 10).",
             128 * 10 + 10: " Il manque la couche cachée (784 x 128 + 128)."}
    raise fail(f"`n_params` vaut {value:g} ; attendu {group(N_PARAMS)} = (28 x 28 x 128 + 128) + (128 x 10 + 10)."
               + hints.get(int(value), ""),
               f"`n_params` is {value:g}; expected {N_PARAMS} = (28 x 28 x 128 + 128) + (128 x 10 + 10).")
