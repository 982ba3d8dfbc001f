"""Code the judge runs inside the runner, as real modules (the runner imports them by name).

Each module answers one kind of observation with plain data only (numbers, strings, lists,
dicts, numpy arrays): `model` (a Keras model described layer by layer), `activations` (what an
activation computes, identified on fixed inputs), `sampling`, `history`, `predictions`.
Nothing here knows an expected value. Keras, TensorFlow and the student's objects are imported
or reached lazily, inside the functions: the judge imports these modules too (for their names
and for the pure-numpy parts) without paying for TensorFlow.

`KERAS_MODEL` and friends are the Keras class paths the judge and the runner compare a value's
type against, spelled once.
"""

from __future__ import annotations

#: `type(m).__mro__` of every Keras 3 model (Sequential, functional, subclassed) holds this class
KERAS_MODEL = "keras.src.models.model.Model"
#: Keras 3's `History` callback (what `model.fit` returns)
KERAS_HISTORY = "keras.src.callbacks.history.History"
#: the module whose `Model` class `KERAS_MODEL` names (the runner's patches wrap its `fit`)
KERAS_MODEL_MODULE = KERAS_MODEL.rsplit(".", 1)[0]


def class_path(cls: type) -> str:
    """`module.qualname` of a class, as the judge compares it."""
    return f"{cls.__module__}.{cls.__qualname__}"


def mro_paths(obj: object, limit: int = 24) -> list[str]:
    """The class paths of `type(obj).__mro__` (the first `limit`)."""
    return [class_path(c) for c in type(obj).__mro__][:limit]


def is_keras_model(obj: object) -> bool:
    """True for a Keras model of any style, without importing Keras (a plain value is never one)."""
    return KERAS_MODEL in mro_paths(obj, 64)


def type_info(value: object) -> dict[str, object]:
    """{"type": qualname, "mro": class paths}: what a check says a value is, and tests its kind on."""
    return {"type": type(value).__qualname__, "mro": mro_paths(value)}


def error_text(e: BaseException, limit: int = 300) -> str:
    return f"{type(e).__name__}: {e}"[:limit]


def require_keras_model(m: object, name: str) -> None:
    """Raise (the student's error, as `obs.run` reports it) unless `m`, the notebook's `name`, is a model."""
    if not is_keras_model(m):
        raise TypeError(f"`{name}` est de type {type(m).__qualname__}, pas un modèle Keras")
