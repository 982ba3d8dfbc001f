"""Checks of tp1-cifar10: data and class names, the deep CNN, its callbacks, accuracy on hidden images,
`predict_image` on image files.

The runner only ever hands back plain data: samples of the student's arrays and `class_names`,
layer configurations and parameter counts, the callbacks' attributes, `model_cnn`'s predictions
on CIFAR-10 test images that `load_data()` never served (their labels stay here), and what
`predict_image` returns for image files the judge writes into the runner. A mistake is charged
once: hidden images are scaled like the student's own arrays, and `predict_image` is judged
against the student's own `model_cnn` and `class_names`.

Sibling modules register the checks as imported: `data` (Q1), `architecture` (Q2), `callbacks`
(Q3), `training` (Q4), `prediction` (Q5); `common` holds the registry, figures and class names.
`MEASURES` is what `grader calibrate` measures on the reference to set thresholds.
"""

from __future__ import annotations

from . import architecture, callbacks, data, prediction, training  # noqa: F401 - registration order
from .common import checks
from .training import TRAINED

MEASURES = {"q4": TRAINED.accuracy}

__all__ = ["MEASURES", "checks"]
