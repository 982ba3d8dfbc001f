"""The time charged to a student: wall-clock time, less the time their code was ready to run but the
machine gave the CPU to someone else.

On a busy machine (other jobs, a shared server, a laptop compiling) a correct submission can take
four times as long by the wall clock, and used to be stopped at its time limit: a verdict that
changed with the machine's load. Linux keeps, per thread, the time it spent runnable but waiting on
a run queue (`/proc/<pid>/task/<tid>/schedstat`, second field, nanoseconds: "run_delay"). The charged
time of a stretch of work is its wall time less the largest such wait among the threads that did
it: a busy loop on a quiet machine is charged its wall time (it never waits), a sleeping cell too
(it is not runnable, so it never waits on a run queue), and a training starved by six other
processes is charged only the time it actually got to run. The largest wait, not the sum: two
threads waiting side by side lost that time once.

A thread that ended during the stretch takes its waits with it (its file is gone): the charge is then
a little higher, never lower, than the work. Where schedstat is missing, charged time is wall time.
Limits built on it keep a wall-clock safety net (`HARD_FACTOR` times the limit), so nothing waits
forever on a machine that never frees up. Used on both sides: the runner's own cell alarm
(`grader.runner.worker`) and the grader's limits on the runner's process tree (`grader.runner.process`).
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable

#: the wall-clock safety net of a charged-time limit: HARD_FACTOR x the limit (plus HARD_SLACK seconds)
HARD_FACTOR = 5.0
HARD_SLACK = 30.0


def thread_waits(pids: Iterable[int]) -> dict[tuple[int, int], int]:
    """(pid, tid) -> nanoseconds that thread has waited for a CPU, for every thread of `pids`."""
    out: dict[tuple[int, int], int] = {}
    for pid in pids:
        try:
            tids = os.listdir(f"/proc/{pid}/task")
        except OSError:
            continue
        for tid in tids:
            try:
                with open(f"/proc/{pid}/task/{tid}/schedstat", "rb") as f:
                    out[(pid, int(tid))] = int(f.read().split()[1])
            except (OSError, ValueError, IndexError):
                continue
    return out


class ChargedClock:
    """Charged seconds since `start()`: wall time less the largest CPU wait of the threads `pids()` lists.

    `pids` is asked each time (a process tree grows and shrinks); threads that appear later count
    their whole wait, being born during the stretch."""

    def __init__(self, pids, started: float | None = None):
        self.pids = pids
        self.started = time.monotonic() if started is None else started  # waits before `base` are charged
        self.base = thread_waits(pids())

    def waited(self) -> float:
        """Seconds the busiest-waiting thread spent ready to run but not running, since `start`."""
        now = thread_waits(self.pids())
        longest = max((ns - self.base.get(key, 0) for key, ns in now.items()), default=0)
        return max(0, longest) / 1e9

    def wall(self) -> float:
        return time.monotonic() - self.started

    def charged(self) -> float:
        return max(0.0, self.wall() - self.waited())


def hard_limit(limit: float) -> float:
    """The wall-clock safety net of a `limit` in charged seconds."""
    return HARD_FACTOR * limit + HARD_SLACK
