"""Q3: `encoder`, judged against the student's own autoencoder and its own bottleneck.

In the runner: whether every weight variable of `encoder` *is* (same object) one of
`autoencoder`'s, and, on a few images prepared like the student's data, `encoder`'s output beside
`autoencoder`'s own activation at its narrowest hidden Dense (the chain of its layers run up to
there). Only those small arrays come back; the comparison is made here. An autoencoder with the
wrong bottleneck (Q2) still has a right encoder if the encoder stops at *its* bottleneck.
"""

from __future__ import annotations

import numpy as np

from grader.checks import (
    NO_HINT,
    CheckFailed,
    Message,
    Status,
    as_array,
    fail,
    load_dataset,
    require_keras_model,
)
from grader.checks.probes import model as model_probes

from . import probes
from .architecture import info as autoencoder_info
from .common import DATASET, checks
from .data import scalings


def _shared(obs) -> dict:
    obs.describe("encoder")  # missing: says so
    autoencoder_info(obs)  # q3 is judged against `autoencoder`: it must exist
    return obs.memo(("encoder",), lambda: obs.run(model_probes.shared_weights, "encoder", "autoencoder"))


def _images(obs, n: int = 32) -> np.ndarray:
    """A few grader images (test images beyond the served ones when there are), scaled like `x_train`."""
    _, (raw, _) = load_dataset(DATASET)
    scale, offset = scalings(obs)[0]
    return (raw[-n:].reshape(n, -1).astype(np.float64) * scale + offset).astype(np.float32)


@checks("q3", weight=0.5, fr="`encoder` est un modèle Keras qui prend la même entrée que `autoencoder`.",
        en="`encoder` is a Keras model taking the same input as `autoencoder`.")
def check_encoder_is_keras_model(obs, ctx):
    got = _shared(obs)
    require_keras_model(got["model"], "`encoder`")
    if got["same_object"]:
        raise fail("`encoder` est l'autoencodeur lui-même : il doit s'arrêter au goulot, "
                   "`encoder = keras.Model(input_img, encoded)`.", "`encoder` is the autoencoder itself: it must stop at the bottleneck, "
                                                                   "`encoder = keras.Model(input_img, encoded)`.")
    mine, theirs = got["model"].get("input_shape"), autoencoder_info(obs).get("input_shape")
    if mine is not None and theirs is not None and list(mine) != list(theirs):
        raise fail(f"`encoder` attend des entrées de forme {tuple(mine[1:])} ; `autoencoder` de forme "
                   f"{tuple(theirs[1:])} : l'encodeur part de l'entrée de l'autoencodeur.",
                   f"`encoder` expects inputs of shape {tuple(mine[1:])}; `autoencoder` of shape "
                   f"{tuple(theirs[1:])}: the encoder starts from the autoencoder's input.")


@checks("q3", weight=2, requires=("check_encoder_is_keras_model",),
        fr="`encoder` partage ses poids avec `autoencoder` (mêmes couches, pas de copie).",
        en="`encoder` shares its weights with `autoencoder` (same layers, no copy).")
def check_encoder_shares_weights(obs, ctx):
    got = _shared(obs)
    if got["weights"] == 0:
        raise fail("`encoder` n'a aucun poids : il doit contenir les couches Dense de l'encodeur de "
                   "`autoencoder`.", "`encoder` has no weights: it must hold the autoencoder's encoder layers.")
    if got["shared"] < got["weights"]:
        raise fail(f"{got['weights'] - got['shared']} des {got['weights']} variables de poids de `encoder` "
                   "n'appartiennent pas à `autoencoder` : c'est un nouveau modèle, aux poids neufs, que "
                   "l'entraînement de l'autoencodeur ne touche pas. Construisez-le à partir des couches de "
                   "l'autoencodeur : `encoder = keras.Model(input_img, encoded)` (API fonctionnelle) ou "
                   "`keras.Model(autoencoder.input, couche_du_goulot.output)`.",
                   f"{got['weights'] - got['shared']} of the {got['weights']} weight variables of `encoder` do "
                   "not belong to `autoencoder`: it is a new model, with fresh weights, that training the "
                   "autoencoder does not touch. Build it from the autoencoder's layers: "
                   "`encoder = keras.Model(input_img, encoded)` (functional API) or "
                   "`keras.Model(autoencoder.input, bottleneck_layer.output)`.")


@checks("q3", weight=2.5, requires=("check_encoder_is_keras_model",),
        fr="`encoder(x)` est l'activation du goulot de `autoencoder` sur les mêmes images.",
        en="`encoder(x)` is `autoencoder`'s bottleneck activation on the same images.")
def check_encoder_outputs_bottleneck(obs, ctx):
    images = _images(obs)
    try:
        got = obs.memo(("encoded",), lambda: obs.run(probes.encoded, images, timeout=120))
    except CheckFailed as e:
        if e.status is Status.ERROR:
            raise CheckFailed(Message(f"`encoder.predict` a levé une erreur sur {len(images)} images aplaties.",
                                      f"`encoder.predict` raised an error on {len(images)} flattened images."),
                              Status.ERROR, e.details) from e
        raise
    encoded = as_array(got["encoded"], "`encoder.predict(...)`").astype(np.float64).reshape(len(images), -1)
    width = got["width"]
    if width is None or got["bottleneck"] is None:
        raise fail("Impossible de trouver le goulot de `autoencoder` (sa couche Dense cachée la plus étroite)"
                   + (f" : {got['error']}" if got["error"] else "") + ".",
                   "Cannot find `autoencoder`'s bottleneck (its narrowest hidden Dense layer).")
    if encoded.shape[1] != width:
        raise fail(f"`encoder` sort {encoded.shape[1]} valeurs par image ; le goulot de `autoencoder` (sa couche "
                   f"la plus étroite) en a {width}. Coupez l'encodeur à la sortie du goulot, pas à une autre couche.",
                   f"`encoder` outputs {encoded.shape[1]} values per image; the bottleneck of `autoencoder` (its "
                   f"narrowest layer) has {width}. Cut the encoder at the bottleneck's output, not at another layer.")
    expected = as_array(got["bottleneck"], "goulot").astype(np.float64).reshape(len(images), -1)
    scale = max(1.0, float(np.abs(expected).max(initial=0.0)))
    err = float(np.abs(encoded - expected).max(initial=0.0))
    if err > 1e-3 * scale:
        hint = (Message(" Les sorties de `encoder` sont parfois négatives : il s'arrête avant l'activation `relu` "
                        "du goulot.", " The outputs of `encoder` are sometimes negative: it stops before the "
                        "bottleneck's `relu` activation.")
                if encoded.min() < -1e-6 <= expected.min() else NO_HINT)
        raise fail(f"`encoder(x)` diffère de l'activation du goulot de `autoencoder` sur les mêmes images (écart "
                   f"max {err:.3g}) : l'encodeur doit réutiliser les couches entraînées de l'autoencodeur, jusqu'au "
                   f"goulot inclus.{hint.fr}",
                   f"`encoder(x)` differs from `autoencoder`'s bottleneck activation on the same images (max gap "
                   f"{err:.3g}): the encoder must reuse the autoencoder's trained layers, up to and including the "
                   f"bottleneck.{hint.en}")
    return Message(f"`encoder` donne le code à {width} dimensions de `autoencoder` ({len(images)} images).",
                   f"`encoder` gives `autoencoder`'s {width}-d code ({len(images)} images).")
