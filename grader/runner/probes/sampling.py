"""A few rows of the student's data arrays (runner side), never the whole array.

`sample` draws the same rows for every name of a group (images and their labels), so the judge
can check labels against the images it recognises."""

from __future__ import annotations

from typing import Any

import numpy as np

from grader.runner.probes import error_text


def sample(ns: dict, groups: list[list[str]], seed: int, k: int, head: int) -> dict[str, Any]:
    """Per name: None (not defined), {"error"} (not an array) or {"shape", "dtype", "idx", "rows" (the
    sampled rows), "head" (the first `head` rows, to fit the student's scaling)}."""
    rng = np.random.default_rng(int(seed))
    out: dict[str, Any] = {}
    for names in groups:
        idx = None
        for name in names:
            if name not in ns:
                out[name] = None
                continue
            try:
                arr = np.asarray(ns[name])
            except Exception as e:  # noqa: BLE001 - the student's value: its error is the answer
                out[name] = {"error": error_text(e)}
                continue
            n = int(arr.shape[0]) if arr.ndim else 0
            if idx is None or len(idx) and idx.max() >= n:
                idx = np.sort(rng.choice(n, size=min(int(k), n), replace=False)) if n else np.zeros(0, dtype=int)
            out[name] = {"shape": list(arr.shape), "dtype": str(arr.dtype), "idx": idx,
                         "rows": arr[idx] if arr.ndim else arr, "head": arr[:int(head)] if arr.ndim else arr}
    return out
