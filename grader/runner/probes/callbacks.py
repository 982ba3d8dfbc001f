"""Keras callbacks read through the attributes Keras keeps on them (runner side), as plain data."""

from __future__ import annotations

from typing import Any

from grader.runner.probes.values import attributes


def describe(ns: dict, name: str, keys: list[str]) -> dict[str, Any]:
    """The notebook's callback `name`: {"type", "mro", key: value...}; a list's item types under "items"."""
    cb = ns[name]
    out = attributes(cb, keys)
    if isinstance(cb, (list, tuple)):
        out["items"] = [type(c).__qualname__ for c in cb][:10]
    return out


def describe_list(ns: dict, name: str, keys: list[str], limit: int = 20) -> dict[str, Any]:
    """The notebook's list of callbacks `name`: {"type", "items": [attributes] or None, "single": attributes
    (when it is not a list)}."""
    cbs = ns[name]
    out: dict[str, Any] = {"type": type(cbs).__qualname__, "items": None}
    if isinstance(cbs, (list, tuple)):
        out["items"] = [attributes(cb, keys) for cb in list(cbs)[:limit]]
    else:
        out["single"] = attributes(cbs, keys)
    return out
