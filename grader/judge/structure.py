"""Structural expectations on a student's answer, from its description alone (nothing converted).

`grader assign` writes starter checks that call these: the answer exists and looks like the
reference's (type, shape, kind of number), whatever the library that made it.
"""

from __future__ import annotations

from grader.judge.observe import Observer
from grader.judge.registry import fail

KINDS = {"f": ("des flottants", "floats"), "i": ("des entiers", "integers"), "b": ("des booléens", "booleans"),
         "c": ("des complexes", "complex numbers")}


def dtype_kind(dtype: str) -> str:
    """float32, tf.float32 and torch.float32 alike: the kind of number is the answer, not its precision."""
    words = dtype.lower().replace("'", " ").replace(".", " ").replace(">", " ").split()
    name = words[-1] if words else ""
    for prefix, kind in (("bool", "b"), ("complex", "c"), ("uint", "i"), ("int", "i"), ("float", "f"),
                         ("bfloat", "f"), ("half", "f"), ("double", "f")):
        if name.startswith(prefix):
            return kind
    return name


def expect_like(obs: Observer, name: str, types: tuple[str, ...] = (), shape: str | None = None,
                dtype: str | None = None) -> None:
    """`name` is defined (else the check reports it missing) and looks like the reference's value."""
    found = obs.describe(name)
    mro = found.get("mro") or ()
    if types and not set(types) & {found.get("type"), *mro}:
        fail(f"`{name}` est de type {found.get('type')} ; attendu {' ou '.join(types)}, comme la "
             f"solution. Vérifiez ce que vous affectez à `{name}`.",
             f"`{name}` is a {found.get('type')}; expected {' or '.join(types)}, as in the solution. "
             f"Check what you assign to `{name}`.")
    if shape is not None and found.get("shape") != shape:
        fail(f"`{name}` a la forme {found.get('shape', '(aucune)')} ; attendu {shape}.",
             f"`{name}` has shape {found.get('shape', '(none)')}; expected {shape}.")
    if dtype is not None and dtype_kind(str(found.get("dtype", ""))) != dtype_kind(dtype):
        fr, en = KINDS.get(dtype_kind(dtype), (dtype, dtype))
        fail(f"`{name}` contient des valeurs {found.get('dtype')} ; attendu {fr} ({dtype}).",
             f"`{name}` holds {found.get('dtype')} values; expected {en} ({dtype}).")


def expect_function(obs: Observer, name: str) -> None:
    """`name` is defined and callable (a stub that raises NotImplementedError is too)."""
    found = obs.describe(name)
    if not found.get("callable"):
        fail(f"`{name}` doit être une fonction ; c'est un {found.get('type')}. Définissez-la avec `def`.",
             f"`{name}` must be a function; it is a {found.get('type')}. Define it with `def`.")


def expect_class(obs: Observer, name: str) -> None:
    """`name` is defined and is a class."""
    found = obs.describe(name)
    if "builtins.type" not in (found.get("mro") or ()):
        fail(f"`{name}` doit être une classe ; c'est un {found.get('type')}. Définissez-la avec `class`.",
             f"`{name}` must be a class; it is a {found.get('type')}. Define it with `class`.")
