"""Warm runners: forked from a fork server that imported TensorFlow once, isolated as a cold one is.

A cold runner pays `import tensorflow` (5-7 s of CPU, ~280 MB) before the student's first line; a
child forked from a server that only *imported* TensorFlow, Keras and IPython costs ~0.3 s and
~100 MB. `grader.runner.warm.server` is that server and says how each child is isolated.

API (the seam is `RunnerSession(..., starter=...)`; nothing else in the session changes):

    pool = WarmPool(plan, limits_template, slots=workers)   # starts `slots` servers in the background
    RunnerSession(cells, workdir, limits, plan, starter=pool.starter())
    pool.close()                                            # servers gone; running children die with them
    starter_for(plan, warm)       # cold_starter, or the starter of a pool shared by the process
    warm_unavailable(plan)        # None, or why warm runners cannot be had under this plan
    with use_starter(s): ...      # RunnerSession's default starter meanwhile (`grade()` warm, in tests)

Where the fork server runs, per layer:
- Layer 2 (root + bubblewrap): inside its own bwrap, built as `runner_command`'s (system folders,
  the runtime, the course hidden, network/IPC/UTS namespaces) plus the host's `/` at `HOST_VIEW`,
  as root with CAP_SYS_ADMIN, CAP_SETUID, CAP_SETGID and CAP_KILL only, so that each child can
  unshare its own namespaces, attach its run folder (a mount descriptor the grader opens with
  `open_tree`: the run folder's capped tmpfs, mounted on the host after the server started, never
  reaches the server's view of the host), detach that view and drop to the submission's uid. The server keeps the grader's PID namespace: pids and pidfds it reports
  are the grader's (memory is measured on the child's tree, kills go through a pidfd). bwrap cannot
  be used per child (it would exec, losing the warm interpreter), and building the whole view in
  each child instead of once would redo bwrap in Python.
- Layer 1 alone (root, no bwrap): the server runs as root outside any namespace; each child still
  gets its own mount/IPC/PID/network/UTS namespaces and a private `/tmp` and `/dev/shm` (more than a
  cold Layer 1 runner has), and drops to the submission's uid.
- Layer 0 (a normal user): no namespaces, as the cold path; the child is a subreaper supervisor.
- A normal user with bwrap (Layers 0 and 2): a child could not get namespaces of its own without
  user namespaces, so `warm_unavailable` says why and the starters give cold runners.
Student code never runs with the server's privileges: only the dropped child runs it.

Failure: a server that cannot start or fork (or a child that cannot isolate itself, reported
before it serves) gives that runner a cold start; after `MAX_FAILURES` in a row the pool stays
cold and says why (`reason`). A server that dies takes its children with it: their session sees
`RunnerDied(lost_server=True)`, the pool starts a new server, and the session retries without
blaming the student (`grader.runner.session`).
"""

from __future__ import annotations

import collections
import contextlib
import json
import os
import shutil
import socket
import subprocess
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

from grader.model import Message
from grader.runner import session as session_mod
from grader.runner.process import (
    RunnerStarter,
    _live_lock,
    _live_runners,
    cold_starter,
    runner_environ,
)
from grader.runner.sandbox import (
    SHM_BYTES,
    TMPFS_BYTES,
    SandboxPlan,
    _course_hidden,
    _system_binds,
    _tree_binds,
)
from grader.runner.warm.handle import HOST_VIEW, WarmRunner, WarmUnavailable, _Child

SERVER_HOME = "/tmp/forkserver"  # the server's HOME inside its bwrap (its own tmpfs)
READY_SECONDS = 240.0  # importing TensorFlow on a loaded machine
MAX_FAILURES = 3


def warm_unavailable(plan: SandboxPlan) -> Message | None:
    """Why warm runners cannot keep this plan's isolation here (None: they can)."""
    root = os.geteuid() == 0
    if plan.bwrap and not root:
        return Message("exécution à chaud : il faut root pour la couche 2 (espaces de noms par copie)",
                       "warm runners: Layer 2 needs root (namespaces per submission)")
    if plan.bwrap and plan.uid is None:
        return Message("exécution à chaud : la couche 2 sans uid dédié garderait les capacités du serveur",
                       "warm runners: Layer 2 without a dedicated uid would keep the server's capabilities")
    if not hasattr(socket, "send_fds") or not hasattr(os, "pidfd_open"):
        return Message("exécution à chaud : Python 3.9+ et Linux 5.3+ requis",
                       "warm runners: Python 3.9+ and Linux 5.3+ needed")
    return None


def server_command(plan: SandboxPlan, command: list[str]) -> list[str]:
    """The fork server's command: bare, or inside a bwrap mirroring `runner_command` (see above)."""
    if not plan.bwrap:
        return command
    runtime = plan.runner_runtime()
    made = {"/tmp", "/dev", "/proc", "/sys"}
    return [plan.bwrap, "--unshare-net", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try",
            *_system_binds(), "--proc", "/proc", "--dev", "/dev",
            "--perms", "1777", "--size", str(SHM_BYTES), "--tmpfs", "/dev/shm", "--ro-bind", "/sys", "/sys",
            "--perms", "1777", "--size", str(TMPFS_BYTES), "--tmpfs", "/tmp", "--dir", SERVER_HOME,
            *_tree_binds(runtime.roots, made), *_course_hidden(runtime),
            "--bind", "/", HOST_VIEW, "--chdir", SERVER_HOME,
            *[a for cap in ("CAP_SYS_ADMIN", "CAP_SETUID", "CAP_SETGID", "CAP_KILL") for a in ("--cap-add", cap)],
            "--", *command]


class ForkServer:
    """One fork server (one per worker slot) and the thread that reads its messages."""

    def __init__(self, plan: SandboxPlan):
        self.plan = plan
        self.sock, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.home = None if plan.bwrap else tempfile.mkdtemp(prefix="grader-forkserver-")
        home = Path(SERVER_HOME if plan.bwrap else self.home)
        runtime = plan.runner_runtime()
        cmd = server_command(plan, [runtime.python, "-m", "grader.runner.warm.server",
                                    "--control-fd", str(theirs.fileno())])
        log_r, log_w = os.pipe()
        with _live_lock:  # our child: never taken for a stray by reap_orphans()
            self.proc = subprocess.Popen(cmd, env=runner_environ(home, home, plan), cwd=self.home or "/",
                                         stdin=subprocess.DEVNULL, stdout=log_w, stderr=log_w,
                                         pass_fds=(theirs.fileno(),), start_new_session=True)
            _live_runners.add(self.proc.pid)
        theirs.close()
        os.close(log_w)
        self.log: collections.deque[bytes] = collections.deque(maxlen=64)
        self.info: dict = {}
        self.error = ""
        self.dead = False
        self.ready = threading.Event()
        self._lock = threading.Lock()
        self._next = 0
        self._pending: dict[int, dict] = {}
        self.children: dict[int, _Child] = {}
        threading.Thread(target=self._drain, args=(log_r,), daemon=True).start()
        threading.Thread(target=self._read, daemon=True).start()

    def _drain(self, fd: int) -> None:
        with contextlib.suppress(OSError):
            while chunk := os.read(fd, 65536):
                self.log.append(chunk[-2000:])
        os.close(fd)

    def _read(self) -> None:
        while True:
            try:
                data, fds, _, _ = socket.recv_fds(self.sock, 1 << 16, 4)
            except OSError:
                data, fds = b"", []
            if not data:
                break
            msg = json.loads(data)
            if "ready" in msg:
                self.info, self.error = msg, str(msg.get("error") or ("" if msg["ready"] else "not ready"))
                self.ready.set()
                continue
            with self._lock:
                ident = msg.get("id")
                if "exit" in msg:
                    if (child := self.children.pop(ident, None)) is not None:
                        child.exited(int(msg["exit"]))
                    continue
                waiter = self._pending.get(ident)
                if waiter is not None and "pid" in msg:  # registered here: its exit may be the next message
                    waiter["child"] = self.children[ident] = _Child(int(msg["pid"]), fds[0] if fds else None)
                    fds = fds[1:]
                elif waiter is not None:
                    waiter["error"] = str(msg.get("error", "?"))
            for fd in fds:
                os.close(fd)
            if waiter is not None:
                waiter["event"].set()
        with self._lock:
            self.dead = True
            for child in self.children.values():
                child.server_gone()
            for waiter in self._pending.values():
                waiter["event"].set()
        self.ready.set()

    def alive(self) -> bool:
        return not self.dead and not self.error and self.proc.poll() is None

    def load(self) -> int:
        return len(self.children)

    def spawn(self, msg: dict, fds: list[int], timeout: float = 60.0) -> _Child:
        """Fork one runner with these pipe ends (the caller closes its copies); its supervisor."""
        if not self.ready.wait(READY_SECONDS) or not self.alive():
            raise WarmUnavailable(self.error or "fork server not ready" + self.tail())
        with self._lock:
            self._next += 1
            ident = self._next
            waiter = self._pending[ident] = {"event": threading.Event()}
        try:
            socket.send_fds(self.sock, [json.dumps({**msg, "id": ident}).encode()], fds)
            if not waiter["event"].wait(timeout) or "child" not in waiter:
                raise WarmUnavailable(f"fork refused: {waiter.get('error', 'no answer')}")
            return waiter["child"]
        except OSError as e:
            raise WarmUnavailable(f"fork server unreachable: {e}") from e
        finally:
            with self._lock:
                self._pending.pop(ident, None)

    def tail(self) -> str:
        text = b"".join(self.log).decode("utf-8", "replace").strip()
        return f" ({text[-500:]})" if text else ""

    def close(self) -> None:
        """Closing the socket ends the server (its loop sees EOF); its children die with it."""
        with contextlib.suppress(OSError):
            self.sock.shutdown(socket.SHUT_RDWR)
        self.sock.close()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            with contextlib.suppress(Exception):
                self.proc.wait(timeout=5)
        with _live_lock:
            _live_runners.discard(self.proc.pid)
        if self.home:
            shutil.rmtree(self.home, ignore_errors=True)


class WarmPool:
    """`slots` fork servers for one sandbox plan; dead ones are replaced when next needed."""

    def __init__(self, plan: SandboxPlan, limits_template: dict | None = None, slots: int = 1):
        self.plan, self.slots = plan, max(1, slots)
        self.limits_template = dict(limits_template or {})  # kept for the lead's wiring; children get their own
        self.reason = warm_unavailable(plan)
        self.failures = 0
        self.started = 0  # warm children that answered their hello
        self.replaced = 0  # servers started again after one died
        self._lock = threading.Lock()
        self._servers: list[ForkServer] = [] if self.reason else [ForkServer(plan) for _ in range(self.slots)]

    def server(self) -> ForkServer:
        """The least loaded live server (a dead one is replaced first)."""
        with self._lock:
            if self.reason is not None:
                raise WarmUnavailable(self.reason.en)
            for i, server in enumerate(self._servers):
                if server.dead or server.proc.poll() is not None:
                    server.close()
                    self._servers[i] = ForkServer(self.plan)
                    self.replaced += 1
            return min(self._servers, key=ForkServer.load)

    def failed(self, why: str) -> None:
        with self._lock:
            self.failures += 1
            if self.failures >= MAX_FAILURES and self.reason is None:
                self.reason = Message(f"exécution à chaud abandonnée : {why}", f"warm runners given up: {why}")

    def succeeded(self) -> None:
        with self._lock:
            self.failures = 0
            self.started += 1

    def starter(self) -> RunnerStarter:
        def start(workdir: Path, exchange: Path, *, memory_bytes: int, output_bytes: int, limits: dict,
                  sandbox: SandboxPlan | None = None, disk_bytes: int = 0,
                  env: dict[str, str] | None = None) -> WarmRunner:
            return WarmRunner(self, workdir, exchange, memory_bytes=memory_bytes, output_bytes=output_bytes,
                              limits=limits, sandbox=sandbox or self.plan, disk_bytes=disk_bytes, env=env)

        return start  # type: ignore[return-value] - a WarmRunner has RunnerProcess' interface

    def close(self) -> None:
        with self._lock:
            servers, self._servers = self._servers, []
        for server in servers:
            server.close()

    def __enter__(self) -> WarmPool:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


_shared: dict[tuple, WarmPool] = {}
_shared_lock = threading.Lock()


def starter_for(plan: SandboxPlan, warm: bool, *, slots: int = 1) -> RunnerStarter:
    """Cold runners, or warm ones from a pool shared by this process for this plan (closed at exit)."""
    if not warm or warm_unavailable(plan) is not None:
        return cold_starter
    key = (plan.bwrap, plan.runtime, plan.seccomp, plan.uid is not None)
    with _shared_lock:
        if key not in _shared:
            if not _shared:
                import atexit

                atexit.register(close_shared)
            _shared[key] = WarmPool(plan, slots=slots)
        return _shared[key].starter()


def server_pids() -> set[int]:
    """The live fork servers of this process's shared pools: the grader's own, kept between runs."""
    with _shared_lock:
        pools = list(_shared.values())
    return {srv.proc.pid for pool in pools for srv in list(pool._servers) if srv.proc.poll() is None}


def close_shared() -> None:
    with _shared_lock:
        pools = list(_shared.values())
        _shared.clear()
    for pool in pools:
        pool.close()


@contextlib.contextmanager
def use_starter(starter: RunnerStarter | None) -> Iterator[None]:
    """Sessions created meanwhile without a starter of their own use this one."""
    old = session_mod.default_starter
    session_mod.default_starter = starter
    try:
        yield
    finally:
        session_mod.default_starter = old
