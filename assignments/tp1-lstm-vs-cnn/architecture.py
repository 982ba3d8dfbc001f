"""Q2 and Q3: `create_cnn_model()` and `create_rnn_model()`, observed as plain layer tuples and counts.

`grader.judge.layers.normalize` reads a separate `Activation("relu")` right after a Conv2D/Dense
as that layer's activation (a style), and an LSTM as ("LSTM", units[, "return_sequences"]).
Compiling inside the function or later is the student's choice: only the architecture is judged.
"""

from __future__ import annotations

from grader.judge.checks import CheckFailed, fail
from grader.judge.layers import (
    built,
    compare,
    normalize,
    require_fresh,
    require_input_shape,
    require_keras_model,
    require_params,
)
from grader.model import Message
from grader.runner.probes.activations import OTHER

from .common import N_NON_TRAINABLE_CNN, N_PARAMS_CNN, N_PARAMS_RNN, checks

CNN = [("Conv2D", 32, 3, "relu"), ("BatchNormalization",), ("MaxPooling2D", 2),
       ("Conv2D", 64, 3, "relu"), ("BatchNormalization",), ("MaxPooling2D", 2),
       ("Flatten",), ("Dense", 128, "relu"), ("Dropout", 0.5), ("Dense", 10, "softmax")]
RNN = [("LSTM", 128, "return_sequences"), ("Dropout", 0.2), ("LSTM", 64), ("Dropout", 0.2),
       ("Dense", 128, "relu"), ("Dropout", 0.5), ("Dense", 10, "softmax")]
RECURRENT_DEFAULTS = {"activation": "tanh"}


def _built(obs, function: str) -> dict:
    """The probe's answer; a build error gets a hint when it is the classic missing `return_sequences`."""
    try:
        return built(obs, function)
    except CheckFailed as e:
        if "expected ndim=3, found ndim=2" in e.details:
            raise CheckFailed(Message(
                f"`{function}()` a levé une erreur : le second LSTM reçoit un vecteur (ndim=2) au lieu d'une "
                "séquence. Le premier LSTM doit renvoyer toute la séquence : `LSTM(128, return_sequences=True)`.",
                f"`{function}()` raised an error: the second LSTM gets a vector, not a sequence; the first one "
                "needs `return_sequences=True`."), e.status, e.details) from e
        raise


def _cnn(obs) -> dict:
    return _built(obs, "create_cnn_model")


def _rnn(obs) -> dict:
    return _built(obs, "create_rnn_model")


def _order_hint(found: list[tuple], expected: list[tuple], what: str) -> Message | None:
    """A hint for the CNN's most common slips: no BatchNormalization, or BN before the activation."""
    plain = [x for x in expected if x[0] != "BatchNormalization"]
    if [x for x in found if x[0] != "BatchNormalization"] == plain and found.count(("BatchNormalization",)) != 2:
        return Message(f" {what} doit avoir une `BatchNormalization` après chacune des deux convolutions.",
                       f" {what} must have a `BatchNormalization` after each of its two convolutions.")
    if any(x[0] == "Conv2D" and x[-1] in (None, "linear") for x in found) and ("Activation", "relu") in found:
        return Message(" L'ordre demandé est Conv2D(..., activation=\"relu\") puis BatchNormalization : "
                       "l'activation vient avant la normalisation, pas après.",
                       " The order asked for is Conv2D(..., activation=\"relu\") then BatchNormalization: the "
                       "activation comes before the normalisation, not after.")
    return None


# -- q2 ----------------------------------------------------------------------
@checks("q2", public=True, weight=0.5, fr="`create_cnn_model()` renvoie un nouveau modèle Keras, d'entrée (28, 28, 1).",
        en="`create_cnn_model()` returns a new Keras model with input (28, 28, 1).")
def check_cnn_returns_new_keras_model(obs, ctx):
    info = _cnn(obs)
    require_keras_model(info["model"], "`create_cnn_model()`")
    require_input_shape(info["model"], "`create_cnn_model()`", (28, 28, 1))
    require_fresh(info, "create_cnn_model")


@checks("q2", public=True, weight=2, requires=("check_cnn_returns_new_keras_model",),
        fr="Conv2D(32, 3, relu) → BatchNormalization → MaxPooling2D(2) → Conv2D(64, 3, relu) → BatchNormalization → "
        "MaxPooling2D(2) → Flatten → Dense(128, relu) → Dropout(0.5) → Dense(10, softmax).",
        en="Conv2D(32, 3, relu) → BatchNormalization → MaxPooling2D(2) → Conv2D(64, 3, relu) → BatchNormalization → "
        "MaxPooling2D(2) → Flatten → Dense(128, relu) → Dropout(0.5) → Dense(10, softmax).")
def check_cnn_layers(obs, ctx):
    found = normalize(_cnn(obs)["model"])
    compare(found, CNN, "`create_cnn_model()`", _order_hint(found, CNN, "`create_cnn_model()`"))


@checks("q2", public=True, weight=1, requires=("check_cnn_returns_new_keras_model",),
        fr="225 418 paramètres, dont 192 non entraînables.", en="225,418 parameters, 192 of them non-trainable.")
def check_cnn_param_count(obs, ctx):
    require_params(_cnn(obs)["model"], "`create_cnn_model()`", N_PARAMS_CNN,
                   " Vérifiez les filtres (32 puis 64), les noyaux 3 x 3 sans padding, les deux MaxPooling(2), les "
                   "deux BatchNormalization et la couche Dense de 128.",
                   hint_en=" Check the filters (32 then 64), the 3 x 3 kernels without padding, the two "
                   "MaxPooling(2), the two BatchNormalization and the Dense layer of 128.",
                   non_trainable=N_NON_TRAINABLE_CNN)


# -- q3 ----------------------------------------------------------------------
@checks("q3", public=True, weight=0.5, fr="`create_rnn_model()` renvoie un nouveau modèle Keras, d'entrée (28, 28).",
        en="`create_rnn_model()` returns a new Keras model with input (28, 28).")
def check_rnn_returns_new_keras_model(obs, ctx):
    info = _rnn(obs)
    require_keras_model(info["model"], "`create_rnn_model()`")
    require_input_shape(info["model"], "`create_rnn_model()`", (28, 28))
    require_fresh(info, "create_rnn_model")


@checks("q3", public=True, weight=2, requires=("check_rnn_returns_new_keras_model",),
        fr="LSTM(128, return_sequences=True) → Dropout(0.2) → LSTM(64) → Dropout(0.2) → Dense(128, relu) → "
        "Dropout(0.5) → Dense(10, softmax).",
        en="LSTM(128, return_sequences=True) → Dropout(0.2) → LSTM(64) → Dropout(0.2) → Dense(128, relu) → "
        "Dropout(0.5) → Dense(10, softmax).")
def check_rnn_layers(obs, ctx):
    info = _rnn(obs)["model"]
    found = normalize(info)
    extra = None
    if found and found[0] == ("LSTM", 128):
        extra = Message(" Le premier LSTM doit transmettre toute la séquence au second : `return_sequences=True` "
                        "(sans lui, seul son dernier état sort).",
                        " The first LSTM must pass the whole sequence to the second: `return_sequences=True` "
                        "(without it, only its last state comes out).")
    elif ("LSTM", 64, "return_sequences") in found:
        extra = Message(" Le second LSTM ne renvoie que son dernier état : pas de `return_sequences` sur lui.",
                        " The second LSTM returns only its last state: no `return_sequences` on it.")
    compare(found, RNN, "`create_rnn_model()`", extra)
    for i, layer in enumerate(x for x in info["layers"] if x["class"] == "LSTM"):
        act = layer.get("activation")  # what it computes (`grader.runner.probes.activations`), not its name
        if act not in (None, RECURRENT_DEFAULTS["activation"]):
            act = layer.get("activation_hint") or act if act == OTHER else act
            raise fail(f"Le LSTM n° {i + 1} utilise l'activation `{act}` ; le TP garde celle par défaut d'un LSTM, "
                       "`tanh` : n'indiquez pas `activation=`.",
                       f"LSTM #{i + 1} uses the activation `{act}`; the TP keeps an LSTM's default one, `tanh`: do not "
                       "pass `activation=`.")


@checks("q3", public=True, weight=1, requires=("check_rnn_returns_new_keras_model",),
        fr="139 402 paramètres.", en="139,402 parameters.")
def check_rnn_param_count(obs, ctx):
    require_params(_rnn(obs)["model"], "`create_rnn_model()`", N_PARAMS_RNN,
                   " Un LSTM de n unités sur des entrées de d valeurs a 4 x n x (d + n + 1) paramètres : 128 unités "
                   "sur 28 valeurs, puis 64 sur 128.",
                   hint_en=" An LSTM of n units on inputs of d values has 4 x n x (d + n + 1) parameters: 128 units "
                   "on 28 values, then 64 on 128.", non_trainable=0)
