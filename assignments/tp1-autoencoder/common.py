"""Shared by tp1-autoencoder's checks: the registry, fixed figures, and the autoencoder seen as a chain.

The course builds the autoencoder with the functional API; a `Sequential`, separate activation
layers, or an `encoder` and a `decoder` sub-model chained into `autoencoder` are the same network.
`grader.runner.probes.keras_model.flat` lists the model's layers with nested models expanded, so all of
these read alike once `grader.judge.layers.normalize` folded the activations; `probes.py` (runner
side) finds the bottleneck (the narrowest hidden Dense) and its activation by running that chain
layer after layer.
"""

from __future__ import annotations

from grader.checks import Registry

checks = Registry()

DATASET = "cifar10"
PIXELS = 32 * 32 * 3
N_PARAMS = 7_411_776
BOTTLENECK = 64
EXPECTED_LAYERS = [("Dense", 1024, "relu"), ("Dense", 512, "relu"), ("Dense", BOTTLENECK, "relu"),
                   ("Dense", 512, "relu"), ("Dense", 1024, "relu"), ("Dense", PIXELS, "sigmoid")]
#: reconstruction MSE used until this machine is calibrated (the course reports val_loss 0.0214 after 5 epochs)
DEFAULT_THRESHOLD = 0.03
