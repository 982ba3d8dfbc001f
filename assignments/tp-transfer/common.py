"""Shared by tp-transfer's checks: the registry, fixed figures, runner-side helpers.

No ImageNet weights on a grading machine (no network, and the runner's HOME is the submission's
copy, so no Keras cache either): every check calls `build_transfer_model(weights=None, ...)`,
the same architecture with random weights, on `SMALL` images (ResNet50's smallest input) to stay
fast; the parameter counts do not depend on the input size.

`RUNNER` is trusted code prepended to the probes. It finds the ResNet50 base in a model in both
shapes a student may build: nested (`base(x)`: a sub-model whose layers hold `conv1_conv` ...
`conv5_block3_out`), or flattened (`ResNet50(input_tensor=x)` then `keras.Model(inputs, ...)`:
those layers sit directly in the model's `layers`, from `conv1_pad` to `conv5_block3_out`).
"""

from __future__ import annotations

from grader.judge.checks import Registry
from grader.judge.layers import MODEL_INFO

checks = Registry()

SMALL = (32, 32, 3)
DEFAULT_SHAPE = (224, 224, 3)
BASE_PARAMS = 23_587_712  # ResNet50(include_top=False), whatever the input size
HEAD_PARAMS = 2_049  # Dense(1) on the 2048 pooled features
TOP_PARAMS = 2_049_000 + 1_000  # the ImageNet head ("predictions", Dense(1000)) include_top=True adds
LEARNING_RATE = 1e-5
N_UNFREEZE = (30, 10)  # the default, then another count

RUNNER = MODEL_INFO + '''
import gc
import inspect
import warnings

import keras


def _walk(model, depth=0):
    for layer in list(getattr(model, "layers", []) or []):
        yield layer
        if isinstance(layer, keras.Model) and depth < 3:
            yield from _walk(layer, depth + 1)


def find_base(m):
    """The ResNet50 base: {"kind", "layers", "owner" (the nested base model or None), "top" (index in
    m.layers of what holds the base, or of its last flattened layer)}; None when there is none."""
    top_layers = list(getattr(m, "layers", []) or [])
    for layer in _walk(m):
        if isinstance(layer, keras.Model) and layer is not m:
            names = [x.name for x in layer.layers]
            if "conv1_conv" in names and "conv5_block3_out" in names:
                top = next((i for i, t in enumerate(top_layers)
                            if t is layer or (isinstance(t, keras.Model) and any(x is layer for x in _walk(t)))),
                           None)
                return {"kind": "nested", "layers": list(layer.layers), "owner": layer, "top": top}
    names = [x.name for x in top_layers]
    if "conv1_pad" in names and "conv5_block3_out" in names:
        start, end = names.index("conv1_pad"), names.index("conv5_block3_out")
        if end + 1 < len(names) and names[end + 1] in ("avg_pool", "max_pool"):  # ResNet50(pooling=...)
            end += 1
        return {"kind": "flattened", "layers": top_layers[start:end + 1], "owner": None, "top": end}
    return None


def split_weights(m, base):
    """(ids of the base's weights, the model's other weights): the head is everything not in the base."""
    base_ids = {id(w) for layer in base["layers"] for w in layer.weights}
    return base_ids, [w for w in m.weights if id(w) not in base_ids]


def n_params(weights):
    return int(sum(int(np.prod(w.shape)) for w in weights))


def reference_model(input_shape):
    """The TP's model, built by the judge's own code: used where the student's cannot be."""
    from keras.applications.resnet50 import preprocess_input

    base = keras.applications.ResNet50(weights=None, include_top=False, input_shape=input_shape)
    base.trainable = False
    inputs = keras.Input(shape=input_shape)
    x = base(preprocess_input(inputs), training=False)
    x = keras.layers.GlobalAveragePooling2D()(x)
    return keras.Model(inputs, keras.layers.Dense(1, activation="sigmoid")(x))


def student_model(input_shape):
    return ns["build_transfer_model"](weights=None, input_shape=input_shape)


def defaults(fn):
    """The defaults of `fn`'s parameters, as plain data ("<none>" where a parameter has none)."""
    try:
        params = inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return None
    out = {}
    for name, p in params.items():
        d = p.default
        out[name] = "<none>" if d is inspect.Parameter.empty else (
            list(d) if isinstance(d, (tuple, list)) else d if isinstance(d, (bool, int, float, str, type(None)))
            else repr(d)[:60])
    return out


def error_text(e):
    return f"{type(e).__name__}: {e}"[:400]
'''


def offline_hint(details: str) -> str:
    """A hint when the student's function ignored `weights=None` and tried to download ImageNet weights."""
    text = details.lower()
    if "url fetch failure" in text or "imagenet" in text or "storage.googleapis" in text:
        return (" Le correcteur appelle `build_transfer_model(weights=None, ...)` (pas de réseau, pas de poids "
                "ImageNet) : transmettez le paramètre `weights` à `ResNet50(weights=weights, ...)` au lieu d'écrire "
                "`weights=\"imagenet\"` en dur.")
    return ""
