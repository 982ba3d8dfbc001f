"""Sandbox layers around a runner, probed once per run; every result records which were active.

- Layer 0 (everywhere): the runner/judge split, process limits, supervisor (see process.py, worker.py).
- Layer 1 (grader runs as root): the runner drops to a dedicated unprivileged uid, RLIMIT_NPROC
  bounds fork bombs, and a seccomp filter denies inet sockets, ptrace, inotify, mount/unshare/
  setns, bpf and kernel-module calls (pyseccomp: a ctypes binding to libseccomp that installs in
  a venv, where Debian's python3-seccomp only serves the system Python). What the dropped uid
  cannot read of the runtime is mirrored for it (`grader.runner.staging`).
- Layer 2 (a bubblewrap probe succeeds): new network, PID, IPC and mount namespaces in which only
  the Python install, the venv, the runner's own package, the submission's folder and its
  exchange folder are visible; /tmp is a size-capped tmpfs.
- The run folder (the submission's copy and the exchange folder) is, when the grader runs as root, a
  tmpfs the grader mounts on the host with the run's disk cap as its size (`make_run_dir`): a write
  past the cap fails with ENOSPC inside the runner, files deleted while still open included, and
  the grader reads the exchange files as before. Without root, a polling check counts the folder's
  files (not those deleted while open).

Run as root, the grader never lets student code keep root: without Layer 1, `plan()` refuses
(`SandboxUnavailable`) unless `--sandbox off` was asked for explicitly, and that plan is marked
`unsafe` so every result records it.
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from grader.model import Message, MessageError
from grader.runner.staging import SYSTEM_DIRS, Runtime, denied, host_runtime, runtime_for

RUNNER_UID = int(os.environ.get("GRADER_RUNNER_UID", "64023"))
TMPFS_BYTES = 512 << 20
SHM_BYTES = 64 << 20  # POSIX semaphores and small shared buffers only
PROBE_TIMEOUTS = (60, 180)  # a probe that times out on a loaded machine is retried, not taken as "no layer"
LAYER_NAMES = {0: Message("processus (limites, superviseur)", "process (limits, supervisor)"),
               1: Message("utilisateur dédié + seccomp", "dedicated user + seccomp"),
               2: Message("bubblewrap", "bubblewrap")}


def nproc_limit(cores: int | None = None) -> int:
    """RLIMIT_NPROC of one runner uid (threads count): TensorFlow measured at 12 threads on 2 cores and
    40 with 16-thread pools after `fit`, tf.data and a CNN (about 2 per core + 8); four times that, and
    room for a student's multiprocessing pool, leaves a fork bomb a few dozen processes."""
    return 64 + 8 * (cores or os.cpu_count() or 1)


NPROC = nproc_limit()


class _Leases:
    """One uid per live submission: RLIMIT_NPROC and kill(-1) then only reach that student's own processes.

    Leased across processes too (two `grader run` at once, a node's several Ray workers): a uid is
    taken by holding an exclusive `flock` on its file in a root-only folder, which the kernel drops
    when the holder dies, so a crashed grader never leaks a uid and two live students never share one.
    """

    def __init__(self, base: int, size: int = 256, folder: Path | None = None, kind: str = "uids"):
        self.base, self.size, self.kind = base, size, kind
        self._folder = folder
        self._held: dict[int, int] = {}  # uid -> the lock file's descriptor
        self._next = 0  # round robin: a uid just released is the last one taken again
        self._lock = threading.Lock()

    def _lock_folder(self) -> Path:
        folder = self._folder or Path(tempfile.gettempdir()) / f"tp-grader-{self.kind}-{os.getuid()}"
        folder.mkdir(mode=0o700, exist_ok=True)
        if folder.stat().st_uid != os.getuid() or folder.is_symlink():
            raise RuntimeError(f"{folder} is not ours: cannot lease runner uids safely")
        return folder

    def acquire(self, size: int | None = None) -> int:
        """A free one among the first `size` (default all); waits for one when every one is taken
        for a while (GPUs: more workers than GPUs wait their turn), then says so."""
        size = size or self.size
        for _ in range(6000 if size < self.size else 1):  # GPUs: up to 10 min of waiting
            found = self._try(size)
            if found is not None:
                return found
            time.sleep(0.1)
        raise RuntimeError(f"all {size} runner {self.kind} from {self.base} are in use")

    def _try(self, size: int) -> int | None:
        import fcntl

        with self._lock:
            folder = self._lock_folder()
            for k in range(size):
                uid = self.base + (self._next + k) % size
                if uid in self._held:
                    continue
                fd = os.open(folder / str(uid), os.O_RDWR | os.O_CREAT | os.O_CLOEXEC | os.O_NOFOLLOW, 0o600)
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    os.close(fd)
                    continue
                self._held[uid] = fd
                self._next = (uid - self.base + 1) % size
                return uid
        return None

    def release(self, uid: int) -> None:
        with self._lock:
            fd = self._held.pop(uid, None)
            if fd is not None:
                os.close(fd)  # closing the descriptor drops the flock


UIDS = _Leases(RUNNER_UID)
GPUS = _Leases(0, size=64, kind="gpus")  # an index into Limits.gpus


class SandboxUnavailable(MessageError):
    """The layers this run needs cannot be had here: `--sandbox require`, or root without Layer 1."""


@dataclass(frozen=True)
class SandboxPlan:
    layers: tuple[int, ...]
    uid: int | None = None  # Layer 1: drop to this uid/gid
    seccomp: bool = False
    bwrap: str | None = None  # Layer 2: path of bwrap
    reasons: tuple[Message, ...] = ()  # why a layer is off
    runtime: Runtime | None = None  # what the runner execs and reads (None: the grader's own)
    unsafe: bool = False  # root without Layer 1 (only by an explicit --sandbox off): student code runs as root

    def describe(self, lang: str = "fr") -> str:
        on = ", ".join(f"{n} ({LAYER_NAMES[n].get(lang)})" for n in self.layers)
        head = "couches actives : " if lang != "en" else "active layers: "
        off = (" ; inactives : " if lang != "en" else "; inactive: ") + "; ".join(r.get(lang) for r in self.reasons)
        return head + on + (off if self.reasons else "")

    @property
    def warning(self) -> Message | None:
        """Said in red on the console and recorded in every result of an unsafe run."""
        if not self.unsafe:
            return None
        return Message("--sandbox off en root : le code des élèves s'exécute en root, avec les droits du "
                       "correcteur (il peut tuer tout processus, lire et modifier tout fichier de la machine).",
                       "--sandbox off as root: student code runs as root, with the grader's privileges (it can "
                       "kill any process, read and change any file on this machine).")

    def reason_texts(self) -> list[dict[str, str]]:
        return [r.as_dict() for r in self.reasons]

    def runner_runtime(self) -> Runtime:
        return self.runtime or host_runtime()


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


def _system_binds() -> list[str]:
    """System folders, bound read-only at their own paths (symlinked ones recreated as links)."""
    args: list[str] = []
    for p in SYSTEM_DIRS:
        path = Path(p)
        if path.is_symlink():
            args += ["--symlink", os.readlink(path), p]
        elif path.exists():
            args += ["--ro-bind", p, p]
    for dev in sorted(Path("/dev").glob("nvidia*")):
        args += ["--dev-bind", str(dev), str(dev)]
    return args


def _tree_binds(paths: list[str] | tuple[str, ...], made: set[str]) -> list[str]:
    """Read-only binds of the runtime's trees and served data, after the sandbox's own mounts (/tmp,
    /dev, /proc) so that a venv or data folder under one of them is not hidden by it."""
    args: list[str] = []
    bound = set(SYSTEM_DIRS)
    for p in paths:
        if p and Path(p).exists() and not any(p == b or p.startswith(b + "/") for b in bound):
            args += [*_parents(p, made), "--ro-bind", p, p]
            bound.add(p)
    return args


def _course_hidden(runtime) -> list[str]:
    """The built-in course ships inside the grader package (references, checks): the runner imports
    that package, so an empty tmpfs covers its `resources/` folder."""
    folder = Path(runtime.pythonpath) / "grader" / "resources"
    return ["--size", "4096", "--tmpfs", str(folder)] if folder.is_dir() else []


def runner_command(plan: SandboxPlan, run_dir: Path, workdir: Path, command: list[str],
                   ro_paths: list[str] | tuple[str, ...] = ()) -> list[str]:
    """`command` wrapped in the plan's layers: [bwrap ... --] [setpriv (uid drop) --] command.

    `ro_paths` (the datasets served to this runner) are bound read-only at their own paths."""
    if plan.uid is not None:
        command = [shutil.which("setpriv") or "/usr/bin/setpriv", "--reuid", str(plan.uid), "--regid",
                   str(plan.uid), "--clear-groups", "--", *command]
    if not plan.bwrap:
        return command
    made = {"/tmp", "/dev", "/proc", "/sys"}
    cmd = [plan.bwrap, "--die-with-parent", "--unshare-net", "--unshare-pid", "--unshare-ipc", "--unshare-uts",
           "--unshare-cgroup-try", *_system_binds(), "--proc", "/proc", "--dev", "/dev",
           # world-writable + sticky like the host's: the runner drops to its own uid after bwrap set them up
           # as root (a 0755 /dev/shm breaks every multiprocessing lock, e.g. image_dataset_from_directory)
           "--perms", "1777", "--size", str(SHM_BYTES), "--tmpfs", "/dev/shm", "--ro-bind", "/sys", "/sys",
           "--perms", "1777", "--size", str(TMPFS_BYTES), "--tmpfs", "/tmp",
           *_tree_binds(plan.runner_runtime().roots, made), *_course_hidden(plan.runner_runtime()),
           *_parents(str(run_dir), made), "--bind", str(run_dir), str(run_dir),
           *_tree_binds(list(ro_paths), made),
           "--chdir", str(workdir)]
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


# -- the run folder as a size-capped tmpfs ---------------------------------------------------------

RUN_FS = "tp-grader-run"  # the tmpfs's source in /proc/self/mountinfo: "tp-grader-run-<grader pid>"
MIN_INODES = 65536
_MS_NOSUID, _MS_NODEV, _MNT_DETACH = 2, 4, 2
_capped: set[str] = set()  # run folders this process mounted and has not released
_capped_lock = threading.Lock()
_swept = False


def _libc():
    import ctypes

    return ctypes.CDLL(None, use_errno=True)


def _mount_tmpfs(target: Path, size: int) -> None:
    import ctypes

    options = f"size={size},nr_inodes={max(MIN_INODES, size // 8192)},mode=0700"
    if _libc().mount(f"{RUN_FS}-{os.getpid()}".encode(), str(target).encode(), b"tmpfs",
                     ctypes.c_ulong(_MS_NOSUID | _MS_NODEV), options.encode()) != 0:
        err = ctypes.get_errno()
        raise OSError(err, os.strerror(err), str(target))


def _unmount(target: str) -> None:
    _libc().umount2(target.encode(), _MNT_DETACH)  # lazy: a descriptor still open keeps it alive meanwhile


def make_run_dir(plan: SandboxPlan, run_dir: Path, disk_bytes: int, source: Path | None = None) -> bool:
    """Create `run_dir` with the submission's copy of `source` in `run_dir/work`; True when it is a
    tmpfs of `disk_bytes` (the grader runs as root), so that every byte a runner writes there counts,
    those of files deleted while still open too (a write past the cap fails with ENOSPC, the student's
    own error). Otherwise (not root, a mount refused, a submission folder larger than the cap) a plain
    folder, whose size the runner's polling check watches. Released by `release_run_dirs`.

    Called by the session before anything is put in the run folder (the exchange folder is made after)."""
    global _swept
    run_dir.mkdir(parents=True)
    capped = False
    if os.geteuid() == 0 and disk_bytes > 0:
        if not _swept:
            _swept = True
            sweep_stale_run_dirs()
        try:
            _mount_tmpfs(run_dir, disk_bytes)
            capped = True
        except OSError:
            capped = False
    work = run_dir / "work"
    try:
        if source is not None:
            shutil.copytree(source, work, symlinks=True)
        else:
            work.mkdir()
    except OSError:
        if not capped:
            raise
        _unmount(str(run_dir))  # the submission's own folder is over the cap: a plain folder, polled
        shutil.rmtree(run_dir, ignore_errors=True)
        return make_run_dir(plan, run_dir, 0, source)
    _sweep_released()
    if capped:  # registered once it holds `work`: `_sweep_released` takes an empty one for a closed one
        with _capped_lock:
            _capped.add(str(run_dir))
    return capped


def release_run_dirs(root: Path) -> None:
    """Empty and unmount the run folders this process mounted at or under `root` (a session's, when it
    closes: its `rmtree` then removes what is left)."""
    prefix = str(root).rstrip("/") + "/"
    with _capped_lock:
        mine = sorted((d for d in _capped if d == str(root) or d.startswith(prefix)), reverse=True)
        _capped.difference_update(mine)
    for d in mine:
        with contextlib.suppress(OSError):
            for entry in os.scandir(d):  # freed now, not when the last descriptor into it closes
                if entry.is_dir(follow_symlinks=False):
                    shutil.rmtree(entry.path, ignore_errors=True)
                else:
                    os.unlink(entry.path)
        _unmount(d)


def _sweep_released() -> None:
    """Run folders of sessions that deleted them without unmounting (emptied by their `rmtree`)."""
    with _capped_lock:
        done = [d for d in _capped if not os.path.isdir(os.path.join(d, "work"))
                and not os.path.isdir(os.path.join(d, "exchange"))]
        _capped.difference_update(done)
    for d in done:
        _unmount(d)
        with contextlib.suppress(OSError):
            os.rmdir(d)
            os.rmdir(os.path.dirname(d))


def sweep_stale_run_dirs() -> int:
    """Unmount run folders left by graders that died (their pid, in the mount's source, is gone)."""
    gone = 0
    with contextlib.suppress(OSError), open("/proc/self/mountinfo") as f:
        for line in f:
            fields = line.split()
            try:
                sep = fields.index("-")
            except ValueError:
                continue
            source, target = fields[sep + 2], fields[4].replace("\\040", " ")
            if fields[sep + 1] != "tmpfs" or not source.startswith(RUN_FS + "-"):
                continue
            pid = source.rsplit("-", 1)[1]
            if pid.isdigit() and int(pid) != os.getpid() and not os.path.exists(f"/proc/{pid}"):
                _unmount(target)
                shutil.rmtree(target, ignore_errors=True)
                with contextlib.suppress(OSError):
                    os.rmdir(os.path.dirname(target))
                gone += 1
    return gone


def _release_all() -> None:
    with _capped_lock:
        mine = sorted(_capped, reverse=True)
        _capped.clear()
    for d in mine:
        _unmount(d)


atexit.register(_release_all)


PROBE_CODE = "import sys, numpy, grader.runner.worker; print('probe', sys.hexversion)"


def _trim(data: bytes, limit: int = 400) -> str:
    lines = [ln for ln in data.decode("utf-8", "replace").strip().splitlines() if ln.strip()]
    text = " | ".join(lines[-4:])
    return text if len(text) <= limit else "..." + text[-limit:]


def probe(candidate: SandboxPlan) -> Message | None:
    """Start the real runner chain on a throw-away folder (the only honest probe): None when it works,
    else the failing step's own error. A time-out is retried with a longer one before it counts."""
    runtime = candidate.runner_runtime()
    for timeout in PROBE_TIMEOUTS:
        tmp = Path(tempfile.mkdtemp(prefix="grader-probe-"))
        cmd = [runtime.python]
        try:
            run_dir = tmp / "run"
            run_dir.mkdir()
            prepare_run_dir(candidate, tmp, run_dir)
            cmd = runner_command(candidate, run_dir, run_dir, [runtime.python, "-c", PROBE_CODE])
            env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(run_dir), **runtime.environ()}
            r = subprocess.run(cmd, capture_output=True, timeout=timeout, cwd=run_dir, env=env)
        except subprocess.TimeoutExpired:
            continue
        except OSError as e:
            return Message(f"{cmd[0]} : {e}", f"{cmd[0]}: {e}")
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        if r.returncode == 0 and f"probe {sys.hexversion}".encode() in r.stdout:
            return None
        if r.returncode == 0:  # e.g. the system's libpython loaded instead of ours
            return Message(f"{runtime.python} a démarré un autre Python : {_trim(r.stdout)}",
                           f"{runtime.python} started another Python: {_trim(r.stdout)}")
        err = _trim(r.stderr or r.stdout) or f"code {r.returncode}"
        return Message(f"{Path(cmd[0]).name} a échoué : {err}", f"{Path(cmd[0]).name} failed: {err}")
    waited = " + ".join(str(t) for t in PROBE_TIMEOUTS)
    return Message(f"la sonde n'a pas abouti en {waited} s (machine trop chargée ?)",
                   f"the probe did not finish in {waited} s (machine too busy?)")


def _layer1(bwrap: str | None) -> tuple[SandboxPlan | None, Message | None]:
    """Layer 1 as this machine gives it (uid drop with a readable runtime, seccomp), or why not."""
    if not _seccomp_available():
        return None, Message("pyseccomp/libseccomp indisponible (pip install pyseccomp ; apt-get install libseccomp2)",
                             "pyseccomp/libseccomp unavailable (pip install pyseccomp; apt-get install libseccomp2)")
    if not shutil.which("setpriv"):
        return None, Message("setpriv absent (apt-get install util-linux)", "setpriv missing (apt-get install util-linux)")
    try:
        runtime = runtime_for(RUNNER_UID)
    except OSError as e:
        return None, Message(f"impossible de préparer une copie lisible du Python du correcteur : {e}",
                             f"cannot prepare a readable copy of the grader's Python: {e}")
    candidate = SandboxPlan((0, 1, *((2,) if bwrap else ())), uid=RUNNER_UID, seccomp=True, bwrap=bwrap,
                            runtime=runtime)
    failure = probe(candidate)
    if failure is None:
        return candidate, None
    denial = next((d for d in (denied(r, RUNNER_UID) for r in runtime.roots) if d), None)
    if denial is not None:
        where = denial.message(RUNNER_UID)
        return None, Message(f"{where.fr} ; {failure.fr}", f"{where.en}; {failure.en}")
    return None, failure


def _refusal(reason: Message) -> Message:
    return Message(
        "le correcteur tourne en root mais ne peut pas exécuter le code des élèves sous un utilisateur dédié "
        f"(couche 1) : {reason.fr}. Corrigez la cause ci-dessus (ou lancez le correcteur sans root) ; "
        "--sandbox off forcerait l'exécution en root, déconseillé.",
        "the grader runs as root but cannot run student code as a dedicated user (Layer 1): "
        f"{reason.en}. Fix the cause above (or run the grader without root); --sandbox off would run it as "
        "root, which is not advised.")


@functools.lru_cache(maxsize=4)
def plan(mode: str = "auto") -> SandboxPlan:
    """Which layers this machine supports; probed once per process (about a second).

    As root, student code never keeps root: without Layer 1 this raises `SandboxUnavailable`
    (exit 2 on the command line) unless `mode` is "off", which marks the plan unsafe."""
    root = os.geteuid() == 0
    if mode == "off":
        return SandboxPlan((0,), reasons=(Message("--sandbox off", "--sandbox off"),), unsafe=root)
    reasons: list[Message] = []
    bwrap = shutil.which("bwrap")
    layer2 = None
    if not bwrap:
        reasons.append(Message("2 : bubblewrap absent (apt-get install bubblewrap)",
                               "2: bubblewrap missing (apt-get install bubblewrap)"))
    elif (failure := probe(SandboxPlan((0, 2), bwrap=bwrap))) is not None:
        reasons.append(Message(f"2 : bubblewrap présent mais refusé : {failure.fr}",
                               f"2: bubblewrap present but refused: {failure.en}"))
    else:
        layer2 = bwrap
    layer1 = None
    if not root:
        reasons.append(Message("1 : le correcteur ne tourne pas en root", "1: the grader does not run as root"))
    else:
        layer1, why = _layer1(layer2)
        if layer1 is None and layer2:  # a Layer 2 that breaks the uid drop: keep Layer 1 without it
            layer1, alone = _layer1(None)
            if layer1 is None:
                why = alone
            else:
                layer2 = None
                reasons.append(Message(f"2 : incompatible avec la couche 1 : {why.fr}",
                                       f"2: incompatible with Layer 1: {why.en}"))
        if layer1 is None:
            raise SandboxUnavailable(_refusal(why))
    layers = (0, *((1,) if layer1 else ()), *((2,) if layer2 else ()))
    result = SandboxPlan(layers, RUNNER_UID if layer1 else None, bool(layer1), layer2, tuple(reasons),
                         layer1.runtime if layer1 else None)
    if mode == "require" and not layer2:
        text = "; ".join(r.fr for r in reasons)
        raise SandboxUnavailable(Message(f"--sandbox require : {text}",
                                         "--sandbox require: " + "; ".join(r.en for r in reasons)))
    return result
