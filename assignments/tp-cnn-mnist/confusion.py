"""Q5: `cm`, compared with the confusion matrix the judge recomputes from the student's own model.

The runner returns `cm`, the digits of the student's `y_test` (argmax of one-hot rows, or the
integers themselves) and the argmax of the student's `model.predict(x_test)`; the matrix is
recomputed here. So a weak model (Q4) or integer labels (Q1) still allow a correct `cm`.
"""

from __future__ import annotations

import numpy as np

from grader.judge.checks import CheckFailed, fail
from grader.judge.expect import as_array
from grader.model import Message, Status

from .common import checks

_CM_PROBE = """
import numpy as np
result = {"cm": None, "cm_type": type(ns["cm"]).__qualname__, "cm_error": None, "true": None, "pred": None,
          "error": None}
try:
    cm = np.asarray(ns["cm"])
    if cm.dtype.kind in "biuf":
        result["cm"] = cm
    else:
        result["cm_error"] = f"dtype {cm.dtype}"
except Exception as e:
    result["cm_error"] = f"{type(e).__name__}: {e}"[:300]
try:
    missing = [name for name in ("model", "x_test", "y_test") if name not in ns]
    if missing:
        raise NameError(", ".join(f"`{name}`" for name in missing) + " non défini(s)")
    y = np.asarray(ns["y_test"])
    result["true"] = (np.argmax(y, axis=1) if y.ndim == 2 and y.shape[1] > 1 else y.reshape(len(y))).astype(np.int64)
    pred = np.asarray(ns["model"].predict(ns["x_test"], verbose=0, batch_size=500))
    result["pred"] = np.argmax(pred.reshape(len(pred), -1), axis=1).astype(np.int64)
except Exception as e:
    result["error"] = f"{type(e).__name__}: {e}"[:300]
"""


def _observed(obs) -> dict:
    if not obs.has("cm"):
        raise CheckFailed(Message("`cm` n'est pas défini.", "`cm` is not defined."), Status.MISSING)
    info = obs.memo(("cm",), lambda: obs.probe(_CM_PROBE, timeout=120))
    if info["cm"] is None:
        detail = f" ({info['cm_error']})" if info["cm_error"] else ""
        raise fail(f"`cm` est de type {info['cm_type']}{detail} ; attendu un tableau 10 x 10 d'entiers.",
                   f"`cm` is a {info['cm_type']}{detail}; expected a 10 x 10 integer array.")
    return info


def _cm(info: dict) -> np.ndarray:
    return as_array(info["cm"], "`cm`").astype(np.float64)


def _truth_and_predictions(info: dict) -> tuple[np.ndarray, np.ndarray]:
    if info["error"]:
        raise CheckFailed(Message(f"Impossible de recalculer les prédictions de `model` sur `x_test` : {info['error']}",
                                  f"Cannot recompute `model`'s predictions on `x_test`: {info['error']}"),
                          Status.ERROR)
    return (as_array(info["true"], "`y_test`").astype(np.int64),
            as_array(info["pred"], "predictions").astype(np.int64))


def expected_matrix(true: np.ndarray, pred: np.ndarray) -> np.ndarray:
    cm = np.zeros((10, 10), dtype=np.int64)
    keep = (true >= 0) & (true < 10) & (pred >= 0) & (pred < 10)
    np.add.at(cm, (true[keep], pred[keep]), 1)
    return cm


@checks("q5", weight=0.5, fr="`cm` est une matrice 10 x 10 d'entiers positifs.",
        en="`cm` is a 10 x 10 matrix of non-negative integers.")
def check_cm_is_10x10_counts(obs, ctx):
    cm = _cm(_observed(obs))
    if cm.shape != (10, 10):
        raise fail(f"`cm` a la forme {cm.shape} ; attendu (10, 10), une ligne et une colonne par chiffre.",
                   f"`cm` has shape {cm.shape}; expected (10, 10).")
    if not np.all(np.isfinite(cm)) or np.any(cm < 0) or np.any(cm != np.rint(cm)):
        raise fail("`cm` contient des valeurs non entières ou négatives : ce sont des nombres d'images "
                   "(pas de normalisation).", "`cm` holds non-integer or negative values: it counts images.")


@checks("q5", requires=("check_cm_is_10x10_counts",),
        fr="La ligne i de `cm` somme au nombre d'images de la classe i dans `x_test`.",
        en="Row i of `cm` sums to the number of class-i images in `x_test`.")
def check_cm_rows_sum_to_class_counts(obs, ctx):
    info = _observed(obs)
    cm, (true, _) = _cm(info), _truth_and_predictions(info)
    counts = np.bincount(true[(true >= 0) & (true < 10)], minlength=10)[:10]
    rows = cm.sum(axis=1)
    if np.array_equal(rows, counts):
        return
    if np.array_equal(cm.sum(axis=0), counts):
        raise fail("Ce sont les colonnes de `cm` qui somment aux effectifs des classes : la matrice est transposée. "
                   "Les lignes sont les vraies étiquettes, les colonnes les prédictions.",
                   "The columns of `cm` sum to the class counts: the matrix is transposed (rows = true labels).")
    raise fail(f"Sommes des lignes de `cm` : {rows.astype(int).tolist()} (total {int(cm.sum())}) ; attendu les "
               f"effectifs des classes de `y_test` : {counts.tolist()} (total {int(counts.sum())}). Calculez `cm` "
               "sur tout `x_test`, vraies étiquettes en lignes.",
               f"Row sums of `cm`: {rows.astype(int).tolist()}; expected the class counts of `y_test`: "
               f"{counts.tolist()}.")


@checks("q5", weight=2, requires=("check_cm_is_10x10_counts",),
        fr="`cm` correspond aux prédictions de `model` sur `x_test` (lignes : vrai, colonnes : prédit).",
        en="`cm` matches `model`'s predictions on `x_test` (rows: true, columns: predicted).")
def check_cm_matches_model_predictions(obs, ctx):
    info = _observed(obs)
    cm = _cm(info)
    true, pred = _truth_and_predictions(info)
    expected = expected_matrix(true, pred)
    tolerance = max(1, int(0.002 * len(true)))  # a tie broken differently by another batch size
    off = int(np.abs(cm - expected).sum()) // 2
    if off <= tolerance:
        return Message(f"`cm` correspond aux prédictions de `model` ({len(true)} images de `x_test`).",
                       f"`cm` matches `model`'s predictions ({len(true)} images of `x_test`).")
    hint = ""
    if np.abs(cm.T - expected).sum() // 2 <= tolerance:
        hint = " C'est la transposée : mettez les vraies étiquettes en lignes et les prédictions en colonnes."
    elif np.trace(cm) != np.trace(expected):
        hint = (f" Diagonale : {int(np.trace(cm))} images bien classées dans `cm`, {int(np.trace(expected))} pour "
                "`model` : `cm` vient-il d'un autre modèle, ou d'un `model` entraîné ensuite ?")
    raise fail(f"`cm` diffère de la matrice de confusion de `model` sur `x_test` ({off} image(s) mal placée(s)).{hint}",
               f"`cm` differs from `model`'s confusion matrix on `x_test` ({off} image(s) misplaced).")
