"""Runner-side code of tp1-autoencoder: the autoencoder's bottleneck found and run (shipped to the
runner as source by `obs.run`: absolute imports only, nothing that knows an expected value).

The bottleneck is the narrowest hidden Dense of the chain of the autoencoder's layers (nested models
expanded, `grader.runner.probes.keras_model.flat_layers`), together with the activation layers right after
it; running that chain up to there on images gives the autoencoder's own code for them.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from grader.checks.probes import error_text, flat_layers, of_layer


def _is_activation(layer: Any) -> bool:
    if type(layer).__name__ == "PReLU":
        return True
    found = of_layer(layer)
    return bool(found and found.get("activation_layer"))


def bottleneck(m: Any) -> tuple[tuple[int, int] | None, list]:
    """((index in the chain just past the bottleneck's own activation, its width) or None, the chain)."""
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


def bottleneck_activation(m: Any, x: np.ndarray) -> np.ndarray:
    """The autoencoder's own activation at its bottleneck on `x` (the chain run layer after layer)."""
    found, chain = bottleneck(m)
    if found is None:
        raise ValueError("pas de couche Dense cachée dans `autoencoder`")
    end, _ = found
    try:
        h = x
        for layer in chain[:end]:
            h = layer(h)
        return np.asarray(h)
    except Exception:  # noqa: BLE001 - a chain that cannot be run eagerly: its functional sub-model
        import keras

        sub = keras.Model(m.inputs, chain[end - 1].output)
        return np.asarray(sub(x, training=False))


def encoded(ns: dict, images: np.ndarray) -> dict[str, Any]:
    """`encoder.predict(images)` (reshaped to its input) beside `autoencoder`'s bottleneck activation on
    the same images: {"encoded", "width" (the bottleneck's, None without one), "bottleneck", "error"}."""
    x = np.asarray(images, dtype="float32")
    enc, ae = ns["encoder"], ns["autoencoder"]
    try:
        shape = tuple(int(d) for d in enc.input_shape[1:])
        if int(np.prod(shape)) == int(np.prod(x.shape[1:])):
            x = x.reshape((len(x), *shape))
    except Exception:  # noqa: BLE001
        pass
    found, _ = bottleneck(ae)
    out: dict[str, Any] = {"encoded": np.asarray(enc.predict(x, verbose=0)),
                           "width": None if found is None else found[1], "bottleneck": None, "error": None}
    try:
        out["bottleneck"] = bottleneck_activation(ae, x.reshape(len(x), -1) if x.ndim > 2 else x)
    except Exception as e:  # noqa: BLE001 - said in the verdict
        out["error"] = error_text(e)
    return out
