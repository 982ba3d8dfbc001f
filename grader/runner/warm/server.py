"""Warm fork server: imports TensorFlow once, then forks one isolated runner per submission.

Runs inside the sandbox (`python -m grader.runner.warm.server --control-fd N`, started by
`grader.runner.warm.pool`), with a cold runner's environment. It imports what every runner needs
(numpy, TensorFlow, Keras, IPython, matplotlib, the worker, pyseccomp) and never runs a
TensorFlow op: a parent that ran one leaves thread pools behind that hang its forked children
on a big matmul or a `fit`, and TensorFlow 2.21 calls `cuInit` at the first op. Before every
fork it checks that no eager context exists, and refuses to fork otherwise.

Per submission (a `spawn` message on the control socket, with the runner's three pipe ends
passed as SCM_RIGHTS) it forks C, the runner's supervisor, which never runs student code
(`grader.runner.warm.child`; the mounts: `grader.runner.warm.mounts`):

- with namespaces (the grader is root): C unshares mount, IPC, network, UTS and PID namespaces
  (cgroup where it can) and forks G, PID 1 of the new namespace. G makes its mounts private,
  mounts a fresh tmpfs on `/tmp` and `/dev/shm` (cold bwrap's sizes and modes), attaches the run
  folder (read-write, the mount descriptor the grader sent with the spawn) and binds the served
  datasets (read-only) at their own paths from the host view,
  mounts a `/proc` of its own PID namespace, detaches the host view, brings up loopback, and
  forks W. When W ends, G reports W's status and exits: the kernel kills whatever W left.
- without (Layer 0, a normal user: the cold path has no namespaces either): C is a child
  subreaper and supervisor, as `grader.runner.supervisor` is for a cold runner.

W then does what a cold runner's exec did: its own session, the runner's environment, uid and
gid dropped to the submission's (groups cleared, capabilities gone with root, dumpable again as
after an exec), cwd and `sys.path[0]` the submission's folder, Keras' and matplotlib's per-home
folders pointed at its own, and `worker.serve()`: rlimits, seccomp (it denies unshare, mount
and setns), seeds, cells. Only W and its descendants run student code; they never hold the
server's privileges, see its control socket, nor other submissions' folders, `/tmp`,
`/dev/shm`, SysV IPC or processes.

Messages (JSON, one per SOCK_SEQPACKET datagram): server -> grader `{"ready", "pid", ...}` once,
`{"id", "pid"}` (+ a pidfd) per fork, `{"id", "exit": waitstatus}` when C ends,
`{"id", "error"}` when it cannot fork. The server exits when the grader closes the socket.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import random
import select
import signal
import socket
import sys
import time
import traceback

from grader.runner.warm.child import KEEP_FDS, PR_SET_CHILD_SUBREAPER, SETUP_FAILED, supervisor
from grader.runner.warm.mounts import libc

PRELOAD = ("numpy", "tensorflow", "keras", "IPython.core.interactiveshell", "traitlets.config", "matplotlib",
           "matplotlib.pyplot", "grader.runner.patches", "pyseccomp")


def tensorflow_untouched() -> bool:
    """No eager context yet: no op ran, no thread pool exists (what makes a fork of us safe)."""
    ctx = sys.modules.get("tensorflow.python.eager.context")
    c = ctx.context_safe() if ctx is not None else None
    return c is None or getattr(c, "_context_handle", None) is None


def preload() -> list[tuple[str, tuple, dict]]:
    """Import what runners need; return the calls those imports made to `random`'s module functions
    (past what a cold runner imports before seeding), so that a child can replay them after seeding."""
    importlib.import_module("grader.runner.worker")  # a cold runner imports this (and matplotlib) before seeding
    draws: list[tuple[str, tuple, dict]] = []
    recording = [True]
    saved = {}
    for name in ("random", "getrandbits", "randint", "randrange", "choice", "choices", "shuffle", "sample",
                 "uniform", "gauss", "normalvariate", "randbytes", "seed", "triangular", "expovariate"):
        fn = getattr(random, name, None)
        if fn is None:
            continue
        saved[name] = fn

        def spy(*args, __fn=fn, __name=name, **kwargs):
            if recording[0]:
                draws.append((__name, args, kwargs))
            return __fn(*args, **kwargs)

        setattr(random, name, spy)
    try:
        for module in PRELOAD:
            with contextlib.suppress(ImportError):
                importlib.import_module(module)
    finally:
        recording[0] = False  # a module that kept a spy (`from random import getrandbits`) now calls through
        for name, fn in saved.items():
            setattr(random, name, fn)
    return draws


def _send(sock: socket.socket, msg: dict, fds: list[int] = ()) -> None:
    data = json.dumps(msg).encode()
    if fds:
        socket.send_fds(sock, [data], list(fds))
    else:
        sock.send(data)


def _spawn(sock: socket.socket, msg: dict, fds: list[int], children: dict[int, int], wake: tuple[int, int]) -> None:
    want = 4 if msg.get("run_tree") else 3  # the runner's pipe ends, and its run folder's mount (as root)
    if len(fds) != want or not tensorflow_untouched():
        for fd in fds:
            os.close(fd)
        _send(sock, {"id": msg.get("id"), "error": "bad spawn" if len(fds) != want else "tensorflow ran an op"})
        return
    req_r, resp_w, out_w = fds[:3]
    tree = fds[3] if want == 4 else None
    server = os.getpid()
    pid = os.fork()
    if pid == 0:
        try:
            sock.close()
            signal.set_wakeup_fd(-1)
            for fd in wake:
                os.close(fd)
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)
            os.dup2(out_w, 1)
            os.dup2(out_w, 2)
            os.close(out_w)
            supervisor(msg, req_r, resp_w, server, tree)
        except BaseException:  # noqa: BLE001
            traceback.print_exc()
        os._exit(SETUP_FAILED)
    for fd in fds:
        os.close(fd)
    children[pid] = msg.get("id")
    try:
        pidfd = os.pidfd_open(pid)  # opened before we can reap it: it names this child, never a reused pid
    except OSError:
        _send(sock, {"id": msg.get("id"), "pid": pid})
        return
    try:
        _send(sock, {"id": msg.get("id"), "pid": pid}, [pidfd])
    finally:
        os.close(pidfd)


def _reap(sock: socket.socket, children: dict[int, int]) -> None:
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        if pid in children:
            _send(sock, {"id": children.pop(pid), "exit": status})


def _kill_strays(children: dict[int, int]) -> None:
    """Orphans adopted from a killed supervisor (Layer 0: no PID namespace holds them) are killed."""
    from grader.runner.children import children_of

    for pid in children_of(os.getpid()):
        if pid not in children:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)


def main(argv: list[str]) -> None:
    sock = socket.socket(fileno=int(argv[argv.index("--control-fd") + 1]))
    libc.prctl(PR_SET_CHILD_SUBREAPER, 1)
    started = time.monotonic()
    try:
        draws = preload()
        from grader.runner import worker

        worker.PRELOAD_DRAWS[:] = draws
        KEEP_FDS.update(int(fd) for fd in os.listdir("/proc/self/fd"))
        KEEP_FDS.discard(sock.fileno())
        error = "" if tensorflow_untouched() else "tensorflow ran an op at import"
    except BaseException as e:  # noqa: BLE001 - said to the grader, which falls back to cold runners
        draws, error = [], f"{type(e).__name__}: {e}"
    _send(sock, {"ready": not error, "error": error, "pid": os.getpid(), "draws": len(draws),
                 "seconds": round(time.monotonic() - started, 3)})
    if error:
        return
    wake = os.pipe()
    for fd in wake:
        os.set_blocking(fd, False)
    signal.set_wakeup_fd(wake[1])
    signal.signal(signal.SIGCHLD, lambda *a: None)
    children: dict[int, int] = {}
    while True:
        ready, _, _ = select.select([sock, wake[0]], [], [], 0.5)
        with contextlib.suppress(OSError):
            os.read(wake[0], 4096)
        _reap(sock, children)
        _kill_strays(children)
        if sock in ready:
            try:
                data, fds, _, _ = socket.recv_fds(sock, 1 << 20, 4)
            except OSError:
                data, fds = b"", []
            if not data:
                break  # the grader is gone: our children die with us (PDEATHSIG)
            _spawn(sock, json.loads(data), fds, children, wake)
    for pid in list(children):
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)



if __name__ == "__main__":
    main(sys.argv[1:])
