"""Per-runner supervisor: a child subreaper that holds the runner and kills whatever it leaves behind.

A student's double-forked `setsid` daemon escapes the runner's process group
but not its subreaper: orphans re-parent here, and when the runner ends (or
the grader asks with SIGTERM) every one of them is killed and reaped. The
supervisor then exits with the runner's own status, signal included.
Usage: python -m grader.runner.supervisor --fds 5,6 -- RUNNER_COMMAND...
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import resource
import signal
import sys
import time

from grader.runner.children import children_of

PR_SET_PDEATHSIG, PR_SET_CHILD_SUBREAPER = 1, 36


def _kill_all_children() -> None:
    """SIGKILL every child (adopted orphans included) until none is left; reap them."""
    for _ in range(200):
        kids = children_of(os.getpid())
        if not kids:
            return
        for pid in kids:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
        _reap(block=False)
        time.sleep(0.01)


def _reap(block: bool) -> list[tuple[int, int]]:
    done = []
    while True:
        try:
            pid, status = os.waitpid(-1, 0 if block else os.WNOHANG)
        except ChildProcessError:
            return done
        if pid == 0:
            return done
        done.append((pid, status))
        if block:
            return done


def main(argv: list[str]) -> None:
    libc = ctypes.CDLL(None)
    libc.prctl(PR_SET_CHILD_SUBREAPER, 1)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() == 1:
        os._exit(70)
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    sep = argv.index("--")
    fds = [int(x) for x in argv[argv.index("--fds") + 1].split(",") if x] if "--fds" in argv[:sep] else []
    command = argv[sep + 1 :]
    for fd in fds:
        os.set_inheritable(fd, True)
    runner = os.fork()
    if runner == 0:
        os.setsid()
        try:
            os.execv(command[0], command)
        finally:
            os._exit(127)
    for fd in fds:
        os.close(fd)

    def stop(signum, frame):
        with contextlib.suppress(OSError):
            os.killpg(runner, signal.SIGKILL)

    signal.signal(signal.SIGTERM, stop)
    status = None
    while status is None:
        try:
            for pid, st in _reap(block=True):
                if pid == runner:
                    status = st
        except InterruptedError:
            continue
    with contextlib.suppress(OSError):
        os.killpg(runner, signal.SIGKILL)
    _kill_all_children()
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        with contextlib.suppress(OSError, ValueError):  # SIGKILL has no handler to reset
            signal.signal(sig, signal.SIG_DFL)
        os.kill(os.getpid(), sig)
        time.sleep(1)
    os._exit(os.waitstatus_to_exitcode(status) if os.WIFEXITED(status) else 1)


if __name__ == "__main__":
    main(sys.argv[1:])
