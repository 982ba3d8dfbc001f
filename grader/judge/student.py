"""A student's value as the check needs it, or a verdict: never taken at face value.

Whatever a runner hands back (None, a string, an int of 400 digits, an array of the wrong rank or
dtype, NaN, a nested list, an object nothing can read), a check that reads it through these helpers
ends with a failed verdict that says what was found and what was expected, not with a numpy error
inside the judge (a grader-error):

    batch = student_array(obs, "batch", ndim=3, dtype="float", finite=True)

A check that depends on a student's *earlier* answer wraps the read in `earlier(...)`: where that
answer is itself wrong or unusable, the check is skipped with the reason ("dépend de `batch`,
incorrect en q1"), so the mistake is charged once, to its own question:

    batch = earlier(obs, "batch", "q1", lambda: student_array(obs, "batch", ndim=3))
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import numpy as np

from grader.judge.expect import as_array, as_number, shape_failure
from grader.judge.registry import CheckFailed, Failure, fail, pair
from grader.model import Message, Status

T = TypeVar("T")

#: dtype requirement -> (numpy kinds accepted, French words, English words)
DTYPES = {
    "numeric": ("biuf", "des nombres", "numbers"),
    "float": ("f", "des flottants (float32)", "floats (float32)"),
    "integer": ("biu", "des entiers", "integers"),
}


def _shape_text(shape: Sequence[int | None]) -> str:
    inner = ", ".join("?" if s is None else str(s) for s in shape)
    return f"({inner},)" if len(shape) == 1 else f"({inner})"


def require_array(value: Any, label: str, *, ndim: int | Sequence[int] | None = None,
                  shape: Sequence[int | None] | None = None, dtype: str = "numeric", finite: bool = False,
                  nonempty: bool = False, hint: str | Message = "", hint_en: str = "") -> np.ndarray:
    """`value` (already observed) as an ndarray meeting every requirement, else a failed verdict.

    `ndim`: one rank or several accepted ones; `shape`: `None` entries accept any size on that axis;
    `dtype`: "numeric" (default), "float", "integer" or None (anything numpy can hold).
    `hint`: what to try, in both languages (`hint` and `hint_en`, or a Message), else ValueError.
    """
    what_to_try = pair(hint, hint_en)
    name = Message(label, label)
    arr = as_array(value, label, numeric=dtype is not None)
    if dtype is not None and arr.dtype.kind not in DTYPES[dtype][0]:
        _, fr, en = DTYPES[dtype]
        fail(Failure(name, Message(f"contient des valeurs {arr.dtype}", f"holds {arr.dtype} values"),
                     Message(fr, en), what_to_try))
    if shape is not None:
        ok = arr.ndim == len(shape) and all(e is None or e == f for e, f in zip(shape, arr.shape, strict=False))
        if not ok:
            fail(shape_failure(label, tuple(arr.shape), _shape_text(shape), what_to_try))
    if ndim is not None:
        ranks = (ndim,) if isinstance(ndim, int) else tuple(ndim)
        if arr.ndim not in ranks:
            want = Message(" ou ".join(map(str, ranks)) + " dimensions", " or ".join(map(str, ranks)) + " dimensions")
            fail(Failure(name, Message(f"a la forme {tuple(arr.shape)} ({arr.ndim} dimension(s))",
                                       f"has shape {tuple(arr.shape)} ({arr.ndim} dimension(s))"), want, what_to_try))
    if nonempty and arr.size == 0:
        fail(f"{label} est vide (forme {tuple(arr.shape)}).", f"{label} is empty (shape {tuple(arr.shape)}).")
    if finite and arr.dtype.kind in "fc" and not np.all(np.isfinite(arr)):
        bad = int(arr.size - np.count_nonzero(np.isfinite(arr)))
        fail(f"{label} contient {bad} valeur(s) non finie(s) (nan ou inf).",
             f"{label} holds {bad} non-finite value(s) (nan or inf).")
    return arr


def student_array(obs, name: str, *, label: str | None = None, **requirements: Any) -> np.ndarray:
    """The student's top-level `name` as an ndarray meeting `requirements` (see `require_array`)."""
    return require_array(obs.value(name), label or f"`{name}`", **requirements)


def student_number(obs, name: str, *, label: str | None = None, finite: bool = True,
                   within: tuple[float, float] | None = None) -> float:
    """The student's top-level `name` as a float (a Python number or a size-1 array), else a verdict."""
    label = label or f"`{name}`"
    x = as_number(obs.value(name), label)
    if finite and not np.isfinite(x):
        fail(f"{label} vaut {x} ; un nombre fini est attendu.", f"{label} is {x}; a finite number is expected.")
    if within is not None and not within[0] <= x <= within[1]:
        fail(f"{label} vaut {x:.4g} ; attendu entre {within[0]:g} et {within[1]:g}.",
             f"{label} is {x:.4g}; expected between {within[0]:g} and {within[1]:g}.")
    return x


def earlier(obs, name: str, question: str, read: Callable[[], T] | None = None) -> T:
    """The student's earlier answer `name` (asked in `question`), for a check that builds on it.

    `read()` (default: `obs.value(name)`) fails when that answer is missing, raises, or is not
    usable as this check needs it; the check is then skipped, saying why, instead of being failed
    a second time for the same mistake (or crashing on it).
    """
    try:
        return read() if read is not None else obs.value(name)
    except CheckFailed as e:
        raise skipped_for(name, question, e) from e


def skipped_for(name: str, question: str, cause: CheckFailed) -> CheckFailed:
    """The SKIPPED failure of a check whose input `name` (from `question`) failed with `cause`."""
    if cause.status is Status.SKIPPED:
        return cause
    if cause.status is Status.MISSING:
        fr, en = f"non défini en {question}", f"not defined in {question}"
    elif cause.status in (Status.ERROR, Status.TIMEOUT, Status.CRASH, Status.MEMORY):
        fr, en = f"inutilisable en {question}", f"unusable in {question}"
    else:
        fr, en = f"incorrect en {question}", f"wrong in {question}"
    return CheckFailed(Message(f"Non vérifié : dépend de `{name}`, {fr} ({cause.message.fr.rstrip('.')}).",
                               f"Not checked: depends on `{name}`, {en} ({cause.message.en.rstrip('.')})."),
                       Status.SKIPPED, cause.details)


def student_probed(obs, name: str, probe: Callable, *args: Any, field: str, expected: Message) -> dict:
    """What `probe(ns, name, *args)` (a runner-side probe) says of the student's `name`, once per submission.

    A missing `name` says so; where the answer's `field` is None, `name` is not of the kind asked: a
    failed verdict, "`name` is a <type>; expected <expected>" (`expected` worded in both languages)."""
    obs.describe(name)  # missing: says so
    info = obs.memo(("probed", name, getattr(probe, "__qualname__", repr(probe)), *map(repr, args)),
                    lambda: obs.run(probe, name, *args))
    if info[field] is None:
        raise fail(f"`{name}` est de type {info['type']} ; attendu {expected.fr}.",
                   f"`{name}` is a {info['type']}; expected {expected.en}.")
    return info


def student_model(obs, name: str) -> dict:
    """The student's top-level `name` is a Keras model (its description is returned), else a verdict."""
    from grader.judge.layers import KERAS_MODEL  # the Keras class path, spelled once

    desc = obs.describe(name)
    if KERAS_MODEL not in (desc.get("mro") or ()):
        fail(f"`{name}` est de type {desc.get('type')} ; attendu un modèle Keras.",
             f"`{name}` is a {desc.get('type')}; expected a Keras model.")
    return desc
