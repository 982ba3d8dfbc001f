"""Q4: the trained `model` on MNIST test images it never received (labels stay in the judge)."""

from __future__ import annotations

from grader.checks import curves, holdout

from .common import DEFAULT_THRESHOLD, checks
from .data import as_student_scaled


def _hidden(obs, ctx) -> tuple:
    """(raw images, images preprocessed like the student's `x_test`, labels kept here)."""
    raw, labels = holdout.hidden(ctx, "mnist")
    return raw, as_student_scaled(obs, raw), labels


def holdout_accuracy(obs, ctx) -> float:
    """Accuracy of the student's `model` on hidden images (also what `grader calibrate` measures)."""
    _, images, labels = _hidden(obs, ctx)
    return holdout.accuracy(obs, "model", images, labels)


@checks("q4", fr="`model` entraîné reconnaît des chiffres qu'il n'a jamais vus.",
        en="The trained `model` recognises digits it has never seen.")
def check_model_accuracy_on_hidden_images(obs, ctx):
    raw, images, labels = _hidden(obs, ctx)
    return holdout.verdict(obs, ctx, question="q4", name="model", score=holdout_accuracy(obs, ctx), n=len(labels),
                           default=DEFAULT_THRESHOLD,
                           shown=(curves(obs), holdout.prediction_picture(obs, "model", images, raw, labels)),
                           hint=" Vérifiez que `model` est bien celui que vous avez entraîné (pas reconstruit après "
                           "`fit`), avec les bonnes étiquettes.",
                           hint_en=" Check that `model` is the one you trained (not rebuilt after `fit`), with the "
                           "right labels.")
