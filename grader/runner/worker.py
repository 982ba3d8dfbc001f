"""Runner main loop: executes cells and answers the judge's observation requests.

This module runs inside the untrusted process. It holds no expected value,
hidden input or reference code; everything it returns is treated by the judge
as the student's answer. `serve()` depends only on two file descriptors and a
folder, so a warm parent that already imported TensorFlow can fork and call it.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import hashlib
import importlib
import importlib.util
import os
import random
import resource
import signal
import sys
import time
import warnings
from pathlib import Path
from types import ModuleType
from typing import Any

from grader.runner import mplbackend, patches
from grader.runner.capture import CappedWriter, student_traceback
from grader.runner.charged_time import ChargedClock, hard_limit
from grader.runner.exchange import Exchange
from grader.runner.protocol import Encoder, decode, read_frame, write_frame

#: Calls to `random`'s module functions that a warm fork server's imports made (rich draws an id at
#: import): replayed after seeding, so that a warm child's `random` is where a cold runner's is once
#: the student imported TensorFlow (Keras' default seeds come from it). Empty in a cold runner.
PRELOAD_DRAWS: list[tuple[str, tuple, dict]] = []


#: the arrays of one request from the judge (hidden images, a model's weights): trusted, still bounded
INPUT_BYTES = 4 << 30


class CellTimeout(BaseException):
    """Raised by SIGALRM inside a cell or call that outlives its limit."""


_alarm: dict[str, Any] = {}  # the limit in force: its charged clock, limit and wall-clock safety net


def _on_alarm(signum, frame):
    """At the limit by the wall clock: if this process waited for a CPU meanwhile (a busy machine),
    the wait is not the student's: look again when the charged time can reach the limit. Once due,
    re-armed so that a student's bare `except:` cannot swallow it for good."""
    clock, limit = _alarm.get("clock"), float(_alarm.get("limit", 0))
    if clock is not None and not _alarm.get("due"):
        charged = clock.charged()
        if charged < limit - 0.05 and clock.wall() < hard_limit(limit):
            signal.setitimer(signal.ITIMER_REAL, max(limit - charged, 0.05))
            return
    _alarm["due"] = True
    signal.setitimer(signal.ITIMER_REAL, 0.5)
    raise CellTimeout()


@contextlib.contextmanager
def alarm(seconds: float):
    """CellTimeout once `seconds` of charged time (grader.runner.charged_time) have passed."""
    _alarm.clear()
    _alarm.update(clock=ChargedClock(lambda: (os.getpid(),)), limit=seconds)
    signal.signal(signal.SIGALRM, _on_alarm)
    signal.setitimer(signal.ITIMER_REAL, max(seconds, 0.01))
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        _alarm.clear()


@contextlib.contextmanager
def captured(writer: CappedWriter):
    old = sys.stdout, sys.stderr
    sys.stdout = sys.stderr = writer
    try:
        yield
    finally:
        sys.stdout, sys.stderr = old


def harden(limits: dict) -> None:
    """Process-level limits that need no privilege (Layer 0)."""
    with contextlib.suppress(Exception):
        ctypes.CDLL(None).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG: die with the grader
    if os.getppid() == 1 and not limits.get("pidns"):  # in a PID namespace, 1 is bwrap
        os._exit(70)
    nproc = int(limits.get("nproc", 0))
    if nproc > 0:  # Layer 1 only: with a dedicated uid, this bounds fork bombs
        resource.setrlimit(resource.RLIMIT_NPROC, (nproc, nproc))
    if limits.get("seccomp"):
        from grader.runner import seccomp

        seccomp.install()
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    fsize = int(limits.get("file_bytes", 1 << 30))
    resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, fsize))
    if not limits.get("preload"):  # else set once the preload is done (serve): its time is not the student's
        limit_cpu(int(limits.get("cpu_seconds", 0)))
    nofile = int(limits.get("open_files", 4096))
    with contextlib.suppress(ValueError):
        resource.setrlimit(resource.RLIMIT_NOFILE, (nofile, nofile))
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)
    sys.stdin = open(os.devnull)  # noqa: SIM115 - stays open for the process' life


def limit_cpu(cpu: int) -> None:
    """RLIMIT_CPU of `cpu` seconds from now: what this process already used (importing TensorFlow
    before the first cell) is not the student's. SIGXCPU at the soft limit, SIGKILL at the hard one."""
    if cpu > 0:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        used = int(usage.ru_utime + usage.ru_stime) + 1
        with contextlib.suppress(ValueError):  # a lower limit is always allowed; the first is never lower
            resource.setrlimit(resource.RLIMIT_CPU, (used + cpu, used + cpu + 5))


class _SeedTensorFlow:
    """Meta-path hook: seeds TensorFlow right after the student imports it (same scores twice)."""

    def __init__(self, seed: int):
        self.seed = seed

    def find_spec(self, name, path=None, target=None):
        if name != "tensorflow":
            return None
        sys.meta_path.remove(self)
        spec = importlib.util.find_spec(name)
        if spec is None or spec.loader is None:
            return spec
        exec_module, seed = spec.loader.exec_module, self.seed

        def exec_and_seed(module):
            exec_module(module)
            with contextlib.suppress(Exception):
                module.random.set_seed(seed)

        spec.loader.exec_module = exec_and_seed
        return spec


def _convert_input(arr, kind: str):
    if kind in ("tensor", "variable"):
        import tensorflow as tf

        return tf.Variable(arr) if kind == "variable" else tf.constant(arr)
    return arr


class Worker:
    def __init__(self, exchange: Path, workdir: str):
        self.exchange = exchange
        self.box = Exchange(exchange)  # the judge's input files: read by fd, no link followed
        self.workdir = workdir
        self.shell = _make_shell(self)
        self.notes: list[dict[str, str]] = []  # {"fr", "en"} pairs
        self.calls = 0
        self._shipped: dict[tuple[str, str], ModuleType] = {}

    def decode(self, value: Any) -> Any:
        """The judge's inputs (trusted, and as large as a model's weights): arrays as tensors on request."""
        return decode(value, self.box, "in", convert=_convert_input, max_bytes=INPUT_BYTES)

    def probe_function(self, module: str, function: str, source: str | None) -> Any:
        """The judge's runner-side function `module.function`: imported from `grader.runner` (what the
        runner can read), or, for a module the runner cannot see (an assignment's own `probes.py`), built
        from the `source` the judge shipped (once per content). None when there is no such function."""
        if source is None:
            if not module.startswith("grader.runner."):
                return None
            mod = importlib.import_module(module)
        else:
            key = (module, hashlib.sha256(source.encode()).hexdigest())
            if key not in self._shipped:
                mod = ModuleType(module)
                mod.__file__ = f"<judge-probe {module}>"
                sys.modules[module] = mod  # dataclasses and pickling look their module up there
                exec(compile(source, mod.__file__, "exec"), mod.__dict__)
                self._shipped[key] = mod
            mod = self._shipped[key]
        fn = getattr(mod, function, None)
        return fn if callable(fn) else None

    # -- requests -------------------------------------------------------
    def handle(self, req: dict) -> dict:
        op = req.get("op")
        if op == "hello":
            return {"ok": True, "pid": os.getpid()}
        if op == "run_cell":
            return self.run_cell(int(req["index"]), str(req["source"]), float(req["timeout"]))
        if op in ("get", "describe", "call", "probe", "run"):
            return self.observe(op, req)
        return {"ok": False, "status": "grader-error", "error": f"unknown op {op!r}"}

    def run_cell(self, index: int, source: str, timeout: float) -> dict:
        out = CappedWriter()
        self.notes = []
        self.shell.execution_count = index + 1
        start = time.monotonic()
        status, error = "passed", ""
        with captured(out):
            try:
                with alarm(timeout):
                    result = self.shell.run_cell(source, store_history=False, silent=False)
                exc = result.error_before_exec or result.error_in_exec
            except CellTimeout as e:
                exc = e
            except BaseException as e:  # noqa: BLE001 - nothing a cell does may end the runner
                exc = e
            self._save_figures()
        self.notes.extend(patches.take_notes())  # budget: what was served or capped in this cell
        if isinstance(exc, CellTimeout):
            status, error = "timeout", {"fr": f"cellule interrompue après {timeout:.0f} s",
                                        "en": f"cell stopped after {timeout:.0f} s"}
        elif exc is not None:
            status, error = "error", student_traceback(exc, self.workdir)
        return {
            "ok": True,
            "status": status,
            "error": error,
            "output": out.text(),
            "output_chars": out.total,
            "notes": self.notes,
            "seconds": time.monotonic() - start,
        }

    def _save_figures(self) -> None:
        if "matplotlib.pyplot" in sys.modules:
            with contextlib.suppress(Exception):
                mplbackend.save_open_figures()

    def observe(self, op: str, req: dict) -> dict:
        ns = self.shell.user_ns
        out = CappedWriter(2000, 500)
        timeout = float(req.get("timeout", 30))
        self.calls += 1
        enc = Encoder(self.box, f"out-{self.calls}")
        try:
            with captured(out), alarm(timeout):
                if op == "run":
                    module, function = str(req["module"]), str(req["function"])
                    source = req.get("source")
                    try:
                        fn = self.probe_function(module, function, None if source is None else str(source))
                    except Exception as e:  # noqa: BLE001 - the judge's own code failed to load: our bug
                        return {"ok": False, "status": "grader-error",
                                "error": f"{module}: {type(e).__name__}: {e}"[:2000]}
                    if fn is None:
                        return {"ok": False, "status": "grader-error", "error": f"no runner function {module}.{function}"}
                    args = self.decode(req.get("args", {"list": []}))
                    kwargs = self.decode(req.get("kwargs", {"dict": []}))
                    value = fn(ns, *args, **kwargs)
                    return {"ok": True, "value": enc.encode(value), "output": out.text()}
                if op == "probe":
                    inputs = self.decode(req.get("inputs", {"dict": []}))
                    scope = {"ns": ns, **inputs}
                    exec(compile(str(req["code"]), "<judge-probe>", "exec"), scope)
                    value = scope.get("result")
                    return {"ok": True, "value": enc.encode(value), "output": out.text()}
                name = str(req["name"])
                if name not in ns or name.startswith("_"):
                    return {"ok": False, "status": "missing", "error": name}
                obj = ns[name]
                if op == "get":
                    return {"ok": True, "value": enc.encode(obj)}
                if op == "describe":
                    return {"ok": True, "value": enc.encode(_describe(obj))}
                args = self.decode(req.get("args", {"list": []}))
                kwargs = self.decode(req.get("kwargs", {"dict": []}))
                with _spies(req.get("spy", [])) as counts:
                    value = obj(*args, **kwargs)
                return {"ok": True, "value": enc.encode(value), "spy": counts, "output": out.text()}
        except CellTimeout:
            return {"ok": False, "status": "timeout", "error": {"fr": f"interrompu après {timeout:.0f} s",
                                                                "en": f"stopped after {timeout:.0f} s"}}
        except BaseException as e:  # noqa: BLE001 - the student's error is an answer, not a crash
            return {"ok": False, "status": "error", "error": student_traceback(e, self.workdir), "output": out.text()}


def _describe(obj: Any) -> dict:
    t = type(obj)
    info: dict[str, Any] = {"type": f"{t.__module__}.{t.__qualname__}", "callable": callable(obj)}
    mro = [f"{c.__module__}.{c.__qualname__}" for c in t.__mro__]
    info["mro"] = mro[:12]
    for attr in ("shape", "dtype"):
        with contextlib.suppress(Exception):
            info[attr] = str(getattr(obj, attr))
    return info


@contextlib.contextmanager
def _spies(targets: list[str]):
    """Counts calls of trusted library functions (e.g. `tensorflow.GradientTape.gradient`) during a call."""
    counts: dict[str, int] = {}
    restore = []
    for target in targets:
        module_name, _, attr_path = target.partition(":")
        counts[target] = 0
        try:
            owner = importlib.import_module(module_name)
            *parents, leaf = attr_path.split(".")
            for p in parents:
                owner = getattr(owner, p)
            original = getattr(owner, leaf)
        except Exception:  # noqa: BLE001
            continue

        def wrapper(*a, __orig=original, __t=target, **k):
            counts[__t] += 1
            return __orig(*a, **k)

        setattr(owner, leaf, wrapper)
        restore.append((owner, leaf, original))
    try:
        yield counts
    finally:
        for owner, leaf, original in restore:
            setattr(owner, leaf, original)


def _make_shell(worker: Worker):
    """An IPython shell whose shell escapes and package installs are recorded, never run."""
    from IPython.core.interactiveshell import InteractiveShell
    from traitlets.config import Config

    cfg = Config()
    cfg.HistoryManager.enabled = False
    shell = InteractiveShell.instance(config=cfg)
    shell.showtraceback = lambda *a, **k: None
    shell.showsyntaxerror = lambda *a, **k: None

    def refuse(cmd: str = "", *a, **k):
        shown = str(cmd).strip()[:200]
        worker.notes.append({"fr": f"commande shell non exécutée : !{shown}", "en": f"shell command not run: !{shown}"})
        return None

    def refuse_output(cmd: str = "", *a, **k):
        refuse(cmd)
        return []

    shell.system = shell.system_piped = shell.system_raw = refuse
    shell.getoutput = refuse_output

    def refuse_magic(name: str):
        def magic(line: str = "", cell: str | None = None):
            shown = f"%{name} {line.strip()[:200]}"
            worker.notes.append({"fr": f"commande %{name} non exécutée : {shown}",
                                 "en": f"%{name} command not run: {shown}"})

        return magic

    for name in ("pip", "conda", "mamba", "micromamba", "uv", "sx", "system", "matplotlib", "gui"):
        shell.register_magic_function(refuse_magic(name), "line", name)
    for name in ("bash", "sh", "script", "system", "perl", "ruby", "python2", "python3", "pypy", "js", "html", "javascript"):
        shell.register_magic_function(refuse_magic(name), "cell", name)
    return shell


def serve(req_fd: int, resp_fd: int, exchange: Path, workdir: str, limits: dict | None = None) -> None:
    """Answer requests until the judge says exit or goes away."""
    limits = limits or {}
    harden(limits)
    patches.install(limits, exchange / "datasets")  # datasets from the grader's copy, `fit` within the budget
    seed = int(limits.get("seed", 0))
    random.seed(seed)
    for name, args, kwargs in PRELOAD_DRAWS:  # a warm fork: the draws a cold `import tensorflow` would make
        getattr(random, name)(*args, **kwargs)
    with contextlib.suppress(Exception):
        import numpy as np

        np.random.seed(seed)
    if "tensorflow" in sys.modules:  # imported by a warm fork server (which never ran an op)
        with contextlib.suppress(Exception):
            sys.modules["tensorflow"].random.set_seed(seed)
    else:
        sys.meta_path.insert(0, _SeedTensorFlow(seed))
    mplbackend.FIGURE_DIR = exchange
    warnings.filterwarnings("ignore", message=".*non-interactive.*")
    preload = list(limits.get("preload", ()))
    for module in preload:  # cold: what a warm server imported, before the first cell
        with contextlib.suppress(Exception):
            importlib.import_module(module)
    if preload:
        limit_cpu(int(limits.get("cpu_seconds", 0)))  # the import's CPU time is not the student's
    worker = Worker(exchange, workdir)
    while True:
        try:
            req = read_frame(req_fd)
        except (EOFError, OSError):
            os._exit(0)
        if req.get("op") == "exit":
            write_frame(resp_fd, {"ok": True})
            os._exit(0)
        try:
            reply = worker.handle(req)
        except BaseException as e:  # noqa: BLE001 - report, keep serving
            reply = {"ok": False, "status": "grader-error", "error": f"{type(e).__name__}: {e}"[:2000]}
        try:
            write_frame(resp_fd, reply)
        except (OSError, TypeError, ValueError) as e:
            write_frame(resp_fd, {"ok": False, "status": "grader-error", "error": f"reply failed: {e}"[:500]})


def main(argv: list[str] | None = None) -> None:
    import json

    p = argparse.ArgumentParser(prog="grader-runner")
    p.add_argument("--req-fd", type=int, required=True)
    p.add_argument("--resp-fd", type=int, required=True)
    p.add_argument("--exchange", required=True)
    p.add_argument("--limits", default="{}")
    a = p.parse_args(argv)
    serve(a.req_fd, a.resp_fd, Path(a.exchange), os.getcwd() + os.sep, json.loads(a.limits))


if __name__ == "__main__":
    main()
