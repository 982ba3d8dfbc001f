"""Threads on this machine: each thread drives one runner process (the work happens in the runner).

The main thread only waits, polling the run's `Stop`: on Ctrl-C (or a full disk) submissions not
started are never dispatched, the runners in flight are stopped so that their threads come back,
and a submission whose thread ends with the stop is left unfinished for the next run."""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace

from grader.assignments import LoadedAssignment
from grader.grading.executors.work import OnCheck, OnGraded, Work
from grader.grading.interrupt import Interrupted, RunStopped, Stop, Stopping
from grader.grading.submission import GradingOptions, grade_submission


@dataclass
class ThreadExecutor:
    workers: int = 1
    name: str = "local"
    stop: Stop = field(default_factory=Stop)  # the run's (SIGINT, full disk); a private one never stops

    def grade(self, loaded: LoadedAssignment, opts: GradingOptions, work: Sequence[Work], *,
              on_check: OnCheck, on_graded: OnGraded) -> None:
        stop = self.stop
        opts = replace(opts, starter=stop.starter(opts.starter))  # no runner starts once stopped

        def one(item: Work) -> None:
            if stop.stopped:
                return
            try:
                graded = grade_submission(item.sub, loaded, opts, attempt=item.attempt, done=item.done,
                                          on_check=lambda r: on_check(item, r))
                stop.check()  # what came back after the stop may come from a killed runner: not kept
                on_graded(item, graded)
            except RunStopped as e:  # unfinished: the next run resumes it from the checks stored before the stop
                if not isinstance(e, Stopping):
                    stop.halt(e)  # a stop this submission met (the host's disk full): the whole run's

        pool = ThreadPoolExecutor(max_workers=max(1, self.workers))
        futures = [pool.submit(one, item) for item in work]
        try:
            stop.wait(futures)
        except KeyboardInterrupt as e:  # no handler of ours (not the main thread's SIGINT): the same stop
            stop.halt(e if isinstance(e, RunStopped) else Interrupted())
            stop.wait(futures)
            raise
        finally:
            pool.shutdown(wait=not stop.stopped, cancel_futures=True)
        for future in futures:
            if future.done() and not future.cancelled():
                future.result()  # our own bug in a callback: raised here, as before
