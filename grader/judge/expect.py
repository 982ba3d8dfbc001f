"""Comparisons made in the judge, on plain data only, each failing with expected / found / hint."""

from __future__ import annotations

from typing import Any

import numpy as np

from grader.judge.registry import Failure, fail, pair
from grader.model import Message
from grader.runner.protocol import Opaque

#: What a check calls the value it reads: a name in backticks (the same in both languages) or, when
#: words are needed ("`sigmoid(z)` for |z| up to 1000"), a Message.
Label = str | Message


def _two(label: Label) -> tuple[str, str]:
    """(French, English) of a label; a plain string is a name, the same in both."""
    if isinstance(label, Message):
        return label.fr, label.en or label.fr
    return str(label), str(label)


def _kind(value: Any, lang: str = "fr") -> str:
    if isinstance(value, Opaque):
        return value.type_name
    if isinstance(value, np.ndarray):
        return f"{'array' if lang == 'en' else 'tableau'} {value.dtype}{list(value.shape)}"
    return type(value).__name__


def as_array(value: Any, label: Label, *, numeric: bool = True) -> np.ndarray:
    """A base ndarray from an observed value (tensor, array, nested list); never a student object."""
    fr, en = _two(label)
    if isinstance(value, np.ndarray):
        arr = value
    elif isinstance(value, (list, tuple, int, float, bool)):
        try:
            arr = np.asarray(value)
        except (ValueError, TypeError):
            arr = np.asarray(value, dtype=object)
    else:
        raise fail(f"{fr} n'est pas un tableau ni un tenseur (type {_kind(value)}).",
                   f"{en} is not an array or tensor (type {_kind(value, 'en')}).")
    if numeric and arr.dtype.kind not in "biuf":
        raise fail(f"{fr} ne contient pas des nombres (dtype {arr.dtype}).",
                   f"{en} does not hold numbers (dtype {arr.dtype}).")
    return arr


def as_number(value: Any, label: Label) -> float:
    """A float from a Python number or a size-1 array/tensor."""
    fr, en = _two(label)
    if isinstance(value, bool):
        raise fail(f"{fr} est un booléen, un nombre est attendu.", f"{en} is a boolean, a number is expected.")
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, np.ndarray) and value.size == 1 and value.dtype.kind in "biuf":
        return float(value.reshape(()))
    raise fail(f"{fr} devrait être un nombre ; trouvé {_kind(value)}.",
               f"{en} should be a number; found {_kind(value, 'en')}.")


def as_tuple(value: Any, label: Label, n: int) -> tuple:
    """`n` returned values: a tuple or list, or a 1-D array/tensor of `n` numbers (e.g. `tf.stack`)."""
    if isinstance(value, np.ndarray) and value.ndim == 1 and value.shape[0] == n:
        return tuple(value)
    if not isinstance(value, (tuple, list)) or len(value) != n:
        fr, en = _two(label)
        sized = isinstance(value, (tuple, list))
        found = f"{type(value).__name__} de longueur {len(value)}" if sized else _kind(value)
        found_en = f"{type(value).__name__} of length {len(value)}" if sized else _kind(value, "en")
        raise fail(f"{fr} devrait renvoyer {n} valeurs (un tuple) ; trouvé {found}.",
                   f"{en} should return {n} values (a tuple); found {found_en}.")
    return tuple(value)


def shape_failure(label: Label, found: tuple, want: str, hint: Message) -> Failure:
    """'`x` a la forme (3,) ; attendu (4,).' in both languages, with the hint."""
    fr, en = _two(label)
    return Failure(Message(fr, en), Message(f"a la forme {found}", f"has shape {found}"), Message(want, want), hint)


def expect_shape(arr: np.ndarray, shape: tuple, label: Label, hint: str | Message = "",
                 hint_en: str = "") -> None:
    """`None` in `shape` accepts any size on that axis. A hint comes in both languages (`hint` and
    `hint_en`, or a Message), else ValueError: an English failure must never carry a French hint."""
    what_to_try = pair(hint, hint_en)
    ok = arr.ndim == len(shape) and all(e is None or e == f for e, f in zip(shape, arr.shape, strict=False))
    if not ok:
        want = "(" + ", ".join("?" if e is None else str(e) for e in shape) + ")"
        fail(shape_failure(label, tuple(arr.shape), want, what_to_try))


def expect_float(arr: np.ndarray, label: Label) -> None:
    if arr.dtype.kind != "f":
        fr, en = _two(label)
        raise fail(f"{fr} est de type {arr.dtype} ; un type flottant est attendu (float32). "
                   "Convertissez avec tf.cast(..., tf.float32) ou .astype('float32').",
                   f"{en} has dtype {arr.dtype}; a float dtype is expected (float32). "
                   "Convert with tf.cast(..., tf.float32) or .astype('float32').")


def expect_finite(arr: np.ndarray, label: Label) -> None:
    if not np.all(np.isfinite(arr)):
        bad = int(np.size(arr) - np.count_nonzero(np.isfinite(arr)))
        fr, en = _two(label)
        raise fail(f"{fr} contient {bad} valeur(s) non finie(s) (nan ou inf).",
                   f"{en} holds {bad} non-finite value(s) (nan or inf).")


def expect_close(found: np.ndarray, expected: np.ndarray, label: Label, *, rtol: float = 1e-4,
                 atol: float = 1e-5, hint: str | Message = "", hint_en: str = "") -> None:
    """Element-wise closeness; the message names the worst entry. The hint comes in both languages
    (see `expect_shape`)."""
    what_to_try = pair(hint, hint_en)
    fr, en = _two(label)
    found = np.asarray(found, dtype=np.float64)
    expected = np.asarray(expected, dtype=np.float64)
    if found.shape != expected.shape:
        fail(shape_failure(label, found.shape, str(expected.shape), what_to_try))
    with np.errstate(invalid="ignore"):
        err = np.abs(found - expected) - (atol + rtol * np.abs(expected))
    err = np.where(np.isnan(err), np.inf, err)
    if err.size and np.max(err) > 0:
        idx = np.unravel_index(int(np.argmax(err)), err.shape)
        where = f" à l'indice {tuple(int(i) for i in idx)}" if err.ndim else ""
        where_en = f" at index {tuple(int(i) for i in idx)}" if err.ndim else ""
        n_bad = int(np.count_nonzero(err > 0))
        fail(Failure(Message(f"{fr} :", f"{en}:"),
                     Message(f"{n_bad} valeur(s) sur {err.size} diffèrent de l'attendu ; pire écart{where} : "
                             f"trouvé {found[idx]:.6g}",
                             f"{n_bad} of {err.size} value(s) differ from the expected ones; worst{where_en}: "
                             f"found {found[idx]:.6g}"),
                     Message(f"{expected[idx]:.6g}", f"{expected[idx]:.6g}"), what_to_try))


def relative_error(found: np.ndarray, expected: np.ndarray) -> float:
    """max |a-b| / max(|a|, |b|, tiny): the gradient-check measure."""
    found = np.asarray(found, dtype=np.float64)
    expected = np.asarray(expected, dtype=np.float64)
    scale = max(float(np.max(np.abs(found), initial=0.0)), float(np.max(np.abs(expected), initial=0.0)), 1e-12)
    return float(np.max(np.abs(found - expected), initial=0.0)) / scale
