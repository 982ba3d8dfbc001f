"""Q2, Q3, Q4: `build_ann()`, `build_activation_model(activation)` and `activation_results`, `build_cnn()`."""

from __future__ import annotations

import numpy as np

from grader.checks import (
    KERAS_LEAKY_DEFAULT,
    Architecture,
    Message,
    built,
    compare,
    fail,
    leaky,
    normalize,
    require_input_shape,
    require_keras_model,
    require_params,
)
from grader.checks.probes import model, values

from .common import N_PARAMS_ANN, N_PARAMS_CNN, checks

ANN = [("Flatten",), ("Dense", 128, "relu"), ("Dropout", 0.2), ("Dense", 64, "relu"), ("Dense", 10, "softmax")]
CNN = [("Conv2D", 32, 3, "relu"), ("MaxPooling2D", 2), ("Conv2D", 64, 3, "relu"), ("MaxPooling2D", 2),
       ("Flatten",), ("Dense", 128, "relu"), ("Dropout", 0.3), ("Dense", 10, "softmax")]
ACTIVATIONS = ("sigmoid", "tanh", "relu", "leaky_relu")
#: what each activation string must compute, as `normalize` reads it once the layers are folded: judged by
#: its values on fixed inputs, not by its name (the Keras string "leaky_relu" computes leaky_relu(0.2))
FOLDED = {"sigmoid": "sigmoid", "tanh": "tanh", "relu": "relu", "leaky_relu": leaky(0.1)}


def _missing_dropout(found: list[tuple]) -> Message | None:
    if found == [x for x in ANN if x[0] != "Dropout"]:
        return Message(" Il manque le `Dropout(0.2)` après la première couche cachée.",
                       " The `Dropout(0.2)` after the first hidden layer is missing.")
    return None


BUILD_ANN = Architecture("build_ann", (28, 28), ANN, N_PARAMS_ANN,
                         Message(" Couches cachées de 128 puis 64 neurones, sortie de 10 (Dropout n'a pas de paramètre).",
                                 " Hidden layers of 128 then 64 neurons, output of 10 (Dropout has no parameter)."),
                         layer_hint=_missing_dropout)
BUILD_CNN = Architecture("build_cnn", (28, 28, 1), CNN, N_PARAMS_CNN,
                         Message(" Vérifiez le nombre de filtres (32 puis 64), les noyaux 3 x 3 sans padding et les "
                                 "MaxPooling(2).", " Check the number of filters (32 then 64), the 3 x 3 kernels "
                                 "without padding and the MaxPooling(2)."))


# -- q2 ----------------------------------------------------------------------
@checks("q2", public=True, weight=0.5, fr="`build_ann()` renvoie un nouveau modèle Keras, d'entrée (28, 28).",
        en="`build_ann()` returns a new Keras model with input (28, 28).")
def check_build_ann_returns_new_keras_model(obs, ctx):
    BUILD_ANN.check_new_keras_model(obs)


@checks("q2", public=True, weight=2, requires=("check_build_ann_returns_new_keras_model",),
        fr="Couches : Flatten → Dense(128, relu) → Dropout(0.2) → Dense(64, relu) → Dense(10, softmax).",
        en="Layers: Flatten → Dense(128, relu) → Dropout(0.2) → Dense(64, relu) → Dense(10, softmax).")
def check_build_ann_layers(obs, ctx):
    BUILD_ANN.check_layers(obs)


@checks("q2", public=True, weight=1, requires=("check_build_ann_returns_new_keras_model",),
        fr="109 386 paramètres.", en="109,386 parameters.")
def check_build_ann_param_count(obs, ctx):
    BUILD_ANN.check_params(obs)


# -- q3 ----------------------------------------------------------------------
def _activation_models(obs) -> dict:
    return built(obs, "build_activation_model", model.each, list(ACTIVATIONS))


def _expected_activation(act: str) -> tuple[list[tuple], list[tuple]]:
    """The two accepted layer lists: without and with Dropout(0.2) after the first hidden layer."""
    a = FOLDED[act]
    plain = [("Flatten",), ("Dense", 128, a), ("Dense", 64, a), ("Dense", 10, "softmax")]
    return plain, [*plain[:2], ("Dropout", 0.2), *plain[2:]]


@checks("q3", public=True, weight=0.5, fr="`build_activation_model(a)` renvoie un modèle Keras d'entrée (28, 28) pour les quatre "
        "activations.", en="`build_activation_model(a)` returns a Keras model with input (28, 28) for all four.")
def check_activation_models_are_keras_models(obs, ctx):
    for act, info in _activation_models(obs).items():
        require_keras_model(info, f'`build_activation_model("{act}")`')
        require_input_shape(info, f'`build_activation_model("{act}")`', (28, 28))


@checks("q3", public=True, weight=2, requires=("check_activation_models_are_keras_models",),
        fr="Flatten → Dense(128) → Dense(64) → Dense(10, softmax) avec l'activation demandée dans les deux couches "
        "cachées ; \"leaky_relu\" : un leaky ReLU de pente 0.1 (jugé sur ce qu'il calcule).",
        en="Flatten → Dense(128) → Dense(64) → Dense(10, softmax) with the activation in both hidden layers; "
        "\"leaky_relu\": a leaky ReLU of slope 0.1 (judged by what it computes).")
def check_activation_models_layers(obs, ctx):
    for act, info in _activation_models(obs).items():
        found = normalize(info)
        plain, with_dropout = _expected_activation(act)
        if found in (plain, with_dropout):
            continue
        expected = with_dropout if ("Dropout", 0.2) in found else plain
        extra = None
        how = (" : une couche `layers.LeakyReLU(negative_slope=0.1)` après chaque `Dense` cachée (sans activation), "
               "ou `activation=lambda x: keras.activations.leaky_relu(x, negative_slope=0.1)`.")
        how_en = (": a `layers.LeakyReLU(negative_slope=0.1)` layer after each hidden `Dense` (no activation), "
                  "or `activation=lambda x: keras.activations.leaky_relu(x, negative_slope=0.1)`.")
        if act == "leaky_relu" and any(x[0] == "Dense" and x[2] == leaky(KERAS_LEAKY_DEFAULT) for x in found):
            extra = Message(" `activation=\"leaky_relu\"` utilise la pente par défaut de Keras, 0.2 ; le TP demande "
                            f"une pente de 0.1{how}",
                            " `activation=\"leaky_relu\"` uses Keras' default slope, 0.2; the TP asks for a slope "
                            f"of 0.1{how_en}")
        elif act == "leaky_relu" and any(str(x[-1]).startswith("leaky_relu(") for x in found):
            extra = Message(f" La pente du leaky ReLU doit être 0.1{how}",
                            f" The leaky ReLU's slope must be 0.1{how_en}")
        compare(found, expected, f'`build_activation_model("{act}")`', extra)


@checks("q3", public=True, weight=0.5, requires=("check_activation_models_are_keras_models",),
        fr="109 386 paramètres pour chaque activation.", en="109,386 parameters for each activation.")
def check_activation_models_param_count(obs, ctx):
    for act, info in _activation_models(obs).items():
        require_params(info, f'`build_activation_model("{act}")`', N_PARAMS_ANN)


@checks("q3", public=True, weight=1, fr="`activation_results` : exactement les quatre activations → précision de validation "
        "dans [0, 1].", en="`activation_results`: exactly the four activations → validation accuracy in [0, 1].")
def check_activation_results(obs, ctx):
    info = obs.run(values.number_map, "activation_results")
    if info["items"] is None:
        raise fail(f"`activation_results` est de type {info['type']} ; attendu un dictionnaire "
                   "{\"sigmoid\": ..., \"tanh\": ..., \"relu\": ..., \"leaky_relu\": ...}.",
                   f"`activation_results` is a {info['type']}; expected a dict "
                   "{\"sigmoid\": ..., \"tanh\": ..., \"relu\": ..., \"leaky_relu\": ...}.")
    keys = info["keys"]
    if sorted(keys) != sorted(repr(a) for a in ACTIVATIONS):
        raise fail(f"Clés de `activation_results` : {', '.join(keys) or 'aucune'} ; attendu exactement "
                   f"{', '.join(repr(a) for a in ACTIVATIONS)}.",
                   f"Keys of `activation_results`: {', '.join(keys)}; expected exactly {ACTIVATIONS}.")
    for act in ACTIVATIONS:
        value = info["items"][act]
        if isinstance(value, dict):
            what = f"{value['size']} valeurs" if "size" in value else f"un objet {value.get('error')}"
            what_en = f"{value['size']} values" if "size" in value else f"an object {value.get('error')}"
            raise fail(f"`activation_results[\"{act}\"]` contient {what} ; attendu un nombre, la précision de "
                       "validation (par ex. `history.history[\"val_accuracy\"][-1]`).",
                       f"`activation_results[\"{act}\"]` holds {what_en}; expected a number, the validation accuracy "
                       "(e.g. `history.history[\"val_accuracy\"][-1]`).")
        if not np.isfinite(value) or not 0 <= value <= 1:
            raise fail(f"`activation_results[\"{act}\"]` vaut {value:.4g} ; une précision est dans [0, 1].",
                       f"`activation_results[\"{act}\"]` is {value:.4g}; an accuracy lies in [0, 1].")


# -- q4 ----------------------------------------------------------------------
@checks("q4", public=True, weight=0.5, fr="`build_cnn()` renvoie un nouveau modèle Keras, d'entrée (28, 28, 1).",
        en="`build_cnn()` returns a new Keras model with input (28, 28, 1).")
def check_build_cnn_returns_new_keras_model(obs, ctx):
    BUILD_CNN.check_new_keras_model(obs)


@checks("q4", public=True, weight=2, requires=("check_build_cnn_returns_new_keras_model",),
        fr="Conv2D(32, 3, relu) → MaxPooling2D(2) → Conv2D(64, 3, relu) → MaxPooling2D(2) → Flatten → "
        "Dense(128, relu) → Dropout(0.3) → Dense(10, softmax).",
        en="Conv2D(32, 3, relu) → MaxPooling2D(2) → Conv2D(64, 3, relu) → MaxPooling2D(2) → Flatten → "
        "Dense(128, relu) → Dropout(0.3) → Dense(10, softmax).")
def check_build_cnn_layers(obs, ctx):
    BUILD_CNN.check_layers(obs)


@checks("q4", public=True, weight=1, requires=("check_build_cnn_returns_new_keras_model",),
        fr="225 034 paramètres.", en="225,034 parameters.")
def check_build_cnn_param_count(obs, ctx):
    BUILD_CNN.check_params(obs)
