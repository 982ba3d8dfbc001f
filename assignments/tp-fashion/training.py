"""Q5 and Q6: the trained `cnn` on Fashion-MNIST test images it never received, and its confusion matrix `cm`.

Q5's hidden images are scaled the way the student scaled `X_train` (what `cnn` learned from) and
reshaped to `cnn`'s input, so a Q1 mistake is not charged again. Q6 recomputes the confusion
matrix here from the predictions of the student's own `cnn` on the student's own `X_test` and the
labels of the student's own `y_test_cat`: `cm` is judged against what the student's model does.
"""

from __future__ import annotations

import numpy as np

from grader.checks import Feedback, confusion, curves, holdout, pictures

from .common import CLASS_NAMES, DATASET, DEFAULT_THRESHOLD, checks
from .data import scaling


def _hidden(obs, ctx) -> tuple:
    """(raw images, images scaled like the student's `X_train`, labels kept here)."""
    raw, labels = holdout.hidden(ctx, DATASET)
    scale, offset = scaling(obs)
    return raw, (raw.astype(np.float64) * scale + offset).astype(np.float32), labels


def holdout_accuracy(obs, ctx) -> float:
    """Accuracy of the student's `cnn` on hidden images (also what `grader calibrate` measures)."""
    _, images, labels = _hidden(obs, ctx)
    return holdout.accuracy(obs, "cnn", images, labels)


@checks("q5", fr="`cnn` entraîné reconnaît des vêtements qu'il n'a jamais vus.",
        en="The trained `cnn` recognises clothes it has never seen.")
def check_cnn_accuracy_on_hidden_images(obs, ctx):
    raw, images, labels = _hidden(obs, ctx)
    return holdout.verdict(obs, ctx, question="q5", name="cnn", score=holdout_accuracy(obs, ctx), n=len(labels),
                           default=DEFAULT_THRESHOLD,
                           shown=(curves(obs), holdout.prediction_picture(obs, "cnn", images, raw, labels, CLASS_NAMES)),
                           hint=" Vérifiez que `cnn` est bien celui que vous avez entraîné (pas reconstruit après "
                           "`fit`), avec les bonnes étiquettes.",
                           hint_en=" Check that `cnn` is the one you trained (not rebuilt after `fit`), with the "
                           "right labels.")


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
