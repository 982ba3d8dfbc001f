"""`grade()`: the one library call behind `grader run` — intake, runners, checks, gradebook, reports."""

from __future__ import annotations

import os
import time
import traceback
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, fields
from pathlib import Path

from grader import assignments as assignments_mod
from grader.gradebook import Gradebook
from grader.judge.engine import Context, run_checks
from grader.judge.observe import Observer
from grader.model import Status, SubmissionResult
from grader.runner.process import reap_orphans
from grader.runner.session import Limits, RunnerSession
from grader.submissions import Submission, cleanup, discover


class UsageError(Exception):
    """The instructor's command cannot run as given (exit code 2)."""


@dataclass(frozen=True)
class GradingRun:
    assignment: assignments_mod.Assignment
    results: tuple[SubmissionResult, ...]
    regraded: tuple[str, ...]
    out: Path
    seconds: float

    @property
    def grader_errors(self) -> int:
        return sum(1 for r in self.results for q in r.questions for c in q.checks
                   if c.status is Status.GRADER_ERROR)


def pick_assignment(subs: list[Submission], requested: str | None) -> str:
    if requested:
        return requested
    hints = Counter(s.assignment_hint for s in subs if s.assignment_hint)
    if not hints:
        raise UsageError("cannot tell the assignment: no notebook carries it in its metadata; pass --assignment ID")
    return hints.most_common(1)[0][0]


def limits_for(assignment: assignments_mod.Assignment, overrides: dict | None = None) -> Limits:
    known = {f.name for f in fields(Limits)}
    values = {k: v for k, v in {**assignment.limits, **(overrides or {})}.items() if k in known}
    return Limits(**values)


def grade(paths: Path, *, assignment: str | None = None, out: Path, workers: int = 1, force: bool = False,
          lang: str = "fr", limits: dict | None = None,
          on_start: Callable[[int], None] | None = None,
          on_done: Callable[[SubmissionResult, bool], None] | None = None) -> GradingRun:
    """Grade every submission under `paths`; resumable; never stops for a student's fault."""
    start = time.monotonic()
    if not paths.exists():
        raise UsageError(f"{paths} does not exist")
    subs = discover(paths)
    try:
        return _grade_all(subs, assignment, out, workers, force, lang, limits, on_start, on_done, start)
    finally:
        cleanup(subs)


def _grade_all(subs, assignment, out, workers, force, lang, limits, on_start, on_done, start) -> GradingRun:
    from grader.reports import write_all

    assignment_id = pick_assignment(subs, assignment)
    try:
        loaded = assignments_mod.load(assignment_id)
    except assignments_mod.AssignmentError as e:
        raise UsageError(str(e)) from e
    a = loaded.assignment
    run_limits = limits_for(a, limits)
    ctx = Context(a.id, salt=os.environ.get("GRADER_SALT", ""), options=a.limits)
    out.mkdir(parents=True, exist_ok=True)
    book = Gradebook(out / "gradebook.sqlite")
    regraded: list[str] = []
    if on_start:
        on_start(len(subs))

    def one(sub: Submission) -> SubmissionResult:
        fresh = force or not book.is_current(a.id, sub.student, sub.sha256)
        if fresh:
            regraded.append(sub.student)
            _grade_one(sub, loaded, book, run_limits, ctx, force)
        result = book.result(a, sub.student)
        assert result is not None
        if on_done:
            on_done(result, fresh)
        return result

    try:
        with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
            results = list(pool.map(one, subs))
        write_all(results, a, out, lang=lang)
    finally:
        book.close()
        reap_orphans()
    return GradingRun(a, tuple(results), tuple(regraded), out, time.monotonic() - start)


def _grade_one(sub: Submission, loaded, book: Gradebook, limits: Limits, ctx: Context, force: bool) -> None:
    a = loaded.assignment
    attempt = book.begin(a.id, sub.student, sub.sha256, sub.source, force=force)
    started = time.monotonic()
    errors = list(sub.warnings)
    if sub.assignment_hint and sub.assignment_hint != a.id:
        errors.append(f"Le notebook indique le TP « {sub.assignment_hint} » ; corrigé comme « {a.id} ».")
    if sub.error:
        book.finish(a.id, sub.student, status="error", errors=[sub.error, *errors], cells=[], figures=[],
                    seconds=0.0, info={"kind": sub.kind, "attempt": attempt})
        return
    session = RunnerSession(list(sub.cells), sub.workdir, limits)
    status, cells, figures = "graded", [], []
    try:
        with session:
            cells = session.run_cells()
            done = {} if attempt == 1 else book.done_checks(a.id, sub.student)
            run_checks(loaded.checks, Observer(session), ctx, done=done,
                       on_result=lambda r: book.add_check(a.id, sub.student, r))
            errors.extend(session.events)
            figures = session.figures
    except Exception:  # noqa: BLE001 - our bug: record it, keep the class going
        status = "error"
        errors.append("Erreur interne du correcteur (pas de votre fait) : " + traceback.format_exc(limit=4)[-1500:])
    book.finish(a.id, sub.student, status=status, errors=errors, cells=cells, figures=figures,
                seconds=round(time.monotonic() - started, 2),
                info={"kind": sub.kind, "entry": sub.entry, "attempt": attempt, "restarts": session.restarts,
                      "cells": len(sub.cells)})
