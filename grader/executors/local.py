"""Threads on this machine: each thread drives one runner process (the work happens in the runner)."""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from grader.assignments import LoadedAssignment
from grader.executors import OnCheck, OnGraded, Work
from grader.pipeline import GradingOptions, grade_submission


@dataclass
class ThreadExecutor:
    workers: int = 1
    name: str = "local"

    def grade(self, loaded: LoadedAssignment, opts: GradingOptions, work: Sequence[Work], *,
              on_check: OnCheck, on_graded: OnGraded) -> None:
        def one(item: Work) -> None:
            graded = grade_submission(item.sub, loaded, opts, attempt=item.attempt, done=item.done,
                                      on_check=lambda r: on_check(item, r))
            on_graded(item, graded)

        with ThreadPoolExecutor(max_workers=max(1, self.workers)) as pool:
            for future in [pool.submit(one, item) for item in work]:
                future.result()
