"""Executors: how a class's submissions reach `grade_submission()` — threads here, Ray on a cluster.

An executor grades a list of `Work` items and hands each outcome back on the head (the process
that owns the gradebook) through `on_graded`; `on_check` streams check results as they exist where
the executor can (threads can, a remote task returns them all at once). The gradebook, resume and
reports stay on the head, so every executor gives the same results and the same files.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from grader.assignments import LoadedAssignment
from grader.intake.submission import Submission
from grader.interrupt import Stop
from grader.model import CheckResult
from grader.pipeline import Graded, GradingOptions


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


def make(name: str = "local", *, workers: int = 1, address: str | None = None, warm: bool = False,
         stop: Stop | None = None) -> Executor:
    """The executor called `name` ("local" or "ray"). `stop` is the run's stop switch (Ctrl-C, a full
    disk): the local executor polls it; a remote one is stopped by KeyboardInterrupt in the head."""
    if name == "local":
        from grader.executors.local import ThreadExecutor

        return ThreadExecutor(workers, stop=stop or Stop())
    if name == "ray":
        from grader.executors.ray import RayExecutor

        return RayExecutor(workers, address=address, warm=warm)
    raise ValueError(f"unknown executor {name!r}: expected local or ray")
