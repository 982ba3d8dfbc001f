"""A warm runner's grader-side handle: RunnerProcess' interface, its process forked by a fork server.

`WarmRunner` is what `WarmPool.starter()` gives a session: at `start()` it asks a fork server for
a child (`_WarmProcess`, checked with a `hello` before the session sees it) and, when that fails
(no server, a fork refused, a child that could not isolate itself), starts a cold `RunnerProcess`
in its place. Limits, output draining and requests are RunnerProcess' own: memory is measured
on the child's tree (the server shares the grader's PID namespace), kills go through a pidfd.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import threading
from pathlib import Path
from typing import Any

from grader.model import Message
from grader.runner.process import (
    RunnerDied,
    RunnerProcess,
    become_subreaper,
    runner_environ,
    runner_limits,
)
from grader.runner.warm.mounts import open_tree


class WarmUnavailable(Exception):
    """This runner cannot be forked warm: it is started cold instead."""


class _Child:
    """A warm runner's supervisor as `subprocess.Popen` shows a process (what RunnerProcess reads)."""

    def __init__(self, pid: int, pidfd: int | None):
        self.pid, self.pidfd = pid, pidfd
        self.returncode: int | None = None
        self.lost = False  # died with its server
        self._done = threading.Event()

    def exited(self, status: int) -> None:
        self.returncode = os.waitstatus_to_exitcode(status)
        self._done.set()

    def server_gone(self) -> None:
        if self.returncode is None:
            self.lost, self.returncode = True, -signal.SIGKILL
        self._done.set()

    def poll(self) -> int | None:
        return self.returncode

    def wait(self, timeout: float | None = None) -> int | None:
        if not self._done.wait(timeout):
            raise subprocess.TimeoutExpired(str(self.pid), timeout or 0)
        return self.returncode

    def send_signal(self, sig: int) -> None:
        if self.returncode is not None:
            return
        with contextlib.suppress(ProcessLookupError, OSError):
            if self.pidfd is not None:
                signal.pidfd_send_signal(self.pidfd, sig)
            else:
                os.kill(self.pid, sig)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)

    def close(self) -> None:
        if self.pidfd is not None:
            with contextlib.suppress(OSError):
                os.close(self.pidfd)
            self.pidfd = None


class _WarmProcess(RunnerProcess):
    """RunnerProcess whose process is a fork server's child instead of a fresh exec."""

    def __init__(self, pool: Any, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.pool = pool
        self.server: Any = None
        self._req_w = self._resp_r = -1

    def start(self) -> None:
        become_subreaper()
        server = self.pool.server()
        req_r, self._req_w = os.pipe()
        self._resp_r, resp_w = os.pipe()
        out_r, out_w = os.pipe()
        runtime = self.sandbox.runner_runtime()
        data = [str(d["path"]) for d in dict(self.limits.get("datasets") or {}).values() if d.get("path")]
        limits = runner_limits(self.limits, self.sandbox)
        namespaces = os.geteuid() == 0
        limits["pidns"] = namespaces or limits["pidns"]
        tree = None
        if namespaces:  # the run folder as mounted now (a capped tmpfs the server's view never got)
            try:
                tree = open_tree(str(self.exchange.parent))
            except OSError as e:
                for fd in (req_r, resp_w, out_r, out_w):
                    os.close(fd)
                raise WarmUnavailable(str(e)) from e
        msg = {"workdir": str(self.workdir), "exchange": str(self.exchange), "run_dir": str(self.exchange.parent),
               "uid": self.sandbox.uid, "env": {**runner_environ(self.workdir, self.exchange, self.sandbox), **self.env},
               "limits": limits, "ro_paths": data, "roots": list(runtime.roots), "namespaces": namespaces,
               "host_view": HOST_VIEW if self.sandbox.bwrap else "", "run_tree": tree is not None}
        try:
            self.proc = server.spawn(msg, [req_r, resp_w, out_w, *(() if tree is None else (tree,))])  # type: ignore[assignment]
        finally:
            for fd in (req_r, resp_w, out_w, *(() if tree is None else (tree,))):
                os.close(fd)
        self.server = server
        self._drain = threading.Thread(target=self._drain_output, args=(out_r,), daemon=True)
        self._drain.start()
        try:
            self.request({"op": "hello"}, timeout=60)
        except RunnerDied as died:
            raise WarmUnavailable(f"warm child did not start: {died.message.en}{self._said()}") from died

    def _said(self) -> str:
        text = self.output_excerpt().strip()
        return f" ({text[-300:]})" if text else ""

    def _died(self) -> RunnerDied:
        child = self.proc
        assert isinstance(child, _Child)
        with contextlib.suppress(subprocess.TimeoutExpired):
            child.wait(timeout=3)  # its exit as the server reports it, or the server's own loss
        if child.lost or (child.returncode is None and self.server is not None and not self.server.alive()):
            self.kill()
            return RunnerDied("crash", Message("le serveur de processus est mort (pas l'élève)",
                                               "the fork server died (not the student)"), lost_server=True)
        return super()._died()

    def kill(self) -> None:
        """SIGTERM the supervisor (it kills the runner's tree), SIGKILL if it lingers; never a zombie here."""
        child = self.proc
        if isinstance(child, _Child):
            child.send_signal(signal.SIGTERM)
            try:
                child.wait(timeout=3)
            except subprocess.TimeoutExpired:
                child.kill()
                with contextlib.suppress(subprocess.TimeoutExpired):
                    child.wait(timeout=5)
            child.close()
        for fd in (self._req_w, self._resp_r):
            with contextlib.suppress(OSError):
                os.close(fd)
        self._req_w = self._resp_r = -1


class WarmRunner:
    """What a warm starter returns: a warm child once started, or a cold runner where warm failed."""

    def __init__(self, pool: Any, workdir: Path, exchange: Path, **kwargs: Any):
        self.pool, self.workdir, self.exchange, self._kwargs = pool, workdir, exchange, kwargs
        self.inner: RunnerProcess | None = None
        self.warm = False
        self.fallback = ""  # why this one runs cold

    def start(self) -> None:
        warm = _WarmProcess(self.pool, self.workdir, self.exchange, **self._kwargs)
        try:
            warm.start()
        except WarmUnavailable as e:
            warm.kill()
            self.pool.failed(str(e))
            self.fallback = str(e)
            cold = RunnerProcess(self.workdir, self.exchange, **self._kwargs)
            self.inner = cold
            cold.start()
            return
        self.pool.succeeded()
        self.inner, self.warm = warm, True

    def __getattr__(self, name: str) -> Any:
        inner = self.__dict__.get("inner")
        if inner is None:
            raise AttributeError(name)
        return getattr(inner, name)

    def kill(self) -> None:
        if self.inner is not None:
            self.inner.kill()

    def close(self) -> None:
        if self.inner is not None:
            self.inner.close()


HOST_VIEW = "/run/grader-host"  # the host's `/` inside the server's bwrap (see grader.runner.warm.pool)
