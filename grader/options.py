"""How a run is asked for, as one typed record from the command line to the runners.

`grader run`, `grader check`, the LMS modes, calibration and the tests all build a `GradeOptions`
(the CLI from its flags, the others with keywords) and `grader.grading.grade` reads only it: an
option exists once, with its type and default, and never travels as an untyped dict. What reaches a
runner is derived from it (`grader.grading.plan`: limits, budget, served datasets).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from grader.late import Submitted


class UsageError(Exception):
    """The instructor's command cannot run as given (exit code 2); `str()` is in the run's language."""


@dataclass(frozen=True)
class GradeOptions:
    """Everything a class run depends on besides the submissions' path."""

    out: Path = Path("out")
    assignment: str | None = None  # None: the TP most notebooks name
    workers: int | None = 1  # None: as many as the machine holds (grader.grading.executors.sizing)
    force: bool = False  # regrade unchanged submissions; replace another TP's or class's OUT
    lang: str = "fr"
    limits: Mapping | None = None  # overrides of the TOML's [limits] (time, memory, output)
    profile: str | None = None  # "cpu" | "gpu"; None: detected
    budget: Mapping | None = None  # overrides of the profile's training budget
    sandbox: str = "auto"  # which sandbox layers: "auto" | "0" | "1" | "2" ...
    courses: tuple[str | Path, ...] = ()  # course folders searched before the built-in course
    public_only: bool = False  # `grader check`: the checks students may see
    executor: str = "local"  # "local" threads or "ray"
    address: str | None = None  # a Ray cluster's address ("auto", "HOST:PORT"); None: start a local one
    warm: bool | None = None  # runners forked from a warm server; None: `use_starter`'s if set, else warm
    submitted: Mapping[str, Submitted] = field(default_factory=dict)  # submission times an LMS knows
    due: str | None = None  # this run's due date, replacing the TOML's [late] one
    extensions: str | None = None  # a CSV `student,due` of extensions
    guard: bool = False  # refuse an OUT holding another TP's or class's run (unless `force`)

    @classmethod
    def of(cls, out: Path | str | None = None, *, courses: Iterable[str | Path] = (), **options) -> GradeOptions:
        """The record from keywords (library callers, tests): `out` a path, `courses` any iterable."""
        return cls(out=Path(out) if out is not None else Path("out"), courses=tuple(courses), **options)
