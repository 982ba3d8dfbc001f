"""Q5: `cm`, compared with the confusion matrix the judge recomputes from the student's own model.

See `grader.judge.confusion`: a weak model (Q4) or integer labels (Q1) still allow a correct `cm`.
"""

from __future__ import annotations

from grader.checks import ConfusionMatrix

from .common import checks

CM = ConfusionMatrix(model="model", x="x_test", y=("y_test",))


@checks("q5", public=True, weight=0.5, fr="`cm` est une matrice 10 x 10 d'entiers positifs.",
        en="`cm` is a 10 x 10 matrix of non-negative integers.")
def check_cm_is_10x10_counts(obs, ctx):
    CM.check_counts(obs)


@checks("q5", requires=("check_cm_is_10x10_counts",),
        fr="La ligne i de `cm` somme au nombre d'images de la classe i dans `x_test`.",
        en="Row i of `cm` sums to the number of class-i images in `x_test`.")
def check_cm_rows_sum_to_class_counts(obs, ctx):
    CM.check_rows(obs)


@checks("q5", weight=2, requires=("check_cm_is_10x10_counts",),
        fr="`cm` correspond aux prédictions de `model` sur `x_test` (lignes : vrai, colonnes : prédit).",
        en="`cm` matches `model`'s predictions on `x_test` (rows: true, columns: predicted).")
def check_cm_matches_model_predictions(obs, ctx):
    return CM.check_matches(obs)
