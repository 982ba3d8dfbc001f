"""Grader-side handle on one runner process: start, limits, requests, and a clean kill.

The runner is its own session (process group), started under a small
supervisor (`grader.runner.supervisor`) that is a child subreaper: even a
double-forked `setsid` daemon started by a student comes back to it as an
orphan and is killed when its runner ends. No marker in the runner's
environment is needed to find them.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import select
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Protocol

from grader.model import Message
from grader.runner.charged_time import ChargedClock, hard_limit
from grader.runner.children import children_of
from grader.runner.protocol import ProtocolError, ReplyTooLarge, read_reply, write_frame
from grader.runner.sandbox import NPROC, SandboxPlan, runner_command

# Datasets reach the runner as paths in its limits, not through GRADER_DATA_DIR/KERAS_HOME.
ENV_ALLOW = ("PATH", "LANG", "LC_ALL", "TZ", "CUDA_VISIBLE_DEVICES", "LD_LIBRARY_PATH")


class RunnerDied(Exception):
    """The runner stopped answering: a status for the request that was in flight.

    `lost_server`: it died because the warm fork server it came from died (grader/runner/warm/pool.py), not
    for anything the student did; the session then retries on a fresh runner without blaming the student."""

    def __init__(self, status: str, message: Message, lost_server: bool = False):
        super().__init__(message.fr)
        self.status = status  # "timeout" | "memory" | "crash" | "output-limit"
        self.message = message
        self.lost_server = lost_server


def timeout_message(limit: float, wall: float, waited: float) -> Message:
    """Which limit stopped the runner, and how it was measured (charged time, or the wall-clock net)."""
    if wall >= hard_limit(limit) and wall - waited < limit:
        return Message(f"aucune réponse après {wall:.0f} s d'horloge (filet de sécurité de la limite de {limit:.0f} s) : "
                       "processus arrêté",
                       f"no answer after {wall:.0f} s by the clock (safety net of the {limit:.0f} s limit): "
                       "process stopped")
    waits = (Message(f", sans compter {waited:.0f} s d'attente d'un processeur occupé par d'autres",
                     f", not counting {waited:.0f} s waiting for a CPU busy with others")
             if waited >= 1 else Message("", ""))
    return Message(f"aucune réponse après {limit:.0f} s d'exécution{waits.fr} : processus arrêté",
                   f"no answer after {limit:.0f} s of running{waits.en}: process stopped")


def disk_limit_message(disk_bytes: int) -> Message:
    return Message(f"plus de {disk_bytes // 2**20} Mo écrits sur le disque : processus arrêté",
                   f"more than {disk_bytes // 2**20} MB written to disk: process stopped")


def too_large(e: Exception) -> Message:
    """What a student reads when their runner's answer was over the decoder's budget."""
    return Message(f"réponse trop volumineuse ({e})", f"reply too large ({e})")


def runner_environ(workdir: Path, exchange: Path, sandbox: SandboxPlan) -> dict[str, str]:
    """The runner's whole environment (allow-listed, then its own folders): cold exec and warm fork alike."""
    env = {k: os.environ[k] for k in ENV_ALLOW if k in os.environ}
    env.update(
        HOME=str(workdir),
        PYTHONHASHSEED="0",
        PYTHONDONTWRITEBYTECODE="1",
        MPLBACKEND="module://grader.runner.mplbackend",
        TF_CPP_MIN_LOG_LEVEL="2",
        IPYTHONDIR=str(exchange / ".ipython"),
        MPLCONFIGDIR=str(exchange / ".mpl"),
    )
    env.update(sandbox.runner_runtime().environ())  # a mirror the dropped uid can read, or the grader's own
    return env


def runner_limits(limits: dict, sandbox: SandboxPlan) -> dict:
    """What `worker.serve()` reads: the session's limits plus the layers' own (seccomp, PID namespace, NPROC)."""
    return {**limits, "seccomp": sandbox.seccomp, "pidns": bool(sandbox.bwrap),
            "nproc": NPROC if sandbox.uid is not None else 0}


_subreaper_set = False


def become_subreaper() -> None:
    """Make orphans of our runners re-parent to us (Linux PR_SET_CHILD_SUBREAPER)."""
    global _subreaper_set
    if not _subreaper_set:
        with contextlib.suppress(Exception):
            ctypes.CDLL(None).prctl(36, 1)
        _subreaper_set = True


def _tree_pids(root: int) -> list[int]:
    pids, todo, seen = [], [root], set()
    while todo:
        pid = todo.pop()
        if pid in seen:
            continue
        seen.add(pid)
        pids.append(pid)
        todo.extend(children_of(pid))
    return pids


def _rss_bytes(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


def _pss_bytes(pid: int) -> int:
    """Proportional set size: pages shared by forked children count once over the tree, not per child."""
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return _rss_bytes(pid)


def tree_memory_bytes(root: int, limit: int = 0) -> int:
    """Memory of a process tree. The sum of RSS is cheap but counts a fork's copy-on-write pages once per
    child (80 forks of a TensorFlow process "use" 40 GB); past `limit` the proportional sum decides."""
    pids = _tree_pids(root)
    rss = sum(_rss_bytes(p) for p in pids)
    if rss <= limit or len(pids) == 1:
        return rss
    return sum(_pss_bytes(p) for p in pids)


def _dir_bytes(root: Path) -> int:
    """Disk used under a run folder (the submission's copy, its outputs, its exchange files)."""
    total = 0
    for dirpath, _, filenames in os.walk(root):
        for name in filenames:
            with contextlib.suppress(OSError):
                total += os.lstat(os.path.join(dirpath, name)).st_blocks * 512
    return total


_live_runners: set[int] = set()
_live_lock = threading.Lock()


def reap_orphans() -> int:
    """Reap zombie children that no live runner owns (a supervisor that was itself killed).

    Holds the registry lock throughout: a runner being started by another thread
    is registered under the same lock, so it is never mistaken for a stray.
    """
    killed = 0
    with _live_lock:
        for _ in range(20):
            strays = [p for p in children_of(os.getpid()) if p not in _live_runners and _is_orphan_candidate(p)]
            if not strays:
                break
            for pid in strays:
                with contextlib.suppress(OSError):
                    os.kill(pid, signal.SIGKILL)
                    killed += 1
                with contextlib.suppress(ChildProcessError, OSError):
                    os.waitpid(pid, 0)
            time.sleep(0.02)
    return killed


def _is_orphan_candidate(pid: int) -> bool:
    """Zombies among our children are ours to reap (the supervisor kills the live ones)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] == "Z"
    except (OSError, IndexError):
        return False


class RunnerProcess:
    """One runner: a fresh `python -m grader.runner.worker` in its own session."""

    def __init__(self, workdir: Path, exchange: Path, *, memory_bytes: int, output_bytes: int, limits: dict,
                 sandbox: SandboxPlan | None = None, disk_bytes: int = 0, env: dict[str, str] | None = None):
        self.workdir, self.exchange = workdir, exchange
        self.sandbox = sandbox or SandboxPlan((0,))
        self.disk_bytes = disk_bytes
        self._next_disk_check = 0.0
        self.memory_bytes, self.output_bytes = memory_bytes, output_bytes
        self.limits = limits
        self.env = dict(env or {})  # thread counts, the GPU this runner was given
        self.proc: subprocess.Popen | None = None
        self.raw_output = bytearray()
        self.raw_total = 0
        self.peak_bytes = 0
        self.last_charged = 0.0  # charged seconds of the last request (grader.runner.charged_time)

    def start(self) -> None:
        become_subreaper()
        req_r, self._req_w = os.pipe()
        self._resp_r, resp_w = os.pipe()
        out_r, out_w = os.pipe()
        env = {**runner_environ(self.workdir, self.exchange, self.sandbox), **self.env}
        runtime = self.sandbox.runner_runtime()
        limits = runner_limits(self.limits, self.sandbox)
        worker = [runtime.python, "-m", "grader.runner.worker", "--req-fd", str(req_r), "--resp-fd", str(resp_w),
                  "--exchange", str(self.exchange), "--limits", json.dumps(limits)]
        data = [str(d["path"]) for d in dict(self.limits.get("datasets") or {}).values() if d.get("path")]
        worker = runner_command(self.sandbox, self.exchange.parent, self.workdir, worker, ro_paths=data)
        cmd = [sys.executable, "-m", "grader.runner.supervisor", "--fds", f"{req_r},{resp_w}", "--", *worker]
        with _live_lock:  # registered before any reap_orphans() can look at our children
            self.proc = subprocess.Popen(cmd, cwd=self.workdir, env=env, stdin=subprocess.DEVNULL, stdout=out_w,
                                         stderr=out_w, pass_fds=(req_r, resp_w), start_new_session=True)
            _live_runners.add(self.proc.pid)
        for fd in (req_r, resp_w, out_w):
            os.close(fd)
        self._drain = threading.Thread(target=self._drain_output, args=(out_r,), daemon=True)
        self._drain.start()

    def _drain_output(self, fd: int) -> None:
        """Read everything (a blocked pipe would hang the student), keep only the head."""
        with contextlib.suppress(OSError):
            while chunk := os.read(fd, 65536):
                self.raw_total += len(chunk)
                room = 16000 - len(self.raw_output)
                if room > 0:
                    self.raw_output += chunk[:room]
        os.close(fd)

    def request(self, msg: dict, timeout: float) -> dict:
        """Send one request and wait for its reply, enforcing wall, memory and output limits."""
        assert self.proc is not None
        started = time.monotonic()
        self.last_charged = 0.0
        try:
            write_frame(self._req_w, msg)
        except OSError as e:
            raise self._died() from e
        deadline = started + timeout
        clock: ChargedClock | None = None  # from half a second on: short requests cost no /proc reads
        root = self.proc.pid

        def charge() -> tuple[float, float]:
            wall = time.monotonic() - started
            waited = clock.waited() if clock is not None else 0.0
            self.last_charged = max(0.0, wall - waited)
            return self.last_charged, waited

        while True:
            ready, _, _ = select.select([self._resp_r], [], [], 0.1)
            if ready:
                try:
                    reply = read_reply(self._resp_r)
                    charge()
                    return reply
                except ReplyTooLarge as e:  # the student's reply, refused before it is built
                    charge()
                    self.kill()
                    raise RunnerDied("output-limit", too_large(e)) from e
                except (EOFError, OSError, ProtocolError, ValueError) as e:
                    charge()
                    raise self._died() from e
            if self.proc.poll() is not None:
                charge()
                raise self._died()
            now = time.monotonic()
            if clock is None and now - started > 0.5:
                clock = ChargedClock(lambda: _tree_pids(root), started)
            if now > deadline:  # due by the wall clock: by the charged time too (a busy machine is not the student)?
                charged, waited = charge()
                if charged < timeout and now - started < hard_limit(timeout):
                    deadline = now + max(0.1, timeout - charged)
                    continue
                self.kill()
                raise RunnerDied("timeout", timeout_message(timeout, now - started, waited))
            if self.raw_total > self.output_bytes:
                charge()
                self.kill()
                raise RunnerDied("output-limit", Message(
                    f"sortie de plus de {self.output_bytes // 2**20} Mo : processus arrêté",
                    f"more than {self.output_bytes // 2**20} MB of output: process stopped"))
            if self.disk_bytes and time.monotonic() >= self._next_disk_check:
                self._next_disk_check = time.monotonic() + 1.0
                if _dir_bytes(self.exchange.parent) > self.disk_bytes:
                    charge()
                    self.kill()
                    raise RunnerDied("output-limit", disk_limit_message(self.disk_bytes))
            used = tree_memory_bytes(self.proc.pid, self.memory_bytes) if self.memory_bytes else 0
            self.peak_bytes = max(self.peak_bytes, used)  # what sizes the workers (`grader calibrate` keeps it)
            if self.memory_bytes and used > self.memory_bytes:
                charge()
                self.kill()
                raise RunnerDied("memory", Message(f"mémoire au-delà de {self.memory_bytes // 2**20} Mo : processus arrêté",
                                                    f"memory beyond {self.memory_bytes // 2**20} MB: process stopped"))

    def _died(self) -> RunnerDied:
        assert self.proc is not None
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=2)
        code = self.proc.returncode
        self.kill()
        if code == -signal.SIGXCPU:
            return RunnerDied("timeout", Message("temps CPU dépassé (RLIMIT_CPU) : processus arrêté",
                                              "CPU time exceeded (RLIMIT_CPU): process stopped"))
        if code is not None and code > 128 and self.sandbox.bwrap:  # bwrap reports its child's signal as 128+n
            code = 128 - code
        if code is not None and code < 0:
            name = signal.Signals(-code).name if -code in signal.Signals._value2member_map_ else str(-code)
            return RunnerDied("crash", Message(f"le processus a été tué par le signal {name}",
                                               f"the process was killed by signal {name}"))
        return RunnerDied("crash", Message(f"le processus s'est terminé (code {code}) pendant l'exécution",
                                           f"the process exited (code {code}) while running"))

    def kill(self) -> None:
        """Kill the runner's session, let the supervisor kill its orphans, then make sure; never a zombie."""
        if self.proc is None:
            return
        for runner in children_of(self.proc.pid):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(runner, signal.SIGKILL)
        with contextlib.suppress(ProcessLookupError):
            self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=3)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                self.proc.kill()
            with contextlib.suppress(Exception):
                self.proc.wait(timeout=5)
        with _live_lock:
            _live_runners.discard(self.proc.pid)
        for fd in (self._req_w, self._resp_r):
            with contextlib.suppress(OSError):
                os.close(fd)
        self._req_w = self._resp_r = -1
        reap_orphans()

    def close(self) -> None:
        """Ask politely, then make sure."""
        if self.proc is not None and self.proc.poll() is None:
            with contextlib.suppress(Exception):
                self.request({"op": "exit"}, timeout=2)
        self.kill()

    def output_excerpt(self) -> str:
        return bytes(self.raw_output).decode("utf-8", "replace")


class RunnerStarter(Protocol):
    """How a session gets a runner (not yet started): cold here, forked warm in `grader.runner.warm.pool`."""

    def __call__(self, workdir: Path, exchange: Path, *, memory_bytes: int, output_bytes: int, limits: dict,
                 sandbox: SandboxPlan | None = None, disk_bytes: int = 0,
                 env: dict[str, str] | None = None) -> RunnerProcess: ...


def cold_starter(workdir: Path, exchange: Path, *, memory_bytes: int, output_bytes: int, limits: dict,
                 sandbox: SandboxPlan | None = None, disk_bytes: int = 0,
                 env: dict[str, str] | None = None) -> RunnerProcess:
    """A fresh interpreter per runner (`python -m grader.runner.worker`): the reference path and the fallback."""
    return RunnerProcess(workdir, exchange, memory_bytes=memory_bytes, output_bytes=output_bytes, limits=limits,
                         sandbox=sandbox, disk_bytes=disk_bytes, env=env)
