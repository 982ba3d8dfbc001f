"""Time limits charge the student's work, not the machine's load (grader.runner.charged_time).

A busy machine is made for real: busy-loop processes pinned to the one CPU the runner may use.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time

import pytest

from grader.model import Status
from grader.runner.charged_time import ChargedClock
from grader.runner.session import Limits, RunnerSession

LOOP = "import os\nos.sched_setaffinity(0, {cpu})\nwhile True:\n    pass"


@contextlib.contextmanager
def busy_cpu(n: int):
    """`n` busy loops sharing CPU 0 with this process (and the runners it starts)."""
    cpu = sorted(os.sched_getaffinity(0))[0]
    before = os.sched_getaffinity(0)
    loops = [subprocess.Popen([sys.executable, "-c", LOOP.format(cpu={cpu})]) for _ in range(n)]
    os.sched_setaffinity(0, {cpu})
    try:
        time.sleep(0.3)
        yield
    finally:
        os.sched_setaffinity(0, before)
        for p in loops:
            p.kill()
            p.wait()


def _spin(seconds: float) -> None:
    end = time.process_time() + seconds
    while time.process_time() < end:
        pass


def test_a_thread_that_waits_for_the_cpu_is_not_charged_for_the_wait():
    with busy_cpu(4):
        clock = ChargedClock(lambda: (os.getpid(),))
        _spin(0.5)
        wall, charged = clock.wall(), clock.charged()
    assert wall > 1.5, f"the load did not slow the work down ({wall:.2f} s): the test proves nothing"
    assert charged < 0.5 * wall and charged > 0.3, (wall, charged)


def test_sleep_and_busy_work_are_both_charged():
    """Sleeping is not waiting for a CPU: a sleeper is charged by the clock, a loop for its CPU time
    (its wall time on a quiet machine)."""
    clock = ChargedClock(lambda: (os.getpid(),))
    time.sleep(0.4)
    _spin(0.3)
    assert 0.65 < clock.charged() <= clock.wall() + 1e-6, (clock.charged(), clock.wall())


WORK = "import time\nend = time.process_time() + 1.5\nwhile time.process_time() < end:\n    pass\ndone = True"


def test_correct_work_on_a_busy_machine_keeps_its_cells_and_a_loop_still_stops():
    """1.5 s of work under a 3 s cell limit, beside six busy loops on its CPU: ten seconds by the clock,
    and still not a time-out; the loop beside it is stopped at its charged limit."""
    limits = Limits(preload=(), cell_timeout=3, grace=2, wall_timeout=60, call_timeout=5)
    with busy_cpu(6):
        with RunnerSession([WORK, "while True:\n    pass", "after = 1"], None, limits) as s:
            started = time.monotonic()
            records = s.run_cells()
            assert s.observe("get", name="done")[0] is True
    work, loop, after = records
    assert work.status is Status.PASSED, (work.status, work.error)
    assert time.monotonic() - started > 3, "the load did not slow the work down: the test proves nothing"
    assert loop.status is Status.TIMEOUT and after.status is Status.PASSED
    assert s.charged < 20, s.charged  # the whole submission is charged its work, not the queue


def test_the_whole_submission_limit_counts_charged_time():
    limits = Limits(preload=(), cell_timeout=5, grace=2, wall_timeout=4, call_timeout=5)
    with RunnerSession([WORK, WORK, WORK, "last = 1"], None, limits) as s:
        records = s.run_cells()
    assert [r.status for r in records[:2]] == [Status.PASSED, Status.PASSED]
    assert Status.TIMEOUT in [r.status for r in records[2:]], [r.status for r in records]


@pytest.mark.parametrize("limit", [2])
def test_a_sleeping_cell_is_stopped_at_its_limit_on_a_quiet_machine(limit):
    limits = Limits(preload=(), cell_timeout=limit, grace=2, wall_timeout=60, call_timeout=5)
    with RunnerSession(["import time\ntime.sleep(100)"], None, limits) as s:
        started = time.monotonic()
        (record,) = s.run_cells()
        took = time.monotonic() - started
    assert record.status is Status.TIMEOUT and took < limit + 3, took
