"""A Keras model described as plain data (runner side): per layer its class, the config entries the
course fixes, its parameter counts and its activation identified by what it computes.

`describe(m)` never hands back an object; `grader.judge.layers` turns its answer into layer tuples.
`fresh(ns, function, ...)` calls a student's model-building function twice: the model, and whether
the two calls share anything (a model built once at module level and returned twice).
"""

from __future__ import annotations

import contextlib
from typing import Any

import numpy as np

from grader.runner.probes import activations, mro_paths

#: config entries the judge reads (when a layer has them)
KEYS = ("units", "rate", "filters", "kernel_size", "pool_size", "strides", "padding", "negative_slope", "alpha",
        "return_sequences", "axis", "target_shape")


def plain(v: Any) -> Any:
    """A config value as plain data: numbers, strings, None, lists of them (other objects: their text)."""
    if isinstance(v, (list, tuple)):
        return [plain(x) for x in v]
    if isinstance(v, (bool, int, float, str)) or v is None:
        return v
    try:
        return float(v)
    except Exception:  # noqa: BLE001 - any object: its text
        return str(v)[:80]


def count(weights: Any) -> int:
    return int(sum(int(np.prod(w.shape)) for w in weights))


def _config(layer: Any) -> dict:
    """The layer's config; where `get_config` fails (a lambda activation whose source Keras cannot
    read), the same entries read from the layer's attributes."""
    try:
        cfg = layer.get_config()
        if isinstance(cfg, dict):
            return cfg
    except Exception:  # noqa: BLE001
        pass
    cfg = {}
    for key in (*KEYS, "activation"):
        with contextlib.suppress(Exception):
            if hasattr(layer, key):
                cfg[key] = getattr(layer, key)
    return cfg


def layer_entry(layer: Any, cache: dict[int, str] | None = None) -> dict[str, Any]:
    """One layer as plain data. "activation" is what it computes (`activations.identify`'s label, None
    for a layer without one); "activation_hint" is its config's name for it (for the messages)."""
    cfg = _config(layer)
    try:
        params = int(layer.count_params())
    except Exception:  # noqa: BLE001 - an unbuilt layer
        params = None
    entry: dict[str, Any] = {"class": type(layer).__name__, "activation": None,
                             "activation_hint": activations.config_name(cfg.get("activation")),
                             "params": params, "trainable": bool(getattr(layer, "trainable", True))}
    found = activations.of_layer(layer, cache)
    if found is not None:
        entry.update(found)
    for key in KEYS:
        if key in cfg:
            entry[key] = plain(cfg[key])
    return entry


def describe_layers(layers: list, cache: dict[int, str] | None = None) -> list[dict[str, Any]]:
    cache = {} if cache is None else cache
    return [layer_entry(layer, cache) for layer in layers]


def describe(m: Any) -> dict[str, Any]:
    """`m` (a model, or anything a student returned) as plain data; what cannot be read is said so."""
    info: dict[str, Any] = {"type": mro_paths(m, 1)[0], "mro": mro_paths(m), "layers": []}
    try:
        info["input_shape"] = [None if d is None else int(d) for d in m.input_shape]
    except Exception as e:  # noqa: BLE001
        info["input_shape"] = None
        info["input_error"] = f"{type(e).__name__}: {e}"[:300]
    try:
        layers = list(getattr(m, "layers", []) or [])
    except Exception:  # noqa: BLE001
        layers = []
    info["layers"] = describe_layers(layers)
    try:
        info["params"] = int(m.count_params())
        info["trainable_params"] = count(m.trainable_weights)
        info["non_trainable_params"] = count(m.non_trainable_weights)
    except Exception as e:  # noqa: BLE001
        info["params"] = None
        info["params_error"] = f"{type(e).__name__}: {e}"[:300]
    try:
        info["n_inputs"], info["n_outputs"] = len(m.inputs), len(m.outputs)
    except Exception:  # noqa: BLE001
        info["n_inputs"] = info["n_outputs"] = None
    return info


def fresh(ns: dict, function: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
    """Call the student's `function(*args, **kwargs)` twice: the first model described, and whether the
    two calls gave the same object or share weights."""
    m1 = ns[function](*args, **kwargs)
    m2 = ns[function](*args, **kwargs)
    ids = {id(w) for w in getattr(m1, "weights", [])} & {id(w) for w in getattr(m2, "weights", [])}
    return {"model": describe(m1), "same_object": m1 is m2, "shared_weights": len(ids)}


def variable(ns: dict, name: str) -> dict[str, Any]:
    """The notebook's variable `name` (a trained model) described."""
    return describe(ns[name])
