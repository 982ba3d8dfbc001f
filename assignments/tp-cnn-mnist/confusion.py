"""Q5: `cm`, compared with the confusion matrix the judge recomputes from the student's own model.

See `grader.judge.confusion`: a weak model (Q4) or integer labels (Q1) still allow a correct `cm`.
"""

from __future__ import annotations

from grader.checks import Feedback, confusion, pictures

from .common import checks


def _truth(obs):
    return confusion.truth_and_predictions(obs, model="model", x="x_test", y="y_test")


@checks("q5", public=True, weight=0.5, fr="`cm` est une matrice 10 x 10 d'entiers positifs.",
        en="`cm` is a 10 x 10 matrix of non-negative integers.")
def check_cm_is_10x10_counts(obs, ctx):
    confusion.require_counts(confusion.observed(obs))


@checks("q5", requires=("check_cm_is_10x10_counts",),
        fr="La ligne i de `cm` somme au nombre d'images de la classe i dans `x_test`.",
        en="Row i of `cm` sums to the number of class-i images in `x_test`.")
def check_cm_rows_sum_to_class_counts(obs, ctx):
    confusion.require_rows_are_classes(confusion.observed(obs), _truth(obs)[0], x="x_test", y="y_test")


@checks("q5", weight=2, requires=("check_cm_is_10x10_counts",),
        fr="`cm` correspond aux prédictions de `model` sur `x_test` (lignes : vrai, colonnes : prédit).",
        en="`cm` matches `model`'s predictions on `x_test` (rows: true, columns: predicted).")
def check_cm_matches_model_predictions(obs, ctx):
    cm = confusion.observed(obs)
    message = confusion.require_matches(cm, *_truth(obs), model="model", x="x_test")
    return Feedback(message, (pictures.confusion_heatmap(cm),))
