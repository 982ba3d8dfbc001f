"""`grade()`: the one library call behind `grader run`, as ordered steps.

    intake -> plan -> what to grade (the gradebook's resume rule) -> executor -> reporters

(nbgrader's preprocessor list, nbclient's `execute()`): each step is one function below, reading
one typed `GradeOptions`. `grade_one()` is the same run for exactly one entry (`grader check`, the
LMS modes). A run never stops for a student's fault; Ctrl-C or a full disk stop it once every
finished result is kept.
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

from grader import assignments as assignments_mod
from grader import budget as budget_mod
from grader import late as late_mod
from grader.gradebook import Gradebook
from grader.grading import executors, outdir
from grader.grading.executors.sizing import size
from grader.grading.executors.work import Work
from grader.grading.handed_in import keep_answers, submission_time, written_answer_cells
from grader.grading.interrupt import Interrupted, RunStopped, Stop, Stopping
from grader.grading.plan import gpu_ids, guard_out, pick_assignment, prepare, serve_subsets, starter
from grader.grading.submission import LOST, Graded, GradingOptions
from grader.intake.discovery import cleanup, discover, discover_one, not_submissions
from grader.intake.record import Submission
from grader.model import CheckResult, Message, Status, SubmissionResult
from grader.options import GradeOptions, UsageError
from grader.runner.process import reap_orphans
from grader.runner.sandbox import SandboxPlan, SandboxUnavailable
from grader.runner.sandbox import plan as sandbox_plan
from grader.runner.warm.pool import close_shared


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
    sizing: Message | None = None  # how many submissions at once, and why
    lost: tuple[str, ...] = ()  # graded nowhere (a cluster node lost): unfinished, the next run regrades them
    executor_notices: tuple[Message, ...] = ()  # what the executor has to say (Ray nodes left out, and why)

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
        out.extend(n.get(lang) for n in self.executor_notices)
        if self.lost:
            out.append(Message(f"Non corrigées (nœud perdu) : {', '.join(self.lost)} ; relancez la même commande",
                               f"Not graded (node lost): {', '.join(self.lost)}; run the same command again").get(lang))
        return out

    @property
    def grader_errors(self) -> int:
        return sum(1 for r in self.results for q in r.questions for c in q.checks
                   if c.status is Status.GRADER_ERROR)


@dataclass(frozen=True)
class RunHeader:
    """What the console says before any student line: the sandbox's layers, how many at once, the budget."""

    assignment: assignments_mod.Assignment
    sandbox: SandboxPlan
    sizing: Message | None = None
    plan: budget_mod.Plan | None = None
    students: int = 0


@dataclass(frozen=True)
class Hooks:
    """What a caller hears during a run (the console): none of it changes what is graded."""

    on_header: Callable[[RunHeader], None] | None = None  # sandbox, sizing, budget: before any student
    on_start: Callable[[int], None] | None = None  # how many submissions
    on_done: Callable[[SubmissionResult, bool], None] | None = None  # a result; True: graded now


@dataclass(frozen=True)
class Planned:
    """What the plan step settled: the TP, this run's late overrides and sandbox, OUT held."""

    loaded: assignments_mod.LoadedAssignment
    late: late_mod.Overrides
    box: SandboxPlan


def grade(paths: Path, opts: GradeOptions | None = None, hooks: Hooks = Hooks(), *,
          student: str | None = None, **options) -> GradingRun:
    """Grade every submission under `paths`; resumable; never stops for a student's fault.

    `opts` says how (`GradeOptions`; library callers and tests may pass its fields as keywords
    instead). `student`: `paths` is one submission (a file, a folder or a zip) recorded under that
    id, not a folder of them (`grade_one`)."""
    if opts is None:
        opts = GradeOptions.of(**options)
    elif options:
        raise TypeError("grade(): pass the options as a GradeOptions or as keywords, not both")
    start = time.monotonic()
    paths = Path(paths)
    if not paths.exists():
        raise UsageError(Message(f"« {paths} » n'existe pas", f"{paths} does not exist").get(opts.lang))
    stop = Stop(opts.lang)
    with stop.handling(), _intake(paths, student, opts, stop) as (subs, ignored):
        with _plan(subs, opts) as planned:
            run = _grade_class(subs, planned, opts, hooks, start, stop)
        located = planned.loaded.located
        return replace(run, ignored=ignored,
                       located="" if located is None or located.course.builtin else str(located.course.root))


def grade_one(path: Path, opts: GradeOptions | None = None, hooks: Hooks = Hooks(), *, student: str,
              **options) -> GradingRun:
    """One submission graded as `student`: `grader check` and the LMS modes (no temporary class)."""
    return grade(Path(path), opts, hooks, student=student, **options)


# -- 1. intake --------------------------------------------------------------------------------------
@contextlib.contextmanager
def _intake(paths: Path, student: str | None, opts: GradeOptions,
            stop: Stop) -> Iterator[tuple[list[Submission], tuple[str, ...]]]:
    """The submissions under `paths` (or the one entry `paths` is) and the files beside them that are
    none; their unpacked copies are removed when the run ends, however it ends."""
    if student is not None:
        subs, ignored = discover_one(paths, student, courses=opts.courses), ()
    else:
        subs = discover(paths, courses=opts.courses)
        ignored = tuple(p.name for p in not_submissions(paths))
    try:
        stop.check()
        if not subs:
            raise UsageError(Message(
                f"aucune copie trouvée dans « {paths} » : attendu un .ipynb, un .py, un .zip ou un dossier "
                "par élève" + (f" (ignorés : {', '.join(ignored)})" if ignored else ""),
                f"no submission found in {paths}: expected one .ipynb, .py, .zip or folder per student"
                + (f" (ignored: {', '.join(ignored)})" if ignored else "")).get(opts.lang))
        yield subs, ignored
    finally:
        cleanup(subs)


# -- 2. plan ----------------------------------------------------------------------------------------
@contextlib.contextmanager
def _plan(subs: list[Submission], opts: GradeOptions) -> Iterator[Planned]:
    """The TP and its checks, this run's late overrides, OUT locked for the run (refused at once when
    another run holds it, before the sandbox probe's seconds), the guard, the sandbox's layers."""
    lang = opts.lang
    assignment_id = pick_assignment(subs, opts.assignment, lang)
    try:
        loaded = assignments_mod.load(assignment_id, opts.courses, public_only=opts.public_only)
    except assignments_mod.AssignmentError as e:
        raise UsageError(e.text(lang)) from e
    try:
        overrides = late_mod.read_overrides(opts.due, opts.extensions, loaded.assignment.late)
    except late_mod.LateConfigError as e:
        raise UsageError(e.text(lang)) from e
    with contextlib.ExitStack() as held:
        try:
            held.enter_context(outdir.hold(opts.out))
        except outdir.OutBusy as e:
            raise UsageError(e.message.get(lang)) from None
        except OSError as e:
            if (detail := outdir.full_disk_detail(e)) is None:
                raise
            raise outdir.DiskFull(opts.out, detail) from e
        if opts.guard and not opts.force:
            guard_out(opts.out, loaded.assignment.id, (s.student for s in subs), lang)
        try:
            box = sandbox_plan(opts.sandbox)
        except SandboxUnavailable as e:
            raise UsageError(e.message.get(lang)) from e
        yield Planned(loaded, overrides, box)


# -- 3-5. what to grade, the executor, the reporters --------------------------------------------------
def _grade_class(subs: list[Submission], planned: Planned, opts: GradeOptions, hooks: Hooks, start: float,
                 stop: Stop) -> GradingRun:
    """The class under OUT's lock: what to grade (the gradebook's resume rule), the executor, the
    reporters. A stop (Ctrl-C, a full disk: `stop`) ends it with `Interrupted` or `DiskFull` once
    every finished result is kept and, when there is room, reported."""
    from grader.reports import write_all

    loaded, box = planned.loaded, planned.box
    on_start, on_done, on_header = hooks.on_start, hooks.on_done, hooks.on_header
    a = loaded.assignment
    plan, run_limits, ctx = prepare(a, profile=opts.profile, budget=opts.budget, limits=opts.limits, lang=opts.lang)
    data_folder = Path(tempfile.mkdtemp(prefix="grader-data-"))
    book: Gradebook | None = None
    out = opts.out
    stale: Counter[str] = Counter()
    stored: dict[str, set[str]] = {}  # per student, the checks already in the gradebook
    when: dict[str, dict] = {}  # per student, `submitted_at` and where it comes from
    lost: list[str] = []
    work: list[Work] = []

    def store(write: Callable[[], None]) -> None:
        """A gradebook write from a worker thread: a full disk stops the whole run (every later write
        would fail too) and leaves this submission unfinished, never recorded as its error."""
        stop.check()
        try:
            write()
        except Exception as e:
            if (detail := outdir.full_disk_detail(e)) is None:
                raise
            stop.halt(outdir.DiskFull(out, detail))
            raise Stopping() from e

    try:
        stop.check()
        run_limits = serve_subsets(run_limits, data_folder, box.uid)
        hw = budget_mod.detect()
        sizing = size(hw, profile=plan.profile, memory_limit=run_limits.memory_bytes, peak_mb=plan.peak_mb,
                      requested=opts.workers)
        run_limits = replace(run_limits, threads=sizing.threads,
                             gpus=gpu_ids(hw) if plan.profile == "gpu" else ())
        warm, runner_starter = starter(opts, box, sizing.workers)
        grading = GradingOptions(run_limits, ctx, box, public_only=opts.public_only,
                                 starter=runner_starter if opts.executor == "local" else None)
        out.mkdir(parents=True, exist_ok=True)
        out.chmod(0o750)  # a runner dropped to its own uid cannot read other students' results
        book = Gradebook(out / "gradebook.sqlite")
        book.set_late_overrides(a.id, planned.late)
        a = replace(a, late=late_mod.effective(a.late, planned.late))  # the reports' policy
        if on_header:  # before any student line: what protects the machine, how many at once, the budget
            on_header(RunHeader(a, box, sizing.why, plan, len(subs)))
        if on_start:
            on_start(len(subs))
        specs = written_answer_cells(loaded)

        def on_check(item: Work, r: CheckResult) -> None:
            store(lambda: book.add_check(a.id, item.sub.student, r))
            stored[item.sub.student].add(r.name)

        def on_graded(item: Work, g: Graded) -> None:
            student = item.sub.student

            def write() -> None:
                for r in g.checks:  # what a remote executor could not stream
                    if r.name not in stored[student]:
                        book.add_check(a.id, student, r)
                if g.status == LOST:  # no outcome (a cluster node lost past its retries): left to the next run
                    lost.append(student)
                else:
                    book.finish(a.id, student, status=g.status, errors=list(g.errors), cells=list(g.cells),
                                figures=list(g.figures), seconds=g.seconds, info={**g.info, **when[student]})

            store(write)
            if on_done:
                on_done(_result(book, a, student), True)

        for sub in subs:
            stop.check()
            if specs is not None:
                keep_answers(book, a, sub, specs)
            needed, reason = book.needs_grading(a, sub.student, sub.sha256, fingerprint=loaded.fingerprint,
                                                budget=(ctx.options or {}).get("budget"), force=opts.force)
            if reason is not None:
                stale[reason] += 1
            when[sub.student] = submission_time(sub, opts.submitted.get(sub.student), a)
            if not needed:
                result = _result(book, a, sub.student)
                if when[sub.student] and "submitted_at" not in result.info:  # graded before times were kept
                    book.merge_info(a.id, sub.student, when[sub.student])
                    result = _result(book, a, sub.student)
                if on_done:
                    on_done(result, False)
                continue
            attempt = book.begin(a.id, sub.student, sub.sha256, sub.source, force=opts.force or reason is not None,
                                 fingerprint=loaded.fingerprint)
            done = {} if attempt == 1 else book.done_checks(a.id, sub.student)
            stored[sub.student] = set(done)
            work.append(Work(sub, attempt, done))
        stop.check()
        executor = executors.make(opts.executor, workers=sizing.workers, address=opts.address, warm=warm, stop=stop)
        with stop.raising() if opts.executor != "local" else contextlib.nullcontext():
            try:
                executor.grade(loaded, grading, work, on_check=on_check, on_graded=on_graded)  # a remote one may raise
            except SandboxUnavailable as e:  # no node of a cluster can give the layers: before any grading
                raise UsageError(e.message.get(opts.lang)) from e
        stop.check()
        results = [_result(book, a, sub.student) for sub in subs]
        write_all(results, a, out, lang=opts.lang)
    except BaseException as e:
        reason = _stop_reason(e, stop, out)
        if reason is None:
            raise
        stop.sweep()
        if isinstance(reason, Interrupted) and book is not None:
            _report_finished(book, a, subs, out, opts.lang)
        raise reason.with_traceback(None) from (None if reason is e else e)
    finally:
        if book is not None:
            book.close()
        if stop.stopped:  # the warm fork servers go now (killed already): no runner of ours outlives the run
            close_shared()
        reap_orphans()
        shutil.rmtree(data_folder, ignore_errors=True)
    mismatched = tuple((s.student, s.assignment_hint) for s in subs
                       if s.assignment_hint and s.assignment_hint != a.id)
    return GradingRun(a, tuple(results), tuple(w.sub.student for w in work), out, time.monotonic() - start,
                      sandbox=box, plan=plan, stale=dict(stale), mismatched=mismatched, lost=tuple(lost),
                      sizing=sizing.why, executor_notices=tuple(getattr(executor, "notices", ()) or ()))


def _stop_reason(e: BaseException, stop: Stop, out: Path) -> RunStopped | None:
    """Why the run stops when `e` ended it: the stop's own reason, Ctrl-C, or a full disk under OUT
    (the head's own writes: gradebook, reports); None: not a stop, `e` goes on as it is."""
    if isinstance(e, RunStopped) and stop.reason is not None:
        return stop.reason
    if isinstance(e, KeyboardInterrupt):
        return stop.halt(e if isinstance(e, Interrupted) else Interrupted())
    if (detail := outdir.full_disk_detail(e)) is not None:
        return stop.halt(outdir.DiskFull(out, detail))
    if isinstance(e, RunStopped):
        return stop.halt(e)
    return None


def _report_finished(book: Gradebook, a: assignments_mod.Assignment, subs: list[Submission], out: Path,
                     lang: str) -> None:
    """After Ctrl-C: results.json, grades.csv and the reports of the finished submissions only (an
    unfinished one's partial score must not reach a gradebook export); a full disk then wins."""
    from grader.reports import write_all

    finished = book.finished(a.id)
    results = [_result(book, a, sub.student) for sub in subs if sub.student in finished]
    try:
        write_all(results, a, out, lang=lang)
    except Exception as e:
        if (detail := outdir.full_disk_detail(e)) is None:
            raise
        raise outdir.DiskFull(out, detail) from e


def _result(book: Gradebook, a: assignments_mod.Assignment, student: str) -> SubmissionResult:
    result = book.result(a, student)
    assert result is not None, student
    return result
