"""Q2 and Q6: `build_model()`'s architecture, observed as plain layer configs, and `n_params`."""

from __future__ import annotations

from grader.checks import NO_HINT, Architecture, Message, fail, group, student_number

from .common import N_PARAMS, checks

EXPECTED_LAYERS = [("Flatten",), ("Dense", 128, "relu"), ("Dense", 10, "softmax")]
BUILD = Architecture("build_model", (28, 28), EXPECTED_LAYERS, N_PARAMS,
                     Message(" Vérifiez la taille de la couche cachée (128) et de la sortie (10).",
                             " Check the size of the hidden layer (128) and of the output (10)."))


@checks("q2", public=True, weight=0.5, fr="`build_model()` renvoie un modèle Keras (Sequential).",
        en="`build_model()` returns a Keras model (Sequential).")
def check_build_model_returns_keras_model(obs, ctx):
    BUILD.check_keras_model(obs)


@checks("q2", public=True, weight=0.5, requires=("check_build_model_returns_keras_model",),
        fr="Entrée de forme (28, 28).", en="Input shape (28, 28).")
def check_build_model_input_shape(obs, ctx):
    BUILD.check_input_shape(obs)


@checks("q2", public=True, weight=1.5, requires=("check_build_model_returns_keras_model",),
        fr="Couches : Flatten → Dense(128, relu) → Dense(10, softmax).",
        en="Layers: Flatten → Dense(128, relu) → Dense(10, softmax).")
def check_build_model_layers(obs, ctx):
    BUILD.check_layers(obs)


@checks("q2", public=True, weight=1, requires=("check_build_model_returns_keras_model",),
        fr="101 770 paramètres.", en="101,770 parameters.")
def check_build_model_param_count(obs, ctx):
    BUILD.check_params(obs)


@checks("q2", public=True, weight=0.5, requires=("check_build_model_returns_keras_model",),
        fr="`build_model()` crée un nouveau modèle à chaque appel.", en="`build_model()` makes a new model each call.")
def check_build_model_returns_new_model(obs, ctx):
    BUILD.check_fresh(obs)


@checks("q6", public=True, fr="`n_params` = 101770.", en="`n_params` = 101770.")
def check_n_params_value(obs, ctx):
    value = student_number(obs, "n_params")
    if value == N_PARAMS:
        return
    if value != int(value):
        raise fail(f"`n_params` vaut {value:g} ; un nombre de paramètres est un entier : {group(N_PARAMS)}.",
                   f"`n_params` is {value:g}; a number of parameters is an integer: {N_PARAMS}.")
    hints = {784 * 128 + 128 * 10: Message(" Vous avez oublié les biais (un par neurone).",
                                           " You forgot the biases (one per neuron)."),
             784 * 128 + 128: Message(" Il manque la couche de sortie (128 x 10 + 10).",
                                      " The output layer is missing (128 x 10 + 10)."),
             128 * 10 + 10: Message(" Il manque la couche cachée (784 x 128 + 128).",
                                    " The hidden layer is missing (784 x 128 + 128).")}
    hint = hints.get(int(value), NO_HINT)
    raise fail(f"`n_params` vaut {value:g} ; attendu {group(N_PARAMS)} = (28 x 28 x 128 + 128) + (128 x 10 + 10)."
               f"{hint.fr}",
               f"`n_params` is {value:g}; expected {N_PARAMS:,} = (28 x 28 x 128 + 128) + (128 x 10 + 10).{hint.en}")
