"""Q1: the student's arrays and `class_names`, sampled in the runner and compared here with the grader's CIFAR-10.

The images are recognised by content (a digest of each row times 255 against the copy the runner
served, real or synthetic), so a student who shuffled is not blamed, and labels are checked
against the true class of each recognised image.
"""

from __future__ import annotations

from grader.checks import NO_HINT, ImageArrays, Message, fail, student_probed
from grader.checks.probes import values

from .common import CLASSES, DATASET, FULL, IMAGE_SHAPE, checks, class_index

DATA = ImageArrays(DATASET, {"train": ("X_train", "y_train_cat"), "test": ("X_test", "y_test_cat")},
                   {"X_train": (IMAGE_SHAPE,), "X_test": (IMAGE_SHAPE,)}, FULL, seed=13, k=128)

def _layout_hint(name: str, shape: tuple) -> Message:
    if len(shape) == 2:
        return Message(" Gardez les images en (32, 32, 3), sans les aplatir.",
                       " Keep the images as (32, 32, 3), without flattening them.")
    if shape[1:2] == (3,):
        return Message(" Keras donne les canaux en dernier : (n, 32, 32, 3).", " Keras puts the channels last: (n, 32, 32, 3).")
    return NO_HINT


def class_names(obs) -> list[dict]:
    """The student's `class_names` items (`str` is None for an item that is not a string)."""
    return student_probed(obs, "class_names", values.string_items, field="items", expected=Message(
        "une liste de 10 noms de classes (`[\"airplane\", \"automobile\", ...]`)",
        "a list of 10 class names (`[\"airplane\", \"automobile\", ...]`)"))["items"]


@checks("q1", public=True, fr="Formes : (50 000 ou le sous-ensemble servi, 32, 32, 3) pour les images, (n, 10) pour les "
        "étiquettes.", en="Shapes: (50,000 or the served subset, 32, 32, 3) for images, (n, 10) for labels.")
def check_data_shapes(obs, ctx):
    DATA.check_shapes(obs, ctx, shape_hint=_layout_hint, served_sizes=True)


@checks("q1", public=True, requires=("check_data_shapes",), fr="Images en float32, mises à l'échelle dans [0, 1].",
        en="Images as float32, scaled to [0, 1].")
def check_images_scaled_to_unit_range(obs, ctx):
    DATA.check_unit_range(obs, float32=True)


@checks("q1", weight=0.5, requires=("check_images_scaled_to_unit_range",),
        fr="Les images sont celles que `load_data()` a servies (x / 255).",
        en="The images are those `load_data()` served (x / 255).")
def check_images_are_cifar10(obs, ctx):
    DATA.check_images_are_dataset(obs)


@checks("q1", requires=("check_data_shapes",), fr="Étiquettes one-hot de largeur 10, celles des images.",
        en="One-hot labels of width 10, the images' own.")
def check_labels_are_one_hot(obs, ctx):
    DATA.check_labels(obs)


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
    for name in ("X_test", "X_train"):
        scale, offset = DATA.scaling(obs, name)
        if (scale, offset) != (1.0 / 255.0, 0.0):
            return scale, offset
    return 1.0 / 255.0, 0.0
