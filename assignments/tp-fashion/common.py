"""Shared by tp-fashion's checks: the registry, fixed figures.

Models are read through `grader.judge.layers`, activations by what they compute on fixed inputs
(`grader.runner.probes.activations`), and `normalize` folds separate activation layers into the
Dense/Conv2D before them: `Dense(128)` followed by `LeakyReLU(negative_slope=0.1)`, and
`Dense(128, activation=lambda x: tf.nn.leaky_relu(x, alpha=0.1))`, both read as
`Dense(128, leaky_relu(0.1))`; the Keras string `"leaky_relu"` (slope 0.2) as
`Dense(128, leaky_relu(0.2))`.
"""

from __future__ import annotations

from grader.checks import (
    Registry,
)

checks = Registry()

DATASET = "fashion_mnist"
FULL = {"train": 60_000, "test": 10_000}
N_PARAMS_ANN = 109_386
N_PARAMS_CNN = 225_034
DEFAULT_THRESHOLD = 0.65
#: for the report's pictures (the course's French names)
CLASS_NAMES = ["T-shirt", "Pantalon", "Pull", "Robe", "Manteau", "Sandale", "Chemise", "Basket", "Sac", "Bottine"]
