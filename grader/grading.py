"""`grade()`: the one library call behind `grader run` — intake, runners, checks, gradebook, reports."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path

from grader import assignments as assignments_mod
from grader import budget as budget_mod
from grader import executors, outdir
from grader import late as late_mod
from grader.assignments import CourseLike
from grader.data import files, lookup, serving
from grader.executors import Work
from grader.executors.sizing import size
from grader.gradebook import Gradebook
from grader.intake.answers import AnswerCell, find_answers
from grader.intake.discovery import cleanup, discover, discover_one, not_submissions
from grader.intake.submission import Submission
from grader.interrupt import Interrupted, RunStopped, Stop, Stopping
from grader.judge.engine import Context
from grader.model import CheckResult, Message, Status, SubmissionResult
from grader.notebooks import answer_specs
from grader.pipeline import LOST, Graded, GradingOptions
from grader.runner import session as session_mod
from grader.runner.process import RunnerStarter, reap_orphans
from grader.runner.sandbox import SandboxPlan, SandboxUnavailable
from grader.runner.sandbox import plan as sandbox_plan
from grader.runner.session import Limits
from grader.runner.staging import stage_data
from grader.runner.warm import close_shared, starter_for


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


def previous_run(out: Path) -> tuple[str, tuple[str, ...]] | None:
    """(assignment id, students) of the results.json already in OUT; None when there is none to read."""
    try:
        doc = json.loads((Path(out) / "results.json").read_text(encoding="utf-8"))
        return str(doc["assignment"]), tuple(str(s["student"]) for s in doc.get("submissions") or ())
    except (OSError, ValueError, KeyError, TypeError):
        return None


def guard_out(out: Path, assignment_id: str, students: Iterable[str], lang: str = "fr") -> None:
    """Refuse to grade another TP, or another class (no student in common), into an OUT that holds a
    run: its results.json and reports would be replaced without a word. `--force` skips this."""
    prev = previous_run(out)
    if prev is None:
        return
    old_id, old_students = prev
    if old_id != assignment_id:
        raise UsageError(Message(
            f"« {out} » contient déjà la correction du TP « {old_id} » ; corrigez « {assignment_id} » dans un "
            "autre dossier (--out), ou ajoutez --force pour la remplacer",
            f"{out} already holds the results of assignment {old_id!r}; grade {assignment_id!r} into another "
            "folder (--out), or add --force to replace them").get(lang))
    if old_students and not set(old_students) & set(students):
        raise UsageError(Message(
            f"« {out} » contient déjà la correction d'une autre classe ({len(old_students)} élève(s), aucun "
            "en commun avec celle-ci) ; choisissez un autre dossier (--out), ou ajoutez --force pour la remplacer",
            f"{out} already holds another class's results ({len(old_students)} student(s), none in common with "
            "this one); pick another folder (--out), or add --force to replace them").get(lang))


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
            limits: dict | None = None, lang: str = "fr") -> tuple[budget_mod.Plan, Limits, Context]:
    """The run's budget plan, the runners' limits and the checks' context (shared with `grader calibrate`).

    The assignment's datasets must be on this machine (downloaded if there is network); the
    runners' `load_data()` serves them, cut to the budget's sizes. Those served as synthetic stand-ins
    are listed in the context's `synthetic_datasets` option, so results and reports say so.
    """
    try:
        plan = budget_mod.plan(a, profile=profile, overrides=budget)
        if plan.datasets:
            from grader.data.importing import ensure  # network code, only when a TP has datasets

            for name in plan.datasets:
                ensure(name)
    except lookup.DatasetUnavailable as e:
        raise UsageError(e.message.get(lang)) from e
    except ValueError as e:
        raise UsageError(str(e)) from e
    served = serving.serve(plan.datasets, train=plan.training.get("serve_train"),
                            test=plan.training.get("serve_test"))
    merged = {**plan.limits, **(limits or {})}
    merged["origins"] = {k: v for k, v in dict(plan.limits.get("origins", {})).items() if k not in (limits or {})}
    run_limits = limits_for(a, {**merged, "budget": plan.runner_budget(), "datasets": served})
    synthetic = [name for name in plan.datasets if served.get(name, {}).get("synthetic")]
    options = {**a.limits, "budget": plan.options(), "leaderboard": dict(a.leaderboard),
               **({"synthetic_datasets": synthetic} if synthetic else {})}
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
            path = files.subset_files(name, Path(entry["path"]), folder / name,
                                         train=entry.get("train"), test=entry.get("test"))
            entry.update(path=str(path), cut=True)
        elif uid is not None:
            entry["path"] = stage_data(str(entry["path"]), uid, folder)
        served[name] = entry
    return replace(limits, datasets=served)


def grade(paths: Path, *, assignment: str | None = None, out: Path, workers: int | None = 1, force: bool = False,
          lang: str = "fr", limits: dict | None = None, profile: str | None = None, budget: dict | None = None,
          sandbox: str = "auto", courses: Iterable[CourseLike] = (), public_only: bool = False,
          executor: str = "local", address: str | None = None, warm: bool | None = None,
          submitted: Mapping[str, late_mod.Submitted] | None = None, due: str | None = None,
          extensions: str | None = None, on_start: Callable[[int], None] | None = None,
          on_done: Callable[[SubmissionResult, bool], None] | None = None,
          on_header: Callable[[RunHeader], None] | None = None, guard: bool = False,
          student: str | None = None) -> GradingRun:
    """Grade every submission under `paths`; resumable; never stops for a student's fault.

    `student`: `paths` is one submission (a file, a folder or a zip) recorded under that id, not a
    folder of them (`grade_one`).

    `courses` are searched before the built-in course; `public_only` runs the checks students may
    see (`grader check`); `submitted` gives students' submission times an LMS knows (Gradescope's
    metadata), which win over their files' times; `due` and `extensions` (a CSV `student,due`)
    replace the `[late]` due date for this run's output folder, kept in its gradebook; `executor`
    ("local" threads or "ray", at `address`) runs `workers` submissions at once. `on_header` hears the
    sandbox, sizing and budget before any submission is graded; `guard` (the CLI) refuses an `out` that
    holds another TP's or another class's run unless `force`."""
    start = time.monotonic()
    if not paths.exists():
        raise UsageError(Message(f"« {paths} » n'existe pas", f"{paths} does not exist").get(lang))
    stop = Stop(lang)
    with stop.handling():
        return _grade_paths(paths, assignment=assignment, out=out, workers=workers, force=force, lang=lang,
                            limits=limits, profile=profile, budget=budget, sandbox=sandbox, courses=courses,
                            public_only=public_only, executor=executor, address=address, warm=warm,
                            submitted=submitted, due=due, extensions=extensions, on_start=on_start,
                            on_done=on_done, on_header=on_header, guard=guard, start=start, stop=stop,
                            student=student)


def grade_one(path: Path, *, student: str, **options) -> GradingRun:
    """One submission graded as `student`, with `grade()`'s options: `grader check` and the LMS modes."""
    return grade(Path(path), student=student, **options)


def _grade_paths(paths: Path, *, assignment: str | None, out: Path, workers: int | None, force: bool, lang: str,
                 limits: dict | None, profile: str | None, budget: dict | None, sandbox: str,
                 courses: Iterable[CourseLike], public_only: bool, executor: str, address: str | None,
                 warm: bool | None, submitted: Mapping[str, late_mod.Submitted] | None, due: str | None,
                 extensions: str | None, on_start: Callable[[int], None] | None,
                 on_done: Callable[[SubmissionResult, bool], None] | None, start: float, stop: Stop,
                 on_header: Callable[[RunHeader], None] | None = None, guard: bool = False,
                 student: str | None = None) -> GradingRun:
    """`grade()` once Ctrl-C is ours: intake, the checks on the command, then OUT locked for the run."""
    if student is not None:
        subs, ignored = discover_one(paths, student, courses=courses), ()
    else:
        subs = discover(paths, courses=courses)
        ignored = tuple(p.name for p in not_submissions(paths))
    try:
        stop.check()
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
            raise UsageError(e.text(lang)) from e
        try:
            overrides = late_mod.read_overrides(due, extensions, loaded.assignment.late)
        except late_mod.LateConfigError as e:
            raise UsageError(e.text(lang)) from e
        with contextlib.ExitStack() as held:  # OUT is ours before the sandbox probe (seconds): refused at once
            try:
                held.enter_context(outdir.hold(out))
            except outdir.OutBusy as e:
                raise UsageError(e.message.get(lang)) from None
            except OSError as e:
                if (detail := outdir.full_disk_detail(e)) is None:
                    raise
                raise outdir.DiskFull(out, detail) from e
            if guard and not force:
                guard_out(out, loaded.assignment.id, (s.student for s in subs), lang)
            try:
                box = sandbox_plan(sandbox)
            except SandboxUnavailable as e:
                raise UsageError(e.message.get(lang)) from e
            opts = ClassOptions(out, workers=workers, force=force, lang=lang, limits=limits, profile=profile,
                                budget=budget, public_only=public_only, executor=executor, address=address,
                                warm=warm, submitted=dict(submitted or {}), late=overrides)
            run = _grade_all(subs, loaded, opts, box, start, on_start, on_done, stop, on_header)
        located = loaded.located
        return replace(run, ignored=ignored,
                       located="" if located is None or located.course.builtin else str(located.course.root))
    finally:
        cleanup(subs)


@dataclass(frozen=True)
class ClassOptions:
    """How a class is graded, besides where from and which assignment (one record, not 13 parameters)."""

    out: Path
    workers: int | None = 1  # None: as many as the machine holds (grader.executors.sizing)
    force: bool = False
    lang: str = "fr"
    limits: dict | None = None
    profile: str | None = None
    budget: dict | None = None
    public_only: bool = False
    executor: str = "local"
    address: str | None = None  # a Ray cluster's address ("auto", "HOST:PORT"); None: start a local one
    warm: bool | None = None  # runners forked from a warm server; None: `use_starter`'s if set, else warm
    submitted: Mapping[str, late_mod.Submitted] = field(default_factory=dict)  # times an LMS knows
    late: late_mod.Overrides = field(default_factory=late_mod.Overrides)  # this run's due date, extensions


def _grade_all(subs: list[Submission], loaded, opts: ClassOptions, box: SandboxPlan, start: float,
               on_start: Callable[[int], None] | None = None,
               on_done: Callable[[SubmissionResult, bool], None] | None = None,
               stop: Stop | None = None, on_header: Callable[[RunHeader], None] | None = None) -> GradingRun:
    """The class under OUT's lock. A stop (Ctrl-C, a full disk: `stop`) ends it with `Interrupted`
    or `DiskFull` once every finished result is kept and, when there is room, reported."""
    from grader.reports import write_all

    stop = stop or Stop(opts.lang)
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
        run_limits = _serve_subsets(run_limits, data_folder, box.uid)
        hw = budget_mod.detect()
        sizing = size(hw, profile=plan.profile, memory_limit=run_limits.memory_bytes, peak_mb=plan.peak_mb,
                      requested=opts.workers)
        run_limits = replace(run_limits, threads=sizing.threads,
                             gpus=_gpu_ids(hw) if plan.profile == "gpu" else ())
        warm, starter = _starter(opts, box, sizing.workers)
        grading = GradingOptions(run_limits, ctx, box, public_only=opts.public_only,
                                 starter=starter if opts.executor == "local" else None)
        out.mkdir(parents=True, exist_ok=True)
        out.chmod(0o750)  # a runner dropped to its own uid cannot read other students' results
        book = Gradebook(out / "gradebook.sqlite")
        book.set_late_overrides(a.id, opts.late)
        a = replace(a, late=late_mod.effective(a.late, opts.late))  # the reports' policy
        if on_header:  # before any student line: what protects the machine, how many at once, the budget
            on_header(RunHeader(a, box, sizing.why, plan, len(subs)))
        if on_start:
            on_start(len(subs))
        specs = _answer_specs(loaded)

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
                _keep_answers(book, a, sub, specs)
            current = not opts.force and book.is_current(a.id, sub.student, sub.sha256)
            reason = _stale(book, loaded, sub, ctx) if current else None
            if reason is not None:
                stale[reason] += 1
            when[sub.student] = _submission_time(sub, opts.submitted.get(sub.student), a)
            if current and reason is None:
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


def _starter(opts: ClassOptions, box: SandboxPlan, slots: int) -> tuple[bool, RunnerStarter | None]:
    """(warm?, the runners' starter): `--no-warm` or GRADER_WARM=0 cold; a starter set by `use_starter`
    (tests) when none was asked; else a warm pool shared by this process, one server per worker."""
    if opts.warm is None and session_mod.default_starter is not None:
        return False, None  # the session's default applies
    warm = opts.warm if opts.warm is not None else os.environ.get("GRADER_WARM", "1") != "0"
    return warm, starter_for(box, warm, slots=slots)


def _gpu_ids(hw: budget_mod.Hardware) -> tuple[str, ...]:
    """The GPUs runners may be given, one each: those CUDA_VISIBLE_DEVICES leaves us, else all."""
    visible = [v.strip() for v in os.environ.get("CUDA_VISIBLE_DEVICES", "").split(",") if v.strip()]
    return tuple(visible) if visible and visible != ["-1"] else tuple(str(i) for i in range(len(hw.gpus)))


def _result(book: Gradebook, a: assignments_mod.Assignment, student: str) -> SubmissionResult:
    result = book.result(a, student)
    assert result is not None, student
    return result


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


def _submission_time(sub: Submission, known: late_mod.Submitted | None, a) -> dict:
    """`info`'s `submitted_at` (ISO, with its offset) and `submitted_from`: what an LMS said
    (`known`), else the handed-in file's time; {} when neither is known (then no penalty, said)."""
    if known is not None:
        return {"submitted_at": late_mod.stamp(known.at, a.late), "submitted_from": known.source}
    if sub.mtime is None:
        return {}
    moment = late_mod.from_epoch(sub.mtime)
    return {"submitted_at": late_mod.stamp(moment, a.late), "submitted_from": "file"}


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
