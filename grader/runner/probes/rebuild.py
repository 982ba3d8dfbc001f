"""A model rebuilt from plain data and run on the judge's images (runner side, in a clean room).

This runs in a runner that executed no student cell: the judge hands it a model's Keras config (JSON
it has already checked names Keras' own classes only) and its weights (arrays), and asks for the
predictions on held-out images. So a held-out score is what the architecture and the weights
compute, never what a student's `predict`, `call` or patched library answers.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np

from grader.runner.probes import require_keras_model
from grader.runner.probes.predictions import to_input


def predict(ns: dict, config: list, weights: list, images: Any, batch: int = 500) -> np.ndarray:
    """The model described by `config` (Keras' `serialize_keras_object` form as JSON text, in chunks:
    strings cross the wire capped), set to `weights`, on `images`."""
    import keras

    model = keras.saving.deserialize_keras_object(json.loads("".join(config)), safe_mode=True)
    require_keras_model(model, "model")
    model.set_weights([np.asarray(w) for w in weights])
    return np.asarray(model.predict(to_input(model, np.asarray(images)), verbose=0, batch_size=int(batch)))
