"""Q4: the trained `model_cnn` on CIFAR-10 test images it never received (labels stay in the judge).

The hidden images are scaled the way the student scaled `X_test`/`X_train` (what `model_cnn`
learned from), so a Q1 mistake is not charged again here.
"""

from __future__ import annotations

import numpy as np

from grader.checks import Feedback, HeldOut, Message, fail, holdout, student_model
from grader.checks.probes import model

from .common import CLASSES, DATASET, DEFAULT_THRESHOLD, checks
from .data import student_scaling


def _like_student(obs, raw: np.ndarray) -> np.ndarray:
    return holdout.rescaled(raw, student_scaling(obs))


#: its `accuracy` is what `grader calibrate` measures
TRAINED = HeldOut(
    DATASET, "model_cnn", question="q4", default=DEFAULT_THRESHOLD, prepare=_like_student,
    class_names=[name for name, _ in CLASSES],
    hint=Message(" Vérifiez que `model_cnn` est bien le modèle entraîné (pas recréé par `create_cnn()` après `fit`), "
                 "avec les étiquettes one-hot de `y_train_cat`.",
                 " Check that `model_cnn` is the trained model (not recreated by `create_cnn()` after `fit`), with "
                 "the one-hot labels of `y_train_cat`."))


@checks("q4", fr="`model_cnn` entraîné reconnaît des images de test qu'il n'a jamais vues.",
        en="The trained `model_cnn` recognises test images it has never seen.")
def check_model_cnn_accuracy_on_hidden_images(obs, ctx) -> Message | Feedback:
    return TRAINED.check_accuracy(obs, ctx)


@checks("q4", public=True, weight=0.5, fr="`model_cnn` a été entraîné (les moyennes mobiles de ses BatchNormalization ont bougé).",
        en="`model_cnn` was trained (the moving averages of its BatchNormalization layers moved).")
def check_model_cnn_was_trained(obs, ctx) -> None:
    student_model(obs, "model_cnn")  # missing, or not a Keras model: says so
    info = obs.run(model.batchnorm_stats, "model_cnn")
    if info["batchnorm"] and info["untouched"] == info["batchnorm"]:
        raise fail("Les BatchNormalization de `model_cnn` ont leurs statistiques initiales (moyenne 0, variance 1) : "
                   "ce modèle n'a jamais été entraîné. Gardez dans `model_cnn` le modèle passé à `fit` (ne le "
                   "recréez pas avec `create_cnn()` après l'entraînement).",
                   "The BatchNormalization layers of `model_cnn` hold their initial statistics (mean 0, variance 1): "
                   "this model was never trained. Keep in `model_cnn` the model passed to `fit` (do not recreate "
                   "it with `create_cnn()` after training).")
