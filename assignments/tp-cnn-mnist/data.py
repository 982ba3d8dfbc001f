"""Q1: the student's arrays, sampled in the runner and compared here with the grader's MNIST."""

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
from grader.model import Message

from .common import FULL, checks

IMAGE_SHAPE = (28, 28, 1)

def sample(obs, k: int = 256) -> dict:
    """Rows of the data names (the same rows for images and their labels), plus each one's first rows."""
    return keras_sample(obs, [["x_train", "y_train"], ["x_test", "y_test"]], k=k, seed=7, head=16)


@checks("q1", public=True, fr="Formes : (60 000 ou le sous-ensemble servi, 28, 28, 1) pour les images, (n, 10) pour les "
        "étiquettes.", en="Shapes: (60,000 or the served subset, 28, 28, 1) for images, (n, 10) for labels.")
def check_data_shapes(obs, ctx):
    data = sample(obs, k=1)
    budget = training_budget(ctx)
    for split, served in (("train", budget.get("serve_train")), ("test", budget.get("serve_test"))):
        sizes = sorted({FULL[split], int(served or FULL[split])})
        x_shape = tuple(_entry(data, f"x_{split}")["shape"])
        y_shape = tuple(_entry(data, f"y_{split}")["shape"])
        want = " ou ".join(f"({group(n)}, 28, 28, 1)" for n in sizes)
        if len(x_shape) != 4 or x_shape[1:] != IMAGE_SHAPE or x_shape[0] not in sizes:
            hint = (Message(" Ajoutez le canal des convolutions : `x.reshape(-1, 28, 28, 1)`.",
                            " Add the convolutions' channel axis: `x.reshape(-1, 28, 28, 1)`.")
                    if x_shape[1:] in ((28, 28), (784,)) else NO_HINT)
            raise fail(f"`x_{split}` a la forme {x_shape} ; attendu {want}.{hint.fr}",
                       f"`x_{split}` has shape {x_shape}; expected {want.replace(' ou ', ' or ')}.{hint.en}")
        if y_shape != (x_shape[0], 10):
            hint = ONE_HOT_HINT if y_shape in ((x_shape[0],), (x_shape[0], 1)) else NO_HINT
            raise fail(f"`y_{split}` a la forme {y_shape} ; attendu ({group(x_shape[0])}, 10), une ligne one-hot "
                       f"par image.{hint.fr}", f"`y_{split}` has shape {y_shape}; expected ({x_shape[0]}, 10), one "
                       f"one-hot row per image.{hint.en}")


@checks("q1", public=True, requires=("check_data_shapes",), fr="Images en float32, mises à l'échelle dans [0, 1].",
        en="Images as float32, scaled to [0, 1].")
def check_images_scaled_to_unit_range(obs, ctx):
    data = sample(obs)
    for name in ("x_train", "x_test"):
        expect_unit_range(_entry(data, name), name, float32=True)


def _matched_labels(data: dict, split: str) -> tuple[np.ndarray, np.ndarray]:
    """(one-hot rows, true digit) of the sampled `x_<split>` rows that are MNIST images (others dropped)."""
    rows = _rows(_entry(data, f"x_{split}"), f"x_{split}")
    truth = dataset_labels(rows, "mnist", split)
    labels = as_array(_entry(data, f"y_{split}")["rows"], f"`y_{split}`").astype(np.float64).reshape(len(rows), -1)
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


@checks("q1", requires=("check_data_shapes",), fr="Étiquettes one-hot (un seul 1 par ligne), celles des images.",
        en="One-hot labels (a single 1 per row), those of the images.")
def check_labels_are_one_hot(obs, ctx):
    data = sample(obs)
    for split in ("train", "test"):
        labels = as_array(_entry(data, f"y_{split}")["rows"], f"`y_{split}`").astype(np.float64)
        labels = labels.reshape(len(labels), -1)
        if labels.size and (not np.all((labels == 0) | (labels == 1)) or not np.all(labels.sum(axis=1) == 1)):
            raise fail(f"`y_{split}` n'est pas one-hot (ex. {labels[0].round(3).tolist()}) : chaque ligne doit "
                       "contenir un seul 1, à l'indice du chiffre (`keras.utils.to_categorical(y, 10)`).",
                       f"`y_{split}` is not one-hot (e.g. {labels[0].round(3).tolist()}): each row must hold a single 1, at "
                       "the digit's index (`keras.utils.to_categorical(y, 10)`).")
        found, truth = _matched_labels(data, split)
        if len(found) >= 20 and np.mean(np.argmax(found, axis=1) == truth) < 0.9:
            agree = np.mean(np.argmax(found, axis=1) == truth)
            raise fail(f"Les étiquettes de `y_{split}` ne correspondent pas aux images de `x_{split}` "
                       f"({agree:.0%} d'accord) : mélangez-vous l'un sans l'autre ?",
                       f"The labels of `y_{split}` do not match the images of `x_{split}` ({agree:.0%} agree): did you "
                       "shuffle one without the other?")


def as_student_scaled(obs, images: np.ndarray) -> np.ndarray:
    """The hidden images preprocessed like the student's own `x_test` (so Q1's mistakes stay Q1's)."""
    try:
        entry = sample(obs, k=1).get("x_test")
    except CheckFailed:
        entry = None
    _, (raw, _) = datasets.load("mnist")
    return holdout.like_student(images, raw, entry)
