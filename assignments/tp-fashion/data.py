"""Q1: the student's arrays, sampled in the runner and compared here with the grader's Fashion-MNIST."""

from __future__ import annotations

from grader.checks import ImageArrays

from .common import DATASET, FULL, checks

DATA = ImageArrays(DATASET, {"train": ("X_train", "y_train_cat"), "test": ("X_test", "y_test_cat")},
                   {"X_train": ((28, 28), (28, 28, 1)), "X_test": ((28, 28), (28, 28, 1))}, FULL, seed=11)


@checks("q1", public=True, fr="Formes : (60 000 ou le sous-ensemble servi, 28, 28[, 1]) pour les images, (n, 10) pour les "
        "étiquettes.", en="Shapes: (60,000 or the served subset, 28, 28[, 1]) for images, (n, 10) for labels.")
def check_data_shapes(obs, ctx):
    DATA.check_shapes(obs, ctx)


@checks("q1", public=True, requires=("check_data_shapes",), fr="Images en float32, mises à l'échelle dans [0, 1].",
        en="Images as float32, scaled to [0, 1].")
def check_images_scaled_to_unit_range(obs, ctx):
    DATA.check_unit_range(obs)


@checks("q1", weight=0.5, requires=("check_images_scaled_to_unit_range",),
        fr="Les images sont celles de Fashion-MNIST (x / 255).", en="The images are Fashion-MNIST's (x / 255).")
def check_images_are_fashion_mnist(obs, ctx):
    DATA.check_images_are_dataset(obs)


@checks("q1", weight=1.5, requires=("check_data_shapes",),
        fr="Étiquettes one-hot de largeur 10, celles des images.", en="One-hot labels of width 10, the images' own.")
def check_labels_are_one_hot(obs, ctx):
    DATA.check_labels(obs)


def scaling(obs) -> tuple[float, float]:
    """(scale, offset) the student applied to the raw pixels of `X_train` (what the model was trained on)."""
    return DATA.scaling(obs, "X_train")
