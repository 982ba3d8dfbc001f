"""Q1: the student's arrays, sampled in the runner and compared here with the grader's MNIST."""

from __future__ import annotations

import numpy as np

from grader import datasets
from grader.budget import group
from grader.judge import holdout
from grader.judge.checks import NO_HINT, CheckFailed, fail
from grader.judge.expect import as_array
from grader.judge.keras import data_entry as _entry
from grader.judge.keras import data_rows as _rows
from grader.judge.keras import expect_unit_range, training_budget
from grader.judge.keras import sample as keras_sample
from grader.judge.recognise import dataset_labels
from grader.model import Message

from .common import FULL, checks


def sample(obs, k: int = 256) -> dict:
    """Rows of the data names (the same rows for images and their labels), plus each one's first rows."""
    return keras_sample(obs, [["x_train", "y_train"], ["x_test", "y_test"]], k=k, seed=7, head=16)


@checks("q1", public=True, fr="Formes : (60 000 ou le sous-ensemble servi, 28, 28) pour les images, une étiquette par image.",
        en="Shapes: (60,000 or the served subset, 28, 28) for images, one label per image.")
def check_data_shapes(obs, ctx):
    data = sample(obs, k=1)
    budget = training_budget(ctx)
    for split, served in (("train", budget.get("serve_train")), ("test", budget.get("serve_test"))):
        sizes = sorted({FULL[split], int(served or FULL[split])})
        x_shape = tuple(_entry(data, f"x_{split}")["shape"])
        y_shape = tuple(_entry(data, f"y_{split}")["shape"])
        want = " ou ".join(f"({group(n)}, 28, 28)" for n in sizes)
        if len(x_shape) != 3 or x_shape[1:] != (28, 28) or x_shape[0] not in sizes:
            hint = (Message(" Gardez les images en 28 x 28 : c'est `Flatten` qui les aplatit.",
                            " Keep the images 28 x 28: `Flatten` is what flattens them.")
                    if x_shape[1:] != (28, 28) else NO_HINT)
            raise fail(f"`x_{split}` a la forme {x_shape} ; attendu {want}.{hint.fr}",
                       f"`x_{split}` has shape {x_shape}; expected {want.replace(' ou ', ' or ')}.{hint.en}")
        if y_shape not in ((x_shape[0],), (x_shape[0], 1)):
            hint = Message(" Ce sont des étiquettes one-hot : gardez les entiers de `load_data()` (la perte "
                           "sparse_categorical_crossentropy les prend tels quels).",
                           " These are one-hot labels: keep the integers of `load_data()` (the "
                           "sparse_categorical_crossentropy loss takes them as they are).") \
                if y_shape[1:] == (10,) else NO_HINT
            raise fail(f"`y_{split}` a la forme {y_shape} ; attendu ({group(x_shape[0])},), une étiquette par "
                       f"image.{hint.fr}", f"`y_{split}` has shape {y_shape}; expected ({x_shape[0]},), one label "
                       f"per image.{hint.en}")


@checks("q1", public=True, requires=("check_data_shapes",), fr="Images en flottants, mises à l'échelle dans [0, 1].",
        en="Images as floats, scaled to [0, 1].")
def check_images_scaled_to_unit_range(obs, ctx):
    data = sample(obs)
    for name in ("x_train", "x_test"):
        expect_unit_range(_entry(data, name), name)


def _matched_labels(data: dict, split: str) -> tuple[np.ndarray, np.ndarray]:
    """(found, true) labels of the sampled `x_<split>` rows that are MNIST images (others dropped)."""
    rows = _rows(_entry(data, f"x_{split}"), f"x_{split}")
    truth = dataset_labels(rows, "mnist", split)
    labels = as_array(_entry(data, f"y_{split}")["rows"], f"`y_{split}`").reshape(len(rows), -1)[:, 0]
    keep = truth >= 0
    return labels[keep], truth[keep]


@checks("q1", weight=0.5, requires=("check_images_scaled_to_unit_range",),
        fr="Les images sont celles de MNIST (x / 255).", en="The images are MNIST's (x / 255).")
def check_images_are_mnist(obs, ctx):
    data = sample(obs)
    for split in ("train", "test"):
        n = len(_rows(_entry(data, f"x_{split}"), f"x_{split}"))
        found, _ = _matched_labels(data, split)
        if n and len(found) < 0.9 * n:
            raise fail(f"Seules {len(found)} des {n} images de `x_{split}` examinées sont des images MNIST "
                       "divisées par 255. Chargez-les avec `keras.datasets.mnist.load_data()` et divisez par 255 "
                       "sans autre transformation.",
                       f"Only {len(found)} of the {n} sampled images of `x_{split}` are MNIST images divided by 255. "
                       "Load them with `keras.datasets.mnist.load_data()` and divide by 255 with no other transformation.")


@checks("q1", requires=("check_data_shapes",), fr="Étiquettes entières de 0 à 9, celles des images.",
        en="Integer labels 0-9, those of the images.")
def check_labels_are_integer_classes(obs, ctx):
    data = sample(obs)
    for split in ("train", "test"):
        labels = as_array(_entry(data, f"y_{split}")["rows"], f"`y_{split}`").astype(np.float64).reshape(-1)
        if labels.size and (np.any(labels != np.rint(labels)) or labels.min() < 0 or labels.max() > 9):
            raise fail(f"`y_{split}` contient des valeurs hors de 0..9 ou non entières (ex. {labels[:5]}) ; "
                       "attendu les chiffres entiers de `load_data()`.",
                       f"`y_{split}` holds values outside 0..9 or non-integers; expected integer digits.")
        found, truth = _matched_labels(data, split)
        if len(found) >= 20 and np.mean(found == truth) < 0.9:
            raise fail(f"Les étiquettes de `y_{split}` ne correspondent pas aux images de `x_{split}` "
                       f"({np.mean(found == truth):.0%} d'accord) : mélangez-vous l'un sans l'autre ?",
                       f"The labels of `y_{split}` do not match the images of `x_{split}` "
                       f"({np.mean(found == truth):.0%} agree): did you shuffle one without the other?")


def as_student_scaled(obs, images: np.ndarray) -> np.ndarray:
    """The hidden images preprocessed like the student's own `x_test` (so Q1's mistakes stay Q1's)."""
    try:
        entry = sample(obs, k=1).get("x_test")
    except CheckFailed:
        entry = None
    _, (raw, _) = datasets.load("mnist")
    return holdout.like_student(images, raw, entry)
