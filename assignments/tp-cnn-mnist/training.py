"""Q4: the trained `model` on MNIST test images it never received (labels stay in the judge)."""

from __future__ import annotations

from grader.judge import holdout

from .common import DEFAULT_THRESHOLD, checks
from .data import as_student_scaled


def holdout_accuracy(obs, ctx) -> float:
    """Accuracy of the student's `model` on hidden images (also what `grader calibrate` measures)."""
    images, labels = holdout.hidden(ctx, "mnist")
    return holdout.accuracy(obs, "model", as_student_scaled(obs, images), labels)


@checks("q4", fr="`model` entraîné reconnaît des chiffres qu'il n'a jamais vus.",
        en="The trained `model` recognises digits it has never seen.")
def check_model_accuracy_on_hidden_images(obs, ctx):
    n = len(holdout.hidden(ctx, "mnist")[1])
    return holdout.verdict(obs, ctx, question="q4", name="model", score=holdout_accuracy(obs, ctx), n=n,
                           default=DEFAULT_THRESHOLD,
                           hint=" Vérifiez que `model` est bien celui que vous avez entraîné (pas reconstruit après "
                           "`fit`), avec les bonnes étiquettes.")
