"""Q4: the trained `model` on MNIST test images it never received (labels stay in the judge)."""

from __future__ import annotations

from grader.checks import HeldOut

from .common import DEFAULT_THRESHOLD, checks
from .data import as_student_scaled

#: the hidden images preprocessed like the student's `x_test`; its `accuracy` is what `grader calibrate` measures
TRAINED = HeldOut("mnist", "model", question="q4", default=DEFAULT_THRESHOLD, prepare=as_student_scaled)


@checks("q4", fr="`model` entraîné reconnaît des chiffres qu'il n'a jamais vus.",
        en="The trained `model` recognises digits it has never seen.")
def check_model_accuracy_on_hidden_images(obs, ctx):
    return TRAINED.check_accuracy(obs, ctx)
