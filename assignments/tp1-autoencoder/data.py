"""Q1: `x_train`, `x_test` sampled in the runner and compared here with the grader's CIFAR-10.

The grader's copy is the real CIFAR-10 where this machine has it, else the flagged synthetic
stand-in (`grader.data.synthetic`): either way it is what the runner's `load_data()` served, so the
student's rows are recognised by their pixels (whatever their order), never by a fixed size.
`scalings` tells Q3 and Q4 how the student mapped raw pixels to their arrays, so that the hidden
images are prepared the student's way and a Q1 mistake is not charged again.
"""

from __future__ import annotations

import numpy as np

from grader.checks import (
    NO_HINT,
    CheckFailed,
    Message,
    dataset_labels,
    expect_unit_range,
    fail,
    fitted_scaling,
    load_dataset,
)
from grader.checks import data_entry as _entry
from grader.checks import data_rows as _rows
from grader.checks import data_sample as keras_sample

from .common import DATASET, PIXELS, checks

NAMES = ("x_train", "x_test")

def sample(obs, k: int = 64) -> dict:
    """Rows of the data names (the same rows for images and their labels), plus each one's first rows."""
    return keras_sample(obs, [["x_train"], ["x_test"]], k=k, seed=5, head=8)


def _split(name: str) -> int:
    return 0 if name == "x_train" else 1


@checks("q1", public=True, fr="Formes : (nombre d'images, 3072), une ligne par image aplatie.",
        en="Shapes: (number of images, 3072), one row per flattened image.")
def check_data_shapes(obs, ctx):
    data = sample(obs, k=1)
    for name in NAMES:
        shape = tuple(_entry(data, name)["shape"])
        if len(shape) != 2 or shape[1] != PIXELS or shape[0] < 1:
            flat = len(shape) > 1 and int(np.prod(shape[1:])) == PIXELS
            hint = Message(f" Aplatissez chaque image : `{name}.reshape(-1, {PIXELS})`.",
                           f" Flatten each image: `{name}.reshape(-1, {PIXELS})`.") if flat else NO_HINT
            raise fail(f"`{name}` a la forme {shape} ; attendu (nombre d'images, {PIXELS}) : une ligne de "
                       f"32 x 32 x 3 = {PIXELS} valeurs par image.{hint.fr}",
                       f"`{name}` has shape {shape}; expected (number of images, {PIXELS}): one row of "
                       f"32 x 32 x 3 = {PIXELS} values per image.{hint.en}")


@checks("q1", public=True, requires=("check_data_shapes",), fr="Pixels en nombres flottants, mis à l'échelle dans [0, 1].",
        en="Pixels as floats, scaled to [0, 1].")
def check_images_scaled_to_unit_range(obs, ctx):
    data = sample(obs)
    for name in NAMES:
        expect_unit_range(_entry(data, name), name)


@checks("q1", weight=0.5, requires=("check_images_scaled_to_unit_range",),
        fr="Les lignes sont les images CIFAR-10 servies (x / 255, aplaties dans l'ordre de `reshape`).",
        en="The rows are the served CIFAR-10 images (x / 255, flattened in `reshape` order).")
def check_images_are_cifar10(obs, ctx):
    data = sample(obs)
    for name in NAMES:
        rows = _rows(_entry(data, name), name).reshape(-1, PIXELS)
        found = int(np.sum(dataset_labels(rows, DATASET, "train" if _split(name) == 0 else "test") >= 0))
        if len(rows) and found < 0.9 * len(rows):
            raise fail(f"Seules {found} des {len(rows)} lignes de `{name}` examinées sont des images de "
                       "`keras.datasets.cifar10.load_data()` divisées par 255 et aplaties avec "
                       f"`.reshape(-1, {PIXELS})`. N'appliquez pas d'autre transformation (ni transposition, ni "
                       "centrage).",
                       f"Only {found} of the {len(rows)} sampled rows of `{name}` are images of "
                       "`keras.datasets.cifar10.load_data()` divided by 255 and flattened with "
                       f"`.reshape(-1, {PIXELS})`. Apply no other transformation (no transpose, no centring).")


def scalings(obs) -> list[tuple[float, float]]:
    """(scale, offset) maps raw pixels -> the student's arrays: `x_train`'s (what the model learned from),
    `x_test`'s, then the course's 1/255 (a student may scale inside `fit`); duplicates dropped."""
    out: list[tuple[float, float]] = []
    try:
        data = sample(obs, k=1)
        (raw_train, _), (raw_test, _) = load_dataset(DATASET)
        for name, raw in (("x_train", raw_train), ("x_test", raw_test)):
            entry = data.get(name) or {}
            if entry.get("head") is not None and "error" not in entry:
                out.append(fitted_scaling(np.asarray(entry["head"]), raw))
    except (CheckFailed, TypeError, ValueError):
        pass
    out.append((1.0 / 255.0, 0.0))
    unique: list[tuple[float, float]] = []
    for a, b in out:
        if not any(abs(a - c) <= 1e-6 * abs(c) and abs(b - d) <= 1e-6 for c, d in unique):
            unique.append((a, b))
    return unique
