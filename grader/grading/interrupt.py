"""Stopping a class run from the head (Ctrl-C, a full disk): nothing blamed on a student, nothing lost.

A stop is the head's decision, never a student's outcome. Once it is requested (`Stop.halt`):
- no new submission is dispatched and no runner starts (`Stop.starter` refuses);
- the runners in flight are stopped (SIGTERM to their supervisors, SIGKILL if they linger, the warm
  fork servers killed with their children), so the threads blocked on their requests return at once;
- whatever a thread learns after that moment (a cell "crashed", a check "failed" because its runner
  was killed) is dropped: storing a check or finishing a submission raises instead (`Stop.check`), so
  an interrupted submission stays unfinished, keeps the checks stored before the stop, and the next
  run resumes it (`Gradebook.begin`, `done_checks`);
- the head keeps every finished result and writes the reports for those.

`RunStopped` is a BaseException on purpose: the per-submission pipeline turns any `Exception` into
the submission's `error` status (our bug, or nothing could run); a stop must cross it unchanged.

SIGINT (and SIGTERM, the same way): the first one only sets a flag. A signal handler runs between two bytecodes of the main
thread, possibly while it holds a lock, so it takes none and kills nothing itself; the main thread
polls (`Stop.wait`, `Stop.check`) and does the rest within a fraction of a second. A second SIGINT
exits at once (130). Outside the main thread, or where SIGINT is ignored, nothing is installed.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import os
import signal
import sys
import threading
import time
import weakref
from collections.abc import Iterable, Iterator
from pathlib import Path

from grader.model import Message
from grader.runner import session as session_mod
from grader.runner.process import RunnerProcess, RunnerStarter, cold_starter
from grader.runner.sandbox import SandboxPlan

INTERRUPTED = Message("interrompu : relancez la même commande pour reprendre",
                      "interrupted: run the same command again to resume")


class RunStopped(BaseException):
    """The run stops for a reason of the head's, not the student's (see the module's docstring)."""


class Stopping(RunStopped):
    """Raised in a worker thread once the run is stopping: its submission is left unfinished."""


class Interrupted(RunStopped, KeyboardInterrupt):
    """Ctrl-C: finished results are kept and written; the same command resumes the rest."""

    def text(self, lang: str = "fr") -> str:
        return INTERRUPTED.get(lang)


class Stop:
    """One run's stop switch: the SIGINT handler, the runners it started, the wait for its threads."""

    GRACE = 12.0  # seconds the threads in flight get to come back once their runners are stopped
    TERM_GRACE = 2.0  # a supervisor given SIGTERM this long ago and still there gets SIGKILL

    def __init__(self, lang: str = "fr"):
        self.lang = lang
        self.reason: RunStopped | None = None
        self.since = 0.0
        self._event = threading.Event()
        self._lock = threading.Lock()
        self._runners: weakref.WeakSet = weakref.WeakSet()
        self._presses = 0
        self._servers_killed = False
        self._raising = False

    @property
    def stopped(self) -> bool:
        return self._event.is_set()

    def halt(self, reason: RunStopped) -> RunStopped:
        """Ask the run to stop; the first reason wins. Takes no lock: a signal handler may call it."""
        if self.reason is None:
            self.reason = reason
            self.since = time.monotonic()
        self._event.set()
        return self.reason

    def check(self) -> None:
        """Raise the stop here: in the main thread its reason, in a worker `Stopping`."""
        reason = self.reason
        if reason is None:
            return
        if threading.current_thread() is threading.main_thread():
            raise reason.with_traceback(None)
        raise Stopping()

    # -- runners -----------------------------------------------------------------------------
    def starter(self, inner: RunnerStarter | None) -> RunnerStarter:
        """`inner` (None: the session's default), refusing once stopped and remembering each runner
        so that `sweep` can stop it."""

        def start(workdir: Path, exchange: Path, *, memory_bytes: int, output_bytes: int, limits: dict,
                  sandbox: SandboxPlan | None = None, disk_bytes: int = 0,
                  env: dict[str, str] | None = None) -> RunnerProcess:
            if self.stopped:
                raise Stopping()
            make = inner or session_mod.default_starter or cold_starter
            runner = make(workdir, exchange, memory_bytes=memory_bytes, output_bytes=output_bytes, limits=limits,
                          sandbox=sandbox, disk_bytes=disk_bytes, env=env)
            with self._lock:
                self._runners.add(runner)
            return runner

        return start

    def sweep(self) -> None:
        """Stop every runner this run started and the warm fork servers (their children die with them).

        Signals only: the thread that owns a runner cleans it up itself when its request returns
        (`RunnerDied`), so no file descriptor is closed under its feet. Called again until the
        threads are back: a runner that was starting during the previous sweep is caught by the next."""
        if not self.stopped:
            return
        hard = time.monotonic() - self.since > self.TERM_GRACE
        with self._lock:
            runners = list(self._runners)
        _signal_runners(runners, signal.SIGKILL if hard else signal.SIGTERM)
        if not self._servers_killed:
            self._servers_killed = True
            from grader.runner.warm.pool import server_pids

            for pid in server_pids():
                with contextlib.suppress(OSError):
                    os.killpg(pid, signal.SIGKILL)  # the server (and its bwrap) lead their own session

    def wait(self, futures: Iterable[concurrent.futures.Future]) -> None:
        """Until every future is done; once stopped, cancel those not started, stop the runners of
        the others and give up on them after `GRACE` seconds (their threads end on their own)."""
        pending = set(futures)
        while pending:
            _, pending = concurrent.futures.wait(pending, timeout=0.2)
            if not self.stopped:
                continue
            for future in pending:
                future.cancel()
            pending = {f for f in pending if not f.done()}
            self.sweep()
            if time.monotonic() - self.since > self.GRACE:
                return

    # -- SIGINT ------------------------------------------------------------------------------
    @contextlib.contextmanager
    def handling(self) -> Iterator[Stop]:
        """Ctrl-C stops this run (see the module's docstring) for the duration of the block."""
        old: dict[int, object] = {}
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGINT, signal.SIGTERM):  # SIGTERM: `kill`, a scheduler's time-out
                if signal.getsignal(sig) is not signal.SIG_IGN:  # whoever started us asked for none: kept so
                    old[sig] = signal.signal(sig, self._on_sigint)
        try:
            yield self
        finally:
            for sig, handler in old.items():
                signal.signal(sig, handler)

    @contextlib.contextmanager
    def raising(self) -> Iterator[None]:
        """Meanwhile Ctrl-C also raises `Interrupted` in the main thread: for code that blocks without
        polling the stop (a remote executor waiting on its cluster)."""
        self._raising = True
        try:
            yield
        finally:
            self._raising = False

    def _on_sigint(self, signum: int, frame: object) -> None:
        self._presses += 1
        if self._presses == 1:
            self.halt(Interrupted())
            if self._raising:
                raise Interrupted()
            return
        # A second Ctrl-C: no waiting. Supervisors and warm children die with this process
        # (PR_SET_PDEATHSIG) and fork servers when their socket closes; kill what we know first.
        with contextlib.suppress(Exception):
            _signal_runners(list(self._runners), signal.SIGKILL)
        with contextlib.suppress(OSError):
            os.write(2, (INTERRUPTED.get(self.lang) + "\n").encode())
        os._exit(130)


def _signal_runners(runners: list, sig: int) -> None:
    """`sig` to each runner's supervisor (a Popen, or a warm child's handle): SIGTERM makes it kill
    the runner's process group and whatever it left behind, then exit."""
    for runner in runners:
        proc = getattr(runner, "proc", None)  # a WarmRunner not started yet has none
        with contextlib.suppress(Exception):
            if proc is not None and proc.poll() is None:
                proc.send_signal(sig)


def exit_if_stuck(code: int, wait: float = 1.0) -> None:
    """Exit now with `code` if a worker thread outlived the stop's grace (stuck in the judge's own
    code): the interpreter would otherwise wait for it at exit, long after the run said it stopped."""
    deadline = time.monotonic() + wait
    for thread in threading.enumerate():
        if thread is not threading.current_thread() and not thread.daemon:
            thread.join(max(0.0, deadline - time.monotonic()))
    if any(t.is_alive() and not t.daemon and t is not threading.current_thread() for t in threading.enumerate()):
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):
                stream.flush()
        os._exit(code)
