"""What `fit` left behind (runner side): the student's `History` as numbers, and the budget caps the
runner's `fit` ran under (`grader.runner.patches`)."""

from __future__ import annotations

from typing import Any

from grader.runner.probes import type_info


def caps(ns: dict) -> list[dict[str, Any]]:
    """Per `fit` call so far, what the budget capped: {"epochs": [asked, given], "train_size": ...}."""
    from grader.runner import patches

    return patches.caps()


def metrics(ns: dict, name: str, *, max_keys: int = 12, max_values: int = 1000) -> dict[str, list[float]] | None:
    """{metric: [floats]} of a `History` (or of its `.history` dict); None when `name` holds neither.
    A metric whose values are not numbers is left out."""
    h = ns[name]
    hist = h if isinstance(h, dict) else getattr(h, "history", None)
    if not isinstance(hist, dict):
        return None
    out: dict[str, list[float]] = {}
    for key, values in list(hist.items())[:max_keys]:
        try:
            out[str(key)[:40]] = [float(v) for v in list(values)[:max_values]]
        except Exception:  # noqa: BLE001
            pass
    return out


def describe(ns: dict, name: str) -> dict[str, Any]:
    """{"type", "mro", "history": {metric: [floats] or None} (None: no `.history` dict), "epoch": [ints]}."""
    h = ns[name]
    out: dict[str, Any] = {**type_info(h), "history": None, "epoch": None}
    hist = getattr(h, "history", None)
    if isinstance(hist, dict):
        found: dict[str, list[float] | None] = {}
        for key, values in hist.items():
            try:
                found[str(key)] = [float(v) for v in values]
            except Exception:  # noqa: BLE001
                found[str(key)] = None
        out["history"] = found
        out["epoch"] = [int(e) for e in (getattr(h, "epoch", None) or [])]
    return out
