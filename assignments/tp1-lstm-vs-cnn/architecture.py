"""Q2 and Q3: `create_cnn_model()` and `create_rnn_model()`, observed as plain layer tuples and counts.

`grader.judge.layers.normalize` reads a separate `Activation("relu")` right after a Conv2D/Dense
as that layer's activation (a style), and an LSTM as ("LSTM", units[, "return_sequences"]).
Compiling inside the function or later is the student's choice: only the architecture is judged.
"""

from __future__ import annotations

from grader.checks import Architecture, CheckFailed, Message, built, fail
from grader.checks.probes import OTHER

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


def _order_hint(found: list[tuple]) -> Message | None:
    """A hint for the CNN's most common slips: no BatchNormalization, or BN before the activation."""
    plain = [x for x in CNN if x[0] != "BatchNormalization"]
    if [x for x in found if x[0] != "BatchNormalization"] == plain and found.count(("BatchNormalization",)) != 2:
        return Message(" `create_cnn_model()` doit avoir une `BatchNormalization` après chacune des deux convolutions.",
                       " `create_cnn_model()` must have a `BatchNormalization` after each of its two convolutions.")
    if any(x[0] == "Conv2D" and x[-1] in (None, "linear") for x in found) and ("Activation", "relu") in found:
        return Message(" L'ordre demandé est Conv2D(..., activation=\"relu\") puis BatchNormalization : "
                       "l'activation vient avant la normalisation, pas après.",
                       " The order asked for is Conv2D(..., activation=\"relu\") then BatchNormalization: the "
                       "activation comes before the normalisation, not after.")
    return None


def _sequence_hint(found: list[tuple]) -> Message | None:
    """A hint for the LSTMs' classic slip: `return_sequences` missing on the first, or set on the second."""
    if found and found[0] == ("LSTM", 128):
        return Message(" Le premier LSTM doit transmettre toute la séquence au second : `return_sequences=True` "
                       "(sans lui, seul son dernier état sort).",
                       " The first LSTM must pass the whole sequence to the second: `return_sequences=True` "
                       "(without it, only its last state comes out).")
    if ("LSTM", 64, "return_sequences") in found:
        return Message(" Le second LSTM ne renvoie que son dernier état : pas de `return_sequences` sur lui.",
                       " The second LSTM returns only its last state: no `return_sequences` on it.")
    return None


BUILD_CNN = Architecture("create_cnn_model", (28, 28, 1), CNN, N_PARAMS_CNN,
                         Message(" Vérifiez les filtres (32 puis 64), les noyaux 3 x 3 sans padding, les deux "
                                 "MaxPooling(2), les deux BatchNormalization et la couche Dense de 128.",
                                 " Check the filters (32 then 64), the 3 x 3 kernels without padding, the two "
                                 "MaxPooling(2), the two BatchNormalization and the Dense layer of 128."),
                         N_NON_TRAINABLE_CNN, layer_hint=_order_hint, build=_cnn)
BUILD_RNN = Architecture("create_rnn_model", (28, 28), RNN, N_PARAMS_RNN,
                         Message(" Un LSTM de n unités sur des entrées de d valeurs a 4 x n x (d + n + 1) paramètres : "
                                 "128 unités sur 28 valeurs, puis 64 sur 128.",
                                 " An LSTM of n units on inputs of d values has 4 x n x (d + n + 1) parameters: 128 "
                                 "units on 28 values, then 64 on 128."),
                         0, layer_hint=_sequence_hint, build=_rnn)


# -- q2 ----------------------------------------------------------------------
@checks("q2", public=True, weight=0.5, fr="`create_cnn_model()` renvoie un nouveau modèle Keras, d'entrée (28, 28, 1).",
        en="`create_cnn_model()` returns a new Keras model with input (28, 28, 1).")
def check_cnn_returns_new_keras_model(obs, ctx):
    BUILD_CNN.check_new_keras_model(obs)


@checks("q2", public=True, weight=2, requires=("check_cnn_returns_new_keras_model",),
        fr="Conv2D(32, 3, relu) → BatchNormalization → MaxPooling2D(2) → Conv2D(64, 3, relu) → BatchNormalization → "
        "MaxPooling2D(2) → Flatten → Dense(128, relu) → Dropout(0.5) → Dense(10, softmax).",
        en="Conv2D(32, 3, relu) → BatchNormalization → MaxPooling2D(2) → Conv2D(64, 3, relu) → BatchNormalization → "
        "MaxPooling2D(2) → Flatten → Dense(128, relu) → Dropout(0.5) → Dense(10, softmax).")
def check_cnn_layers(obs, ctx):
    BUILD_CNN.check_layers(obs)


@checks("q2", public=True, weight=1, requires=("check_cnn_returns_new_keras_model",),
        fr="225 418 paramètres, dont 192 non entraînables.", en="225,418 parameters, 192 of them non-trainable.")
def check_cnn_param_count(obs, ctx):
    BUILD_CNN.check_params(obs)


# -- q3 ----------------------------------------------------------------------
@checks("q3", public=True, weight=0.5, fr="`create_rnn_model()` renvoie un nouveau modèle Keras, d'entrée (28, 28).",
        en="`create_rnn_model()` returns a new Keras model with input (28, 28).")
def check_rnn_returns_new_keras_model(obs, ctx):
    BUILD_RNN.check_new_keras_model(obs)


@checks("q3", public=True, weight=2, requires=("check_rnn_returns_new_keras_model",),
        fr="LSTM(128, return_sequences=True) → Dropout(0.2) → LSTM(64) → Dropout(0.2) → Dense(128, relu) → "
        "Dropout(0.5) → Dense(10, softmax).",
        en="LSTM(128, return_sequences=True) → Dropout(0.2) → LSTM(64) → Dropout(0.2) → Dense(128, relu) → "
        "Dropout(0.5) → Dense(10, softmax).")
def check_rnn_layers(obs, ctx):
    BUILD_RNN.check_layers(obs)
    info = BUILD_RNN.built(obs)["model"]
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
    BUILD_RNN.check_params(obs)
