"""Q1: the student's arrays, sampled in the runner and compared here with the grader's Fashion-MNIST."""

from __future__ import annotations

import numpy as np

from grader import datasets
from grader.budget import group
from grader.judge import holdout
from grader.judge.checks import NO_HINT, CheckFailed, fail
from grader.judge.expect import as_array
from grader.judge.keras import ONE_HOT_HINT, expect_unit_range, training_budget
from grader.judge.keras import data_entry as _entry
from grader.judge.keras import data_rows as _rows
from grader.judge.keras import sample as keras_sample
from grader.judge.recognise import dataset_labels

from .common import DATASET, FULL, checks

NAMES = {"train": ("X_train", "y_train_cat"), "test": ("X_test", "y_test_cat")}

def sample(obs, k: int = 256) -> dict:
    """Rows of the data names (the same rows for images and their labels), plus each one's first rows."""
    return keras_sample(obs, [["X_train", "y_train_cat"], ["X_test", "y_test_cat"]], k=k, seed=11, head=16)


@checks("q1", public=True, fr="Formes : (60 000 ou le sous-ensemble servi, 28, 28[, 1]) pour les images, (n, 10) pour les "
        "étiquettes.", en="Shapes: (60,000 or the served subset, 28, 28[, 1]) for images, (n, 10) for labels.")
def check_data_shapes(obs, ctx):
    data = sample(obs, k=1)
    budget = training_budget(ctx)
    for split, served in (("train", budget.get("serve_train")), ("test", budget.get("serve_test"))):
        xname, yname = NAMES[split]
        sizes = sorted({FULL[split], int(served or FULL[split])})
        x_shape = tuple(_entry(data, xname)["shape"])
        y_shape = tuple(_entry(data, yname)["shape"])
        want = " ou ".join(f"({group(n)}, 28, 28)" for n in sizes)
        if len(x_shape) not in (3, 4) or x_shape[1:3] != (28, 28) or x_shape[3:] not in ((), (1,)) \
                or x_shape[0] not in sizes:
            raise fail(f"`{xname}` a la forme {x_shape} ; attendu {want} (ou avec un canal : (n, 28, 28, 1)).",
                       f"`{xname}` has shape {x_shape}; expected {want.replace(' ou ', ' or ')} (or (n, 28, 28, 1)).")
        if y_shape != (x_shape[0], 10):
            hint = ONE_HOT_HINT if len(y_shape) == 1 or y_shape[1:] == (1,) else NO_HINT
            raise fail(f"`{yname}` a la forme {y_shape} ; attendu ({group(x_shape[0])}, 10), une ligne one-hot par "
                       f"image.{hint.fr}", f"`{yname}` has shape {y_shape}; expected ({x_shape[0]}, 10), one one-hot "
                       f"row per image.{hint.en}")


@checks("q1", public=True, requires=("check_data_shapes",), fr="Images en float32, mises à l'échelle dans [0, 1].",
        en="Images as float32, scaled to [0, 1].")
def check_images_scaled_to_unit_range(obs, ctx):
    data = sample(obs)
    for name in ("X_train", "X_test"):
        expect_unit_range(_entry(data, name), name)


def _truth(data: dict, split: str) -> np.ndarray:
    """Fashion-MNIST label of each sampled image row (-1 where the row is not a Fashion-MNIST image / 255)."""
    xname = NAMES[split][0]
    return dataset_labels(_rows(_entry(data, xname), xname), DATASET, split)


@checks("q1", weight=0.5, requires=("check_images_scaled_to_unit_range",),
        fr="Les images sont celles de Fashion-MNIST (x / 255).", en="The images are Fashion-MNIST's (x / 255).")
def check_images_are_fashion_mnist(obs, ctx):
    data = sample(obs)
    for split in ("train", "test"):
        xname = NAMES[split][0]
        truth = _truth(data, split)
        if len(truth) and np.mean(truth >= 0) < 0.9:
            raise fail(f"Seules {int(np.sum(truth >= 0))} des {len(truth)} images de `{xname}` examinées sont des "
                       "images Fashion-MNIST divisées par 255. Chargez-les avec "
                       "`keras.datasets.fashion_mnist.load_data()` et divisez par 255 sans autre transformation.",
                       f"Only {int(np.sum(truth >= 0))} of the {len(truth)} sampled images of `{xname}` are "
                       "Fashion-MNIST images divided by 255. Load them with "
                       "`keras.datasets.fashion_mnist.load_data()` and divide by 255 with no other transformation.")


@checks("q1", weight=1.5, requires=("check_data_shapes",),
        fr="Étiquettes one-hot de largeur 10, celles des images.", en="One-hot labels of width 10, the images' own.")
def check_labels_are_one_hot(obs, ctx):
    data = sample(obs)
    for split in ("train", "test"):
        yname = NAMES[split][1]
        rows = as_array(_entry(data, yname)["rows"], f"`{yname}`").astype(np.float64).reshape(-1, 10)
        if rows.size and (not np.all((rows == 0) | (rows == 1)) or not np.all(rows.sum(axis=1) == 1)):
            raise fail(f"`{yname}` n'est pas one-hot (ex. {rows[0].round(3).tolist()}) : chaque ligne doit contenir "
                       "un seul 1 et neuf 0 (`keras.utils.to_categorical(y, 10)`).",
                       f"`{yname}` is not one-hot (e.g. {rows[0].round(3).tolist()}): each row must hold a single 1 "
                       "and nine 0s (`keras.utils.to_categorical(y, 10)`).")
        truth = _truth(data, split)
        keep = truth >= 0
        if keep.sum() >= 20:
            agree = float(np.mean(np.argmax(rows[keep], axis=1) == truth[keep]))
            if agree < 0.9:
                raise fail(f"Les étiquettes de `{yname}` ne correspondent pas aux images ({agree:.0%} d'accord) : "
                           "mélangez-vous l'un sans l'autre ?",
                           f"The labels of `{yname}` do not match the images ({agree:.0%} agree): did you shuffle one "
                           "without the other?")


def scaling(obs) -> tuple[float, float]:
    """(scale, offset) the student applied to the raw pixels of `X_train` (what the model was trained on)."""
    try:
        head = as_array((sample(obs, k=1).get("X_train") or {}).get("head"), "`X_train`")
    except (CheckFailed, TypeError, ValueError):
        return holdout.fitted_scaling(None, np.zeros(0))
    (raw, _), _ = datasets.load(DATASET)
    return holdout.fitted_scaling(head, raw)
