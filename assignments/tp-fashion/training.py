"""Q5 and Q6: the trained `cnn` on Fashion-MNIST test images it never received, and its confusion matrix `cm`.

Q5's hidden images are scaled the way the student scaled `X_train` (what `cnn` learned from) and
reshaped to `cnn`'s input, so a Q1 mistake is not charged again. Q6 recomputes the confusion
matrix here from the predictions of the student's own `cnn` on the student's own `X_test` and the
labels of the student's own `y_test_cat`: `cm` is judged against what the student's model does.
"""

from __future__ import annotations

import numpy as np

from grader.checks import ConfusionMatrix, HeldOut, holdout

from .common import CLASS_NAMES, DATASET, DEFAULT_THRESHOLD, checks
from .data import scaling


def _like_x_train(obs, raw: np.ndarray) -> np.ndarray:
    """The hidden images scaled like the student's `X_train` (what `cnn` learned from)."""
    return holdout.rescaled(raw, scaling(obs))


#: its `accuracy` is what `grader calibrate` measures
TRAINED = HeldOut(DATASET, "cnn", question="q5", default=DEFAULT_THRESHOLD, prepare=_like_x_train,
                  class_names=CLASS_NAMES)


@checks("q5", fr="`cnn` entraîné reconnaît des vêtements qu'il n'a jamais vus.",
        en="The trained `cnn` recognises clothes it has never seen.")
def check_cnn_accuracy_on_hidden_images(obs, ctx):
    return TRAINED.check_accuracy(obs, ctx)


# -- q6 ----------------------------------------------------------------------
#: the labels are `y_test_cat` (one-hot), else the integer `y_test`
CM = ConfusionMatrix(model="cnn", x="X_test", y=("y_test_cat", "y_test"), class_names=CLASS_NAMES)


@checks("q6", public=True, weight=0.5, fr="`cm` : matrice 10 x 10 de comptes entiers.", en="`cm`: 10 x 10 integer counts.")
def check_cm_is_integer_10x10(obs, ctx):
    CM.check_counts(obs)


@checks("q6", weight=1, requires=("check_cm_is_integer_10x10",),
        fr="Chaque ligne de `cm` somme au nombre d'images de sa classe dans le jeu de test.",
        en="Each row of `cm` sums to the number of test images of its class.")
def check_cm_rows_are_true_classes(obs, ctx):
    CM.check_rows(obs)


@checks("q6", weight=1.5, requires=("check_cm_rows_are_true_classes",),
        fr="`cm` correspond aux prédictions de `cnn` sur `X_test`.",
        en="`cm` matches the predictions of `cnn` on `X_test`.")
def check_cm_matches_predictions(obs, ctx):
    return CM.check_matches(obs)
