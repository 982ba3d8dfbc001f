"""Checks of tp-diy: a from-scratch numpy network, graded by its behaviour and its gradients.

Probes (functions of `probes.py`, called in the runner by `obs.run`) only instantiate the
student's classes and evaluate them on inputs chosen here; central differences, expected values,
labels and thresholds stay in the judge. Parameters are observed through behaviour, whatever their
storage: an affine module's forward on 0 and on the unit rows gives its weight and bias, and
`zero_grad(); backward_update_gradient(x, delta); update_parameters(step)` reveals the gradient.

A mistake is charged once: a container (`Sequentiel`, `Optim`, `SGD`, `AutoEncoder`) is built
from the student's own modules first, since it may call them or read their fields; a module that
fails its own checks is swapped for a correct stand-in (`TLinear`, `TSeq`, ... in `probes.py`),
and a container that cannot be judged without it is skipped with the reason. A learning check
that fails with the student's whole library is retried the same way.

The loader reads `checks` here; the checks live in sibling modules, one per question:

* `common`: the registry, `_run` (a probe called in the runner) and readers of observed values;
* `probes`: what runs in the runner (its source is shipped there): entry points, stand-ins;
* `fd`: finite differences and the comparison of gradients;
* `parts`: which of the student's parts a container is built from, own or stand-in;
* `learning`: the retry of a learning check with correct parts;
* `q1_linear`, `q2_activations`, `q3_network`, `q3_training`, `q4_classification`,
  `q5_autoencoder`, `q6_convolution`: the checks, registered as they are imported below.
"""

from __future__ import annotations

# imported in question order, which is the order of registration (and of the report)
from . import (
    q1_linear,
    q2_activations,
    q3_network,
    q3_training,
    q4_classification,
    q5_autoencoder,
    q6_convolution,
)
from .common import checks

QUESTIONS = (q1_linear, q2_activations, q3_network, q3_training, q4_classification, q5_autoencoder,
             q6_convolution)

__all__ = ["QUESTIONS", "checks"]
