"""Q1: the two layouts of the student's images and the one-hot labels, sampled in the runner and
compared here with the grader's MNIST.

The contract fixes `X_train_cnn`, `X_train_rnn`, `y_train_cat` and `y_test_cat`; the test images
`X_test_cnn` / `X_test_rnn` that the notebook asks for are checked the same way when they exist.
"""

from __future__ import annotations

import numpy as np

from grader.checks import ImageArrays, Message, data_entry, data_rows, fail

from .common import DATASET, FULL, MODELS, checks

#: names sampled together (same rows) per split; the first ones are what the contract fixes
DATA = ImageArrays(DATASET, {"train": ("X_train_cnn", "X_train_rnn", "y_train_cat"),
                             "test": ("X_test_cnn", "X_test_rnn", "y_test_cat")},
                   {"X_train_cnn": ((28, 28, 1),), "X_train_rnn": ((28, 28),), "X_test_cnn": ((28, 28, 1),),
                    "X_test_rnn": ((28, 28),)}, FULL, seed=5, optional=("X_test_cnn", "X_test_rnn"))


def _shape_hint(name: str, shape: tuple) -> Message:
    want = DATA.images[name][0]
    if want == (28, 28) and shape[1:] == (28, 28, 1):
        return Message(" Le LSTM lit une séquence de 28 lignes de 28 pixels : sans canal, `X.reshape(-1, 28, 28)`.",
                       " The LSTM reads 28 rows of 28 pixels: no channel axis, `X.reshape(-1, 28, 28)`.")
    if want == (28, 28, 1) and shape[1:] in ((28, 28), (784,)):
        return Message(" Ajoutez le canal des convolutions : `X.reshape(-1, 28, 28, 1)`.",
                       " Add the channel axis: `X.reshape(-1, 28, 28, 1)`.")
    return Message("", "")


@checks("q1", public=True, fr="Formes : `X_train_cnn` (n, 28, 28, 1), `X_train_rnn` (n, 28, 28), `y_train_cat` et "
        "`y_test_cat` (n, 10).", en="Shapes: `X_train_cnn` (n, 28, 28, 1), `X_train_rnn` (n, 28, 28), "
        "`y_train_cat` and `y_test_cat` (n, 10).")
def check_data_shapes(obs, ctx):
    DATA.check_shapes(obs, ctx, shape_hint=_shape_hint)


@checks("q1", public=True, requires=("check_data_shapes",), fr="Images en flottants, mises à l'échelle dans [0, 1].",
        en="Images as floats, scaled to [0, 1].")
def check_images_scaled_to_unit_range(obs, ctx):
    DATA.check_unit_range(obs)


@checks("q1", weight=0.5, requires=("check_images_scaled_to_unit_range",),
        fr="Les images sont celles de MNIST (x / 255), les mêmes dans les deux formes.",
        en="The images are MNIST's (x / 255), the same ones in both layouts.")
def check_images_are_mnist(obs, ctx):
    DATA.check_images_are_dataset(obs)
    data = DATA.sample(obs)
    for split in ("train", "test"):
        names = DATA.present(data, split)
        if len(names) == 2:
            a, b = (data_rows(data_entry(data, n), n).astype(np.float64) for n in names)
            if a.size == b.size and not np.allclose(a.reshape(len(a), -1), b.reshape(len(b), -1), atol=1e-6):
                raise fail(f"`{names[0]}` et `{names[1]}` ne contiennent pas les mêmes images dans le même ordre : "
                           "ce sont les mêmes données, seule la forme change (`reshape`).",
                           f"`{names[0]}` and `{names[1]}` do not hold the same images in the same order: they are the "
                           "same data, only the shape changes (`reshape`).")


@checks("q1", weight=1.5, requires=("check_data_shapes",),
        fr="`y_train_cat`, `y_test_cat` : one-hot de largeur 10, les étiquettes des images.",
        en="`y_train_cat`, `y_test_cat`: one-hot of width 10, the images' own labels.")
def check_labels_are_one_hot(obs, ctx):
    DATA.check_labels(obs)


def scaling(obs, key: str) -> tuple[float, float]:
    """(scale, offset) the student applied to the raw pixels in the array `MODELS[key]` was trained on."""
    return DATA.scaling(obs, MODELS[key]["train"])
