"""Q1: `build_transfer_model(weights, input_shape)`, built with `weights=None` on small images.

One probe (cached) builds the student's model once and observes, as plain data: its layers, the
ResNet50 base it holds, which parameters are trainable, what reaches the base's first layer when
images go through the model, and whether a short training of the whole model (the judge's own
`compile` and `fit`, eager, a few random images) leaves the base's weights untouched.

`preprocess_input` is checked by its effect, not by name: in Keras 3 it is a handful of
operations (a channel flip, a subtraction), not a layer, and students may wrap it in a `Lambda`.
The judge sends images, reads what the base's first layer (`conv1_pad`) receives, and compares it
with the "caffe" preprocessing computed here: RGB -> BGR, minus the ImageNet channel means.
"""

from __future__ import annotations

import numpy as np

from grader.checks import (
    CheckFailed,
    Message,
    Status,
    as_array,
    built,
    fail,
    group,
    normalize,
    require_keras_model,
    show_all,
)

from . import probes
from .common import (
    BASE_PARAMS,
    DEFAULT_SHAPE,
    HEAD_PARAMS,
    SMALL,
    TOP_PARAMS,
    checks,
    offline_hint,
)

#: ImageNet channel means in BGR order, as `keras.applications.resnet50.preprocess_input` subtracts them
CAFFE_MEANS_BGR = np.array([103.939, 116.779, 123.68])

def _inputs(ctx) -> tuple[np.ndarray, np.ndarray]:
    """Random images (pixels in [0, 255]) and regression targets for the short training."""
    rng = ctx.rng("tp-transfer:q1-images")
    return rng.uniform(0, 255, size=(4, *SMALL)).astype(np.float32), rng.uniform(0.2, 0.8, size=4).astype(np.float32)


def _built(obs, ctx) -> dict:
    images, targets = _inputs(ctx)
    try:
        return built(obs, "build_transfer_model", probes.transfer_model, list(SMALL), images, targets)
    except CheckFailed as e:
        hint = offline_hint(e.details)
        if hint:
            raise CheckFailed(Message(e.message.fr + hint.fr, e.message.en + hint.en),
                              e.status, e.details) from e
        raise


def _base(obs, ctx) -> dict:
    answer = _built(obs, ctx)
    base = answer.get("base")
    if base is None:
        raise fail("Aucune base ResNet50 trouvée dans le modèle : utilisez `ResNet50(weights=weights, "
                   "include_top=False, input_shape=input_shape)` de `keras.applications` et appelez-la sur "
                   "l'entrée préparée (`x = base(x)`).",
                   "No ResNet50 base found in the model: use `ResNet50(weights=weights, include_top=False, "
                   "input_shape=input_shape)` from `keras.applications` and call it on the prepared input "
                   "(`x = base(x)`).")
    return base


@checks("q1", weight=1, fr="`build_transfer_model(weights=None, input_shape=(32, 32, 3))` renvoie un modèle Keras "
        "sur des images de cette taille.",
        en="`build_transfer_model(weights=None, input_shape=(32, 32, 3))` returns a Keras model for such images.")
def check_transfer_model_is_keras_model(obs, ctx):
    info = _built(obs, ctx)["model"]
    require_keras_model(info, "`build_transfer_model(...)`")
    shape = info.get("input_shape")
    if shape is None or list(shape) != [None, *SMALL]:
        found = "aucune" if shape is None else str(tuple(shape[1:]))
        raise fail(f"Avec `input_shape=(32, 32, 3)`, le modèle attend des entrées de forme {found} : utilisez le "
                   "paramètre `input_shape` pour `keras.Input(shape=input_shape)` et pour `ResNet50(..., "
                   "input_shape=input_shape)`.",
                   f"With `input_shape=(32, 32, 3)`, the model expects inputs of shape {found}: use the "
                   "`input_shape` parameter for `keras.Input(shape=input_shape)` and for `ResNet50(..., "
                   "input_shape=input_shape)`.")


@checks("q1", weight=0.5, requires=("check_transfer_model_is_keras_model",),
        fr="Valeurs par défaut : `weights=\"imagenet\"`, `input_shape=(224, 224, 3)`.",
        en="Defaults: `weights=\"imagenet\"`, `input_shape=(224, 224, 3)`.")
def check_transfer_model_defaults(obs, ctx):
    answer = _built(obs, ctx)
    found = answer.get("defaults") or {}
    if found.get("weights") != "imagenet":
        raise fail(f"La valeur par défaut de `weights` est {found.get('weights', 'absente')!r} ; attendu "
                   "`weights=\"imagenet\"` (les poids pré-entraînés, c'est tout l'intérêt du transfert).",
                   f"The default value of `weights` is {found.get('weights', 'absent')!r}; expected "
                   "`weights=\"imagenet\"` (the pre-trained weights are the whole point of transfer learning).")
    default = found.get("input_shape")
    if isinstance(default, list) and tuple(default) == DEFAULT_SHAPE:
        return
    seen = answer.get("default_input_shape")
    if seen is not None and list(seen)[1:] == list(DEFAULT_SHAPE):
        return
    raise fail(f"Sans `input_shape`, le modèle n'attend pas des images (224, 224, 3) (valeur par défaut : "
               f"{default!r}) ; écrivez `input_shape=(224, 224, 3)` dans la signature.",
               f"Without `input_shape`, the model does not expect (224, 224, 3) images (default value: "
               f"{default!r}); write `input_shape=(224, 224, 3)` in the signature.",
               details=str(answer.get("default_error", "")))


@checks("q1", weight=1, requires=("check_transfer_model_is_keras_model",),
        fr="La base est ResNet50 sans sa tête ImageNet (`include_top=False`).",
        en="The base is ResNet50 without its ImageNet top (`include_top=False`).")
def check_base_is_resnet50_without_top(obs, ctx):
    base = _base(obs, ctx)
    if base["has_predictions"] or base["params"] == BASE_PARAMS + TOP_PARAMS:
        raise fail("La base garde sa tête de classification ImageNet (1 000 classes) : passez `include_top=False`.",
                   "The base keeps its ImageNet classification top: pass `include_top=False`.")
    if base["params"] != BASE_PARAMS:
        raise fail(f"La base a {group(base['params'])} paramètres ; ResNet50 sans tête en a {group(BASE_PARAMS)}. "
                   "Utilisez `keras.applications.ResNet50` (pas ResNet50V2 ni ResNet101).",
                   f"The base has {base['params']:,} parameters; ResNet50 without top has {BASE_PARAMS:,}. "
                   "Use `keras.applications.ResNet50` (not ResNet50V2 nor ResNet101).")


@checks("q1", weight=1.5, requires=("check_base_is_resnet50_without_top",),
        fr="`preprocess_input` (ResNet50) est appliqué dans le modèle, avant la base.",
        en="`preprocess_input` (ResNet50) is applied inside the model, before the base.")
def check_preprocess_input_inside_model(obs, ctx):
    answer = _built(obs, ctx)
    if "base_input" not in answer:
        raise fail("Impossible de faire passer des images dans le modèle pour voir ce que reçoit la base.",
                   "Could not run images through the model to see what the base receives.",
                   details=str(answer.get("preprocess_error", "")))
    images = _inputs(ctx)[0].astype(np.float64)
    found = as_array(answer["base_input"], Message("l'entrée de la base", "the base's input")).astype(np.float64)
    expected = images[..., ::-1] - CAFFE_MEANS_BGR
    if found.shape == expected.shape and np.allclose(found, expected, atol=1e-3, rtol=1e-5):
        return
    if found.shape == images.shape and np.allclose(found, images, atol=1e-3, rtol=1e-5):
        raise fail("La base ResNet50 reçoit les images brutes (pixels dans [0, 255]) : appliquez "
                   "`preprocess_input` de `keras.applications.resnet50` dans le modèle, entre l'entrée et la base "
                   "(`x = preprocess_input(inputs)` puis `x = base(x)`).",
                   "The ResNet50 base receives raw images: apply `keras.applications.resnet50.preprocess_input` "
                   "inside the model, between the input and the base.")
    what = ""
    if found.shape == images.shape:
        if np.allclose(found, images / 255.0, atol=1e-4):
            what = " (elle reçoit les pixels divisés par 255)"
        elif np.allclose(found, images / 127.5 - 1.0, atol=1e-4):
            what = " (elle reçoit des pixels dans [-1, 1] : c'est le prétraitement de ResNet50V2/MobileNet)"
    raise fail(f"La base ResNet50 ne reçoit pas les images prétraitées comme ResNet50 l'attend{what} : utilisez "
               "`keras.applications.resnet50.preprocess_input` (canaux RGB -> BGR, moins les moyennes ImageNet), "
               "une seule fois, dans le modèle.",
               "The ResNet50 base does not receive images preprocessed the ResNet50 way: use "
               "`keras.applications.resnet50.preprocess_input` once, inside the model.")


@checks("q1", weight=1, requires=("check_base_is_resnet50_without_top",),
        fr="Tête : `GlobalAveragePooling2D` puis `Dense(1, activation=\"sigmoid\")`.",
        en="Head: `GlobalAveragePooling2D` then `Dense(1, activation=\"sigmoid\")`.")
def check_head_is_pooling_then_sigmoid_unit(obs, ctx):
    answer = _built(obs, ctx)
    base = _base(obs, ctx)
    layers = answer["model"]["layers"]
    top = base["top"]
    head = normalize({"layers": layers[top + 1:]}) if top is not None else []
    found = [("GlobalAveragePooling2D",)] if base["last_class"] == "GlobalAveragePooling2D" else []
    found += [x for x in head if x[0] != "Dropout"]
    expected = [("GlobalAveragePooling2D",), ("Dense", 1, "sigmoid")]
    shape = answer.get("output_shape")
    if found == expected and (shape is None or list(shape) == [None, 1]):
        return
    hint = ""
    dense = [x for x in found if x[0] == "Dense"]
    if dense and dense[-1][1] == 2:
        hint = Message(" Deux classes se traitent ici avec une seule sortie : `Dense(1, activation=\"sigmoid\")` "
                       "et la perte `binary_crossentropy` (pas `Dense(2, softmax)`).",
                       " Two classes are handled here with a single output: `Dense(1, activation=\"sigmoid\")` "
                       "and the `binary_crossentropy` loss (not `Dense(2, softmax)`).")
    elif dense and dense[-1][1] == 1 and dense[-1][2] in (None, "linear"):
        hint = Message(" La sortie doit être une probabilité : `activation=\"sigmoid\"`.",
                       " The output must be a probability: `activation=\"sigmoid\"`.")
    elif found and found[0] != ("GlobalAveragePooling2D",):
        hint = Message(" Résumez les cartes de la base par `layers.GlobalAveragePooling2D()` (pas `Flatten`).",
                       " Summarise the base's feature maps with `layers.GlobalAveragePooling2D()` (not `Flatten`).")
    raise fail(f"Tête après la base : {show_all(found)} ; attendu {show_all(expected)}.{hint.fr}",
               f"Head after the base: {show_all(found)}; expected {show_all(expected)}.{hint.en}")


@checks("q1", weight=1, requires=("check_base_is_resnet50_without_top",),
        fr=f"Base gelée : seule la tête ({group(HEAD_PARAMS)} paramètres) est entraînable.",
        en=f"Frozen base: only the head ({HEAD_PARAMS:,} parameters) is trainable.")
def check_only_head_is_trainable(obs, ctx):
    base = _base(obs, ctx)
    if base["trainable_params"]:
        raise fail(f"{group(base['trainable_params'])} paramètres de la base ResNet50 sont entraînables : gelez-la "
                   "avec `base.trainable = False` avant de construire le modèle.",
                   f"{base['trainable_params']:,} parameters of the ResNet50 base are trainable: freeze it with "
                   "`base.trainable = False`.")
    if base["head_trainable_params"] != HEAD_PARAMS:
        raise fail(f"La tête a {group(base['head_trainable_params'])} paramètres entraînables ; attendu "
                   f"{group(HEAD_PARAMS)} (une couche `Dense(1)` sur les 2 048 caractéristiques de la base).",
                   f"The head has {base['head_trainable_params']:,} trainable parameters; expected {HEAD_PARAMS:,} "
                   "(one `Dense(1)` layer on the base's 2,048 features).")


@checks("q1", weight=1, requires=("check_only_head_is_trainable",),
        fr="Un court entraînement modifie la tête et laisse les poids de la base intacts.",
        en="A short training changes the head and leaves the base's weights untouched.")
def check_short_training_keeps_base(obs, ctx):
    answer = _built(obs, ctx)
    if "fit" not in answer:
        raise CheckFailed(Message("Le correcteur n'a pas pu entraîner brièvement le modèle (`compile` puis `fit` "
                                  "sur 4 images aléatoires).", "The grader could not briefly train the model (`compile` then `fit` on 4 random images)."),
                          Status.ERROR, str(answer.get("fit_error", "")))
    fit = answer["fit"]
    if fit["n_base_moved"]:
        raise fail(f"Après 2 pas d'entraînement, {fit['n_base_moved']} poids de la base ont changé (par exemple "
                   f"{', '.join(fit['base_moved'][:3])}) : la base doit rester gelée, moyennes et variances des "
                   "BatchNormalization comprises (`base.trainable = False`).",
                   f"After 2 training steps, {fit['n_base_moved']} weights of the base changed (for example "
                   f"{', '.join(fit['base_moved'][:3])}): the base must stay frozen, BatchNormalization means and "
                   "variances included (`base.trainable = False`).")
    if not fit["head_moved"]:
        raise fail("Après 2 pas d'entraînement, la tête n'a pas changé : la couche `Dense` doit rester entraînable.",
                   "After 2 training steps the head did not change: the Dense layer must stay trainable.")
