"""Checks of tp1-lstm-vs-cnn: the two data layouts, the CNN and LSTM architectures, both trained models
on hidden images, and the comparison table.

The runner only ever hands back plain data: samples of the student's arrays, layer configurations
and parameter counts, the predictions of `model_cnn` and `model_rnn` on MNIST test images that
`load_data()` never served (their labels stay here) and on the student's own test arrays, and the
numbers in `comparison`. A mistake is charged once: the hidden images are preprocessed the way the
student preprocessed each model's training array, and `comparison` is judged against what the
student's own models do on the student's own test set.

Sibling modules register the checks as imported: `data` (Q1), `architecture` (Q2, Q3), `training`
(Q4), `comparison` (Q5); `common` holds the registry and fixed figures. `MEASURES` is what
`grader calibrate` measures on the reference: one held-out accuracy per model, so each model gets
its own threshold (`q4_cnn`, `q4_rnn`, reference score minus margin).
"""

from __future__ import annotations

from . import architecture, comparison, data, training  # noqa: F401 - registration order
from .common import checks
from .training import TRAINED_CNN, TRAINED_RNN

MEASURES = {"q4_cnn": TRAINED_CNN.accuracy, "q4_rnn": TRAINED_RNN.accuracy}

__all__ = ["MEASURES", "checks"]
