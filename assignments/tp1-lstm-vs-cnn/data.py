"""Q1: the two layouts of the student's images and the one-hot labels, sampled in the runner and
compared here with the grader's MNIST.

The contract fixes `X_train_cnn`, `X_train_rnn`, `y_train_cat` and `y_test_cat`; the test images
`X_test_cnn` / `X_test_rnn` that the notebook asks for are checked the same way when they exist.
"""

from __future__ import annotations

import numpy as np

from grader import datasets
from grader.budget import group
from grader.judge.checks import NO_HINT, CheckFailed, fail
from grader.judge.expect import as_array
from grader.judge.holdout import fitted_scaling
from grader.judge.keras import ONE_HOT_HINT, expect_unit_range, training_budget
from grader.judge.keras import data_entry as _entry
from grader.judge.keras import data_rows as _rows
from grader.judge.keras import sample as keras_sample
from grader.judge.recognise import dataset_labels

from .common import DATASET, FULL, MODELS, checks

#: names sampled together (same rows) per split; the first ones are what the contract fixes
GROUPS = {"train": ("X_train_cnn", "X_train_rnn", "y_train_cat"), "test": ("X_test_cnn", "X_test_rnn", "y_test_cat")}
IMAGES = {"X_train_cnn": (28, 28, 1), "X_train_rnn": (28, 28), "X_test_cnn": (28, 28, 1), "X_test_rnn": (28, 28)}
OPTIONAL = ("X_test_cnn", "X_test_rnn")

def sample(obs, k: int = 256) -> dict:
    """Rows of the data names (the same rows for images and their labels), plus each one's first rows."""
    return keras_sample(obs, [list(g) for g in GROUPS.values()], k=k, seed=5, head=16)


def _present(data: dict, split: str, *, images_only: bool = False) -> list[str]:
    """The names of `split` to check: the contract's always (missing fails), the optional test arrays when defined."""
    names = [n for n in GROUPS[split] if n not in OPTIONAL or data.get(n) is not None]
    return [n for n in names if n in IMAGES] if images_only else names


def _shape_hint(name: str, shape: tuple) -> tuple[str, str]:
    want = IMAGES[name]
    if want == (28, 28) and shape[1:] == (28, 28, 1):
        return (" Le LSTM lit une séquence de 28 lignes de 28 pixels : sans canal, `X.reshape(-1, 28, 28)`.",
                " The LSTM reads 28 rows of 28 pixels: no channel axis, `X.reshape(-1, 28, 28)`.")
    if want == (28, 28, 1) and shape[1:] in ((28, 28), (784,)):
        return (" Ajoutez le canal des convolutions : `X.reshape(-1, 28, 28, 1)`.",
                " Add the channel axis: `X.reshape(-1, 28, 28, 1)`.")
    return "", ""


@checks("q1", public=True, fr="Formes : `X_train_cnn` (n, 28, 28, 1), `X_train_rnn` (n, 28, 28), `y_train_cat` et "
        "`y_test_cat` (n, 10).", en="Shapes: `X_train_cnn` (n, 28, 28, 1), `X_train_rnn` (n, 28, 28), "
        "`y_train_cat` and `y_test_cat` (n, 10).")
def check_data_shapes(obs, ctx):
    data = sample(obs, k=1)
    budget = training_budget(ctx)
    for split, served in (("train", budget.get("serve_train")), ("test", budget.get("serve_test"))):
        sizes = sorted({FULL[split], int(served or FULL[split])})
        label = GROUPS[split][2]
        n_images = None
        for name in _present(data, split, images_only=True):
            shape = tuple(_entry(data, name)["shape"])
            want = " ou ".join(f"({group(n)}, {', '.join(map(str, IMAGES[name]))})" for n in sizes)
            if shape[1:] != IMAGES[name] or shape[0] not in sizes:
                hint, hint_en = _shape_hint(name, shape)
                raise fail(f"`{name}` a la forme {shape} ; attendu {want}.{hint}",
                           f"`{name}` has shape {shape}; expected {want.replace(' ou ', ' or ')}.{hint_en}")
            if n_images is not None and shape[0] != n_images:
                raise fail(f"`{name}` a {group(shape[0])} images, l'autre forme en a {group(n_images)} : ce sont les "
                           "mêmes images, mises en forme pour chaque modèle.",
                           f"`{name}` has {shape[0]} images, the other layout {n_images}: same images, two layouts.")
            n_images = shape[0]
        y_shape = tuple(_entry(data, label)["shape"])
        n = n_images if n_images is not None else y_shape[0] if y_shape and y_shape[0] in sizes else sizes[-1]
        if y_shape != (n, 10):
            hint = ONE_HOT_HINT if len(y_shape) == 1 or y_shape[1:] == (1,) else NO_HINT
            raise fail(f"`{label}` a la forme {y_shape} ; attendu ({group(n)}, 10), une ligne one-hot par "
                       f"image.{hint.fr}",
                       f"`{label}` has shape {y_shape}; expected ({n}, 10), one one-hot row per image.{hint.en}")


@checks("q1", public=True, requires=("check_data_shapes",), fr="Images en flottants, mises à l'échelle dans [0, 1].",
        en="Images as floats, scaled to [0, 1].")
def check_images_scaled_to_unit_range(obs, ctx):
    data = sample(obs)
    for split in GROUPS:
        for name in _present(data, split, images_only=True):
            expect_unit_range(_entry(data, name), name)


def _truth(data: dict, name: str, split: str) -> np.ndarray:
    """MNIST label of each sampled row of `name` (-1 where the row is not an MNIST image / 255)."""
    return dataset_labels(_rows(_entry(data, name), name), DATASET, split)


@checks("q1", weight=0.5, requires=("check_images_scaled_to_unit_range",),
        fr="Les images sont celles de MNIST (x / 255), les mêmes dans les deux formes.",
        en="The images are MNIST's (x / 255), the same ones in both layouts.")
def check_images_are_mnist(obs, ctx):
    data = sample(obs)
    for split in GROUPS:
        names = _present(data, split, images_only=True)
        for name in names:
            truth = _truth(data, name, split)
            if len(truth) and np.mean(truth >= 0) < 0.9:
                raise fail(f"Seules {int(np.sum(truth >= 0))} des {len(truth)} images de `{name}` examinées sont des "
                           "images MNIST divisées par 255. Chargez-les avec `keras.datasets.mnist.load_data()` et "
                           "divisez par 255 sans autre transformation.",
                           f"Only {int(np.sum(truth >= 0))} of the {len(truth)} sampled images of `{name}` are MNIST "
                           "images divided by 255. Load them with `keras.datasets.mnist.load_data()` and divide by 255 "
                           "with no other transformation.")
        if len(names) == 2:
            a, b = (_rows(_entry(data, n), n).astype(np.float64) for n in names)
            if a.size == b.size and not np.allclose(a.reshape(len(a), -1), b.reshape(len(b), -1), atol=1e-6):
                raise fail(f"`{names[0]}` et `{names[1]}` ne contiennent pas les mêmes images dans le même ordre : "
                           "ce sont les mêmes données, seule la forme change (`reshape`).",
                           f"`{names[0]}` and `{names[1]}` do not hold the same images in the same order: they are the "
                           "same data, only the shape changes (`reshape`).")


@checks("q1", weight=1.5, requires=("check_data_shapes",),
        fr="`y_train_cat`, `y_test_cat` : one-hot de largeur 10, les étiquettes des images.",
        en="`y_train_cat`, `y_test_cat`: one-hot of width 10, the images' own labels.")
def check_labels_are_one_hot(obs, ctx):
    data = sample(obs)
    for split in GROUPS:
        label = GROUPS[split][2]
        rows = as_array(_entry(data, label)["rows"], f"`{label}`").astype(np.float64).reshape(-1, 10)
        if rows.size and (not np.all((rows == 0) | (rows == 1)) or not np.all(rows.sum(axis=1) == 1)):
            raise fail(f"`{label}` n'est pas one-hot (ex. {rows[0].round(3).tolist()}) : chaque ligne doit contenir "
                       "un seul 1 et neuf 0 (`keras.utils.to_categorical(y, 10)`).",
                       f"`{label}` is not one-hot (e.g. {rows[0].round(3).tolist()}): each row must hold a single 1 "
                       "and nine 0s (`keras.utils.to_categorical(y, 10)`).")
        images = _present(data, split, images_only=True)
        if images:
            truth = _truth(data, images[0], split)
            what, what_en = f"des images de `{images[0]}`", f"of the images of `{images[0]}`"
        else:  # no test images in the notebook: the served test set is MNIST's, in order
            _, (_, y_test) = datasets.load(DATASET)
            idx = as_array(_entry(data, label)["idx"], "indices").astype(np.int64)
            truth = y_test[idx[idx < len(y_test)]].astype(np.int64) if len(idx) else np.zeros(0, np.int64)
            what, what_en = "des images de test de MNIST", "of MNIST's test images"
        keep = truth >= 0
        if len(truth) == len(rows) and keep.sum() >= 20:
            agree = float(np.mean(np.argmax(rows[keep], axis=1) == truth[keep]))
            if agree < 0.9:
                raise fail(f"Les étiquettes de `{label}` ne correspondent pas à celles {what} ({agree:.0%} d'accord) : "
                           "mélangez-vous l'un sans l'autre ?",
                           f"The labels of `{label}` do not match those {what_en} ({agree:.0%} agree): did you shuffle "
                           "one without the other?")


def scaling(obs, key: str) -> tuple[float, float]:
    """(scale, offset) the student applied to the raw pixels in the array `MODELS[key]` was trained on."""
    name = MODELS[key]["train"]
    try:
        head = (sample(obs, k=1).get(name) or {}).get("head")
        (raw, _), _ = datasets.load(DATASET)
        return fitted_scaling(None if head is None else as_array(head, f"`{name}`"), raw)
    except (CheckFailed, TypeError, ValueError):
        return 1.0 / 255.0, 0.0
