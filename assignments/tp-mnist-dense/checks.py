"""Checks of tp-mnist-dense: data, architecture, compilation, history, accuracy on hidden images, n_params.

The runner only ever hands back plain data: samples of the student's arrays, a model's layer
configuration and parameter counts, its compile configuration, its history, and its predictions
on MNIST test images that `load_data()` never served (their labels stay here). A mistake is
charged once: the hidden images are scaled the way the student scaled `x_test`, so unscaled
pixels cost Q1 and not Q5 too.

The loader reads `checks` here; the checks live in sibling modules, registered as imported:
`data` (Q1), `architecture` (Q2, Q6), `compilation` (Q3), `training` (Q4, Q5); `common` holds
the registry and the run's budget. `MEASURES` is what `grader calibrate` measures on the
reference to set thresholds (reference score - margin).
"""

from __future__ import annotations

from . import architecture, compilation, data, training  # noqa: F401 - registration order
from .common import checks
from .training import TRAINED

MEASURES = {"q5": TRAINED.accuracy}

__all__ = ["MEASURES", "checks"]
