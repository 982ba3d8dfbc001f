"""`grade()`: the one library call behind `grader run` — intake, runners, checks, gradebook, reports."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
import traceback
from collections import Counter
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, fields, replace
from pathlib import Path

from grader import assignments as assignments_mod
from grader import budget as budget_mod
from grader import datasets
from grader.answers import AnswerCell, find_answers
from grader.assignments import CourseLike
from grader.gradebook import Gradebook
from grader.judge.engine import Context, run_checks
from grader.judge.observe import Observer
from grader.model import Message, Status, SubmissionResult
from grader.notebooks import answer_specs
from grader.runner.process import reap_orphans
from grader.runner.sandbox import SandboxPlan, SandboxUnavailable
from grader.runner.sandbox import plan as sandbox_plan
from grader.runner.session import Limits, RunnerSession
from grader.runner.staging import stage_data
from grader.submissions import Submission, cleanup, discover, not_submissions


class UsageError(Exception):
    """The instructor's command cannot run as given (exit code 2)."""


@dataclass(frozen=True)
class GradingRun:
    assignment: assignments_mod.Assignment
    results: tuple[SubmissionResult, ...]
    regraded: tuple[str, ...]
    out: Path
    seconds: float
    sandbox: SandboxPlan = SandboxPlan((0,))
    plan: budget_mod.Plan | None = None  # profile, training budget, thresholds; its notes say if uncalibrated
    ignored: tuple[str, ...] = ()  # files beside the submissions that are none (README.md, .pdf)
    stale: dict[str, int] = field(default_factory=dict)  # why unchanged files were regraded: "checks", "budget"
    mismatched: tuple[tuple[str, str], ...] = ()  # (student, TP named by the notebook) graded as another TP
    located: str = ""  # the course folder the assignment came from ("" for the built-in course)

    def notices(self, lang: str = "fr") -> list[str]:
        """What the instructor must hear on the console besides the scores."""
        out = []
        if self.ignored:
            out.append(Message(f"Ignorés (pas des copies) : {', '.join(self.ignored)}",
                               f"Ignored (not submissions): {', '.join(self.ignored)}").get(lang))
        why = {"checks": Message("les vérifications ont changé", "the checks changed"),
               "budget": Message("le budget d'entraînement ou les seuils ont changé",
                                 "the training budget or thresholds changed")}
        for reason, n in sorted(self.stale.items()):
            out.append(Message(f"{why[reason].fr} : {n} copie(s) recorrigée(s)",
                               f"{why[reason].en}: {n} submission(s) regraded").get(lang))
        for student, hint in self.mismatched:
            out.append(Message(f"{student} : le notebook indique le TP « {hint} » ; corrigé comme « "
                               f"{self.assignment.id} »",
                               f"{student}: the notebook names TP '{hint}'; graded as '{self.assignment.id}'").get(lang))
        return out

    @property
    def grader_errors(self) -> int:
        return sum(1 for r in self.results for q in r.questions for c in q.checks
                   if c.status is Status.GRADER_ERROR)


def pick_assignment(subs: list[Submission], requested: str | None, lang: str = "fr") -> str:
    if requested:
        return requested
    hints = Counter(s.assignment_hint for s in subs if s.assignment_hint)
    if not hints:
        raise UsageError(Message("impossible de savoir quel TP corriger : aucun notebook ne l'indique dans ses "
                                 "métadonnées ; précisez --assignment ID",
                                 "cannot tell the assignment: no notebook carries it in its metadata; "
                                 "pass --assignment ID").get(lang))
    return hints.most_common(1)[0][0]


def limits_for(assignment: assignments_mod.Assignment, overrides: dict | None = None) -> Limits:
    known = {f.name for f in fields(Limits)}
    values = {k: v for k, v in {**assignment.limits, **(overrides or {})}.items() if k in known}
    return Limits(**values)


def prepare(a: assignments_mod.Assignment, *, profile: str | None = None, budget: dict | None = None,
            limits: dict | None = None) -> tuple[budget_mod.Plan, Limits, Context]:
    """The run's budget plan, the runners' limits and the checks' context (shared with `grader calibrate`).

    The assignment's datasets must be on this machine (downloaded if there is network); the
    runners' `load_data()` serves them, cut to the budget's sizes. Those served as synthetic stand-ins
    are listed in the context's `synthetic_datasets` option, so results and reports say so.
    """
    try:
        plan = budget_mod.plan(a, profile=profile, overrides=budget)
        for name in plan.datasets:
            datasets.ensure(name)
    except (ValueError, datasets.DatasetUnavailable) as e:
        raise UsageError(str(e)) from e
    served = datasets.serve(plan.datasets, train=plan.training.get("serve_train"),
                            test=plan.training.get("serve_test"))
    run_limits = limits_for(a, {**plan.limits, **(limits or {}), "budget": plan.runner_budget(), "datasets": served})
    synthetic = [name for name in plan.datasets if served.get(name, {}).get("synthetic")]
    options = {**a.limits, "budget": plan.options(), **({"synthetic_datasets": synthetic} if synthetic else {})}
    ctx = Context(a.id, salt=os.environ.get("GRADER_SALT", ""), options=options)
    return plan, run_limits, ctx


def _serve_subsets(limits: Limits, folder: Path, uid: int | None = None) -> Limits:
    """Cut budget subsets here, in the grader: the runner then sees only what it may train and test
    on (with sandbox Layer 2, the full copies holding the judge's held-out images stay invisible).
    CIFAR-10 becomes one `cifar10.npz` in Keras' layout, read by the runner's own `load_data`.
    A copy served whole that a dropped `uid` cannot read (under a 0700 home) is linked in `folder`."""
    os.chmod(folder, 0o755)  # readable by a runner dropped to its own uid
    served = {}
    for name, entry in limits.datasets.items():
        entry = dict(entry)
        if "train" in entry or "test" in entry:
            path = datasets.subset_files(name, Path(entry["path"]), folder / name,
                                         train=entry.get("train"), test=entry.get("test"))
            entry.update(path=str(path), cut=True)
        elif uid is not None:
            entry["path"] = stage_data(str(entry["path"]), uid, folder)
        served[name] = entry
    return replace(limits, datasets=served)


def grade(paths: Path, *, assignment: str | None = None, out: Path, workers: int = 1, force: bool = False,
          lang: str = "fr", limits: dict | None = None, profile: str | None = None, budget: dict | None = None,
          sandbox: str = "auto", courses: Iterable[CourseLike] = (), public_only: bool = False,
          on_start: Callable[[int], None] | None = None,
          on_done: Callable[[SubmissionResult, bool], None] | None = None) -> GradingRun:
    """Grade every submission under `paths`; resumable; never stops for a student's fault.

    `courses` are searched before the built-in course; `public_only` runs the checks students may
    see (`grader check`)."""
    start = time.monotonic()
    if not paths.exists():
        raise UsageError(Message(f"« {paths} » n'existe pas", f"{paths} does not exist").get(lang))
    subs = discover(paths)
    ignored = tuple(p.name for p in not_submissions(paths))
    try:
        if not subs:
            raise UsageError(Message(
                f"aucune copie trouvée dans « {paths} » : attendu un .ipynb, un .py, un .zip ou un dossier "
                "par élève" + (f" (ignorés : {', '.join(ignored)})" if ignored else ""),
                f"no submission found in {paths}: expected one .ipynb, .py, .zip or folder per student"
                + (f" (ignored: {', '.join(ignored)})" if ignored else "")).get(lang))
        assignment_id = pick_assignment(subs, assignment, lang)
        try:
            loaded = assignments_mod.load(assignment_id, courses, public_only=public_only)
        except assignments_mod.AssignmentError as e:
            raise UsageError(str(e)) from e
        try:
            box = sandbox_plan(sandbox)
        except SandboxUnavailable as e:
            raise UsageError(e.message.get(lang)) from e
        run = _grade_all(subs, loaded, out, workers, force, lang, limits, on_start, on_done, start,
                         profile, budget, box, public_only)
        located = loaded.located
        return replace(run, ignored=ignored,
                       located="" if located is None or located.course.builtin else str(located.course.root))
    finally:
        cleanup(subs)


def _grade_all(subs, loaded, out, workers, force, lang, limits, on_start, on_done, start,
               profile=None, budget=None, box: SandboxPlan | None = None, public_only: bool = False) -> GradingRun:
    box = box or SandboxPlan((0,))
    from grader.reports import write_all

    a = loaded.assignment
    plan, run_limits, ctx = prepare(a, profile=profile, budget=budget, limits=limits)
    data_folder = Path(tempfile.mkdtemp(prefix="grader-data-"))
    run_limits = _serve_subsets(run_limits, data_folder, box.uid)
    out.mkdir(parents=True, exist_ok=True)
    out.chmod(0o750)  # a runner dropped to its own uid cannot read other students' results
    book = Gradebook(out / "gradebook.sqlite")
    regraded: list[str] = []
    stale: Counter[str] = Counter()
    if on_start:
        on_start(len(subs))

    specs = _answer_specs(loaded)

    def one(sub: Submission) -> SubmissionResult:
        if specs is not None:
            _keep_answers(book, a, sub, specs)
        current = not force and book.is_current(a.id, sub.student, sub.sha256)
        reason = _stale(book, loaded, sub, ctx) if current else None
        fresh = not current or reason is not None
        if reason is not None:
            stale[reason] += 1
        if fresh:
            regraded.append(sub.student)
            _grade_one(sub, loaded, book, run_limits, ctx, force or reason is not None, box, public_only)
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
        shutil.rmtree(data_folder, ignore_errors=True)
    mismatched = tuple((s.student, s.assignment_hint) for s in subs
                       if s.assignment_hint and s.assignment_hint != a.id)
    return GradingRun(a, tuple(results), tuple(regraded), out, time.monotonic() - start, sandbox=box, plan=plan,
                      stale=dict(stale), mismatched=mismatched)


def _stale(book: Gradebook, loaded, sub: Submission, ctx: Context) -> str | None:
    """Why a complete result of unchanged content must be regraded: other checks (the assignment's
    fingerprint: TOML, check modules, reference, grader version) or another budget (profile, caps,
    thresholds). None: it stands."""
    if book.graded_by(loaded.assignment.id, sub.student) != loaded.fingerprint:
        return "checks"
    stored = book.result(loaded.assignment, sub.student)
    if stored is None or stored.status == "error" and "budget" not in stored.info:
        return None  # an unreadable file has no budget to compare; its sha256 decides
    current = (ctx.options or {}).get("budget")
    if json.dumps(stored.info.get("budget"), sort_keys=True) != json.dumps(current, sort_keys=True):
        return "budget"
    return None


def _answer_specs(loaded) -> tuple[AnswerCell, ...] | None:
    """Where the TP's student notebook puts its written answers; None: the TP has none."""
    a = loaded.assignment
    if not any(q.manual for q in a.questions):
        return None
    reference = loaded.located.reference if loaded.located else None
    if reference is None or not reference.is_file():
        return ()  # the answers' marks alone find them
    return answer_specs(reference.read_text(encoding="utf-8"), a.id)


def _keep_answers(book: Gradebook, a, sub: Submission, specs: tuple[AnswerCell, ...]) -> None:
    """The written answers, and the notebook as handed in (for `grader manual export`), in the gradebook."""
    answers = find_answers(sub.texts, [q.id for q in a.questions if q.manual], specs)
    path = (sub.workdir / sub.entry) if sub.workdir is not None and sub.entry else Path(sub.source)
    try:
        data = path.read_bytes() if path.is_file() and path.stat().st_size <= MAX_KEPT_NOTEBOOK else None
    except OSError:
        data = None
    book.set_answers(a.id, sub.student, answers, notebook=data, kind=sub.kind, entry=sub.entry or path.name)


#: A handed-in notebook larger than this is not kept for the manual-grading pages (they say so).
MAX_KEPT_NOTEBOOK = 30 * 2**20


def _lms_info(sub: Submission) -> dict:
    """`info["lms"]`: the LMS id and name a download gave this student (what roster matching reads)."""
    return {"lms": sub.lms.as_info()} if sub.lms is not None else {}


def _grade_one(sub: Submission, loaded, book: Gradebook, limits: Limits, ctx: Context, force: bool,
               box: SandboxPlan, public_only: bool = False) -> None:
    a = loaded.assignment
    attempt = book.begin(a.id, sub.student, sub.sha256, sub.source, force=force, fingerprint=loaded.fingerprint)
    started = time.monotonic()
    errors: list[Message | str] = list(sub.warnings)
    if sub.assignment_hint and sub.assignment_hint != a.id:
        errors.append(Message(f"Le notebook indique le TP « {sub.assignment_hint} » ; corrigé comme « {a.id} ».",
                              f"The notebook names TP '{sub.assignment_hint}'; graded as '{a.id}'."))
    if sub.error:
        book.finish(a.id, sub.student, status="error", errors=[sub.error, *errors], cells=[], figures=[],
                    seconds=0.0, info={"kind": sub.kind, "attempt": attempt, **_lms_info(sub)})
        return
    session = RunnerSession(list(sub.cells), sub.workdir, limits, box)
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
        trace = traceback.format_exc(limit=4)[-1500:]
        errors.append(Message("Erreur interne du correcteur (pas de votre fait) : " + trace,
                              "Internal error of the grader (not your fault): " + trace))
    info = {"kind": sub.kind, "entry": sub.entry, "attempt": attempt, "restarts": session.restarts,
            "cells": len(sub.cells), "budget": (ctx.options or {}).get("budget"), "sandbox_layers": list(box.layers),
            "sandbox_layers_reasons": box.reason_texts(), **_lms_info(sub)}
    if public_only:
        info["self_check"] = True  # public checks only: reports say these points are not the grade
    if box.warning is not None:  # --sandbox off as root: this student's code ran with the grader's privileges
        info["sandbox_warning"] = box.warning.as_dict()
    if synthetic := (ctx.options or {}).get("synthetic_datasets"):
        info["synthetic_datasets"] = list(synthetic)  # generated images, not the real dataset: reports say so
    book.finish(a.id, sub.student, status=status, errors=errors, cells=cells, figures=figures,
                seconds=round(time.monotonic() - started, 2), info=info)
