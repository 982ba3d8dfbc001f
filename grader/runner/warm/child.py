"""The three processes a warm runner is, forked from the fork server (`grader.runner.warm.server`).

C, the runner's supervisor, never runs student code. With namespaces (the grader is root) it
unshares mount, IPC, network, UTS and PID namespaces and forks G, PID 1 of them, which isolates the
filesystem (`grader.runner.warm.mounts`) and forks W; without (Layer 0), C is a child subreaper and
supervisor, as `grader.runner.supervisor` is for a cold runner. W becomes the submission's runner
exactly as a cold one starts: its own session and environment, the submission's uid and gid,
its folder as cwd and `sys.path[0]`, then `worker.serve()` (rlimits, seccomp, seeds, cells).
"""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import resource
import signal
import struct
import sys
import time
import traceback
from pathlib import Path

from grader.runner.supervisor import _kill_all_children
from grader.runner.warm.mounts import (
    NEWCGROUP,
    NEWIPC,
    NEWNET,
    NEWNS,
    NEWPID,
    NEWUTS,
    isolate_mounts,
    libc,
    loopback_up,
    ok,
)

PR_SET_PDEATHSIG, PR_SET_DUMPABLE, PR_SET_CHILD_SUBREAPER = 1, 4, 36
SETUP_FAILED = 71  # C or G could not isolate the runner: W never started

START_PATH0 = sys.path[0] if sys.path else ""  # the server's: W replaces it with the submission's folder
KEEP_FDS: set[int] = set()  # what the server's preload opened: W keeps those, closes every other inherited fd


def _reproduce(status: int) -> None:
    """Exit the way W did (its signal included) so that the grader reads W's own status."""
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        with contextlib.suppress(OSError, ValueError):
            signal.signal(sig, signal.SIG_DFL)
        os.kill(os.getpid(), sig)
        time.sleep(1)
        os._exit(1)
    os._exit(os.waitstatus_to_exitcode(status) if os.WIFEXITED(status) else 1)


def _wait_for(pid: int) -> int:
    """Reap until `pid` ends (adopted orphans too); its wait status."""
    while True:
        try:
            done, status = os.waitpid(-1, 0)
        except ChildProcessError:
            return 0
        if done == pid:
            return status


def supervisor(msg: dict, req_r: int, resp_w: int, server: int, tree: int | None = None) -> None:
    """C: isolate (or supervise), start W, exit with W's status. Never returns.

    `tree`: the run folder's mount as the grader holds it (`isolation.open_tree`), for G to attach."""
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != server:
        os._exit(SETUP_FAILED)
    os.setsid()
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    if not msg.get("namespaces"):
        if tree is not None:
            os.close(tree)
        libc.prctl(PR_SET_CHILD_SUBREAPER, 1)
        worker = os.fork()
        if worker == 0:
            _run_worker(msg, req_r, resp_w)
        os.close(req_r)
        os.close(resp_w)
        signal.signal(signal.SIGTERM, lambda *a: os.killpg(worker, signal.SIGKILL))
        status = _wait_for(worker)
        with contextlib.suppress(OSError):
            os.killpg(worker, signal.SIGKILL)
        _kill_all_children()
        _reproduce(status)
    ok(libc.unshare(NEWNS | NEWIPC | NEWNET | NEWUTS | NEWPID), "unshare")
    libc.unshare(NEWCGROUP)  # where the kernel allows it, as bwrap's --unshare-cgroup-try
    status_r, status_w = os.pipe()
    init = os.fork()
    if init == 0:
        os.close(status_r)
        _init(msg, req_r, resp_w, status_w, tree)
    for fd in (status_w, req_r, resp_w, *(() if tree is None else (tree,))):
        os.close(fd)
    status = _wait_for(init)
    data = os.read(status_r, 4)
    _kill_all_children()
    _reproduce(struct.unpack("i", data)[0] if len(data) == 4 else status)


def _init(msg: dict, req_r: int, resp_w: int, status_w: int, tree: int | None = None) -> None:
    """G, PID 1 of the runner's namespaces: set them up, start W, report its status. Never returns."""
    try:
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
        isolate_mounts(msg, tree)
        loopback_up()
    except BaseException:  # noqa: BLE001 - W never starts: the grader falls back to a cold runner
        traceback.print_exc()
        os._exit(SETUP_FAILED)
    worker = os.fork()
    if worker == 0:
        os.close(status_w)
        _run_worker(msg, req_r, resp_w)
    os.close(req_r)
    os.close(resp_w)
    status = _wait_for(worker)
    os.write(status_w, struct.pack("i", status))
    os._exit(0)


def _point_homes_here() -> None:
    """What Keras and matplotlib computed from the server's HOME/MPLCONFIGDIR at import, recomputed
    from this runner's (a cold runner imports them with its own)."""
    cfg = sys.modules.get("keras.src.backend.config")
    if cfg is not None and "KERAS_HOME" not in os.environ:
        base = os.path.expanduser("~")
        cfg._KERAS_DIR = os.path.join(base if os.access(base, os.W_OK) else "/tmp", ".keras")
        cfg._config_path = os.path.join(cfg._KERAS_DIR, "keras.json")
        with contextlib.suppress(OSError):
            os.makedirs(cfg._KERAS_DIR, exist_ok=True)
            if not os.path.exists(cfg._config_path):
                with open(cfg._config_path, "w") as f:
                    f.write(json.dumps({"floatx": cfg.floatx(), "epsilon": cfg.epsilon(), "backend": cfg._BACKEND,
                                        "image_data_format": cfg.image_data_format()}, indent=4))
    mpl = sys.modules.get("matplotlib")
    if mpl is not None:
        for name, fmt in (("get_configdir", "CONFIGDIR=%s"), ("get_cachedir", "CACHEDIR=%s")):
            fn = getattr(mpl, name, None)
            if hasattr(fn, "__wrapped__"):
                setattr(mpl, name, mpl._logged_cached(fmt, fn.__wrapped__))


def _run_worker(msg: dict, req_r: int, resp_w: int) -> None:
    """W: become the submission's runner, exactly as a cold one starts. Never returns."""
    try:
        os.setsid()
        for fd in map(int, os.listdir("/proc/self/fd")):
            if fd > 2 and fd not in (req_r, resp_w) and fd not in KEEP_FDS:
                with contextlib.suppress(OSError):
                    os.close(fd)
        os.environ.clear()
        os.environ.update(msg["env"])
        uid = msg.get("uid")
        if uid is not None:
            os.setgroups([])
            os.setresgid(uid, uid, uid)
            os.setresuid(uid, uid, uid)
            if os.getuid() != uid or os.geteuid() != uid:
                os._exit(SETUP_FAILED)
            libc.prctl(PR_SET_DUMPABLE, 1)  # as after an exec: /proc/self is the runner's own
        workdir = str(msg["workdir"])
        os.chdir(workdir)
        if sys.path and sys.path[0] == START_PATH0:
            sys.path[0] = workdir
        sys.path_importer_cache.clear()
        importlib.invalidate_caches()
        from grader.runner import worker

        sys.argv = [worker.__file__, "--req-fd", str(req_r), "--resp-fd", str(resp_w), "--exchange",
                    str(msg["exchange"]), "--limits", json.dumps(msg["limits"])]
        _point_homes_here()
    except BaseException:  # noqa: BLE001
        traceback.print_exc()
        os._exit(SETUP_FAILED)
    worker.serve(req_r, resp_w, Path(msg["exchange"]), workdir + os.sep, dict(msg["limits"]))
    os._exit(0)

