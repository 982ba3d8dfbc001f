"""Q2: `autoencoder`'s layers, parameter count and compiled loss, observed as plain data.

The compiled loss is read back in the runner whatever form it was given in (a string, a loss
function, a `keras.losses.Loss` instance, a function of the student's own), and evaluated there on
a fixed pair of arrays where MSE, MAE and binary cross-entropy differ: what counts is that it
computes the mean squared error.
"""

from __future__ import annotations

import numpy as np

from grader.checks import (
    NO_HINT,
    CheckFailed,
    Message,
    Status,
    compare,
    fail,
    normalize,
    require_input_shape,
    require_keras_model,
    require_params,
)
from grader.checks.probes import compiled
from grader.checks.probes import model as model_probes

from .common import BOTTLENECK, EXPECTED_LAYERS, N_PARAMS, PIXELS, checks

#: names under which Keras spells the mean squared error
_MSE_NAMES = {"mse", "mean_squared_error", "meansquarederror"}


def info(obs) -> dict:
    """`autoencoder`'s layers (nested models expanded) and parameter counts, once per submission."""
    obs.describe("autoencoder")  # missing: says so
    try:
        return obs.memo(("autoencoder",), lambda: obs.run(model_probes.flat, "autoencoder"))
    except CheckFailed as e:
        if e.status is Status.ERROR:
            raise CheckFailed(Message("Impossible de lire les couches de `autoencoder`.",
                                      "Cannot read the layers of `autoencoder`."), Status.ERROR, e.details) from e
        raise


def _loss_pair() -> tuple[np.ndarray, np.ndarray]:
    """Targets and reconstructions in [0, 1] where MSE, MAE and cross-entropy are far apart."""
    rng = np.random.default_rng(3)
    y_true = rng.uniform(0.0, 1.0, (4, PIXELS)).astype(np.float32)
    y_pred = np.clip(y_true + rng.normal(0.0, 0.3, y_true.shape), 0.05, 0.95).astype(np.float32)
    return y_true, y_pred


def _reference_losses(y_true: np.ndarray, y_pred: np.ndarray) -> dict[str, float]:
    t, p = y_true.astype(np.float64), y_pred.astype(np.float64)
    return {"mse": float(np.mean((t - p) ** 2)), "mae": float(np.mean(np.abs(t - p))),
            "binary_crossentropy": float(np.mean(-(t * np.log(p) + (1 - t) * np.log(1 - p))))}


@checks("q2", public=True, weight=0.5, fr="`autoencoder` est un modèle Keras d'entrée (3072,).",
        en="`autoencoder` is a Keras model with input (3072,).")
def check_autoencoder_is_keras_model(obs, ctx):
    model = info(obs)
    require_keras_model(model, "`autoencoder`")
    require_input_shape(model, "`autoencoder`", (PIXELS,))


@checks("q2", public=True, weight=2, requires=("check_autoencoder_is_keras_model",),
        fr="Couches : Dense 1024 → 512 → 64 (goulot) → 512 → 1024 en relu, puis Dense(3072, sigmoid).",
        en="Layers: Dense 1024 → 512 → 64 (bottleneck) → 512 → 1024 relu, then Dense(3072, sigmoid).")
def check_autoencoder_layers(obs, ctx):
    found = normalize(info(obs))
    dense = [layer for layer in found if layer[0] == "Dense"]
    extra = None
    if len(dense) == len(EXPECTED_LAYERS) and dense[-1][2] != "sigmoid":
        extra = Message(" La couche de sortie doit être en `sigmoid` : une valeur dans [0, 1] par pixel, comme "
                        "les images.",
                        " The output layer must use `sigmoid`: one value in [0, 1] per pixel, as in the images.")
    elif len(dense) == len(EXPECTED_LAYERS) and min(d[1] or 0 for d in dense[:-1]) != BOTTLENECK:
        extra = Message(f" Le goulot (la couche la plus étroite) doit avoir {BOTTLENECK} neurones.",
                        f" The bottleneck (the narrowest layer) must have {BOTTLENECK} units.")
    compare(found, EXPECTED_LAYERS, "`autoencoder`", extra)


@checks("q2", public=True, weight=1, requires=("check_autoencoder_is_keras_model",),
        fr="7 411 776 paramètres.", en="7,411,776 parameters.")
def check_autoencoder_parameter_count(obs, ctx):
    require_params(info(obs), "`autoencoder`", N_PARAMS,
                   " Vérifiez les tailles 1024, 512, 64, 512, 1024, 3072 et qu'aucune couche ne manque.",
                   hint_en=" Check the sizes 1024, 512, 64, 512, 1024, 3072 and that no layer is missing.")


@checks("q2", public=True, weight=1.5, requires=("check_autoencoder_is_keras_model",),
        fr="`autoencoder` est compilé avec la perte `mse`.", en="`autoencoder` is compiled with the `mse` loss.")
def check_autoencoder_loss_is_mse(obs, ctx):
    y_true, y_pred = _loss_pair()
    got = obs.memo(("loss",), lambda: obs.run(compiled.loss_value, "autoencoder", y_true, y_pred))
    if got["loss"] is None:
        raise fail("`autoencoder` n'est pas compilé (ou sans perte) : "
                   "`autoencoder.compile(optimizer='adam', loss='mse')`.",
                   "`autoencoder` is not compiled (or has no loss): `autoencoder.compile(optimizer='adam', loss='mse')`.")
    name = str(got["loss"])
    refs = _reference_losses(y_true, y_pred)
    if got["value"] is None:
        if isinstance(got["loss"], str) and name.lower() in _MSE_NAMES:
            return None
        raise fail(f"Perte de `autoencoder` : {name} ; impossible de l'évaluer ({got['error']}). Attendu "
                   "`loss='mse'`.", f"Loss of `autoencoder`: {name}; cannot evaluate it. Expected `loss='mse'`.")
    value = float(got["value"])
    if abs(value - refs["mse"]) <= 1e-3 * refs["mse"]:
        return None
    closest = min(refs, key=lambda k: abs(refs[k] - value))
    hint = NO_HINT if closest == "mse" or abs(refs[closest] - value) > 1e-3 * refs[closest] else \
        Message(f" C'est la perte `{closest}`.", f" This is the `{closest}` loss.")
    raise fail(f"`autoencoder` est compilé avec la perte {name} ; attendu l'erreur quadratique moyenne, "
               f"`loss='mse'` (la reconstruction est comparée pixel à pixel à l'image).{hint.fr}",
               f"`autoencoder` is compiled with the loss {name}; expected the mean squared error, `loss='mse'` "
               f"(the reconstruction is compared with the image pixel by pixel).{hint.en}")
