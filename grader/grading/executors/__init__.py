"""Executors: how a class's submissions reach `grade_submission()` — threads here, Ray on a cluster.

An executor grades a list of `Work` items and hands each outcome back on the head (the process
that owns the gradebook) through `on_graded`; `on_check` streams check results as they exist where
the executor can (threads can, a remote task returns them all at once). The gradebook, resume and
reports stay on the head, so every executor gives the same results and the same files.
"""

from __future__ import annotations

from grader.grading.executors.work import Executor
from grader.grading.interrupt import Stop


def make(name: str = "local", *, workers: int = 1, address: str | None = None, warm: bool = False,
         stop: Stop | None = None) -> Executor:
    """The executor called `name` ("local" or "ray"). `stop` is the run's stop switch (Ctrl-C, a full
    disk): the local executor polls it; a remote one is stopped by KeyboardInterrupt in the head."""
    if name == "local":
        from grader.grading.executors.local import ThreadExecutor

        return ThreadExecutor(workers, stop=stop or Stop())
    if name == "ray":
        from grader.grading.executors.ray import RayExecutor

        return RayExecutor(workers, address=address, warm=warm)
    raise ValueError(f"unknown executor {name!r}: expected local or ray")
