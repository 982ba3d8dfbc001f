"""A Keras model seen as plain data, and the architecture checks every Keras TP shares.

The runner describes a model (`grader.runner.probes.keras_model.describe`): per layer its class, the
config entries the course fixes, its parameter counts and its activation identified by what it
computes on fixed inputs (`grader.runner.probes.activations`: "relu", "leaky_relu(0.1)", "other",
...), never an object; the config's name for the activation is only a hint for the messages.
`normalize` turns that into one tuple per layer, folding a separate activation layer
(`Activation`, `ReLU`, `LeakyReLU`, `Softmax`, `ELU`, a `Lambda` computing a known activation)
into the Dense/Conv2D right before it, so that `Dense(128)` + `Activation("relu")` reads as
`Dense(128, relu)` and `Dense(128, activation=lambda x: tf.nn.leaky_relu(x, alpha=0.1))` as
`Dense(128)` + `LeakyReLU(0.1)`: a style, not a mistake. A layer the course does not fix reads
as its class name. Tuples:

    ("Dense", units, act)             ("Conv2D", filters, kernel, *options, act)
    ("Dropout", rate)                 ("MaxPooling2D", pool[, "strides=s"])
    ("LSTM", units[, "return_sequences"])   ("BatchNormalization",)   ("Flatten",) ...

Conv2D options are strings, present only when not Keras' default ("padding=same", "strides=2"),
so `("Conv2D", 32, 3, "relu")` is a plain valid-padded convolution.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from grader.judge.registry import CheckFailed, fail, pair
from grader.model import Message, Status
from grader.numbers import group
from grader.runner.probes import KERAS_MODEL
from grader.runner.probes import keras_model as model
from grader.runner.probes.activations import OTHER, leaky

__all__ = ["KERAS_MODEL", "leaky"]

#: slope of Keras' own `leaky_relu` activation (the string), for the messages
KERAS_LEAKY_DEFAULT = 0.2
_RECURRENT = ("LSTM", "GRU", "SimpleRNN")

def _square(value) -> int | list | None:
    if isinstance(value, (list, tuple)):
        vals = [int(v) for v in value]
        return vals[0] if len(set(vals)) == 1 else vals
    return None if value is None else int(value)


def _act(layer: dict) -> str | None:
    """The activation a layer computes, as the runner identified it (None: the layer has none); an
    unidentified one reads as `other(<its config name>)` in the messages."""
    act = layer.get("activation")
    if act == OTHER:
        hint = layer.get("activation_hint")
        return f"{OTHER}({hint})" if hint else OTHER
    return act


def _folded(layer: dict) -> str | None:
    """The activation a separate activation layer applies (None when it is not one)."""
    if layer.get("activation_layer"):
        return _act(layer) or OTHER
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
        act = _act(layer)
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


def first_difference(found: list[tuple], expected: list[tuple]) -> Message:
    for i, (f, e) in enumerate(zip(found, expected, strict=False)):
        if f != e:
            return Message(f" Couche {i + 1} : {show(f)} au lieu de {show(e)}.",
                           f" Layer {i + 1}: {show(f)} instead of {show(e)}.")
    return Message(f" {len(found)} couche(s) au lieu de {len(expected)}.",
                   f" {len(found)} layer(s) instead of {len(expected)}.")


def compare(found: list[tuple], expected: list[tuple], what: str, extra: Message | None = None) -> None:
    """Fail naming the first differing layer; `extra` is a TP-specific hint, in both languages."""
    if found == expected:
        return
    if isinstance(extra, str):
        raise ValueError("compare(): a hint in both languages (a Message), not French alone")
    extra = extra or Message("", "")
    diff = first_difference(found, expected)
    raise fail(f"Couches de {what} : {show_all(found)} ; attendu {show_all(expected)}.{diff.fr}{extra.fr}",
               f"Layers of {what}: {show_all(found)}; expected {show_all(expected)}.{diff.en}{extra.en}")


def built(obs, function: str, probe: Callable[..., Any] = model.fresh, *args: Any, **kwargs: Any) -> Any:
    """`obs.run(probe, function, *args, **kwargs)` once per submission, its failure included: `probe` (a
    runner-side function, by default `grader.runner.probes.keras_model.fresh`) calls the student's `function`,
    and a function that raises or times out is not run again by every check that reads it; its error
    is the student's."""
    if not obs.describe(function).get("callable"):
        raise fail(f"`{function}` n'est pas une fonction.", f"`{function}` is not a function.")

    def compute() -> tuple[bool, Any]:
        try:
            return True, obs.run(probe, function, *args, **kwargs)
        except CheckFailed as e:
            if e.status is Status.ERROR:
                e = CheckFailed(Message(f"`{function}(...)` a levé une erreur.", f"`{function}(...)` raised an error."),
                                Status.ERROR, e.details)
            return False, e

    ok, value = obs.memo(("built", function, probe.__module__, probe.__name__), compute)
    if not ok:
        raise value
    return value


def require_fresh(built_info: dict, function: str) -> None:
    if built_info["same_object"] or built_info["shared_weights"]:
        raise fail(f"Deux appels à `{function}()` renvoient le même modèle (ou des poids partagés) : créez le "
                   "modèle *dans* la fonction et renvoyez-le.",
                   f"Two calls of `{function}()` return the same model (or shared weights): create the model "
                   "*inside* the function and return it.")


def require_keras_model(info: dict, what: str) -> None:
    if KERAS_MODEL not in info["mro"]:
        raise fail(f"{what} est de type {info['type']} ; attendu un modèle Keras (`keras.Sequential([...])`). "
                   "N'oubliez pas le `return`.", f"{what} is a {info['type']}; expected a Keras model (`keras.Sequential([...])`). Do not "
                                                 "forget the `return`.")
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


def require_params(info: dict, what: str, expected: int, hint: str | Message = "", hint_en: str = "", *,
                   non_trainable: int | None = None) -> None:
    """Exact parameter count (and, when given, how many of them are non-trainable). The hint comes in
    both languages (`hint` and `hint_en`, or a Message), else ValueError."""
    what_to_try = pair(hint, hint_en)
    count = info.get("params")
    if count is None:
        raise fail(f"Impossible de compter les paramètres de {what} : le modèle n'est pas construit. Déclarez "
                   "l'entrée avec `keras.Input(...)`.",
                   f"Cannot count the parameters of {what}: the model is not built. Declare its input with "
                   "`keras.Input(...)`.",
                   details=str(info.get("params_error", "")))
    if count != expected:
        per_layer = ", ".join(f"{layer['class']} : {group(layer['params'])}" for layer in info["layers"]
                              if layer.get("params"))
        per_layer_en = ", ".join(f"{layer['class']}: {layer['params']:,}" for layer in info["layers"]
                                 if layer.get("params"))
        raise fail(f"{what} a {group(count)} paramètres ({per_layer}) ; attendu {group(expected)}.{what_to_try.fr}",
                   f"{what} has {count:,} parameters ({per_layer_en}); expected {expected:,}.{what_to_try.en}")
    found = info.get("non_trainable_params")
    if non_trainable is not None and found is not None and found != non_trainable:
        raise fail(f"{what} a {group(found)} paramètres non entraînables ; attendu {group(non_trainable)} "
                   "(les moyennes et variances mobiles des BatchNormalization).",
                   f"{what} has {found:,} non-trainable parameters; expected {non_trainable:,} (the moving means "
                   "and variances of the BatchNormalization layers).")
