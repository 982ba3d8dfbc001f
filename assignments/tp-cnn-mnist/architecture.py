"""Q2: `build_model()`'s architecture, observed as plain layer configs and parameter counts."""

from __future__ import annotations

from grader.checks import Architecture, Message

from .common import N_PARAMS, checks

EXPECTED_LAYERS = [("Conv2D", 32, 3, "relu"), ("MaxPooling2D", 2), ("Conv2D", 64, 3, "relu"), ("MaxPooling2D", 2),
                   ("Conv2D", 64, 3, "relu"), ("Flatten",), ("Dense", 128, "relu"), ("Dropout", 0.5),
                   ("Dense", 10, "softmax")]
BUILD = Architecture("build_model", (28, 28, 1), EXPECTED_LAYERS, N_PARAMS,
                     Message(" Vérifiez le nombre de filtres (32, 64, 64), les noyaux 3 x 3 sans `padding`, les deux "
                             "`MaxPooling2D` et la couche Dense de 128.",
                             " Check the number of filters (32, 64, 64), the 3 x 3 kernels without `padding`, the "
                             "two `MaxPooling2D` and the Dense layer of 128."))


@checks("q2", public=True, weight=0.5, fr="`build_model()` renvoie un modèle Keras.", en="`build_model()` returns a Keras model.")
def check_build_model_returns_keras_model(obs, ctx):
    BUILD.check_keras_model(obs)


@checks("q2", public=True, weight=0.5, requires=("check_build_model_returns_keras_model",),
        fr="Entrée de forme (28, 28, 1).", en="Input shape (28, 28, 1).")
def check_build_model_input_shape(obs, ctx):
    BUILD.check_input_shape(obs)


@checks("q2", public=True, weight=2, requires=("check_build_model_returns_keras_model",),
        fr="Couches : Conv2D(32) → MaxPool → Conv2D(64) → MaxPool → Conv2D(64) → Flatten → Dense(128) → "
        "Dropout(0.5) → Dense(10, softmax).",
        en="Layers: Conv2D(32) → MaxPool → Conv2D(64) → MaxPool → Conv2D(64) → Flatten → Dense(128) → "
        "Dropout(0.5) → Dense(10, softmax).")
def check_build_model_layers(obs, ctx):
    BUILD.check_layers(obs)


@checks("q2", public=True, weight=1, requires=("check_build_model_returns_keras_model",),
        fr="130 890 paramètres.", en="130,890 parameters.")
def check_build_model_param_count(obs, ctx):
    BUILD.check_params(obs)


@checks("q2", public=True, weight=0.5, requires=("check_build_model_returns_keras_model",),
        fr="`build_model()` crée un nouveau modèle à chaque appel.", en="`build_model()` makes a new model each call.")
def check_build_model_returns_new_model(obs, ctx):
    BUILD.check_fresh(obs)
