"""One submission's life in runners: run its cells, answer observations, survive crashes.

When a runner dies (a cell that `os._exit`s, segfaults, or ignores its
time-out), the session starts a fresh one and replays the cells that worked,
skipping the ones that killed it: what was defined before a bad cell is kept,
and the checks that follow still have something to observe.

How a runner is started is injected (`starter`, default a cold exec; `grader.runner.warm.pool` forks one
from a warm server). A runner lost because its fork server died is not the student's doing: the
session starts another (the pool replaces the server, or falls back to cold), replays, and the
cell or observation is tried again; neither counts as one of the student's restarts.
"""

from __future__ import annotations

import errno
import os
import shutil
import tempfile
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from grader.model import CellRecord, Message, Status, as_message
from grader.numbers import group
from grader.runner.charged_time import hard_limit
from grader.runner.exchange import Exchange, UnsafeFile
from grader.runner.process import (
    RunnerDied,
    RunnerProcess,
    RunnerStarter,
    cold_starter,
    disk_limit_message,
    too_large,
)
from grader.runner.protocol import AsTensor, Decoder, Encoder, ReplyTooLarge
from grader.runner.sandbox import (
    GPUS,
    UIDS,
    SandboxPlan,
    make_run_dir,
    prepare_run_dir,
    release_run_dirs,
)


@dataclass(frozen=True)
class Limits:
    cell_timeout: float = 120.0
    wall_timeout: float = 900.0
    call_timeout: float = 60.0
    memory_bytes: int = 4 << 30
    output_bytes: int = 64 << 20
    disk_bytes: int = 2 << 30  # written under the run folder (the submission's copy, /tmp under bwrap is apart)
    file_bytes: int = 1 << 30
    cpu_seconds: float = 0.0  # RLIMIT_CPU; 0: wall_timeout x min(cores, 4)
    max_restarts: int = 3
    grace: float = 5.0  # beyond a soft time-out, before the process is killed
    seed: int = 0
    budget: dict = field(default_factory=dict)  # caps for the runner's `fit` (grader.budget.Plan.runner_budget)
    datasets: dict = field(default_factory=dict)  # the grader's dataset copies (grader.data.serving.serve)
    preload: tuple[str, ...] = ("numpy", "tensorflow", "keras")  # imported before the first cell, cold as warm:
    # a cell's time (and the calibrated cell limit) never includes TensorFlow's import
    threads: int = 0  # compute threads per runner (grader.grading.executors.sizing); 0: the libraries' default
    origins: dict = field(default_factory=dict)  # limit -> {"fr", "en"}: why it is what it is (calibrated)
    gpus: tuple[str, ...] = ()  # GPU ids runners may use, one each, leased (grader.runner.sandbox.GPUS)
    cpu_only: bool = False  # no GPU at all (the judge's clean room: students' GPUs are theirs)


def thread_environment(threads: int) -> dict[str, str]:
    """What bounds a runner's pools: TensorFlow's inter/intra-op threads, OpenMP and the BLAS libraries."""
    n = str(max(1, threads))
    return {"TF_NUM_INTRAOP_THREADS": n, "TF_NUM_INTEROP_THREADS": "1" if threads <= 2 else "2",
            "OMP_NUM_THREADS": n, "OPENBLAS_NUM_THREADS": n, "MKL_NUM_THREADS": n}


def _with_note(error: Message | str, note: Message | str) -> Message | str:
    if isinstance(error, Message) and isinstance(note, Message):
        return Message(f"{error.fr} ({note.fr})", f"{error.en or error.fr} ({note.en or note.fr})")
    return error


#: The starter of sessions created without one (None: cold); `grader.runner.warm.use_starter` sets it.
default_starter: RunnerStarter | None = None


class _ServerLost(Exception):
    """Internal: a (re)start failed because the fork server died; try again on a fresh one."""


def _keep_tensors(arr: Any, kind: str) -> Any:
    return AsTensor(arr, variable=kind == "variable") if kind in ("tensor", "variable") else arr


def request_message(op: str, enc: Encoder, *, name: str, timeout: float, args: tuple, kwargs: dict | None,
                    code: str, inputs: dict | None, spy: tuple[str, ...], module: str, function: str,
                    source: str | None) -> dict[str, Any]:
    """An observation request as the runner's `Worker.observe` reads it, its inputs encoded by `enc`
    (under the grader, and in the student's kernel for a self-check)."""
    msg: dict[str, Any] = {"op": op, "name": name, "timeout": timeout}
    if op == "call":
        msg.update(args=enc.encode(list(args)), kwargs=enc.encode(dict(kwargs or {})), spy=list(spy))
    if op == "probe":
        msg.update(code=code, inputs=enc.encode(dict(inputs or {})))
    if op == "run":  # `function(ns, *args, **kwargs)` of a runner-side module (its source when shipped)
        msg.update(module=module, function=function, source=source, args=enc.encode(list(args)),
                   kwargs=enc.encode(dict(kwargs or {})))
    return msg


def reply_error(reply: dict, timeout_note: Message | None = None) -> ObservationError:
    """A refused observation (`ok` false) as the judge raises it; a time-out says `timeout_note` too."""
    status = str(reply.get("status", "error"))
    error = as_message(reply.get("error", ""))
    if status == "timeout" and timeout_note is not None:
        error = _with_note(error, timeout_note)
    return ObservationError(Status(status) if status in Status._value2member_map_ else Status.ERROR,
                            error[:4000] if isinstance(error, str) else error, str(reply.get("output", ""))[:2000])


def reply_value(reply: dict, box: Exchange, *, tensors: bool = False) -> Any:
    """An answered observation's value, decoded under the judge's budget; its array files removed."""
    try:
        return Decoder(box, "out", convert=_keep_tensors if tensors else None).decode(reply.get("value"))
    except ReplyTooLarge as e:  # a budget the grader's decoder enforces, whatever the runner's encoder did
        raise ObservationError(Status.OUTPUT_LIMIT, too_large(e)) from e
    except Exception as e:  # noqa: BLE001 - malformed answers are the student's, not ours
        raise ObservationError(Status.ERROR, Message(f"valeur illisible : {e}", f"unreadable value: {e}")) from e
    finally:
        for name in box.names("*-*.npy"):
            box.unlink(name)


class ObservationError(Exception):
    """An observation could not be made; `status` says whose fault and why."""

    def __init__(self, status: Status, message: Message | str, details: str = ""):
        super().__init__(message.fr if isinstance(message, Message) else message)
        self.status, self.message, self.details = status, message, details  # str: the student's traceback


@dataclass
class RunnerSession:
    cells: list[str]
    workdir_source: Path | None
    limits: Limits = field(default_factory=Limits)
    sandbox: SandboxPlan = field(default_factory=lambda: SandboxPlan((0,)))
    records: list[CellRecord] = field(default_factory=list)
    figures: list[bytes] = field(default_factory=list)
    events: list[str] = field(default_factory=list)
    starter: RunnerStarter | None = None  # None: a cold runner (fresh interpreter)

    def __post_init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="grader-sub-"))
        self._uid = UIDS.acquire() if self.sandbox.uid is not None else None
        if self._uid is not None:
            self.sandbox = replace(self.sandbox, uid=self._uid)
        self._gpu = GPUS.acquire(len(self.limits.gpus)) if self.limits.gpus else None
        self.runner: RunnerProcess | None = None
        self.exchange: Exchange | None = None  # the live runner's exchange folder, held by fd
        self._run_dir: Path | None = None  # the live runner's run folder (its work copy and exchange)
        self._capped = False  # that folder is a tmpfs of the disk cap (grader.runner.sandbox.make_run_dir)
        self._replayed: set[str] = set()
        self.started = time.monotonic()
        self.charged = 0.0  # seconds of the student's work so far (grader.runner.charged_time), what wall_timeout bounds
        self.bad_cells: set[int] = set()
        self.good_cells: list[int] = []
        self.restarts = 0
        self.requests = 0
        self.slowest_call = 0.0  # seconds, observations under the default call_timeout
        self.peak_bytes = 0  # the most memory a runner of this session held (each runner's own peak)
        self.lost_servers = 0  # runners lost with their fork server: retried, never the student's fault
        self._runs = 0
        self._free_restart = False  # the next start replaces a runner lost with its server: not a restart

    # -- lifecycle --------------------------------------------------------
    def _start(self) -> RunnerProcess:
        run_dir = self.root / f"run{self._runs}"
        self._runs += 1
        workdir, exchange = run_dir / "work", run_dir / "exchange"
        self._drop_exchange()
        # as root a tmpfs of the disk cap, the submission's copy inside: every byte written counts
        self._capped = make_run_dir(self.sandbox, run_dir, self.limits.disk_bytes, self.workdir_source)
        self._run_dir = run_dir
        exchange.mkdir(parents=True)
        self.exchange = Exchange(exchange)  # opened before the runner can rename or replace it
        self._replayed = set()
        prepare_run_dir(self.sandbox, self.root, run_dir)
        start = self.starter or default_starter or cold_starter
        runner = start(workdir, exchange, sandbox=self.sandbox, disk_bytes=self.limits.disk_bytes,
                       memory_bytes=self.limits.memory_bytes, output_bytes=self.limits.output_bytes,
                       limits={"file_bytes": self.limits.file_bytes, "seed": self.limits.seed,
                               "cpu_seconds": self._cpu_seconds(),
                               "budget": self.limits.budget, "datasets": self.limits.datasets,
                               "preload": list(self.limits.preload)},
                       env=self._environment())
        self.runner = runner  # set first: a failed start is then killed by _lost_runner()
        runner.start()
        # a cold runner imports TensorFlow before answering (`preload`): as long as a cell may take
        runner.request({"op": "hello"}, timeout=min(max(60.0, self.limits.cell_timeout), self._left()))
        return runner

    def _environment(self) -> dict[str, str]:
        env = thread_environment(self.limits.threads) if self.limits.threads else {}
        if self._gpu is not None:
            env["CUDA_VISIBLE_DEVICES"] = self.limits.gpus[self._gpu]  # this student's GPU, no one else's now
        elif self.limits.cpu_only:
            env["CUDA_VISIBLE_DEVICES"] = "-1"
        return env

    def _cpu_seconds(self) -> int:
        if self.limits.cpu_seconds:
            return int(self.limits.cpu_seconds)
        return int(self.limits.wall_timeout * min(os.cpu_count() or 1, 4)) + 10

    def _left(self) -> float:
        """Charged seconds left to the submission; the wall-clock safety net of its limit bounds it too."""
        net = self.started + hard_limit(self.limits.wall_timeout) - time.monotonic()
        return max(0.0, min(self.limits.wall_timeout - self.charged, net))

    def _charged(self, runner: RunnerProcess, msg: dict, timeout: float) -> dict:
        """`runner.request(msg)`, its charged time added to the submission's (a reply or a failure alike)."""
        try:
            return runner.request(msg, timeout=timeout)
        finally:
            self.charged += float(getattr(runner, "last_charged", 0.0) or 0.0)

    def close(self) -> None:
        self._drop_runner(kill=False)
        release_run_dirs(self.root)
        shutil.rmtree(self.root, ignore_errors=True)
        if self._uid is not None:
            UIDS.release(self._uid)
            self._uid = None
        if self._gpu is not None:
            GPUS.release(self._gpu)
            self._gpu = None

    def __enter__(self) -> RunnerSession:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    MAX_FIGURES = 12
    MAX_FIGURE_BYTES = 2_000_000

    def _run_dir_full(self) -> bool:
        """The run folder's capped tmpfs has no room left (under 1 MB or 1 % of the cap): the judge's inputs
        could not even be put there. A plain folder (not root) is the polling check's."""
        if not self._capped or self._run_dir is None:
            return False
        try:
            st = os.statvfs(self._run_dir)
        except OSError:
            return False
        return st.f_bavail * st.f_frsize < max(1 << 20, self.limits.disk_bytes // 100)

    def _drop_exchange(self) -> None:
        """After its runner is dead: keep the figures it handed back, then let go of its run folder
        (a capped tmpfs holds memory: a replay's runner gets a fresh one)."""
        if self.exchange is None:
            return
        for name in self.exchange.names("fig-*.png"):
            if len(self.figures) >= self.MAX_FIGURES:
                break
            if name in self._replayed:  # drawn again by a replay: the first run's copy is kept
                continue
            try:
                self.figures.append(bytes(self.exchange.read(name, self.MAX_FIGURE_BYTES)))
            except UnsafeFile:  # a FIFO, a link, a huge file: no figure, nothing else lost
                continue
        self.exchange.close()
        self.exchange = None
        if self._run_dir is not None:
            release_run_dirs(self._run_dir)
            shutil.rmtree(self._run_dir, ignore_errors=True)
            self._run_dir = None

    def _lost_runner(self) -> None:
        self._drop_runner(kill=True)

    def _drop_runner(self, *, kill: bool) -> None:
        """The runner gone (closed, or killed when it is lost), its peak memory kept, its exchange dropped."""
        if self.runner is not None:
            self.peak_bytes = max(self.peak_bytes, getattr(self.runner, "peak_bytes", 0))
            self.runner.kill() if kill else self.runner.close()
            self.runner = None
        self._drop_exchange()

    # -- cells ------------------------------------------------------------
    def run_cells(self) -> list[CellRecord]:
        """Run every cell once, in order, going on past failures."""
        for index, source in enumerate(self.cells):
            self.records.append(self._run_cell(index, source))
        return self.records

    def _run_cell(self, index: int, source: str) -> CellRecord:
        if self._left() <= 0:
            return CellRecord(index, Status.TIMEOUT, 0.0, Message("non exécutée : limite de temps totale atteinte",
                                                                  "not run: total time limit reached"))
        start = time.monotonic()
        try:
            def ask(runner: RunnerProcess) -> dict:
                timeout = min(self.limits.cell_timeout, self._left())
                return self._charged(runner, {"op": "run_cell", "index": index, "source": source,
                                              "timeout": timeout}, timeout + self.limits.grace)

            reply = self._retrying(ask)
        except RunnerDied as died:
            status = Status(died.status) if died.status in Status._value2member_map_ else Status.CRASH
            return self._cell_lost(index, status, died.message, start)
        except ObservationError as e:
            return CellRecord(index, e.status, time.monotonic() - start, e.message)
        if self._run_dir_full():  # the cell left its capped folder full: as the polling check on a plain one,
            # the cell is the disk's limit, and the replay goes on without it (on a fresh folder)
            return self._cell_lost(index, Status.OUTPUT_LIMIT, disk_limit_message(self.limits.disk_bytes), start)
        status = {"passed": Status.PASSED, "timeout": Status.TIMEOUT}.get(reply.get("status"), Status.ERROR)
        self.good_cells.append(index)
        output = str(reply.get("output", ""))
        notes = [as_message(n) for n in reply.get("notes", [])]
        if status is Status.TIMEOUT and (why := self.limits.origins.get("cell_timeout")):
            notes.append(as_message(why))  # "limite 10 s : 20 fois la cellule la plus lente de la solution"
        if (chars := int(reply.get("output_chars", 0))) > 50_000:
            notes.append(Message(f"sortie tronquée : {group(chars)} caractères au total",
                                 f"output truncated: {chars:,} characters in all"))
        return CellRecord(index, status, float(reply.get("seconds", 0.0)), as_message(reply.get("error", "")),
                          output, tuple(notes))

    def _cell_lost(self, index: int, status: Status, why: Message, start: float) -> CellRecord:
        """The cell's runner is gone (it died, or was stopped at a limit): the replay skips this cell."""
        self._lost_runner()
        self.bad_cells.add(index)
        self.events.append(Message(f"cellule [{index + 1}] : {why.fr}", f"cell [{index + 1}]: {why.en}"))
        return CellRecord(index, status, time.monotonic() - start, why)

    MAX_LOST_SERVERS = 3  # then the run's infrastructure is broken: the last loss is reported as a crash

    def _retrying(self, ask):
        """`ask(runner)` on the live runner; tried again on a fresh one when the fork server behind it died."""
        while True:
            runner = self._ensure_runner()
            try:
                return ask(runner)
            except RunnerDied as died:
                if not died.lost_server or self.lost_servers >= self.MAX_LOST_SERVERS:
                    raise
                self._lost_server_runner()

    def _lost_server_runner(self) -> None:
        self.lost_servers += 1
        self._lost_runner()
        self._free_restart = True
        self.events.append(Message("serveur de processus perdu : copie reprise sur un nouveau processus",
                                   "fork server lost: submission resumed on a fresh process"))

    def _ensure_runner(self) -> RunnerProcess:
        """The live runner, or a fresh one with the surviving cells replayed."""
        while True:
            try:
                return self._ensure_runner_once()
            except _ServerLost:
                continue

    def _ensure_runner_once(self) -> RunnerProcess:
        if self.runner is not None:
            return self.runner
        if self.restarts > self.limits.max_restarts or self._left() <= 0:
            raise ObservationError(Status.CRASH, Message("le processus de l'élève s'est arrêté trop souvent",
                                                         "the student's process stopped too often"))
        if (self.records or self.good_cells) and not self._free_restart:
            self.restarts += 1
        self._free_restart = False
        try:
            runner = self._start()
            for index in list(self.good_cells):
                if index in self.bad_cells:
                    continue
                timeout = min(self.limits.cell_timeout, self._left())
                self._charged(runner, {"op": "run_cell", "index": index, "source": self.cells[index],
                                       "timeout": timeout}, timeout + self.limits.grace)
            self._mark_replayed_figures()
        except RunnerDied as died:
            if died.lost_server and self.lost_servers < self.MAX_LOST_SERVERS:
                self._lost_server_runner()
                raise _ServerLost() from died
            self._lost_runner()
            raise ObservationError(Status(died.status) if died.status in Status._value2member_map_ else Status.CRASH,
                                   Message(f"reprise impossible : {died.message.fr}",
                                           f"could not resume: {died.message.en}")) from died
        return runner

    def _mark_replayed_figures(self) -> None:
        """Figures of a replay duplicate the first run's: their names are left out when collected."""
        if self.exchange is not None:
            self._replayed = set(self.exchange.names("fig-*.png"))

    # -- observations -----------------------------------------------------
    def observe(self, op: str, *, name: str = "", args: tuple = (), kwargs: dict | None = None,
                code: str = "", inputs: dict | None = None, timeout: float | None = None,
                spy: tuple[str, ...] = (), module: str = "", function: str = "",
                source: str | None = None, tensors: bool = False) -> tuple[Any, dict]:
        """Ask the runner; return (plain value, reply). Raises ObservationError.

        `tensors`: arrays the runner sent as TensorFlow tensors come back as `AsTensor` (handed on to
        another runner, they arrive as tensors again) instead of plain numpy arrays."""
        if self._left() <= 0:
            raise ObservationError(Status.TIMEOUT, Message("limite de temps totale de la soumission atteinte",
                                                           "the submission's total time limit was reached"))
        t = min(timeout or self.limits.call_timeout, self._left())

        def ask(runner: RunnerProcess) -> dict:
            self.requests += 1
            assert self.exchange is not None
            enc = Encoder(self.exchange, f"in-{self.requests}")
            try:
                msg = request_message(op, enc, name=name, timeout=t, args=args, kwargs=kwargs, code=code,
                                      inputs=inputs, spy=spy, module=module, function=function, source=source)
            except OSError as e:  # the judge's inputs go to the student's capped folder, which they filled
                if e.errno not in (errno.ENOSPC, errno.EDQUOT):
                    raise
                raise ObservationError(Status.OUTPUT_LIMIT, Message(
                    f"plus de place dans le dossier de la copie ({self.limits.disk_bytes // 2**20} Mo) : "
                    "impossible d'y déposer les entrées de la vérification",
                    f"no space left in the submission's folder ({self.limits.disk_bytes // 2**20} MB): the "
                    "check's inputs cannot be put there")) from e
            return self._charged(runner, msg, t + self.limits.grace)

        started = time.monotonic()
        try:
            reply = self._retrying(ask)
            runner = self.runner
            assert runner is not None
        except RunnerDied as died:
            self._lost_runner()
            status = Status(died.status) if died.status in Status._value2member_map_ else Status.CRASH
            raise ObservationError(status, died.message) from died
        if timeout is None:  # under the default limit: what calibration derives `call_timeout` from
            self.slowest_call = max(self.slowest_call, time.monotonic() - started)
        if not reply.get("ok"):
            why = self.limits.origins.get("call_timeout") if timeout is None else None
            raise reply_error(reply, as_message(why) if why else None)
        assert self.exchange is not None
        return reply_value(reply, self.exchange, tensors=tensors), reply
