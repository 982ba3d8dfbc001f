"""Q4 and Q5: the history of `fit`, and the trained `model` on MNIST test images it never received."""

from __future__ import annotations

import numpy as np

from grader.checks import Feedback, HeldOut, Message, fail, pictures
from grader.checks.probes import history as fit_history

from .common import DEFAULT_THRESHOLD, checks
from .data import as_student_scaled


def _history(obs) -> dict:
    info = obs.run(fit_history.describe, "history")
    if info["type"] == "dict" or info["history"] is None:
        hint = Message(" C'est un dictionnaire : gardez l'objet renvoyé par `fit` (`history = model.fit(...)`), "
                       "pas `.history`.", " This is a dict: keep the object `fit` returns "
                       "(`history = model.fit(...)`), not `.history`.") if info["type"] == "dict" else \
            Message(" Gardez ce que renvoie `fit` : `history = model.fit(...)`.",
                    " Keep what `fit` returns: `history = model.fit(...)`.")
        raise fail(f"`history` est de type {info['type']} ; attendu l'objet `History` renvoyé par "
                   f"`model.fit`.{hint.fr}",
                   f"`history` is a {info['type']}; expected the `History` object returned by `model.fit`.{hint.en}")
    return info


@checks("q4", public=True, fr="`history` est l'historique renvoyé par `model.fit`.", en="`history` is what `model.fit` returned.")
def check_history_is_fit_history(obs, ctx):
    info = _history(obs)
    if not info["epoch"]:
        raise fail("`history` ne contient aucune époque : `fit` a-t-il tourné ?",
                   "`history` holds no epoch: did `fit` run?")


@checks("q4", public=True, weight=2, requires=("check_history_is_fit_history",),
        fr="`history.history` contient accuracy et val_accuracy pour chaque époque.",
        en="`history.history` holds accuracy and val_accuracy for every epoch.")
def check_history_has_accuracy_and_val_accuracy(obs, ctx):
    info = _history(obs)
    hist, epochs = info["history"], len(info["epoch"])
    keys = sorted(hist)
    train_key = next((k for k in ("accuracy", "acc", "sparse_categorical_accuracy") if k in hist), None)
    if train_key is None:
        raise fail(f"`history.history` a les clés {keys} ; attendu `accuracy` (compilez avec "
                   "`metrics=[\"accuracy\"]`).", f"`history.history` has the keys {keys}; expected `accuracy` (compile with "
                                                 "`metrics=[\"accuracy\"]`).")
    if f"val_{train_key}" not in hist:
        raise fail(f"`history.history` a les clés {keys} ; attendu aussi `val_{train_key}` : passez "
                   "`validation_data=(x_test, y_test)` (ou `validation_split`) à `fit`.",
                   f"`history.history` has keys {keys}; `val_{train_key}` is missing: pass `validation_data` "
                   "to `fit`.")
    for key in (train_key, f"val_{train_key}"):
        values = hist[key]
        if values is None or len(values) != epochs:
            raise fail(f"`history.history['{key}']` a {0 if values is None else len(values)} valeur(s) pour "
                       f"{epochs} époque(s) ; attendu une par époque.",
                       f"`history.history['{key}']` has the wrong length for {epochs} epoch(s).")
        arr = np.asarray(values, dtype=np.float64)
        if not np.all(np.isfinite(arr)) or arr.min() < 0 or arr.max() > 1:
            raise fail(f"`history.history['{key}']` contient des valeurs hors de [0, 1] : {arr.round(4).tolist()}.",
                       f"`history.history['{key}']` has values outside [0, 1].")
    return Feedback(None, (pictures.learning_curves(hist),))


# -- q5 ----------------------------------------------------------------------
#: the hidden images preprocessed like the student's `x_test`; its `accuracy` is what `grader calibrate` measures
TRAINED = HeldOut("mnist", "model", question="q5", default=DEFAULT_THRESHOLD, prepare=as_student_scaled, history=None)


@checks("q5", fr="`model` entraîné reconnaît des chiffres qu'il n'a jamais vus.",
        en="The trained `model` recognises digits it has never seen.")
def check_model_accuracy_on_hidden_images(obs, ctx):
    return TRAINED.check_accuracy(obs, ctx)
