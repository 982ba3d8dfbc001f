"""Plumbing of tp-diy's checks: the registry, the call of a probe, readers of observed values.

`checks` is the one registry every question module decorates; `checks.py` re-exports it for
the loader. `_run` calls a function of `probes.py` in the runner (`obs.run`) and turns the
student's labelled error it reports into the check's error.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import numpy as np
from sklearn.datasets import load_digits

from grader.checks import (
    CheckFailed,
    Failure,
    Message,
    Registry,
    Status,
    expect_close,
    fail,
    pair,
    quoted,
)

checks = Registry()


def _run(obs, fn: Callable[..., Any], *args: Any, timeout: float | None = None, **kwargs: Any) -> Any:
    """`fn(ns, *args, **kwargs)` in the runner, `fn` an entry point of `probes.py`; a `StudentError`
    it reports fails the check as an error that names the student's method which raised."""
    out = obs.run(fn, *args, timeout=timeout, **kwargs)
    if isinstance(out, dict) and "__student_error__" in out:
        where, trace = out["__student_error__"]
        last = quoted(str(trace).strip().splitlines()[-1]) if str(trace).strip() else ""
        raise CheckFailed(Message(f"`{where}` a levé une erreur : {last}", f"`{where}` raised an error: {last}"),
                          Status.ERROR, str(trace))
    return out


def _need(obs, *names: str) -> None:
    for name in names:
        if not obs.has(name):
            raise CheckFailed(Message(f"`{name}` n'est pas défini.", f"`{name}` is not defined."), Status.MISSING)


def _floats(value: Any) -> np.ndarray:
    """An observed value as a float array; anything else is the student's answer, not our bug."""
    try:
        return np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise fail(f"Valeur renvoyée illisible comme tableau de nombres : {value!r:.200}.",
                   f"Returned value cannot be read as an array of numbers: {value!r:.200}.") from None


def _shape(arr: np.ndarray, shape: tuple, where: str, given_fr: str, given_en: str = "",
           hint_fr: str = "", hint_en: str = "") -> None:
    what_to_try = pair(hint_fr, hint_en)
    given = pair(given_fr, given_en, part="given")
    if arr.shape != tuple(shape):
        fail(Failure(Message(f"`{where}` {given.fr}", f"`{where}` {given.en}"),
                     Message(f"donne la forme {arr.shape}", f"gives shape {arr.shape}"),
                     Message(str(tuple(shape)), str(tuple(shape))), what_to_try))


def _close(found: Any, expected: np.ndarray, where: str, hint_fr: str = "", hint_en: str = "") -> None:
    """Values at float32 precision pass (a student may compute in float32); mistakes are far larger."""
    expect_close(_floats(found), expected, f"`{where}`", rtol=1e-4, atol=1e-5, hint=hint_fr, hint_en=hint_en)


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return np.exp(-np.logaddexp(0.0, -z))


def _softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


@functools.lru_cache(maxsize=1)
def _digits() -> tuple[np.ndarray, np.ndarray]:
    data = load_digits()
    return data.data / 16.0, data.target
