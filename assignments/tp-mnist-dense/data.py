"""Q1: the student's arrays, sampled in the runner and compared here with the grader's MNIST."""

from __future__ import annotations

import numpy as np

from grader.checks import NO_HINT, ImageArrays, Message

from .common import FULL, checks

DATA = ImageArrays("mnist", {"train": ("x_train", "y_train"), "test": ("x_test", "y_test")},
                   {"x_train": ((28, 28),), "x_test": ((28, 28),)}, FULL)


def _flatten_hint(name: str, shape: tuple) -> Message:
    if shape[1:] != (28, 28):
        return Message(" Gardez les images en 28 x 28 : c'est `Flatten` qui les aplatit.",
                       " Keep the images 28 x 28: `Flatten` is what flattens them.")
    return NO_HINT


@checks("q1", public=True, fr="Formes : (60 000 ou le sous-ensemble servi, 28, 28) pour les images, une étiquette par image.",
        en="Shapes: (60,000 or the served subset, 28, 28) for images, one label per image.")
def check_data_shapes(obs, ctx):
    DATA.check_shapes(obs, ctx, one_hot=False, shape_hint=_flatten_hint)


@checks("q1", public=True, requires=("check_data_shapes",), fr="Images en flottants, mises à l'échelle dans [0, 1].",
        en="Images as floats, scaled to [0, 1].")
def check_images_scaled_to_unit_range(obs, ctx):
    DATA.check_unit_range(obs)


@checks("q1", weight=0.5, requires=("check_images_scaled_to_unit_range",),
        fr="Les images sont celles de MNIST (x / 255).", en="The images are MNIST's (x / 255).")
def check_images_are_mnist(obs, ctx):
    DATA.check_images_are_dataset(obs)


@checks("q1", requires=("check_data_shapes",), fr="Étiquettes entières de 0 à 9, celles des images.",
        en="Integer labels 0-9, those of the images.")
def check_labels_are_integer_classes(obs, ctx):
    DATA.check_labels(obs, one_hot=False)


def as_student_scaled(obs, images: np.ndarray) -> np.ndarray:
    """The hidden images preprocessed like the student's own `x_test` (so Q1's mistakes stay Q1's)."""
    return DATA.like_student(obs, images, "x_test")
