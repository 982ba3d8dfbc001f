"""Q1: the student's arrays and `class_names`, sampled in the runner and compared here with the grader's CIFAR-10.

The images are recognised by content (a digest of each row times 255 against the copy the runner
served, real or synthetic), so a student who shuffled is not blamed, and labels are checked
against the true class of each recognised image.
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
from grader.model import Message
from grader.runner.probes import values

from .common import CLASSES, DATASET, FULL, IMAGE_SHAPE, checks, class_index

NAMES = {"train": ("X_train", "y_train_cat"), "test": ("X_test", "y_test_cat")}

def sample(obs, k: int = 128) -> dict:
    """Rows of the data names (the same rows for images and their labels), plus each one's first rows."""
    return keras_sample(obs, [["X_train", "y_train_cat"], ["X_test", "y_test_cat"]], k=k, seed=13, head=16)


def class_names(obs) -> list[dict]:
    """The student's `class_names` items (`str` is None for an item that is not a string)."""
    obs.describe("class_names")  # missing: says so
    info = obs.memo(("class_names",), lambda: obs.run(values.string_items, "class_names"))
    if info["items"] is None:
        raise fail(f"`class_names` est de type {info['type']} ; attendu une liste de 10 noms de classes "
                   "(`[\"airplane\", \"automobile\", ...]`).",
                   f"`class_names` is a {info['type']}; expected a list of 10 class names "
                   "(`[\"airplane\", \"automobile\", ...]`).")
    return info["items"]


def _truth(data: dict, split: str) -> np.ndarray:
    """CIFAR-10 label of each sampled image row (-1 where the row is not a served image / 255)."""
    xname = NAMES[split][0]
    return dataset_labels(_rows(_entry(data, xname), xname), DATASET, split)


@checks("q1", public=True, fr="Formes : (50 000 ou le sous-ensemble servi, 32, 32, 3) pour les images, (n, 10) pour les "
        "étiquettes.", en="Shapes: (50,000 or the served subset, 32, 32, 3) for images, (n, 10) for labels.")
def check_data_shapes(obs, ctx):
    data = sample(obs, k=1)
    budget = training_budget(ctx)
    served_arrays = datasets.load(DATASET)
    for split, served, arrays in (("train", budget.get("serve_train"), served_arrays[0]),
                                  ("test", budget.get("serve_test"), served_arrays[1])):
        xname, yname = NAMES[split]
        sizes = sorted({FULL[split], len(arrays[0]), int(served or FULL[split])})
        x_shape = tuple(_entry(data, xname)["shape"])
        y_shape = tuple(_entry(data, yname)["shape"])
        want = " ou ".join(f"({group(n)}, 32, 32, 3)" for n in sizes)
        if len(x_shape) != 4 or x_shape[1:] != IMAGE_SHAPE or x_shape[0] not in sizes:
            hint = (Message(" Gardez les images en (32, 32, 3), sans les aplatir.",
                            " Keep the images as (32, 32, 3), without flattening them.") if len(x_shape) == 2 else
                    Message(" Keras donne les canaux en dernier : (n, 32, 32, 3).",
                            " Keras puts the channels last: (n, 32, 32, 3).") if x_shape[1:2] == (3,) else NO_HINT)
            raise fail(f"`{xname}` a la forme {x_shape} ; attendu {want}.{hint.fr}",
                       f"`{xname}` has shape {x_shape}; expected {want.replace(' ou ', ' or ')}.{hint.en}")
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
        expect_unit_range(_entry(data, name), name, float32=True)


@checks("q1", weight=0.5, requires=("check_images_scaled_to_unit_range",),
        fr="Les images sont celles que `load_data()` a servies (x / 255).",
        en="The images are those `load_data()` served (x / 255).")
def check_images_are_cifar10(obs, ctx):
    data = sample(obs)
    for split in ("train", "test"):
        xname = NAMES[split][0]
        truth = _truth(data, split)
        if len(truth) and np.mean(truth >= 0) < 0.9:
            raise fail(f"Seules {int(np.sum(truth >= 0))} des {len(truth)} images de `{xname}` examinées sont des "
                       "images de CIFAR-10 divisées par 255. Chargez-les avec `keras.datasets.cifar10.load_data()` et "
                       "divisez par 255 sans autre transformation.",
                       f"Only {int(np.sum(truth >= 0))} of the {len(truth)} sampled images of `{xname}` are "
                       "CIFAR-10 images divided by 255. Load them with `keras.datasets.cifar10.load_data()` and "
                       "divide by 255 with no other transformation.")


@checks("q1", requires=("check_data_shapes",), fr="Étiquettes one-hot de largeur 10, celles des images.",
        en="One-hot labels of width 10, the images' own.")
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


@checks("q1", public=True, weight=1.5, fr="`class_names` : les 10 classes dans l'ordre de CIFAR-10 (avion, automobile, oiseau, "
        "chat, cerf, chien, grenouille, cheval, bateau, camion ; en anglais ou en français).",
        en="`class_names`: the 10 classes in CIFAR-10's order (airplane, automobile, bird, cat, deer, dog, frog, "
        "horse, ship, truck; English or French).")
def check_class_names(obs, ctx):
    items = class_names(obs)
    english = ", ".join(name for name, _ in CLASSES)
    if len(items) != 10:
        raise fail(f"`class_names` contient {len(items)} élément(s) ; attendu les 10 classes : {english}.",
                   f"`class_names` holds {len(items)} item(s); expected the 10 classes: {english}.")
    not_str = [x["repr"] for x in items if x["str"] is None]
    if not_str:
        raise fail(f"`class_names` contient des éléments qui ne sont pas des chaînes ({', '.join(not_str[:3])}) ; "
                   "attendu des noms, par ex. \"airplane\".", f"`class_names` holds items that are not strings ({', '.join(not_str[:3])}); expected names, "
                                                              "e.g. \"airplane\".")
    found = [class_index(x["str"]) for x in items]
    if found == list(range(10)):
        return
    unknown = [x["str"] for x, i in zip(items, found, strict=True) if i is None]
    if unknown:
        raise fail(f"Noms non reconnus dans `class_names` : {', '.join(repr(u) for u in unknown)}. Attendu, dans "
                   f"l'ordre : {english} (ou avion, automobile, oiseau, chat, cerf, chien, grenouille, cheval, "
                   "bateau, camion).", f"Unrecognised names in `class_names`: {', '.join(repr(u) for u in unknown)}. Expected, in "
                                       f"order: {english} (or the French names: avion, automobile, oiseau, chat, cerf, chien, "
                                       "grenouille, cheval, bateau, camion).")
    pos = next(i for i, f in enumerate(found) if f != i)
    raise fail(f"`class_names` n'est pas dans l'ordre de CIFAR-10 : à l'indice {pos}, \"{items[pos]['str']}\" au lieu "
               f"de \"{CLASSES[pos][0]}\". L'étiquette `i` est la classe `class_names[i]` : {english}.",
               f"`class_names` is not in CIFAR-10's order: at index {pos}, \"{items[pos]['str']}\" instead "
               f"of \"{CLASSES[pos][0]}\". Label `i` is the class `class_names[i]`: {english}.")


def student_scaling(obs) -> tuple[float, float]:
    """(scale, offset) the student applied to the raw pixels (what `model_cnn` learned from), else 1/255."""
    try:
        entry = sample(obs, k=1)
        (raw_train, _), (raw_test, _) = datasets.load(DATASET)
        for name, raw in (("X_test", raw_test), ("X_train", raw_train)):
            head = (entry.get(name) or {}).get("head")
            if head is None:
                continue
            scale, offset = fitted_scaling(as_array(head, f"`{name}`"), raw)
            if (scale, offset) != (1.0 / 255.0, 0.0):
                return scale, offset
    except (CheckFailed, TypeError, ValueError):
        pass
    return 1.0 / 255.0, 0.0
