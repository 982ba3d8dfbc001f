"""Shared by tp-transfer's checks: the registry, fixed figures, runner-side helpers.

No ImageNet weights on a grading machine (no network, and the runner's HOME is the submission's
copy, so no Keras cache either): every check calls `build_transfer_model(weights=None, ...)`,
the same architecture with random weights, on `SMALL` images (ResNet50's smallest input) to stay
fast; the parameter counts do not depend on the input size.

The trusted code that runs in the runner is `probes.py` (shipped there by `obs.run`): it finds
the ResNet50 base in a model in both shapes a student may build, nested or flattened.
"""

from __future__ import annotations

from grader.checks import Message, Registry

checks = Registry()

SMALL = (32, 32, 3)
DEFAULT_SHAPE = (224, 224, 3)
BASE_PARAMS = 23_587_712  # ResNet50(include_top=False), whatever the input size
HEAD_PARAMS = 2_049  # Dense(1) on the 2048 pooled features
TOP_PARAMS = 2_049_000 + 1_000  # the ImageNet head ("predictions", Dense(1000)) include_top=True adds
LEARNING_RATE = 1e-5
N_UNFREEZE = (30, 10)  # the default, then another count

def offline_hint(details: str) -> Message | None:
    """A hint when the student's function ignored `weights=None` and tried to download ImageNet weights."""
    text = details.lower()
    if "url fetch failure" in text or "imagenet" in text or "storage.googleapis" in text:
        return Message(" Le correcteur appelle `build_transfer_model(weights=None, ...)` (pas de réseau, pas de "
                       "poids ImageNet) : transmettez le paramètre `weights` à `ResNet50(weights=weights, ...)` au "
                       "lieu d'écrire `weights=\"imagenet\"` en dur.",
                       " The grader calls `build_transfer_model(weights=None, ...)` (no network, no ImageNet "
                       "weights): pass the `weights` parameter on to `ResNet50(weights=weights, ...)` instead of "
                       "writing `weights=\"imagenet\"` in the code.")
    return None
