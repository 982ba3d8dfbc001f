"""What the student side runs: `check("q1")` in the notebook, from the release bundle alone.

The released student notebook's init cell calls `init("<TP>")`: it finds the bundle `grader release`
wrote (`grader.selfcheck.bundle`) and loads its public checks; each `check("q1")` cell then runs that
question's public checks against the kernel's own namespace (`grader.selfcheck.kernel`: the runner's
operations and the judge's plain data, in one process) and shows the verdict under the cell
(`grader.selfcheck.render`), `check_all()` every question's. Nothing here holds a reference, a hidden
check or a threshold: the bundle never had them. It only tells the student; the grade is computed by
the grader, which drops these cells at intake (`grader.selfcheck.check_cells`).

The API is imported lazily: intake imports `grader.selfcheck.check_cells` and must not pay for the kernel side.
"""

from __future__ import annotations

from typing import Any

__all__ = ["check", "check_all", "init"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from grader.selfcheck import api

        return getattr(api, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
