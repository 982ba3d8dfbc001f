"""Checks of tp-cnn-mnist: data, CNN architecture, EarlyStopping, accuracy on hidden images, confusion matrix.

The runner only ever hands back plain data: samples of the student's arrays, a model's layer
configuration and parameter counts, the callback's attributes, and the model's predictions on
MNIST test images that `load_data()` never served (their labels stay here) and on the student's
own `x_test`. A mistake is charged once: the hidden images are preprocessed the way the student
preprocessed `x_test`, and `cm` is compared with the confusion matrix the judge recomputes from the
student's own `model`, `x_test` and `y_test` (an undertrained model still has a correct `cm`).

The loader reads `checks` here; the checks live in sibling modules, registered as imported:
`data` (Q1), `architecture` (Q2), `callbacks` (Q3), `training` (Q4), `confusion` (Q5); `common`
holds the registry and the run's budget. `MEASURES` is what `grader calibrate` measures on the
reference to set thresholds (reference score - margin).
"""

from __future__ import annotations

from . import architecture, callbacks, confusion, data, training  # noqa: F401 - registration order
from .common import checks
from .training import TRAINED

MEASURES = {"q4": TRAINED.accuracy}

__all__ = ["MEASURES", "checks"]
