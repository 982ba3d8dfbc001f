"""Shared by tp1-autoencoder's checks: the registry, fixed figures, and the autoencoder seen as a chain.

The course builds the autoencoder with the functional API; a `Sequential`, separate activation
layers, or an `encoder` and a `decoder` sub-model chained into `autoencoder` are the same network.
`CHAIN` (runner side) lists the model's layers with nested models expanded, so all of these read
alike once `grader.judge.layers.normalize` folded the activations, and it finds the bottleneck
(the narrowest hidden Dense) and its activation by running that chain layer after layer.
"""

from __future__ import annotations

from grader.judge.checks import Registry
from grader.judge.layers import MODEL_INFO

checks = Registry()

DATASET = "cifar10"
PIXELS = 32 * 32 * 3
N_PARAMS = 7_411_776
BOTTLENECK = 64
EXPECTED_LAYERS = [("Dense", 1024, "relu"), ("Dense", 512, "relu"), ("Dense", BOTTLENECK, "relu"),
                   ("Dense", 512, "relu"), ("Dense", 1024, "relu"), ("Dense", PIXELS, "sigmoid")]
#: reconstruction MSE used until this machine is calibrated (the course reports val_loss 0.0214 after 5 epochs)
DEFAULT_THRESHOLD = 0.03

CHAIN = MODEL_INFO + """
import numpy as np

def _is_model(obj):
    return any(c.__module__ + "." + c.__qualname__ == "keras.src.models.model.Model" for c in type(obj).__mro__)

def flat_layers(m):
    out = []
    for layer in list(getattr(m, "layers", []) or []):
        if _is_model(layer):
            out.extend(flat_layers(layer))
        elif type(layer).__name__ != "InputLayer":
            out.append(layer)
    return out

class _Layers:
    def __init__(self, layers):
        self.layers = layers

def flat_info(m):
    info = model_info(m)
    info["layers"] = model_info(_Layers(flat_layers(m)))["layers"]
    return info

from grader.runner.probes.activations import of_layer

def _is_activation(layer):
    if type(layer).__name__ == "PReLU":
        return True
    found = of_layer(layer)
    return bool(found and found.get("activation_layer"))

def bottleneck(m):
    \"\"\"(index in the chain just past the bottleneck's own activation, its width) or None.\"\"\"
    chain = flat_layers(m)
    dense = [i for i, layer in enumerate(chain) if type(layer).__name__ == "Dense"]
    hidden = dense[:-1]
    if not hidden:
        return None, chain
    k = min(hidden, key=lambda i: (int(chain[i].units), i))
    end = k + 1
    while end < len(chain) and _is_activation(chain[end]):
        end += 1
    return (end, int(chain[k].units)), chain

def bottleneck_activation(m, x):
    \"\"\"The autoencoder's own activation at its bottleneck on `x` (the chain run layer after layer).\"\"\"
    found, chain = bottleneck(m)
    if found is None:
        raise ValueError("pas de couche Dense cachée dans `autoencoder`")
    end, _ = found
    try:
        h = x
        for layer in chain[:end]:
            h = layer(h)
        return np.asarray(h)
    except Exception:
        import keras
        sub = keras.Model(m.inputs, chain[end - 1].output)
        return np.asarray(sub(x, training=False))
"""
