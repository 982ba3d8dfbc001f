"""A student's confusion matrix judged against the one recomputed from their own model.

The runner hands back `cm` as an array, the classes of the student's own test labels (argmax of
one-hot rows, or the integers themselves) and the argmax of the student's own model on the
student's own test images; the matrix is recomputed here. So a weak model or integer labels
(other questions) still allow a correct `cm`: the mistake is charged once.

`ConfusionMatrix` is the shared check (scikit-learn's `check_<property>`, parametrised by the TP's
names), each part called from the TP's own top-level `@checks(...)` function.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from grader.judge import pictures
from grader.judge.expect import as_array
from grader.judge.observe import error_line
from grader.judge.registry import NO_HINT, CheckFailed, Feedback, fail
from grader.model import Message, Status
from grader.numbers import group
from grader.runner.probes import predictions, values


def observed(obs, classes: int = 10) -> np.ndarray:
    """The student's `cm` as a float array (fails when it is not numeric)."""
    if not obs.has("cm"):
        raise CheckFailed(Message("`cm` n'est pas défini.", "`cm` is not defined."), Status.MISSING)
    info = obs.memo(("cm",), lambda: obs.run(values.numeric_array, "cm"))
    if info["array"] is None:
        detail = f" ({info['error']})" if info["error"] else ""
        raise fail(f"`cm` est de type {info['type']}{detail} ; attendu un tableau {classes} x {classes} d'entiers.",
                   f"`cm` is a {info['type']}{detail}; expected a {classes} x {classes} integer array.")
    return as_array(info["array"], "`cm`").astype(np.float64)


def truth_and_predictions(obs, *, model: str, x: str, y: str) -> tuple[np.ndarray, np.ndarray]:
    """(true classes of `y`, classes `model` predicts on `x`), all the student's own."""
    try:
        got = obs.memo(("cm-truth", model, x, y), lambda: obs.run(predictions.truth_and_predictions, model, x,
                                                                      y, timeout=120))
    except CheckFailed as e:
        if e.status in (Status.ERROR, Status.MISSING):
            # `model`, `x`, `y` are earlier answers: charged to their own questions, not again here
            last = error_line(e.details) or e.message.fr
            raise CheckFailed(Message(f"Non vérifié : impossible de recalculer les prédictions de `{model}` sur "
                                      f"`{x}` (dépend de `{model}`, `{x}`, `{y}`) : {last}",
                                      f"Not checked: cannot recompute the predictions of `{model}` on `{x}` "
                                      f"(depends on `{model}`, `{x}`, `{y}`): {error_line(e.details) or e.message.en}"),
                              Status.SKIPPED, e.details) from e
        raise
    true = as_array(got["true"], f"`{y}`").astype(np.int64).reshape(-1)
    pred = as_array(got["pred"], "predictions").astype(np.int64).reshape(-1)
    if len(true) != len(pred):
        raise CheckFailed(Message(f"Non vérifié : `{y}` a {group(len(true))} étiquette(s) pour {group(len(pred))} "
                                  f"image(s) dans `{x}` (dépend de `{x}` et `{y}`, à corriger d'abord).",
                                  f"Not checked: `{y}` has {len(true)} label(s) for {len(pred)} image(s) in `{x}` "
                                  f"(depends on `{x}` and `{y}`, to fix first)."), Status.SKIPPED)
    return true, pred


def matrix(true: np.ndarray, pred: np.ndarray, classes: int = 10) -> np.ndarray:
    """Rows: true class, columns: predicted class (scikit-learn's convention)."""
    cm = np.zeros((classes, classes), dtype=np.int64)
    keep = (true >= 0) & (true < classes) & (pred >= 0) & (pred < classes)
    np.add.at(cm, (true[keep], pred[keep]), 1)
    return cm


def require_counts(cm: np.ndarray, classes: int = 10) -> None:
    if cm.shape != (classes, classes):
        raise fail(f"`cm` a la forme {cm.shape} ; attendu ({classes}, {classes}), une ligne et une colonne par classe.",
                   f"`cm` has shape {cm.shape}; expected ({classes}, {classes}), one row and one column per class.")
    if not np.all(np.isfinite(cm)) or np.any(cm < 0) or np.any(cm != np.rint(cm)):
        raise fail("`cm` contient des valeurs négatives ou non entières : attendu des comptes d'images "
                   "(pas une matrice normalisée).", "`cm` holds negative or non-integer values: expected counts of images (not a normalised "
                                                    "matrix).")


def require_rows_are_classes(cm: np.ndarray, true: np.ndarray, *, x: str, y: str) -> None:
    classes = cm.shape[0]
    counts = np.bincount(true[(true >= 0) & (true < classes)], minlength=classes)[:classes]
    rows = cm.sum(axis=1).astype(np.int64)
    if np.array_equal(rows, counts):
        return
    hint = NO_HINT
    if np.array_equal(cm.sum(axis=0).astype(np.int64), counts):
        hint = Message(" Ce sont les colonnes qui somment aux classes : la matrice est transposée. Lignes = vraies "
                       "classes, colonnes = prédictions : `confusion_matrix(y_true, y_pred)`.",
                       " The columns sum to the classes: the matrix is transposed. Rows = true classes, columns = "
                       "predictions: `confusion_matrix(y_true, y_pred)`.")
    elif int(rows.sum()) != len(true):
        hint = Message(f" `cm` compte {int(rows.sum())} images ; `{x}` en a {group(len(true))} : calculez-la sur "
                       f"tout `{x}`.", f" `cm` counts {int(rows.sum())} images; `{x}` has {len(true):,}: compute it "
                       f"on the whole of `{x}`.")
    raise fail(f"Sommes des lignes de `cm` : {rows.tolist()} ; attendu le nombre d'images de chaque classe dans "
               f"`{y}` : {counts.tolist()}.{hint.fr}",
               f"Row sums of `cm`: {rows.tolist()}; expected the number of images of each class in `{y}`: "
               f"{counts.tolist()}.{hint.en}")


def require_matches(cm: np.ndarray, true: np.ndarray, pred: np.ndarray, *, model: str, x: str) -> Message:
    expected = matrix(true, pred, cm.shape[0])
    tolerance = max(1, len(true) // 500)  # a rare argmax tie may flip between two predict calls
    off = int(np.abs(cm - expected).sum()) // 2
    if off <= tolerance:
        return Message(f"`cm` correspond aux prédictions de `{model}` ({group(len(true))} images de `{x}`).",
                       f"`cm` matches the predictions of `{model}` ({len(true)} images of `{x}`).")
    if int(np.abs(cm.T - expected).sum()) // 2 <= tolerance:
        hint = Message(" C'est la transposée : lignes = vraies classes, colonnes = prédictions.",
                       " This is the transpose: rows = true classes, columns = predictions.")
    elif np.trace(cm) != np.trace(expected):
        hint = Message(f" Diagonale : {int(np.trace(cm))} images bien classées dans `cm`, {int(np.trace(expected))} "
                       f"pour `{model}` : `cm` vient-il d'un autre modèle, ou d'un `{model}` entraîné ensuite ?",
                       f" Diagonal: {int(np.trace(cm))} images rightly classified in `cm`, "
                       f"{int(np.trace(expected))} for `{model}`: does `cm` come from another model, or from a "
                       f"`{model}` trained afterwards?")
    else:
        hint = Message(f" Calculez-la avec le `{model}` entraîné : `np.argmax({model}.predict({x}), axis=1)`.",
                       f" Compute it with the trained `{model}`: `np.argmax({model}.predict({x}), axis=1)`.")
    raise fail(f"`cm` ne correspond pas aux prédictions actuelles de `{model}` sur `{x}` : {off} image(s) sur "
               f"{group(len(true))} ailleurs.{hint.fr}",
               f"`cm` does not match the current predictions of `{model}` on `{x}`: {off} image(s) of "
               f"{len(true):,} elsewhere.{hint.en}")


@dataclass(frozen=True)
class ConfusionMatrix:
    """The student's `cm`: the confusion matrix of their `model` on their `x` against their labels `y`
    (the first of these names the notebook defines, else the last; messages name the first), drawn
    with `class_names` when it matches."""

    model: str
    x: str
    y: tuple[str, ...]
    class_names: Sequence[str] | None = None

    def truth(self, obs) -> tuple[np.ndarray, np.ndarray]:
        """(true classes, predicted classes) on the student's own test set."""
        y = next((name for name in self.y[:-1] if obs.has(name)), self.y[-1])
        return truth_and_predictions(obs, model=self.model, x=self.x, y=y)

    def check_counts(self, obs) -> None:
        require_counts(observed(obs))

    def check_rows(self, obs) -> None:
        require_rows_are_classes(observed(obs), self.truth(obs)[0], x=self.x, y=self.y[0])

    def check_matches(self, obs) -> Feedback:
        cm = observed(obs)
        message = require_matches(cm, *self.truth(obs), model=self.model, x=self.x)
        return Feedback(message, (pictures.confusion_heatmap(cm, self.class_names),))
