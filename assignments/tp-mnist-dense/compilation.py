"""Q3: how `model` was compiled, read from `model.get_compile_config()` (plain data)."""

from __future__ import annotations

import re

from grader.checks import NO_HINT, Message, fail
from grader.checks.probes import KERAS_MODEL, compiled

from .common import checks

ACCURACY_NAMES = {"accuracy", "acc", "sparse_categorical_accuracy"}

def _compiled(obs) -> dict:
    info = obs.run(compiled.describe, "model")
    if KERAS_MODEL not in info["mro"]:
        raise fail(f"`model` est de type {info['type']} ; attendu le modèle Keras de `build_model()`.",
                   f"`model` is a {info['type']}; expected the Keras model from `build_model()`.")
    if not info["compiled"]:
        raise fail("`model` n'est pas compilé : appelez `model.compile(optimizer=..., loss=..., metrics=[...])`.",
                   "`model` is not compiled: call `model.compile(optimizer=..., loss=..., metrics=[...])`.")
    return info


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def _loss(config) -> tuple[str, bool]:
    """(name, from_logits) of a serialized loss: a string, a function or a Loss object."""
    if isinstance(config, str):
        return config, False
    if isinstance(config, dict):
        inner = config.get("config")
        if isinstance(inner, str):
            return inner, False
        return _snake(str(config.get("class_name", "?"))), bool((inner or {}).get("from_logits", False))
    return str(config), False


def _metric_names(config) -> list[str]:
    if isinstance(config, str):
        return [config]
    if isinstance(config, (list, tuple)):
        return [n for c in config for n in _metric_names(c)]
    if isinstance(config, dict) and "class_name" in config:
        inner = config.get("config")
        return [inner if isinstance(inner, str) else _snake(str(config["class_name"]))]
    if isinstance(config, dict):
        return [n for c in config.values() for n in _metric_names(c)]
    return []


@checks("q3", public=True, fr="Optimiseur Adam.", en="Adam optimizer.")
def check_model_optimizer_is_adam(obs, ctx):
    info = _compiled(obs)
    if info["optimizer"] != "Adam":
        raise fail(f"`model` est compilé avec l'optimiseur {info['optimizer']} ; attendu Adam "
                   "(`optimizer=\"adam\"`).", f"`model` is compiled with the {info['optimizer']} optimizer; expected Adam (`optimizer=\"adam\"`).")
    lr = info.get("lr")
    if lr is not None and not 1e-4 <= lr <= 1e-2:
        raise fail(f"Taux d'apprentissage d'Adam : {lr:.3g} ; attendu autour de 0,001 (la valeur par défaut).",
                   f"Adam learning rate: {lr:.3g}; expected about 0.001 (the default).")


@checks("q3", public=True, fr="Perte sparse_categorical_crossentropy.", en="Loss sparse_categorical_crossentropy.")
def check_model_loss_is_sparse_categorical_crossentropy(obs, ctx):
    name, from_logits = _loss((_compiled(obs)["config"] or {}).get("loss"))
    if name != "sparse_categorical_crossentropy":
        hint = Message(" `categorical_crossentropy` attend des étiquettes one-hot ; avec les entiers de 0 à 9, "
                       "utilisez `sparse_categorical_crossentropy`.",
                       " `categorical_crossentropy` expects one-hot labels; with the integers 0 to 9, use "
                       "`sparse_categorical_crossentropy`.") if name == "categorical_crossentropy" else NO_HINT
        raise fail(f"`model` est compilé avec la perte {name} ; attendu sparse_categorical_crossentropy.{hint.fr}",
                   f"`model` is compiled with the loss {name}; expected sparse_categorical_crossentropy.{hint.en}")
    if from_logits:
        raise fail("La perte est déclarée `from_logits=True` alors que la sortie passe par softmax : "
                   "enlevez `from_logits=True`.", "The loss is declared `from_logits=True` while the output goes through a softmax: remove "
                                                  "`from_logits=True`.")


@checks("q3", public=True, fr="Métrique accuracy.", en="Accuracy metric.")
def check_model_metrics_include_accuracy(obs, ctx):
    names = _metric_names((_compiled(obs)["config"] or {}).get("metrics"))
    if not ACCURACY_NAMES & set(names):
        found = ", ".join(names) or "aucune"
        raise fail(f"Métriques de `model` : {found} ; attendu `metrics=[\"accuracy\"]`.",
                   f"Metrics of `model`: {found}; expected `metrics=[\"accuracy\"]`.")
