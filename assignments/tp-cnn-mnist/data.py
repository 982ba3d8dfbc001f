"""Q1: the student's arrays, sampled in the runner and compared here with the grader's MNIST."""

from __future__ import annotations

import numpy as np

from grader.checks import NO_HINT, ImageArrays, Message

from .common import FULL, checks

IMAGE_SHAPE = (28, 28, 1)
DATA = ImageArrays("mnist", {"train": ("x_train", "y_train"), "test": ("x_test", "y_test")},
                   {"x_train": (IMAGE_SHAPE,), "x_test": (IMAGE_SHAPE,)}, FULL)


def _channel_hint(name: str, shape: tuple) -> Message:
    if shape[1:] in ((28, 28), (784,)):
        return Message(" Ajoutez le canal des convolutions : `x.reshape(-1, 28, 28, 1)`.",
                       " Add the convolutions' channel axis: `x.reshape(-1, 28, 28, 1)`.")
    return NO_HINT


@checks("q1", public=True, fr="Formes : (60 000 ou le sous-ensemble servi, 28, 28, 1) pour les images, (n, 10) pour les "
        "étiquettes.", en="Shapes: (60,000 or the served subset, 28, 28, 1) for images, (n, 10) for labels.")
def check_data_shapes(obs, ctx):
    DATA.check_shapes(obs, ctx, shape_hint=_channel_hint)


@checks("q1", public=True, requires=("check_data_shapes",), fr="Images en float32, mises à l'échelle dans [0, 1].",
        en="Images as float32, scaled to [0, 1].")
def check_images_scaled_to_unit_range(obs, ctx):
    DATA.check_unit_range(obs, float32=True)


@checks("q1", weight=0.5, requires=("check_images_scaled_to_unit_range",),
        fr="Les images sont celles de MNIST (x / 255).", en="The images are MNIST's (x / 255).")
def check_images_are_mnist(obs, ctx):
    DATA.check_images_are_dataset(obs)


@checks("q1", requires=("check_data_shapes",), fr="Étiquettes one-hot (un seul 1 par ligne), celles des images.",
        en="One-hot labels (a single 1 per row), those of the images.")
def check_labels_are_one_hot(obs, ctx):
    DATA.check_labels(obs)


def as_student_scaled(obs, images: np.ndarray) -> np.ndarray:
    """The hidden images preprocessed like the student's own `x_test` (so Q1's mistakes stay Q1's)."""
    return DATA.like_student(obs, images, "x_test")
