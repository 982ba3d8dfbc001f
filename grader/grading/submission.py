"""`grade_submission()`: one submission through a runner session and the checks, as plain records.

The one per-submission pipeline: `grader run` (through an executor: threads here, Ray on a
cluster), `grader calibrate`, the LMS single-submission modes and the benchmarks all call it.
It knows nothing of the gradebook: results stream out through `on_check` as soon as they exist
(the local executor writes them to SQLite, so a kill loses nothing), and the whole outcome comes
back as a `Graded` record that crosses a process boundary as it is (Ray pickles it).
How a runner is started is injected (`GradingOptions.starter`): cold processes, warm forks.
"""

from __future__ import annotations

import tempfile
import time
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from grader.assignments import LoadedAssignment
from grader.grading.outdir import DiskFull, full_disk_detail
from grader.intake.record import Submission
from grader.judge.engine import Context, run_checks
from grader.judge.observe import Observer
from grader.judge.registry import CheckFailed
from grader.model import CellRecord, CheckResult, Message, SubmissionStatus
from grader.runner.process import RunnerStarter
from grader.runner.sandbox import SandboxPlan
from grader.runner.session import Limits, RunnerSession

LOST = "lost"  # a Graded status: no outcome at all (a node lost); the head leaves it to the next run


@dataclass(frozen=True)
class GradingOptions:
    """Everything one submission's grading depends on besides the submission and the assignment."""

    limits: Limits
    ctx: Context
    sandbox: SandboxPlan = field(default_factory=lambda: SandboxPlan((0,)))
    public_only: bool = False  # `grader check`: the public checks only; reports say it is not the grade
    measure: bool = False  # also take the assignment's MEASURES (calibration, benchmarks)
    starter: RunnerStarter | None = None  # how runners start: None cold, or a warm pool's (grader.runner.warm.pool)


@dataclass(frozen=True)
class Graded:
    """One submission's outcome: what the gradebook's `finish` stores, plus the checks and measures."""

    status: str  # "graded" | "error" (nothing could run, or our bug)
    errors: tuple[Message | str, ...]
    cells: tuple[CellRecord, ...]
    figures: tuple[bytes, ...]
    seconds: float
    info: dict
    checks: tuple[CheckResult, ...] = ()
    measures: Mapping[str, float | str] = field(default_factory=dict)  # question -> value, or why none


def grade_submission(sub: Submission, loaded: LoadedAssignment, opts: GradingOptions, *, attempt: int = 1,
                     done: dict[str, CheckResult] | None = None,
                     on_check: Callable[[CheckResult], None] | None = None) -> Graded:
    """Run `sub`'s cells, then the checks not already `done` (a resumed attempt); never raises for a
    student's fault, and a bug of ours ends as an `error` status with the trace, not an exception."""
    a = loaded.assignment
    started = time.monotonic()
    errors: list[Message | str] = list(sub.warnings)
    if sub.assignment_hint and sub.assignment_hint != a.id:
        errors.append(Message(f"Le notebook indique le TP « {sub.assignment_hint} » ; corrigé comme « {a.id} ».",
                              f"The notebook names TP '{sub.assignment_hint}'; graded as '{a.id}'."))
    lms = {"lms": sub.lms.as_info()} if sub.lms is not None else {}  # what roster matching reads
    if sub.error:
        return Graded(SubmissionStatus.ERROR, (sub.error, *errors), (), (), 0.0, {"kind": sub.kind, "attempt": attempt, **lms})
    status = SubmissionStatus.GRADED
    cells: list[CellRecord] = []
    figures: list[bytes] = []
    checks: list[CheckResult] = []
    measures: dict[str, float | str] = {}
    session = RunnerSession(list(sub.cells), sub.workdir, opts.limits, opts.sandbox, starter=opts.starter)
    try:
        with session:
            cells = session.run_cells()
            obs = Observer(session)
            try:
                checks = run_checks(loaded.checks, obs, opts.ctx, done=dict(done or {}),
                                    on_result=on_check or (lambda r: None))
                if opts.measure:
                    measures = _measures(loaded, obs, opts.ctx)
            finally:
                obs.close()
            errors.extend(session.events)
            figures = list(session.figures)
    except Exception as e:  # noqa: BLE001 - our bug: record it, keep the class going
        if (detail := full_disk_detail(e)) is not None:  # the host's temporary folder is full: neither the
            raise DiskFull(Path(tempfile.gettempdir()), detail) from e  # student's fault nor a result: a stop
        status = SubmissionStatus.ERROR
        trace = traceback.format_exc(limit=4)[-1500:]
        errors.append(Message("Erreur interne du correcteur (pas de votre fait) : " + trace,
                              "Internal error of the grader (not your fault): " + trace))
    box = session.sandbox
    info = {"kind": sub.kind, "entry": sub.entry, "attempt": attempt, "restarts": session.restarts,
            "cells": len(sub.cells), "budget": (opts.ctx.options or {}).get("budget"),
            "peak_mb": round(session.peak_bytes / 2**20, 1), "slowest_call": round(session.slowest_call, 3),
            "sandbox_layers": list(box.layers), "sandbox_layers_reasons": box.reason_texts(), **lms}
    if opts.public_only:
        info["self_check"] = True
    if sub.chosen is not None:  # several candidate files: which one was graded and why (the console says it)
        info["entry_choice"] = sub.chosen.as_dict()
    if box.warning is not None:  # --sandbox off as root: this student's code ran with the grader's privileges
        info["sandbox_warning"] = box.warning.as_dict()
    if synthetic := (opts.ctx.options or {}).get("synthetic_datasets"):
        info["synthetic_datasets"] = list(synthetic)  # generated images, not the real dataset: reports say so
    return Graded(status, tuple(errors), tuple(cells), tuple(figures), round(time.monotonic() - started, 2), info,
                  tuple(checks), measures)


def _measures(loaded: LoadedAssignment, obs: Observer, ctx: Context) -> dict[str, float | str]:
    """The assignment's MEASURES on this submission; one that cannot be taken says why instead."""
    out: dict[str, float | str] = {}
    for question, measure in loaded.measures.items():
        try:
            out[question] = round(float(measure(obs, ctx)), 4)
        except CheckFailed as e:
            out[question] = f"— ({e.status.value})"
    return out
