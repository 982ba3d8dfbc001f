"""Q5 and Q6: the trained `cnn` on Fashion-MNIST test images it never received, and its confusion matrix `cm`.

Q5's hidden images are scaled the way the student scaled `X_train` (what `cnn` learned from) and
reshaped to `cnn`'s input, so a Q1 mistake is not charged again. Q6 recomputes the confusion
matrix here from the predictions of the student's own `cnn` on the student's own `X_test` and the
labels of the student's own `y_test_cat`: `cm` is judged against what the student's model does.
"""

from __future__ import annotations

import numpy as np

from grader.checks import Feedback, HeldOut, confusion, holdout, pictures

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
def _truth(obs) -> tuple[np.ndarray, np.ndarray]:
    y = "y_test_cat" if obs.has("y_test_cat") else "y_test"
    return confusion.truth_and_predictions(obs, model="cnn", x="X_test", y=y)


@checks("q6", public=True, weight=0.5, fr="`cm` : matrice 10 x 10 de comptes entiers.", en="`cm`: 10 x 10 integer counts.")
def check_cm_is_integer_10x10(obs, ctx):
    confusion.require_counts(confusion.observed(obs))


@checks("q6", weight=1, requires=("check_cm_is_integer_10x10",),
        fr="Chaque ligne de `cm` somme au nombre d'images de sa classe dans le jeu de test.",
        en="Each row of `cm` sums to the number of test images of its class.")
def check_cm_rows_are_true_classes(obs, ctx):
    confusion.require_rows_are_classes(confusion.observed(obs), _truth(obs)[0], x="X_test", y="y_test_cat")


@checks("q6", weight=1.5, requires=("check_cm_rows_are_true_classes",),
        fr="`cm` correspond aux prédictions de `cnn` sur `X_test`.",
        en="`cm` matches the predictions of `cnn` on `X_test`.")
def check_cm_matches_predictions(obs, ctx):
    cm = confusion.observed(obs)
    message = confusion.require_matches(cm, *_truth(obs), model="cnn", x="X_test")
    return Feedback(message, (pictures.confusion_heatmap(cm, CLASS_NAMES),))
