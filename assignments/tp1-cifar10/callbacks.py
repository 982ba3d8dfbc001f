"""Q3: `callbacks`, a list holding an EarlyStopping and a ReduceLROnPlateau, read through their attributes."""

from __future__ import annotations

import math

from grader.checks import NO_HINT, Message, fail
from grader.checks.probes import callbacks as keras_callbacks

from .common import checks

_KEYS = ("monitor", "mode", "patience", "restore_best_weights", "factor", "min_lr", "min_delta", "cooldown",
         "start_from_epoch")

KINDS = {"EarlyStopping": "keras.callbacks.EarlyStopping", "ReduceLROnPlateau": "keras.callbacks.ReduceLROnPlateau"}


def _is(item: dict, kind: str) -> bool:
    return any(name.endswith("." + kind) for name in item["mro"])


def _callbacks(obs) -> list[dict]:
    info = obs.memo(("callbacks",), lambda: obs.run(keras_callbacks.describe_list, "callbacks", list(_KEYS)))
    if info["items"] is None:
        single = info.get("single") or {}
        hint = NO_HINT
        if any(_is(single, k) for k in KINDS):
            hint = Message(f" C'est un seul callback ({single['type']}) : mettez les deux dans une liste, "
                           "`callbacks = [es, rlr]`.", f" This is a single callback ({single['type']}): put both "
                           "in a list, `callbacks = [es, rlr]`.")
        raise fail(f"`callbacks` est de type {info['type']} ; attendu une liste `[EarlyStopping(...), "
                   f"ReduceLROnPlateau(...)]` à passer à `fit(..., callbacks=callbacks)`.{hint.fr}",
                   f"`callbacks` is a {info['type']}; expected a list `[EarlyStopping(...), "
                   f"ReduceLROnPlateau(...)]` to pass to `fit(..., callbacks=callbacks)`.{hint.en}")
    return info["items"]


def _one(items: list[dict], kind: str) -> dict:
    found = [x for x in items if _is(x, kind)]
    if len(found) != 1:
        listed = ", ".join(x["type"] for x in items) or "vide"
        raise fail(f"`callbacks` contient {len(found)} `{kind}` (liste : {listed}) ; attendu exactement un "
                   f"`{KINDS[kind]}(...)`.", f"`callbacks` holds {len(found)} `{kind}` (list: {listed}); expected exactly one "
                                             f"`{KINDS[kind]}(...)`.")
    return found[0]


def _mode_consistent(item: dict, name: str) -> None:
    """An explicit mode must match the monitored quantity (a loss decreases, an accuracy increases)."""
    monitor, mode = str(item.get("monitor")), item.get("mode")
    if mode == "min" and "acc" in monitor or mode == "max" and "loss" in monitor:
        raise fail(f"{name} surveille `{monitor}` avec `mode='{mode}'` : le sens est inversé (une perte diminue, "
                   "une précision augmente) ; laissez `mode='auto'`.",
                   f"{name} monitors `{monitor}` with `mode='{mode}'`: the direction is reversed (a loss decreases, "
                   "an accuracy increases); leave `mode='auto'`.")


def _same(value, expected: float) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and \
        math.isclose(float(value), expected, rel_tol=1e-6, abs_tol=0.0)


@checks("q3", public=True, weight=1, fr="`callbacks` : une liste avec un EarlyStopping et un ReduceLROnPlateau.",
        en="`callbacks`: a list with an EarlyStopping and a ReduceLROnPlateau.")
def check_callbacks_list(obs, ctx):
    items = _callbacks(obs)
    for kind in KINDS:
        _one(items, kind)


@checks("q3", public=True, weight=1, requires=("check_callbacks_list",),
        fr="EarlyStopping : `patience=10`, `restore_best_weights=True`.",
        en="EarlyStopping: `patience=10`, `restore_best_weights=True`.")
def check_early_stopping_settings(obs, ctx):
    es = _one(_callbacks(obs), "EarlyStopping")
    if es["patience"] != 10:
        raise fail(f"L'EarlyStopping a une patience de {es['patience']} ; attendu `patience=10` (10 époques sans "
                   "amélioration avant d'arrêter).", f"The EarlyStopping has a patience of {es['patience']}; expected `patience=10` (10 epochs "
                                                     "without improvement before stopping).")
    if es["restore_best_weights"] is not True:
        raise fail("L'EarlyStopping ne restaure pas les meilleurs poids : sans `restore_best_weights=True`, le modèle "
                   "garde ceux de la dernière époque, 10 époques après le meilleur résultat.",
                   "The EarlyStopping does not restore the best weights: without `restore_best_weights=True`, the "
                   "model keeps those of the last epoch, 10 epochs after the best result.")
    _mode_consistent(es, "L'EarlyStopping")


@checks("q3", public=True, weight=1, requires=("check_callbacks_list",),
        fr="ReduceLROnPlateau : `factor=0.5`, `patience=5`, `min_lr=1e-7`.",
        en="ReduceLROnPlateau: `factor=0.5`, `patience=5`, `min_lr=1e-7`.")
def check_reduce_lr_settings(obs, ctx):
    rl = _one(_callbacks(obs), "ReduceLROnPlateau")
    wrong = [(key, rl[key], want) for key, want in (("factor", 0.5), ("patience", 5), ("min_lr", 1e-7))
             if not _same(rl[key], want) or key == "patience" and not isinstance(rl[key], int)]
    if wrong:
        fr = " ; ".join(f"`{k}={v}` au lieu de `{k}={w:g}`" for k, v, w in wrong)
        hint = (Message(" (`factor=0.5` divise le taux d'apprentissage par 2)",
                        " (`factor=0.5` halves the learning rate)") if wrong[0][0] == "factor" else NO_HINT)
        en = "; ".join(f"`{k}={v}` instead of `{k}={w:g}`" for k, v, w in wrong)
        raise fail(f"Le ReduceLROnPlateau a {fr}{hint.fr}.", f"The ReduceLROnPlateau has {en}{hint.en}.")
    _mode_consistent(rl, "Le ReduceLROnPlateau")
