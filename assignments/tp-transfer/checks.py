"""Checks of tp-transfer: the ResNet50 transfer model, unfreezing the top of the base, compiling for
fine-tuning, and the image datasets.

Nothing needs ImageNet weights or the network: every check calls `build_transfer_model` with
`weights=None` (same architecture, random weights) on 32 x 32 images, and `make_datasets` on a
folder of images the judge makes in the runner. The runner hands back plain data only: layer
configurations, trainable flags, parameter counts, what the base receives, whether a short
training moved the base, the compiled loss and metrics on values the judge picked, the centre
colour and label of each image read from the datasets.

A mistake is charged once: Q2 runs on the student's own model (the judge's reference model where
theirs cannot be built), Q3 compiles the judge's reference model, Q4 does not depend on the model.

The loader reads `checks` here; the checks live in sibling modules, registered as imported:
`model` (Q1), `unfreeze` (Q2), `compiling` (Q3), `data` (Q4); `common` holds the registry and the
runner-side helpers. Nothing is trained to a threshold, so `MEASURES` is empty: `grader calibrate`
only measures the reference's time (the wall limit).
"""

from __future__ import annotations

from . import compiling, data, model, unfreeze  # noqa: F401 - registration order
from .common import checks

MEASURES: dict = {}

__all__ = ["MEASURES", "checks"]
