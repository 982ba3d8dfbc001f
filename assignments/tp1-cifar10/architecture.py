"""Q2: `create_cnn()`'s architecture, read as plain layer tuples (`grader.judge.layers.normalize`)."""

from __future__ import annotations

from grader.checks import Architecture, Message

from .common import IMAGE_SHAPE, N_NON_TRAINABLE, N_PARAMS, checks


def block(filters: int) -> list[tuple]:
    """Conv(3, relu, same) → BN → Conv(3, relu) → MaxPool(2) → Dropout(0.25)."""
    return [("Conv2D", filters, 3, "padding=same", "relu"), ("BatchNormalization",), ("Conv2D", filters, 3, "relu"),
            ("MaxPooling2D", 2), ("Dropout", 0.25)]


HEAD = [("Flatten",), ("Dense", 512, "relu"), ("BatchNormalization",), ("Dropout", 0.5), ("Dense", 256, "relu"),
        ("Dropout", 0.5), ("Dense", 10, "softmax")]
EXPECTED = [*block(32), *block(64), *block(128), *HEAD]


def activation_after_batchnorm(layers: list[tuple]) -> list[tuple]:
    """Read `Conv2D/Dense (linear) → BatchNormalization → Activation(a)` as `Conv2D/Dense (a) → BatchNormalization`.

    Normalising before the activation is a common way of writing the same block (same layers,
    same parameters); `normalize` only folds an activation layer into the layer right before it.
    """
    out = list(layers)
    i = 0
    while i + 2 < len(out):
        first, bn, act = out[i], out[i + 1], out[i + 2]
        if first[0] in ("Conv2D", "Dense") and first[-1] in (None, "linear") and bn == ("BatchNormalization",) \
                and act[0] == "Activation":
            out[i:i + 3] = [(*first[:-1], act[1]), bn]
        i += 1
    return out


def _hint(found: list[tuple]) -> Message | None:
    """What the usual slips look like, in words."""
    convs = [x for x in found if x[0] == "Conv2D"]
    if found.count(("BatchNormalization",)) < EXPECTED.count(("BatchNormalization",)):
        return Message(" Il manque une `BatchNormalization` : une après la première convolution de chaque bloc, "
                       "une après `Dense(512)`.",
                       " A `BatchNormalization` is missing: one after the first convolution of each block, one "
                       "after `Dense(512)`.")
    if sum("padding=same" in x for x in convs) > 3:
        return Message(" Seule la première convolution de chaque bloc a `padding=\"same\"` ; la seconde n'en a pas.",
                       " Only the first convolution of each block has `padding=\"same\"`; the second has none.")
    if sum("padding=same" in x for x in convs) < 3 and len(convs) == 6:
        return Message(" La première convolution de chaque bloc a `padding=\"same\"`.",
                       " The first convolution of each block has `padding=\"same\"`.")
    if found.count(("Dropout", 0.5)) < 2 and ("Dense", 256, "relu") in found:
        return Message(" Chaque couche `Dense` cachée (512 et 256) est suivie d'un `Dropout(0.5)`.",
                       " Each hidden `Dense` layer (512 and 256) is followed by a `Dropout(0.5)`.")
    if found.count(("Dropout", 0.25)) < 3:
        return Message(" Chaque bloc convolutif se termine par `Dropout(0.25)`.",
                       " Each convolutional block ends with `Dropout(0.25)`.")
    return None


BUILD = Architecture("create_cnn", IMAGE_SHAPE, EXPECTED, N_PARAMS,
                     Message(" Vérifiez les filtres (32, 64, 128), les noyaux 3 x 3, le `padding=\"same\"` de la seule "
                             "première convolution de chaque bloc, les `MaxPooling2D(2)` et les couches Dense de 512 et "
                             "256.", " Check the filters (32, 64, 128), the 3 x 3 kernels, the `padding=\"same\"` of "
                             "only the first convolution of each block, the `MaxPooling2D(2)` and the Dense layers of "
                             "512 and 256."),
                     N_NON_TRAINABLE, layer_hint=_hint, read=activation_after_batchnorm)


@checks("q2", public=True, weight=0.5, fr="`create_cnn()` renvoie un nouveau modèle Keras, d'entrée (32, 32, 3).",
        en="`create_cnn()` returns a new Keras model with input (32, 32, 3).")
def check_create_cnn_returns_new_keras_model(obs, ctx):
    BUILD.check_new_keras_model(obs)


@checks("q2", public=True, weight=2.5, requires=("check_create_cnn_returns_new_keras_model",),
        fr="Trois blocs Conv(3, relu, same) → BN → Conv(3, relu) → MaxPool(2) → Dropout(0.25) de 32, 64, 128 filtres, "
        "puis Flatten → Dense(512, relu) → BN → Dropout(0.5) → Dense(256, relu) → Dropout(0.5) → Dense(10, softmax).",
        en="Three blocks Conv(3, relu, same) → BN → Conv(3, relu) → MaxPool(2) → Dropout(0.25) of 32, 64, 128 "
        "filters, then Flatten → Dense(512, relu) → BN → Dropout(0.5) → Dense(256, relu) → Dropout(0.5) → "
        "Dense(10, softmax).")
def check_create_cnn_layers(obs, ctx):
    BUILD.check_layers(obs)


@checks("q2", public=True, weight=1, requires=("check_create_cnn_returns_new_keras_model",),
        fr="686 506 paramètres, dont 1 472 non entraînables (BatchNormalization).",
        en="686,506 parameters, 1,472 of them non-trainable (BatchNormalization).")
def check_create_cnn_param_count(obs, ctx):
    BUILD.check_params(obs)
