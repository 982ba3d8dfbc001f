"""What an executor is handed and hands back: a `Work` item per submission, two callbacks, the protocol.

Apart from `make` (in the package) so that the executors themselves import it without importing
each other.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from grader.assignments import LoadedAssignment
from grader.grading.submission import Graded, GradingOptions
from grader.intake.record import Submission
from grader.model import CheckResult


@dataclass(frozen=True)
class Work:
    """One submission to grade: its attempt number and the checks a previous attempt stored."""

    sub: Submission
    attempt: int = 1
    done: dict[str, CheckResult] = field(default_factory=dict)


OnCheck = Callable[[Work, CheckResult], None]
OnGraded = Callable[[Work, Graded], None]


class Executor(Protocol):
    name: str
    workers: int

    def grade(self, loaded: LoadedAssignment, opts: GradingOptions, work: Sequence[Work], *,
              on_check: OnCheck, on_graded: OnGraded) -> None:
        """Grade every item; `on_graded` is called once per item, on the head, whatever happened."""
        ...
