"""Checks of tp-fashion: data, dense network, activation comparison, CNN, hidden accuracy, confusion matrix,
augmentation.

The runner only ever hands back plain data: samples of the student's arrays, layer configurations
and parameter counts, `activation_results`, the trained `cnn`'s predictions on Fashion-MNIST test
images that `load_data()` never served (their labels stay here), its predictions on the student's
own `X_test` (to recompute `cm` here), and the configuration of `datagen`. A mistake is charged
once: hidden images are scaled like the student's `X_train`; `cm` is judged against the student's
own model and labels.

Sibling modules register the checks as imported: `data` (Q1), `architecture` (Q2, Q3, Q4),
`training` (Q5, Q6), `augmentation` (Q7); `common` holds the registry and model descriptions.
`MEASURES` is what `grader calibrate` measures on the reference to set thresholds.
"""

from __future__ import annotations

from . import architecture, augmentation, data, training  # noqa: F401 - registration order
from .common import checks
from .training import TRAINED

MEASURES = {"q5": TRAINED.accuracy}

__all__ = ["MEASURES", "checks"]
