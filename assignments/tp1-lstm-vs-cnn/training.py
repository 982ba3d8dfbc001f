"""Q4: the trained `model_cnn` and `model_rnn` on MNIST test images they never received.

The judge keeps the labels. Each model gets the hidden images scaled the way the student scaled
its own training array (`X_train_cnn` or `X_train_rnn`) and reshaped to that model's input, so a Q1
mistake (unscaled pixels, the wrong layout) is not charged again here. Each model has its own
threshold: `q4_cnn` and `q4_rnn` in the budget's thresholds (calibrated: reference minus margin).
"""

from __future__ import annotations

import numpy as np

from grader.checks import CheckFailed, Feedback, Message, Status, curves, fail, holdout
from grader.checks.probes import KERAS_MODEL, values

from .common import DATASET, DEFAULT_THRESHOLDS, MODELS, checks
from .data import scaling


def require_model(obs, name: str, function: str) -> None:
    """`name` is defined and is a Keras model (a clear message for the stub's `None`)."""
    if not obs.has(name):
        raise CheckFailed(Message(f"`{name}` n'est pas défini.", f"`{name}` is not defined."), Status.MISSING)
    info = obs.memo(("type", name), lambda: obs.run(values.type_of, name))
    if KERAS_MODEL not in info["mro"]:
        raise fail(f"`{name}` est de type {info['type']} ; attendu le modèle Keras entraîné : `{name} = {function}()` "
                   f"puis `{name}.fit(...)`.", f"`{name}` is a {info['type']}; expected the trained Keras model: `{name} = {function}()` "
                                               f"then `{name}.fit(...)`.")


def _hidden(obs, ctx, key: str) -> tuple:
    """(raw images, images prepared for model `key` like its training array, labels kept here)."""
    images, labels = holdout.hidden(ctx, DATASET)
    scale, offset = scaling(obs, key)
    scaled = (images.astype(np.float64) * scale + offset).astype(np.float32).reshape((len(images), *MODELS[key]["shape"]))
    return images, scaled, labels


def _holdout_accuracy(obs, ctx, key: str) -> float:
    _, scaled, labels = _hidden(obs, ctx, key)
    return holdout.accuracy(obs, MODELS[key]["model"], scaled, labels)


def cnn_holdout_accuracy(obs, ctx) -> float:
    """Accuracy of `model_cnn` on hidden images (also what `grader calibrate` measures as `q4_cnn`)."""
    return _holdout_accuracy(obs, ctx, "cnn")


def rnn_holdout_accuracy(obs, ctx) -> float:
    """Accuracy of `model_rnn` on hidden images (also what `grader calibrate` measures as `q4_rnn`)."""
    return _holdout_accuracy(obs, ctx, "rnn")


def _verdict(obs, ctx, key: str, function: str) -> Message | Feedback:
    spec = MODELS[key]
    require_model(obs, spec["model"], function)
    raw, scaled, labels = _hidden(obs, ctx, key)
    score = _holdout_accuracy(obs, ctx, key)
    return holdout.verdict(obs, ctx, question=f"q4_{key}", name=spec["model"], score=score, n=len(labels),
                           default=DEFAULT_THRESHOLDS[key],
                           shown=(curves(obs, f"history_{key}"),
                                  holdout.prediction_picture(obs, spec["model"], scaled, raw, labels)),
                           hint=f" Vérifiez que `{spec['model']}` est bien celui que vous avez entraîné (pas reconstruit "
                           f"après `fit`), sur `{spec['train']}` et les bonnes étiquettes.",
                           hint_en=f" Check that `{spec['model']}` is the one you trained (not rebuilt after "
                           f"`fit`), on `{spec['train']}` with the right labels.")


@checks("q4", fr="`model_cnn` entraîné reconnaît des chiffres qu'il n'a jamais vus.",
        en="The trained `model_cnn` recognises digits it has never seen.")
def check_cnn_accuracy_on_hidden_images(obs, ctx):
    return _verdict(obs, ctx, "cnn", "create_cnn_model")


@checks("q4", fr="`model_rnn` entraîné reconnaît des chiffres qu'il n'a jamais vus.",
        en="The trained `model_rnn` recognises digits it has never seen.")
def check_rnn_accuracy_on_hidden_images(obs, ctx):
    return _verdict(obs, ctx, "rnn", "create_rnn_model")
