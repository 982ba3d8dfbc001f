"""Checks of tp-tenseurs: every answer is compared with the formula applied to the student's own `batch`."""

from __future__ import annotations

import numpy as np

from grader.checks import (
    AsTensor,
    CheckFailed,
    Message,
    Registry,
    as_array,
    as_number,
    as_tuple,
    earlier,
    expect_close,
    expect_finite,
    expect_float,
    expect_shape,
    fail,
    student_array,
)

checks = Registry()


def own_batch(obs, *, varying: bool = False) -> np.ndarray:
    """The student's `batch`: later questions are judged against it, so a Q1 mistake costs Q1 only.

    Any usable batch will do (unscaled pixels too); one that is not a non-empty 3-D array of finite
    numbers (or, with `varying`, is constant) skips the check that needs it, saying so."""
    def read() -> np.ndarray:
        batch = student_array(obs, "batch", ndim=3, finite=True, nonempty=True).astype(np.float64)
        if varying and float(batch.std()) < 1e-12:
            fail("`batch` est constant.", "`batch` is constant.")
        return batch

    return earlier(obs, "batch", "q1", read)


def answer(obs, name: str) -> np.ndarray:
    arr = as_array(obs.value(name), f"`{name}`")
    expect_finite(arr, f"`{name}`")
    return arr


# -- q1 ----------------------------------------------------------------------
@checks("q1", public=True, fr="`batch` : tenseur flottant de forme (10, 28, 28).", en="`batch`: float tensor of shape (10, 28, 28).")
def check_batch_shape_and_dtype(obs, ctx):
    batch = answer(obs, "batch")
    expect_shape(batch, (10, 28, 28), "`batch`")
    expect_float(batch, "`batch`")


@checks("q1", public=True, fr="`batch` : valeurs dans [0, 1], non constantes.", en="`batch`: values in [0, 1], not constant.")
def check_batch_values_in_unit_range(obs, ctx):
    batch = answer(obs, "batch")
    lo, hi = float(batch.min(initial=0)), float(batch.max(initial=0))
    if lo < 0 or hi > 1:
        raise fail(f"`batch` a des valeurs dans [{lo:.4g}, {hi:.4g}] ; attendu dans [0, 1]. "
                   "Divisez par 255 si vos pixels sont entre 0 et 255.",
                   f"`batch` has values in [{lo:.4g}, {hi:.4g}]; expected within [0, 1]. Divide by 255 if needed.")
    if batch.size == 0 or float(batch.std()) < 1e-6:
        raise fail("`batch` est constant : les images doivent varier (tirage aléatoire ou vraies images).",
                   "`batch` is constant: the images must vary (random draw or real images).")


# -- q2 ----------------------------------------------------------------------
@checks("q2", public=True, weight=1, fr="`normalized` a la forme de `batch`.", en="`normalized` has the shape of `batch`.")
def check_normalized_shape(obs, ctx):
    expect_shape(answer(obs, "normalized"), own_batch(obs).shape, "`normalized`")


@checks("q2", weight=3, requires=("check_normalized_shape",),
        fr="`normalized` = (batch - moyenne globale) / écart-type global.",
        en="`normalized` = (batch - global mean) / global std.")
def check_normalized_is_global_standardisation(obs, ctx):
    batch = own_batch(obs, varying=True)
    normalized = answer(obs, "normalized")
    expected = (batch - batch.mean()) / batch.std()
    per_image = (batch - batch.mean(axis=(1, 2), keepdims=True)) / batch.std(axis=(1, 2), keepdims=True)
    try:
        expect_close(normalized, expected, "`normalized`", rtol=1e-3, atol=2e-3)
    except CheckFailed as e:
        if np.allclose(normalized, per_image, rtol=1e-3, atol=2e-3):
            raise fail("`normalized` est normalisé image par image ; la consigne demande la moyenne et "
                       "l'écart-type de **tout** le lot (tf.reduce_mean(batch), tf.math.reduce_std(batch), "
                       "sans axis).",
                       "`normalized` is normalised image by image; the instructions ask for the mean and standard "
                       "deviation of the **whole** batch (tf.reduce_mean(batch), tf.math.reduce_std(batch), no axis).") from e
        raise


# -- q3 ----------------------------------------------------------------------
@checks("q3", fr="`first_five` = batch[:5].", en="`first_five` = batch[:5].")
def check_first_five_is_leading_slice(obs, ctx):
    batch = own_batch(obs)
    first_five = answer(obs, "first_five")
    expect_shape(first_five, batch[:5].shape, "`first_five`")
    expect_close(first_five, batch[:5], "`first_five`", rtol=1e-6, atol=1e-6,
                 hint="Ce doivent être les cinq **premières** images : batch[:5].",
                 hint_en="These must be the **first** five images: batch[:5].")


# -- q4 ----------------------------------------------------------------------
@checks("q4", public=True, weight=1, fr="`centered` a la forme (10, 28, 28).", en="`centered` has shape (10, 28, 28).")
def check_centered_shape(obs, ctx):
    expect_shape(answer(obs, "centered"), own_batch(obs).shape, "`centered`")


@checks("q4", weight=3, requires=("check_centered_shape",),
        fr="`centered` = batch - image moyenne (axis=0).", en="`centered` = batch - mean image (axis=0).")
def check_centered_subtracts_mean_image(obs, ctx):
    batch = own_batch(obs)
    expect_close(answer(obs, "centered"), batch - batch.mean(axis=0), "`centered`", rtol=1e-4, atol=1e-5,
                 hint="Soustrayez l'image moyenne du lot : tf.reduce_mean(batch, axis=0).",
                 hint_en="Subtract the batch's mean image: tf.reduce_mean(batch, axis=0).")


# -- q5 ----------------------------------------------------------------------
@checks("q5", fr="`flat` = chaque image mise à plat, ordre ligne par ligne.",
        en="`flat` = each image flattened in row-major order.")
def check_flat_is_row_major_reshape(obs, ctx):
    batch = own_batch(obs)
    flat = answer(obs, "flat")
    expect_shape(flat, (batch.shape[0], int(np.prod(batch.shape[1:]))), "`flat`",
                 hint="Une ligne par image : tf.reshape(batch, (10, -1)).",
                 hint_en="One row per image: tf.reshape(batch, (10, -1)).")
    expect_close(flat, batch.reshape(batch.shape[0], -1), "`flat`", rtol=1e-6, atol=1e-6,
                 hint="Les pixels doivent rester dans l'ordre ligne par ligne (pas de transposition).",
                 hint_en="Pixels must stay in row-major order (no transpose).")


# -- q6 ----------------------------------------------------------------------
_SHAPES = [(7,), (3, 4, 5), (2, 1, 6, 2), (1,), (4, 4)]


@checks("q6", fr="`tensor_stats(t)` renvoie (min, max, moyenne, écart-type) pour des tenseurs de toutes formes.",
        en="`tensor_stats(t)` returns (min, max, mean, std) for tensors of any shape.")
def check_tensor_stats_on_hidden_tensors(obs, ctx):
    rng = ctx.rng("tensor_stats")
    for shape in _SHAPES:
        t = (rng.normal(size=shape) * rng.uniform(0.5, 4) + rng.uniform(-3, 3)).astype(np.float32)
        label = f"`tensor_stats` sur un tenseur de forme {shape}"
        label_en = f"`tensor_stats` on a tensor of shape {shape}"
        both = Message(label, label_en)
        out = as_tuple(obs.call("tensor_stats", AsTensor(t)), both, 4)
        found = np.array([as_number(v, both) for v in out])
        t64 = t.astype(np.float64)
        expected = np.array([t64.min(), t64.max(), t64.mean(), t64.std()])
        if not np.allclose(found, expected, rtol=1e-4, atol=1e-4):
            names = [("min", "min"), ("max", "max"), ("moyenne", "mean"), ("écart-type", "std")]
            bad = [n for n, f, e in zip(names, found, expected, strict=True) if not np.isclose(f, e, 1e-4, 1e-4)]
            wrong, wrong_en = [fr for fr, _ in bad], [en for _, en in bad]
            raise fail(f"{label} : {', '.join(wrong)} faux ; trouvé {np.round(found, 4).tolist()}, "
                       f"attendu {np.round(expected, 4).tolist()} (min, max, moyenne, écart-type). "
                       "Réduisez sur **tous** les axes (sans argument axis).",
                       f"{label_en}: wrong {', '.join(wrong_en)}; found {np.round(found, 4).tolist()}, "
                       f"expected {np.round(expected, 4).tolist()} (min, max, mean, std). "
                       "Reduce over **all** axes (no axis argument).")
