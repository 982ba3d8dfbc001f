"""Q4: the trained `autoencoder` reconstructs CIFAR-10 test images it never received.

The hidden images (`holdout.hidden`: test images beyond what `load_data()` served) are prepared
the student's way (`data.scalings`: the scaling fitted on `x_train`, then on `x_test`, then the
course's 1/255; flattened or reshaped to the model's input) and only they go to the runner; the
reconstructions come back and the error is computed here, in [0, 1] pixel units:
((output - offset) / scale / 255 - raw / 255)², so a student who scaled differently is measured
on the same scale as the course. The best of those few preparations counts (a model trained on
`x_train / 255` built inside `fit` is not charged for an unscaled `x_test`, which Q1 charges).

The loss the student compiled with is Q2's business: a model trained with binary cross-entropy or
MAE is judged here on the same MSE as everyone, and passes if it reconstructs as well (at the
course's scale, cross-entropy on [0, 1] pixels reaches about the reference's MSE).
"""

from __future__ import annotations

import numpy as np

from grader.checks import curves, fail, holdout, pictures
from grader.checks.probes import KERAS_MODEL, values

from .common import DATASET, DEFAULT_THRESHOLD, PIXELS, checks
from .data import scalings


def _require_model(obs) -> None:
    obs.describe("autoencoder")  # missing: says so
    if KERAS_MODEL not in obs.memo(("mro",), lambda: obs.run(values.type_of, "autoencoder"))["mro"]:
        raise fail("`autoencoder` n'est pas un modèle Keras : gardez le modèle entraîné.",
                   "`autoencoder` is not a Keras model: keep the trained model.")


def holdout_mse(obs, ctx) -> float:
    """Reconstruction MSE of the student's `autoencoder` on hidden images, in [0, 1] pixel units
    (also what `grader calibrate` measures)."""
    return obs.memo(("holdout-mse",), lambda: _best(obs, ctx))[0]


def _best(obs, ctx) -> tuple[float, np.ndarray | None]:
    """(best MSE, its reconstructions in [0, 1] for the report)."""
    _require_model(obs)
    raw, _ = holdout.hidden(ctx, DATASET)
    flat = raw.reshape(len(raw), -1).astype(np.float64)
    truth = flat / 255.0
    best, shown = np.inf, None
    for scale, offset in scalings(obs):
        if not scale:
            continue
        pred = holdout.predict(obs, "autoencoder", (flat * scale + offset).astype(np.float32))
        if pred.size != flat.size:
            raise fail(f"`autoencoder.predict` renvoie la forme {pred.shape} ; attendu ({len(raw)}, {PIXELS}), "
                       "une image reconstruite par image donnée.",
                       f"`autoencoder.predict` returns shape {pred.shape}; expected ({len(raw)}, {PIXELS}), "
                       "one reconstructed image per image given.")
        recon = (pred.reshape(flat.shape).astype(np.float64) - offset) / scale / 255.0
        mse = float(np.mean((recon - truth) ** 2))
        if np.isfinite(mse) and mse < best:
            best, shown = mse, recon
    return best, shown


@checks("q4", fr="`autoencoder` entraîné reconstruit des images qu'il n'a jamais vues (MSE sous le seuil).",
        en="The trained `autoencoder` reconstructs images it has never seen (MSE below the threshold).")
def check_autoencoder_reconstructs_hidden_images(obs, ctx):
    raw, _ = holdout.hidden(ctx, DATASET)
    mse = holdout_mse(obs, ctx)
    recon = obs.memo(("holdout-mse",), lambda: _best(obs, ctx))[1]
    shown = (curves(obs), None if recon is None else
             pictures.reconstructions(raw[:8] / 255.0, np.clip(recon[:8], 0, 1), raw.shape[1:]))
    return holdout.verdict(obs, ctx, question="q4", name="autoencoder", score=mse, n=len(raw),
                           default=DEFAULT_THRESHOLD, shown=shown,
                           lower_is_better=True, what="Erreur de reconstruction (MSE)",
                           what_en="Reconstruction error (MSE)",
                           hint=" Vérifiez que `autoencoder` est bien le modèle entraîné (pas reconstruit après "
                                "`fit`), et qu'il apprend à reconstruire ses entrées : `fit(x_train, x_train, ...)`.",
                           hint_en=" Check that `autoencoder` is the trained model (not rebuilt after `fit`), and "
                                   "that it learns to reconstruct its inputs: `fit(x_train, x_train, ...)`.")
