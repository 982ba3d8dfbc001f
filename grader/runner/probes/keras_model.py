"""A Keras model described as plain data (runner side): per layer its class, the config entries the
course fixes, its parameter counts and its activation identified by what it computes.

`describe(m)` never hands back an object; `grader.judge.layers` turns its answer into layer tuples.
`fresh(ns, function, ...)` calls a student's model-building function twice: the model, and whether
the two calls share anything (a model built once at module level and returned twice). `flat` lists
a model's layers with nested models expanded (an `encoder` and a `decoder` chained into one model
read as one chain of layers).
"""

from __future__ import annotations

import contextlib
import json
from typing import Any

import numpy as np

from grader.runner.probes import (
    activations,
    error_text,
    is_keras_model,
    mro_paths,
    require_keras_model,
)

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
    try:
        found = activations.of_layer(layer, cache)
    except Exception as e:  # noqa: BLE001 - whatever the layer does, the model is still described
        found = {"activation": activations.OTHER, "activation_error": f"{type(e).__name__}: {e}"[:300]}
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


def each(ns: dict, function: str, args: list) -> dict[str, Any]:
    """`function(arg)` described for each `arg` (e.g. `build_activation_model(a)` for the four
    activations), keyed by `str(arg)`."""
    return {str(arg): describe(ns[function](arg)) for arg in args}


def flat_layers(m: Any) -> list:
    """The model's layers in order, nested models expanded, input layers dropped."""
    out: list = []
    for layer in list(getattr(m, "layers", []) or []):
        if is_keras_model(layer):
            out.extend(flat_layers(layer))
        elif type(layer).__name__ != "InputLayer":
            out.append(layer)
    return out


def flat(ns: dict, name: str) -> dict[str, Any]:
    """The notebook's model `name` described with its nested models' layers expanded in place."""
    m = ns[name]
    info = describe(m)
    info["layers"] = describe_layers(flat_layers(m))
    return info


def count_params(ns: dict, name: str) -> int:
    return int(ns[name].count_params())


def batchnorm_stats(ns: dict, name: str) -> dict[str, int]:
    """How many BatchNormalization layers the model has, and how many still hold their initial moving
    statistics (mean 0, variance 1: never trained)."""
    stats = []
    for layer in getattr(ns[name], "layers", []) or []:
        if type(layer).__name__ == "BatchNormalization":
            try:
                mean = np.asarray(layer.moving_mean, dtype=np.float64)
                var = np.asarray(layer.moving_variance, dtype=np.float64)
                stats.append(bool(np.all(mean == 0.0) and np.all(var == 1.0)))
            except Exception:  # noqa: BLE001
                pass
    return {"batchnorm": len(stats), "untouched": sum(stats)}


def shared_weights(ns: dict, name: str, other: str) -> dict[str, Any]:
    """`name` (e.g. `encoder`) described, and how many of its weight variables *are* `other`'s (the same
    objects, not copies)."""
    part, whole = ns[name], ns[other]
    mine = list(getattr(part, "weights", []) or [])
    theirs = {id(w) for w in getattr(whole, "weights", []) or []}
    out: dict[str, Any] = {"model": describe(part), "weights": len(mine), "shared": sum(id(w) in theirs for w in mine),
                           "same_object": part is whole}
    try:
        out["output_shape"] = [None if d is None else int(d) for d in part.output_shape]
    except Exception:  # noqa: BLE001
        out["output_shape"] = None
    return out


#: methods that decide what a model predicts: one set on the object itself is student code on that path
PREDICTION_METHODS = ("predict", "predict_step", "predict_on_batch", "call", "__call__", "make_predict_function")


def student_code_on_prediction(m: Any) -> list[str]:
    """Where the student's own code sits on `m`'s prediction path, as the runner sees it (for the
    report only: the judge decides from the config it receives, never from this list)."""
    found = []
    if not type(m).__module__.startswith("keras"):
        found.append(f"class {type(m).__qualname__}")
    found.extend(f"{name} (instance)" for name in PREDICTION_METHODS if name in getattr(m, "__dict__", {}))
    for layer in flat_layers(m):
        if not type(layer).__module__.startswith("keras") or type(layer).__name__ == "Lambda":
            found.append(f"layer {type(layer).__qualname__}")
    return found[:20]


def export(ns: dict, name: str) -> dict[str, Any]:
    """The model `name` as plain data for a trusted rebuild: its Keras config (JSON text), its weights,
    and where student code sits on its prediction path. What cannot be read is said, not raised."""
    import keras

    m = ns[name]
    require_keras_model(m, name)
    out: dict[str, Any] = {"student_code": student_code_on_prediction(m)}
    try:
        text = json.dumps(keras.saving.serialize_keras_object(m))
        out["config"] = [text[i:i + 10_000] for i in range(0, len(text), 10_000)]  # strings cross capped
    except Exception as e:  # noqa: BLE001 - a subclassed model without get_config, ...
        out["config_error"] = error_text(e)
    try:
        out["weights"] = [np.asarray(w) for w in m.get_weights()]
    except Exception as e:  # noqa: BLE001
        out["weights_error"] = error_text(e)
    return out
