"""Q5 and Q6: the trained `cnn` on Fashion-MNIST test images it never received, and its confusion matrix `cm`.

Q5's hidden images are scaled the way the student scaled `X_train` (what `cnn` learned from) and
reshaped to `cnn`'s input, so a Q1 mistake is not charged again. Q6 recomputes the confusion
matrix here from the predictions of the student's own `cnn` on the student's own `X_test` and the
labels of the student's own `y_test_cat`: `cm` is judged against what the student's model does.
"""

from __future__ import annotations

import numpy as np

from grader import datasets
from grader.budget import group
from grader.judge.checks import CheckFailed, fail
from grader.judge.expect import as_array
from grader.judge.keras import training_budget
from grader.judge.keras import training_words as _training_words
from grader.model import Message, Status

from .common import DATASET, DEFAULT_THRESHOLD, KERAS_MODEL, checks
from .data import scaling

_RESHAPE = """
import numpy as np
m = ns["cnn"]
if not any(c.__module__ + "." + c.__qualname__ == "keras.src.models.model.Model" for c in type(m).__mro__):
    raise TypeError(f"`cnn` est de type {type(m).__qualname__}, pas un modèle Keras")
def as_input(x):
    x = np.asarray(x)
    try:
        shape = tuple(int(d) for d in m.input_shape[1:])
    except Exception:
        return x
    if int(np.prod(x.shape[1:])) == int(np.prod(shape)):
        x = x.reshape((len(x), *shape))
    return x
"""

_PREDICT_PROBE = _RESHAPE + """
result = np.asarray(m.predict(as_input(images), verbose=0, batch_size=500))
"""

_CM_PROBE = _RESHAPE + """
y = np.asarray(ns["y_test_cat"] if "y_test_cat" in ns else ns["y_test"])
true = np.argmax(y, axis=1) if y.ndim == 2 and y.shape[1] > 1 else y.reshape(-1).astype(np.int64)
pred = np.argmax(np.asarray(m.predict(as_input(ns["X_test"]), verbose=0, batch_size=500)), axis=1)
result = {"true": true.astype(np.int64), "pred": pred.astype(np.int64)}
"""


_CM_VALUE_PROBE = """
import numpy as np
c = ns["cm"]
try:
    result = {"type": type(c).__qualname__, "array": np.asarray(c, dtype=np.float64)}
except Exception as e:
    result = {"type": type(c).__qualname__, "array": None}
"""


def _hidden(ctx) -> tuple[np.ndarray, np.ndarray]:
    """Fashion-MNIST test images that `load_data()` did not serve (all of them when it served the full set)."""
    budget = training_budget(ctx)
    _, (x_test, y_test) = datasets.load(DATASET)
    served = int(budget.get("serve_test") or 0)
    pool = np.arange(served, len(x_test)) if 0 < served < len(x_test) else np.arange(len(x_test))
    n = min(len(pool), int(budget.get("holdout") or 2000))
    idx = np.sort(ctx.rng("holdout").choice(pool, size=n, replace=False))
    return x_test[idx], y_test[idx].astype(np.int64)


def _model_error(e: CheckFailed, what: str) -> CheckFailed:
    if e.status is Status.ERROR:
        return CheckFailed(Message(f"{what} a levé une erreur.", f"{what} raised an error."), Status.ERROR, e.details)
    return e


def holdout_accuracy(obs, ctx) -> float:
    """Accuracy of the student's `cnn` on hidden images (also what `grader calibrate` measures)."""
    images, labels = _hidden(ctx)
    scale, offset = scaling(obs)
    scaled = (images.astype(np.float64) * scale + offset).astype(np.float32)
    try:
        pred = as_array(obs.probe(_PREDICT_PROBE, images=scaled, timeout=120), "`cnn.predict(...)`")
    except CheckFailed as e:
        raise _model_error(e, "`cnn.predict` sur des images (n, 28, 28, 1)") from e
    if pred.ndim != 2 or pred.shape != (len(images), 10):
        raise fail(f"`cnn.predict` renvoie la forme {pred.shape} ; attendu ({len(images)}, 10), une probabilité "
                   "par classe.", f"`cnn.predict` returns shape {pred.shape}; expected ({len(images)}, 10).")
    return float(np.mean(np.argmax(pred, axis=1) == labels))




@checks("q5", fr="`cnn` entraîné reconnaît des vêtements qu'il n'a jamais vus.",
        en="The trained `cnn` recognises clothes it has never seen.")
def check_cnn_accuracy_on_hidden_images(obs, ctx):
    obs.describe("cnn")  # missing: says so
    if KERAS_MODEL not in obs.probe("result = [c.__module__ + '.' + c.__qualname__ for c in type(ns['cnn']).__mro__]"):
        raise fail("`cnn` n'est pas un modèle Keras : gardez le modèle entraîné, `cnn = build_cnn()` puis "
                   "`cnn.fit(...)`.", "`cnn` is not a Keras model.")
    budget = ctx.option("budget", {})
    threshold = float(dict(budget.get("thresholds", {})).get("q5", DEFAULT_THRESHOLD))
    n = len(_hidden(ctx)[1])
    acc = holdout_accuracy(obs, ctx)
    origin = dict(budget.get("origins", {})).get("q5", "par défaut")
    words = _training_words(obs, ctx)
    if acc < threshold:
        raise fail(f"Précision de `cnn` sur {group(n)} images cachées : {acc:.3f} ; attendu au moins "
                   f"{threshold:.3f} (seuil {origin}{words}). Vérifiez que `cnn` est bien celui que vous avez "
                   "entraîné (pas reconstruit après `fit`), avec les bonnes étiquettes.",
                   f"Accuracy of `cnn` on {n} hidden images: {acc:.3f}; expected at least {threshold:.3f}. "
                   "Check that `cnn` is the trained one, fitted on the right labels.")
    return Message(f"Précision sur {group(n)} images cachées : {acc:.3f} (seuil {threshold:.3f}, {origin}{words}).",
                   f"Accuracy on {n} hidden images: {acc:.3f} (threshold {threshold:.3f}).")


# -- q6 ----------------------------------------------------------------------
def _cm(obs) -> np.ndarray:
    obs.describe("cm")  # missing: says so
    info = obs.memo(("cm",), lambda: obs.probe(_CM_VALUE_PROBE))
    if info["array"] is None or info["type"] == "NoneType":
        raise fail(f"`cm` (type {info['type']}) n'est pas une matrice : calculez-la à partir des prédictions de `cnn`.",
                   "`cm` is not a matrix.")
    return as_array(info["array"], "`cm`")


def _predictions(obs) -> tuple[np.ndarray, np.ndarray]:
    try:
        got = obs.memo(("predictions",), lambda: obs.probe(_CM_PROBE, timeout=120))
    except CheckFailed as e:
        raise _model_error(e, "`cnn.predict(X_test)`") from e
    return as_array(got["true"], "`y_test_cat`").astype(np.int64), as_array(got["pred"], "prédictions").astype(np.int64)


def confusion(true: np.ndarray, pred: np.ndarray) -> np.ndarray:
    cm = np.zeros((10, 10), dtype=np.int64)
    ok = (true >= 0) & (true < 10) & (pred >= 0) & (pred < 10)
    np.add.at(cm, (true[ok], pred[ok]), 1)
    return cm


@checks("q6", weight=0.5, fr="`cm` : matrice 10 x 10 de comptes entiers.", en="`cm`: 10 x 10 integer counts.")
def check_cm_is_integer_10x10(obs, ctx):
    cm = _cm(obs)
    if cm.shape != (10, 10):
        raise fail(f"`cm` a la forme {cm.shape} ; attendu (10, 10), une ligne et une colonne par classe.",
                   f"`cm` has shape {cm.shape}; expected (10, 10).")
    if not np.all(np.isfinite(cm)) or np.any(cm < 0) or np.any(cm != np.rint(cm)):
        raise fail("`cm` contient des valeurs négatives ou non entières : attendu des comptes d'images "
                   "(pas une matrice normalisée).", "`cm` holds negative or non-integer values; expected counts.")


@checks("q6", weight=1, requires=("check_cm_is_integer_10x10",),
        fr="Chaque ligne de `cm` somme au nombre d'images de sa classe dans le jeu de test.",
        en="Each row of `cm` sums to the number of test images of its class.")
def check_cm_rows_are_true_classes(obs, ctx):
    cm = _cm(obs)
    true, pred = _predictions(obs)
    counts = np.bincount(true[(true >= 0) & (true < 10)], minlength=10)[:10]
    rows = cm.sum(axis=1).astype(np.int64)
    if np.array_equal(rows, counts):
        return
    hint = ""
    if np.array_equal(cm.sum(axis=0).astype(np.int64), counts):
        hint = (" Ce sont les colonnes qui somment aux classes : la matrice est transposée. Lignes = vraies "
                "classes, colonnes = prédictions : `confusion_matrix(y_true, y_pred)`.")
    elif int(rows.sum()) != len(true):
        hint = f" `cm` compte {int(rows.sum())} images ; le jeu de test `X_test` en a {group(len(true))}."
    raise fail(f"Sommes des lignes de `cm` : {rows.tolist()} ; attendu le nombre d'images de chaque classe dans "
               f"`y_test_cat` : {counts.tolist()}.{hint}",
               f"Row sums of `cm`: {rows.tolist()}; expected the class counts of `y_test_cat`: {counts.tolist()}.")


@checks("q6", weight=1.5, requires=("check_cm_rows_are_true_classes",),
        fr="`cm` correspond aux prédictions de `cnn` sur `X_test`.",
        en="`cm` matches the predictions of `cnn` on `X_test`.")
def check_cm_matches_predictions(obs, ctx):
    cm = _cm(obs).astype(np.int64)
    true, pred = _predictions(obs)
    expected = confusion(true, pred)
    off = int(np.abs(cm - expected).sum()) // 2
    if off <= max(1, len(true) // 500):  # a rare argmax tie may flip between two predict calls
        return
    hint = " La matrice est transposée : lignes = vraies classes." if np.array_equal(cm, expected.T) else \
        " Calculez-la avec les prédictions du `cnn` entraîné : `np.argmax(cnn.predict(X_test), axis=1)`."
    raise fail(f"`cm` ne correspond pas aux prédictions actuelles de `cnn` sur `X_test` : {off} image(s) "
               f"sur {group(len(true))} ailleurs (diagonale trouvée {np.diag(cm).tolist()}, attendue "
               f"{np.diag(expected).tolist()}).{hint}",
               f"`cm` does not match the current predictions of `cnn` on `X_test`: {off} image(s) misplaced.")
