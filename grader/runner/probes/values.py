"""A student's plain values read without trusting their type (runner side): a numeric array, the items
of a list of names, a dict of numbers, a table of number fields. Each answer says what the value
was when it is not what was hoped for, so the judge can word the verdict."""

from __future__ import annotations

from typing import Any

import numpy as np

from grader.runner.probes import error_text, type_info


def type_of(ns: dict, name: str) -> dict[str, Any]:
    """{"type", "mro"} of the notebook's `name`."""
    return type_info(ns[name])


def numeric_array(ns: dict, name: str) -> dict[str, Any]:
    """{"type", "array" (float64, None when not numeric), "error"}."""
    value = ns[name]
    out: dict[str, Any] = {"type": type(value).__qualname__, "array": None, "error": None}
    try:
        a = np.asarray(value)
        if a.dtype.kind in "biuf":
            out["array"] = a.astype(np.float64)
        else:
            out["error"] = f"dtype {a.dtype}"
    except Exception as e:  # noqa: BLE001 - any value: its error is the answer
        out["error"] = error_text(e)
    return out


def string_items(ns: dict, name: str, limit: int = 50) -> dict[str, Any]:
    """{"type", "items": [{"type", "str" (None for a non-string), "repr"}] or None, "length"}."""
    value = ns[name]
    out: dict[str, Any] = {"type": type(value).__qualname__, "items": None}
    try:
        items = list(value) if not isinstance(value, (str, bytes, dict)) else None
    except Exception:  # noqa: BLE001
        items = None
    if items is not None:
        out["items"] = [{"type": type(x).__qualname__, "str": str(x)[:60] if isinstance(x, (str, np.str_)) else None,
                         "repr": repr(x)[:60]} for x in items[:limit]]
        out["length"] = len(items)
    return out


def _number(v: Any) -> dict[str, Any]:
    """{"value", "integral"} for one number, else {"type", "size"}."""
    try:
        a = np.asarray(v)
        if a.size == 1 and a.dtype.kind in "biuf" and not isinstance(v, (bool, np.bool_)):
            return {"value": float(a.reshape(())), "integral": a.dtype.kind in "iu"}
        return {"type": type(v).__qualname__, "size": int(a.size)}
    except Exception:  # noqa: BLE001
        return {"type": type(v).__qualname__, "size": None}


def number_map(ns: dict, name: str) -> dict[str, Any]:
    """A dict of numbers: {"type", "keys": reprs, "items": {str(key): float or {"size"} or {"error"}}};
    "items" is None when the value is not a dict."""
    value = ns[name]
    out: dict[str, Any] = {"type": type(value).__qualname__, "items": None}
    if isinstance(value, dict):
        items: dict[str, Any] = {}
        for k, v in value.items():
            try:
                a = np.asarray(v, dtype=np.float64)
                items[str(k)] = float(a.reshape(())) if a.size == 1 else {"size": int(a.size)}
            except Exception:  # noqa: BLE001
                items[str(k)] = {"error": type(v).__name__}
        out["items"] = items
        out["keys"] = [repr(k) for k in value]
    return out


def number_table(ns: dict, name: str, rows: list[str], fields: list[str]) -> dict[str, Any]:
    """A dict of dicts of numbers (`comparison["cnn"]["accuracy"]`): {"type", "keys" (None: not a dict),
    "rows": {row: {"type": "dict", "keys", field: {"value", "integral"} or {"type", "size"}} or {"type"}}}."""
    value = ns[name]
    out: dict[str, Any] = {"type": type(value).__qualname__, "keys": None, "rows": {}}
    if not isinstance(value, dict):
        return out
    out["keys"] = [repr(k) for k in value]
    for key in rows:
        row = value.get(key)
        if not isinstance(row, dict):
            out["rows"][key] = {"type": type(row).__qualname__}
            continue
        entry: dict[str, Any] = {"type": "dict", "keys": [repr(k) for k in row]}
        for field in fields:
            if field in row:
                entry[field] = _number(row[field])
        out["rows"][key] = entry
    return out


def attributes(obj: Any, keys: list[str] | tuple[str, ...]) -> dict[str, Any]:
    """{"type", "mro", key: plain value (its repr when not a number, string or None)} of an object."""
    out: dict[str, Any] = type_info(obj)
    for key in keys:
        value = getattr(obj, key, None)
        out[key] = value if value is None or isinstance(value, (bool, int, float, str)) else repr(value)[:100]
    return out
