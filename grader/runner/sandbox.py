"""Sandbox layers around a runner, probed once per run; every result records which were active.

- Layer 0 (everywhere): the runner/judge split, process limits, supervisor (see process.py, worker.py).
- Layer 1 (grader runs as root): the runner drops to a dedicated unprivileged uid, RLIMIT_NPROC
  bounds fork bombs, and a seccomp filter denies inet sockets, ptrace, inotify, mount/unshare/
  setns, bpf and kernel-module calls (pyseccomp: a ctypes binding to libseccomp that installs in
  a venv, where Debian's python3-seccomp only serves the system Python).
- Layer 2 (a bubblewrap probe succeeds): new network, PID, IPC and mount namespaces in which only
  the Python install, the venv, the runner's own package, the submission's folder and its
  exchange folder are visible; /tmp is a size-capped tmpfs.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import sys
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

from grader import ROOT

RUNNER_UID = int(os.environ.get("GRADER_RUNNER_UID", "64023"))
NPROC = 1024  # TensorFlow starts ~2 threads per core per pool; a fork bomb stops here
TMPFS_BYTES = 512 << 20
SHM_BYTES = 64 << 20  # POSIX semaphores and small shared buffers only
LAYER_NAMES = {0: "processus (limites, superviseur)", 1: "utilisateur dédié + seccomp", 2: "bubblewrap"}


class _UidPool:
    """One uid per live submission: RLIMIT_NPROC and kill(-1) then only reach that student's own processes."""

    def __init__(self, base: int, size: int = 256):
        self._free = list(range(base, base + size))
        self._lock = threading.Lock()

    def acquire(self) -> int:
        with self._lock:
            return self._free.pop(0)

    def release(self, uid: int) -> None:
        with self._lock:
            self._free.append(uid)


UIDS = _UidPool(RUNNER_UID)


class SandboxUnavailable(Exception):
    """`--sandbox require` asked for a layer this machine cannot provide."""


@dataclass(frozen=True)
class SandboxPlan:
    layers: tuple[int, ...]
    uid: int | None = None  # Layer 1: drop to this uid/gid
    seccomp: bool = False
    bwrap: str | None = None  # Layer 2: path of bwrap
    reasons: tuple[str, ...] = ()  # why a layer is off

    def describe(self) -> str:
        on = ", ".join(f"{n} ({LAYER_NAMES[n]})" for n in self.layers)
        return f"couches actives : {on}" + (f" ; inactives : {'; '.join(self.reasons)}" if self.reasons else "")


def _seccomp_available() -> bool:
    try:
        import pyseccomp  # noqa: F401
    except Exception:  # noqa: BLE001 - missing libseccomp raises at import
        return False
    return True


def _parents(path: str, made: set[str]) -> list[str]:
    """Traversable (0755) folders above a bind: bwrap would otherwise make them root-only."""
    args = []
    for parent in reversed(Path(path).parents):
        p = str(parent)
        if p != "/" and p not in made:
            args += ["--perms", "0755", "--dir", p]
            made.add(p)
    return args


def _ro_binds() -> list[str]:
    """System folders, the Python install and the venv, bound read-only at their own paths."""
    args: list[str] = []
    for p in ("/usr", "/etc", "/lib", "/lib64", "/lib32", "/bin", "/sbin"):
        path = Path(p)
        if path.is_symlink():
            args += ["--symlink", os.readlink(path), p]
        elif path.exists():
            args += ["--ro-bind", p, p]
    seen = {"/usr", "/etc", "/lib", "/lib64", "/bin", "/sbin"}  # bound
    made: set[str] = set()  # folders created above binds
    for p in (sys.base_prefix, sys.prefix, str(Path(sys.executable).resolve().parent.parent), str(ROOT / "grader")):
        if p and Path(p).exists() and not any(p == s or p.startswith(s + "/") for s in seen):
            args += [*_parents(p, made), "--ro-bind", p, p]
            seen.add(p)
    for dev in sorted(Path("/dev").glob("nvidia*")):
        args += ["--dev-bind", str(dev), str(dev)]
    return args


def runner_command(plan: SandboxPlan, run_dir: Path, workdir: Path, command: list[str],
                   ro_paths: list[str] | tuple[str, ...] = ()) -> list[str]:
    """`command` wrapped in the plan's layers: [bwrap ... --] [setpriv (uid drop) --] command.

    `ro_paths` (the datasets served to this runner) are bound read-only at their own paths."""
    if plan.uid is not None:
        command = [shutil.which("setpriv") or "/usr/bin/setpriv", "--reuid", str(plan.uid), "--regid",
                   str(plan.uid), "--clear-groups", "--", *command]
    if not plan.bwrap:
        return command
    cmd = [plan.bwrap, "--die-with-parent", "--unshare-net", "--unshare-pid", "--unshare-ipc", "--unshare-uts",
           "--unshare-cgroup-try", *_ro_binds(), "--proc", "/proc", "--dev", "/dev",
           # world-writable + sticky like the host's: the runner drops to its own uid after bwrap set them up
           # as root (a 0755 /dev/shm breaks every multiprocessing lock, e.g. image_dataset_from_directory)
           "--perms", "1777", "--size", str(SHM_BYTES), "--tmpfs", "/dev/shm", "--ro-bind", "/sys", "/sys",
           "--perms", "1777", "--size", str(TMPFS_BYTES), "--tmpfs", "/tmp", *_parents(str(run_dir), {"/tmp"}),
           "--bind", str(run_dir), str(run_dir),
           "--chdir", str(workdir)]
    made = {"/tmp"}
    for p in ro_paths:
        if Path(p).exists():
            cmd += [*_parents(p, made), "--ro-bind", p, p]
    if plan.uid is not None:  # bwrap sets up as root, keeping only what setpriv needs to drop
        cmd += ["--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID"]
    return [*cmd, "--", *command]


def prepare_run_dir(plan: SandboxPlan, session_root: Path, run_dir: Path) -> None:
    """The dropped uid owns its run folder and can only traverse (not list) the session root."""
    if plan.uid is None:
        return
    os.chmod(session_root, 0o711)
    for dirpath, dirnames, filenames in os.walk(run_dir):
        for name in [*dirnames, *filenames]:
            os.lchown(os.path.join(dirpath, name), plan.uid, plan.uid)
    os.lchown(run_dir, plan.uid, plan.uid)


def _works(candidate: SandboxPlan) -> bool:
    """Start the real runner chain on a throw-away folder: the only honest probe."""
    tmp = Path(tempfile.mkdtemp(prefix="grader-probe-"))
    try:
        run_dir = tmp / "run"
        run_dir.mkdir()
        prepare_run_dir(candidate, tmp, run_dir)
        cmd = runner_command(candidate, run_dir, run_dir, [sys.executable, "-c", "import numpy, grader.runner.worker"])
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "PYTHONPATH": str(ROOT), "HOME": str(run_dir)}
        r = subprocess.run(cmd, capture_output=True, timeout=60, cwd=run_dir, env=env)
        return r.returncode == 0
    except (OSError, subprocess.SubprocessError):
        return False
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


@functools.lru_cache(maxsize=4)
def plan(mode: str = "auto") -> SandboxPlan:
    """Which layers this machine supports; probed once per process (about a second)."""
    if mode == "off":
        return SandboxPlan((0,), reasons=("--sandbox off",))
    reasons: list[str] = []
    root = os.geteuid() == 0
    bwrap = shutil.which("bwrap")
    layer2 = bool(bwrap) and _works(SandboxPlan((0, 2), bwrap=bwrap))
    if not bwrap:
        reasons.append("2 : bubblewrap absent (apt-get install bubblewrap)")
    elif not layer2:
        reasons.append("2 : bubblewrap présent mais refusé sur cette machine")
    layer1 = False
    if not root:
        reasons.append("1 : le correcteur ne tourne pas en root")
    elif not _seccomp_available():
        reasons.append("1 : pyseccomp/libseccomp indisponible")
    else:
        layer1 = _works(SandboxPlan((0, 1), uid=RUNNER_UID, seccomp=True, bwrap=bwrap if layer2 else None))
        if not layer1:
            reasons.append(f"1 : l'uid {RUNNER_UID} ne peut pas lancer {sys.executable}")
    layers = (0, *((1,) if layer1 else ()), *((2,) if layer2 else ()))
    result = SandboxPlan(layers, RUNNER_UID if layer1 else None, layer1, bwrap if layer2 else None, tuple(reasons))
    if mode == "require" and (not layer2 or (root and not layer1)):
        raise SandboxUnavailable("--sandbox require : " + "; ".join(reasons))
    return result
