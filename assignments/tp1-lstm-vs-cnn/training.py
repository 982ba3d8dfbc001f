"""Q4: the trained `model_cnn` and `model_rnn` on MNIST test images they never received.

The judge keeps the labels. Each model gets the hidden images scaled the way the student scaled
its own training array (`X_train_cnn` or `X_train_rnn`) and reshaped to that model's input, so a Q1
mistake (unscaled pixels, the wrong layout) is not charged again here. Each model has its own
threshold: `q4_cnn` and `q4_rnn` in the budget's thresholds (calibrated: reference minus margin).
"""

from __future__ import annotations

from grader.checks import CheckFailed, HeldOut, Message, Status, fail, holdout
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


def _trained(key: str, function: str) -> HeldOut:
    """Model `key` (`MODELS`) on hidden images scaled like its own training array and shaped to its input."""
    spec = MODELS[key]
    return HeldOut(DATASET, spec["model"], question=f"q4_{key}", default=DEFAULT_THRESHOLDS[key],
                   prepare=lambda obs, raw: holdout.rescaled(raw, scaling(obs, key), spec["shape"]),
                   history=f"history_{key}", before=lambda obs: require_model(obs, spec["model"], function),
                   hint=Message(f" Vérifiez que `{spec['model']}` est bien celui que vous avez entraîné (pas "
                                f"reconstruit après `fit`), sur `{spec['train']}` et les bonnes étiquettes.",
                                f" Check that `{spec['model']}` is the one you trained (not rebuilt after `fit`), "
                                f"on `{spec['train']}` with the right labels."))


#: their `accuracy` is what `grader calibrate` measures as `q4_cnn` and `q4_rnn`
TRAINED_CNN, TRAINED_RNN = _trained("cnn", "create_cnn_model"), _trained("rnn", "create_rnn_model")


@checks("q4", fr="`model_cnn` entraîné reconnaît des chiffres qu'il n'a jamais vus.",
        en="The trained `model_cnn` recognises digits it has never seen.")
def check_cnn_accuracy_on_hidden_images(obs, ctx):
    return TRAINED_CNN.check_accuracy(obs, ctx)


@checks("q4", fr="`model_rnn` entraîné reconnaît des chiffres qu'il n'a jamais vus.",
        en="The trained `model_rnn` recognises digits it has never seen.")
def check_rnn_accuracy_on_hidden_images(obs, ctx):
    return TRAINED_RNN.check_accuracy(obs, ctx)
