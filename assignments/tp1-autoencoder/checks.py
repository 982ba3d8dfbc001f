"""Checks of tp1-autoencoder: data, dense autoencoder, encoder sharing its weights, reconstruction error.

The runner only ever hands back plain data: a few rows of the student's arrays, layer
configurations and parameter counts, the compiled loss evaluated on a fixed pair of arrays,
weight identities and a few bottleneck codes computed there (never the 30 MB of weights), and the
reconstructions of CIFAR-10 test images that `load_data()` never served. A mistake is charged
once: Q3 compares `encoder` with the student's own autoencoder and bottleneck; Q4 prepares the
hidden images the way the student prepared their data and measures MSE whatever loss was compiled.

Sibling modules register the checks as imported: `data` (Q1), `architecture` (Q2), `encoder`
(Q3), `training` (Q4); `common` holds the registry, the figures and the runner-side chain of
layers. `MEASURES` is what `grader calibrate` measures on the reference (q4: lower is better, the
threshold is the reference's MSE + the margin).
"""

from __future__ import annotations

from . import architecture, data, encoder, training  # noqa: F401 - registration order
from .common import checks
from .training import holdout_mse

MEASURES = {"q4": holdout_mse}

__all__ = ["MEASURES", "checks"]
