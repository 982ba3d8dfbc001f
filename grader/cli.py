"""`grader` command line: parse, delegate to one library call, show progress. Nothing else."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

console = Console(stderr=True)


def _cmd_run(args: argparse.Namespace) -> int:
    from grader.grading import UsageError, grade

    en = args.lang == "en"
    progress = Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                        TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn(), console=console)
    task = None

    def on_start(total: int) -> None:
        nonlocal task
        task = progress.add_task("Grading" if en else "Correction", total=total)

    def on_done(result, fresh: bool) -> None:
        tag = "" if fresh else (" (already graded)" if en else " (déjà corrigé)")
        if result.penalty is not None and result.penalty.percent > 0:
            tag += f" (−{result.penalty.percent:g}% late)" if en else f" (−{result.penalty.percent:g} % de retard)"
        progress.console.print(escape(f"  {result.student}: {result.score:g}/{result.max_score:g} [{result.status}]{tag}"))
        progress.advance(task)

    if args.sandbox == "off":  # said before any student code runs, and again with the results
        from grader.runner.sandbox import plan

        if (warning := plan("off").warning) is not None:
            console.print(f"[bold red]{escape(warning.get(args.lang))}[/bold red]")
    try:
        with progress:
            run = grade(Path(args.submissions), assignment=args.assignment, out=Path(args.out),
                        workers=args.workers, force=args.force, lang=args.lang, sandbox=args.sandbox,
                        profile=args.profile, courses=args.course, due=args.due, extensions=args.extensions,
                        executor=args.executor, address=args.address, warm=args.warm, on_start=on_start, on_done=on_done)
    except UsageError as e:  # one line however long (OUT busy names a pid a test or a script reads)
        console.print(f"[red]{_error(args)}[/red] {escape(str(e))}", soft_wrap=True)
        return 2
    for notice in run.notices(args.lang):
        console.print(f"[yellow]{escape(notice)}[/yellow]")
    label = "Sandbox:" if args.lang == "en" else "Bac à sable :"
    console.print(escape(f"{label} {run.sandbox.describe(args.lang)}"))
    if run.sizing is not None:
        console.print(escape(("Workers: " if en else "Parallélisme : ") + run.sizing.get(args.lang)))
    if run.sandbox.warning is not None:
        console.print(f"[bold red]{escape(run.sandbox.warning.get(args.lang))}[/bold red]")
    for note in run.plan.notes if run.plan else ():
        console.print(escape(("Budget: " if en else "Budget : ") + note.get(args.lang)))
    table = Table(title=f"{run.assignment.id} — {len(run.results)} " + ("submission(s)" if en else "soumission(s)")
                  + f", {run.seconds:.1f} s")
    table.add_column("student" if en else "élève")
    table.add_column("status" if en else "statut")
    for q in run.assignment.questions:
        table.add_column(q.id, justify="right")
    table.add_column("total", justify="right")
    late = run.assignment.late is not None
    if late:
        table.add_column("late" if en else "retard", justify="right")
    statuses = {"graded": ("corrigé", "graded"), "error": ("erreur", "error")}
    for r in run.results:
        status = statuses.get(r.status, (r.status, r.status))[en]
        cut = f"−{r.penalty.percent:g}{'' if en else ' '}%" if r.penalty is not None and r.penalty.percent > 0 else "—"
        table.add_row(r.student, status, *("…" if qs.pending else f"{qs.score:g}" for qs in r.questions),
                      f"{r.score:g}/{r.max_score:g}", *((cut,) if late else ()))
    Console().print(table)
    if any(q.manual for q in run.assignment.questions):  # written answers: said once, with the command to grade them
        console.print(escape("… = " + ("to be graded by hand: " if en else "à corriger à la main : ")
                             + f"grader manual export {run.out}"))
    files = f"{run.out / 'results.json'}, {run.out / 'grades.csv'}, {run.out / 'summary.html'}"
    console.print(escape(("Results: " if en else "Résultats : ") + files))
    if run.grader_errors:
        console.print(f"[red]{run.grader_errors} " + ("internal error(s) of the grader: see the reports."
                                                     if en else "erreur(s) interne(s) du correcteur : voir les "
                                                     "rapports.") + "[/red]")
        return 3
    return 0


_STATUS = {"passed": ("réussi", "passed", "green"), "failed": ("échoué", "failed", "red"),
           "error": ("erreur", "error", "red"), "timeout": ("temps dépassé", "timeout", "red"),
           "missing": ("absent", "missing", "red"), "skipped": ("non vérifié", "skipped", "yellow")}


def _cmd_check(args: argparse.Namespace) -> int:
    """A student's self-check: the public checks only, same runner and sandbox; exit 0 whatever the score."""
    import tempfile

    from grader.grading import UsageError, grade
    from grader.reports import text

    en = args.lang == "en"
    notebook = Path(args.notebook)
    if not notebook.is_file():
        console.print(f"[red]{_error(args)}[/red] " + escape(f"{notebook}: " + ("no such file" if en
                                                                                else "fichier introuvable")))
        return 2
    courses = [Path(args.bundle)] if args.bundle else []
    assignment = args.assignment
    if assignment is None and args.bundle:
        from grader.courses import Course

        only = Course(Path(args.bundle)).ids()
        assignment = only[0] if len(only) == 1 else None  # a .py carries no metadata: the bundle's one TP
    out = Path(args.out)
    with tempfile.TemporaryDirectory(prefix="grader-check-") as tmp:
        single = Path(tmp) / notebook.name  # one student: the notebook alone, never its neighbours
        single.symlink_to(notebook.resolve())
        try:
            run = grade(Path(tmp), assignment=assignment, out=out, lang=args.lang, sandbox=args.sandbox,
                        courses=[*courses, *args.course], public_only=True, force=True)
        except UsageError as e:
            console.print(f"[red]{_error(args)}[/red] {escape(str(e))}")
            return 2
    [result] = run.results
    table = Table(title=(f"{run.assignment.id} — self-check (public checks only)" if en
                         else f"{run.assignment.id} — auto-vérification (vérifications publiques seulement)"))
    for col in (("question", "status", "check") if en else ("question", "statut", "vérification")):
        table.add_column(col)
    passed = total = 0
    for qs in result.questions:
        if not qs.checks:
            table.add_row(qs.question.id, "—", "no public check: graded by your instructor only" if en
                          else "pas de vérification publique : corrigée par l'enseignant seulement")
        for c in qs.checks:
            total += 1
            passed += c.passed
            fr, en_word, colour = _STATUS.get(c.status.value, (c.status.value, c.status.value, "red"))
            table.add_row(qs.question.id, f"[{colour}]{en_word if en else fr}[/{colour}]", escape(c.message.get(args.lang)))
    Console().print(table)
    for error in result.errors:
        console.print(f"[yellow]{escape(text(error, args.lang))}[/yellow]")
    report = out / "reports" / f"{result.student}.html"
    console.print(escape(f"{passed}/{total} public checks passed; the final grade also counts hidden checks. "
                         f"Report: {report}" if en else
                         f"{passed}/{total} vérifications publiques réussies ; la note finale compte aussi des "
                         f"vérifications cachées. Rapport : {report}"))
    return 0


def _error(args: argparse.Namespace) -> str:
    return "error:" if getattr(args, "lang", "fr") == "en" else "erreur :"


def _cmd_list(args: argparse.Namespace) -> int:
    from grader import courses
    from grader.assignments import AssignmentError, load_folder

    en = args.lang == "en"
    search = courses.search_path(args.course)
    table = Table(title="Assignments" if en else "TP disponibles")
    for col in (("id", "title", "questions", "points", "course") if en
                else ("id", "titre", "questions", "points", "cours")):
        table.add_column(col)
    for loc in courses.everything(search):
        where = loc.course.label().get(args.lang)
        try:  # a broken assignment is listed with its error; it never hides the others
            a = load_folder(loc.folder, located=loc).assignment
        except Exception as e:  # noqa: BLE001 - an instructor's file, whatever is wrong in it
            problem = str(e) if isinstance(e, AssignmentError) else f"{type(e).__name__}: {e}"
            table.add_row(loc.id, f"[red]{escape(problem)}[/red]", "", "", escape(where))
            continue
        table.add_row(loc.id, escape(a.title.get(args.lang)), " ".join(q.id for q in a.questions),
                      f"{a.max_score:g}", escape(where))
    Console().print(table)
    for c in courses.missing_courses(search):
        console.print(f"[yellow]{escape(str(c.root))}: " + ("no assignments/ folder" if en else
                                                          "pas de dossier assignments/") + "[/yellow]")
    return 0


def _cmd_generate(args: argparse.Namespace) -> int:
    from grader.assignments import AssignmentError, available
    from grader.notebooks import write_student_notebook

    status = 0
    for aid in args.ids or available(args.course):
        try:
            path = write_student_notebook(aid, args.course)
        except AssignmentError as e:
            console.print(f"[red]{_error(args)}[/red] {escape(str(e))}")
            status = 2
            continue
        console.print(escape(f"{aid}: {path}"))
    return status


def _target_course(args: argparse.Namespace) -> Path | None:
    """Where an authoring command writes: --course, else the first $GRADER_COURSE folder; never the
    installed package."""
    import os

    from grader.courses import ENV

    if args.course:
        return Path(args.course[0]).expanduser()
    env = [p for p in os.environ.get(ENV, "").split(os.pathsep) if p.strip()]
    if env:
        return Path(env[0]).expanduser()
    console.print(f"[red]{_error(args)}[/red] " + ("say where the course lives: --course DIR (or set GRADER_COURSE)"
                                                 if args.lang == "en" else
                                                 "précisez où vit le cours : --course DIR (ou GRADER_COURSE)"))
    return None


def _cmd_new(args: argparse.Namespace) -> int:
    from grader.authoring import AuthoringError
    from grader.authoring.scaffold import new

    course = _target_course(args)
    if course is None:
        return 2
    try:
        made = new(args.id, course)
    except AuthoringError as e:
        console.print(f"[red]{_error(args)}[/red] {escape(str(e))}")
        return 2
    for path in (made.folder / "assignment.toml", made.folder / "checks.py", made.reference, made.notebook):
        console.print(escape(str(path)))
    console.print(escape(f"grader run {made.reference} --assignment {made.id} --course {course}"))
    return 0


def _cmd_assign(args: argparse.Namespace) -> int:
    from grader.authoring import AuthoringError
    from grader.authoring.convert import assign_notebook

    course = _target_course(args)
    if course is None:
        return 2
    try:
        made = assign_notebook(Path(args.notebook), assignment_id=args.id, course=course,
                               run_reference=not args.no_run)
    except AuthoringError as e:
        console.print(f"[red]{_error(args)}[/red] {escape(str(e))}")
        return 2
    en = args.lang == "en"
    console.print(escape(f"{made.assignment} ({made.style}): " + ", ".join(
        f"{q.id} {q.points:g} pt" for q in made.questions)))
    for path in made.written:
        console.print(escape(f"  {path}"))
    for path in made.kept:
        console.print(escape(f"  {path} " + ("(edited by hand: kept)" if en else "(modifié à la main : conservé)")))
    for warning in made.warnings:
        console.print(f"[yellow]{escape(warning)}[/yellow]")
    console.print(escape(f"grader run {made.reference} --assignment {made.assignment} --course {course}"))
    return 0


def _cmd_release(args: argparse.Namespace) -> int:
    from grader.assignments import AssignmentError, locate
    from grader.authoring import AuthoringError
    from grader.authoring.release import release

    try:
        made = release(locate(args.id, args.course).folder, Path(args.out))
    except (AssignmentError, AuthoringError) as e:
        console.print(f"[red]{_error(args)}[/red] {escape(str(e))}")
        return 2
    en = args.lang == "en"
    console.print(escape(f"{made.folder}: " + (f"{len(made.public_checks)} public check(s), "
                                               f"{len(made.hidden_checks)} hidden left out" if en else
                                               f"{len(made.public_checks)} vérification(s) publique(s), "
                                               f"{len(made.hidden_checks)} cachée(s) non livrée(s)")))
    if not made.public_checks:
        console.print("[yellow]" + ("no public check: students can run nothing (mark structural checks "
                                    "public=True)" if en else "aucune vérification publique : les élèves ne "
                                    "pourront rien vérifier (marquez public=True les vérifications structurelles)")
                      + "[/yellow]")
    from grader.authoring.kit import handout  # what to give students: the folder, its student wheel

    console.print(escape(handout(args.out, made.wheel, args.lang)))
    return 0


def _cmd_data(args: argparse.Namespace) -> int:
    from grader import datasets

    en = args.lang == "en"
    if args.action == "status":
        table = Table(title="Datasets" if en else "Jeux de données")
        for col in (("dataset", "origin", "path or how to get it") if en
                    else ("jeu", "origine", "chemin ou comment l'obtenir")):
            table.add_column(col)
        for name, source, line in datasets.status(args.lang):
            if source is None:
                table.add_row(name, "[red]" + ("missing" if en else "absent") + "[/red]", escape(line))
            elif source.synthetic:
                origin = datasets.origin_text(source.origin, args.lang)
                table.add_row(name, f"[bold yellow]{escape(origin)}[/bold yellow]", escape(line))
            else:
                table.add_row(name, escape(datasets.origin_text(source.origin, args.lang)), escape(str(source.path)))
        Console().print(table)
        return 0
    from grader.dataset_import import import_dataset, synthesize

    if args.action == "synthesize":
        try:
            source = synthesize(args.name, train=args.train, test=args.test, seed=args.seed,
                                dest_root=Path(args.dir) if args.dir else None)
        except (OSError, ValueError) as e:
            console.print(f"[red]{_error(args)}[/red] {escape(str(e))}")
            return 2
        console.print(escape(f"{args.name} SYNTHETIC ({args.train} + {args.test} generated images, not the real "
                             f"dataset; used only where no real copy exists): {source.path}" if en else
                             f"{args.name} SYNTHÉTIQUE ({args.train} + {args.test} images générées, pas le vrai "
                             f"jeu ; utilisé seulement là où aucune vraie copie n'existe) : {source.path}"))
        return 0

    if args.name not in datasets.NAMES:
        known = ", ".join(datasets.NAMES)
        console.print(f"[red]{_error(args)}[/red] " + escape(f"dataset {args.name!r} unknown; known: {known}" if en
                                                            else f"jeu {args.name!r} inconnu ; connus : {known}"))
        return 2
    try:
        source = import_dataset(args.name, Path(args.path) if args.path else None,
                                dest_root=Path(args.to) if args.to else None)
    except (OSError, ValueError) as e:
        console.print(f"[red]{_error(args)}[/red] {escape(str(e))}")
        return 2
    console.print(escape(f"{args.name}: {source.path}"))
    return 0


def _cmd_calibrate(args: argparse.Namespace) -> int:
    from grader.assignments import AssignmentError
    from grader.calibration import calibrate
    from grader.grading import UsageError

    en = args.lang == "en"
    for aid in args.ids:
        try:
            entry = calibrate(aid, profile=args.profile, write=not args.dry_run, courses=args.course, lang=args.lang)
        except (AssignmentError, UsageError) as e:
            console.print(f"[red]{_error(args)}[/red] {escape(str(e))}")
            return 2
        origins = entry["limits"].pop("origins", {})
        console.print(escape(f"{aid} [{entry['key']}]: reference {entry['points']:g}/{entry['max_points']:g} in "
                             f"{entry['seconds']:.1f} s; measures {entry['scores']} -> thresholds "
                             f"{entry['thresholds']}, limits {entry['limits']}" if en else
                             f"{aid} [{entry['key']}] : référence {entry['points']:g}/{entry['max_points']:g} en "
                             f"{entry['seconds']:.1f} s ; mesures {entry['scores']} -> seuils {entry['thresholds']}, "
                             f"limites {entry['limits']}"))
        for why in origins.values():
            console.print(escape(f"  {why['en' if en else 'fr']}"))
        for problem in entry["problems"]:
            console.print(escape(f"  [!] {problem.get(args.lang)}"))
        if entry["problems"]:
            console.print("[red]" + ("not stored: the reference must pass everything under this budget." if en else
                                     "non enregistré : la référence doit tout réussir sous ce budget.") + "[/red]")
            return 1
        stored = (f"  stored in {entry['path']}" if en else f"  enregistré dans {entry['path']}") if entry["path"] \
            else ("  (not stored)" if en else "  (non enregistré)")
        console.print(escape(stored))
    return 0


def _cmd_gradescope(args: argparse.Namespace) -> int:
    from grader.lms import gradescope

    if args.action == "run":
        doc = gradescope.run(args.id, root=args.root, courses=args.course, lang=args.lang, budget=args.budget,
                             profile=args.profile, sandbox=args.sandbox)
        console.print(escape(f"score {doc['score']:g} : {len(doc['tests'])} test(s)" if args.lang == "fr" else
                             f"score {doc['score']:g}: {len(doc['tests'])} test(s)"))
        return 0
    from grader.assignments import AssignmentError
    from grader.lms.wheel import WheelError

    try:
        made = gradescope.build(args.id, Path(args.out), courses=args.course, lang=args.lang)
    except (AssignmentError, WheelError) as e:
        console.print(f"[red]{_error(args)}[/red] {escape(str(e))}")
        return 2
    console.print(escape(f"{made.path}: {made.assignment}, {made.wheel}, {len(made.files)} file(s)" if args.lang == "en"
                         else f"{made.path} : {made.assignment}, {made.wheel}, {len(made.files)} fichier(s)"))
    return 0


def _cmd_prairielearn(args: argparse.Namespace) -> int:
    from grader.lms import prairielearn

    doc = prairielearn.run(args.id, root=args.root, courses=args.course, lang=args.lang, budget=args.budget,
                           profile=args.profile, sandbox=args.sandbox)
    console.print(escape(f"gradable {doc['gradable']}, score {doc.get('score', 0):g}" if args.lang == "en" else
                         f"corrigeable {'oui' if doc['gradable'] else 'non'}, score {doc.get('score', 0):g}"))
    return 0


def _lms_run_options(p: argparse.ArgumentParser, root: str) -> None:
    import json

    p.add_argument("id", help="the assignment id")
    p.add_argument("--root", help=f"the job's folder (default: {root})")
    p.add_argument("--budget", type=json.loads, metavar="JSON",
                   help='training budget overrides, e.g. \'{"epochs": 1, "train_size": 2000}\'')
    p.add_argument("--profile", choices=("cpu", "gpu"), help="training budget (default: detected hardware)")
    p.add_argument("--sandbox", choices=("require", "auto", "off"), default="auto")


def _cmd_export(args: argparse.Namespace) -> int:
    from grader.reports.lms import ExportError, export

    try:
        done = export(args.lms, Path(args.out), Path(args.roster), file=args.file, key=args.key,
                      assignment_name=args.assignment_name, canvas_id=args.canvas_id, identity=args.identity,
                      absent=args.absent, points_possible=not args.no_points_possible, lang=args.lang,
                      courses=args.course)
    except ExportError as e:
        console.print(f"[red]{_error(args)}[/red] {escape(e.message.get(args.lang))}")
        return 2
    for note in done.notes:
        console.print(f"[yellow]{escape(note)}[/yellow]")
    console.print(escape(done.summary(args.lang)))
    return 0


def _cmd_manual(args: argparse.Namespace) -> int:
    import contextlib

    from grader import outdir
    from grader.manual import ManualError, export, import_sheets

    out = Path(args.out)
    try:
        if args.action == "export":
            done = export(out, lang=args.lang, courses=args.course)
        else:  # writes the gradebook and rewrites results.json: never beside a run doing the same
            with outdir.hold(out) if out.is_dir() else contextlib.nullcontext():
                done = import_sheets(out, [Path(f) for f in args.files], grader=args.grader or "",
                                     courses=args.course)
    except outdir.OutBusy as e:
        console.print(f"[red]{_error(args)}[/red] {escape(e.message.get(args.lang))}", soft_wrap=True)
        return 2
    except ManualError as e:
        console.print(f"[red]{_error(args)}[/red] {escape(e.text(args.lang))}")
        return 2
    console.print(escape(done.summary(args.lang)))
    return 0


def _course_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--course", action="append", default=[], metavar="DIR",
                   help="a course folder (DIR/assignments/<id>/, DIR/reference/<id>.py), searched before "
                        "$GRADER_COURSE and the built-in course; repeatable")


def _command(sub, name: str, help: str, func, *, course: bool = True) -> argparse.ArgumentParser:
    """A subcommand with the options every command shares: --lang, and --course where it reads a course."""
    cmd = sub.add_parser(name, help=help)
    cmd.add_argument("--lang", choices=("fr", "en"), default="fr", help="language of messages and feedback")
    if course:
        _course_option(cmd)
    cmd.set_defaults(func=func)
    return cmd


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="grader", description="Grade TensorFlow/Keras practicals (TP).")
    sub = p.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="grade a folder of submissions")
    run.add_argument("submissions", help="folder with one entry per student (.ipynb, .py, .zip or folder)")
    run.add_argument("--assignment", "-a", help="assignment id (default: from the notebooks' metadata)")
    run.add_argument("--out", "-o", default="out", help="output folder (gradebook, results, reports)")
    run.add_argument("--workers", "-j", type=int, default=None,
                     help="submissions graded at once (default: what the cores, memory and GPUs allow)")
    run.add_argument("--executor", choices=("local", "ray"), default="local",
                     help="local threads, or Ray tasks (pip install 'tp-grader[ray]'; sandbox Layer 2 required)")
    run.add_argument("--no-warm", dest="warm", action="store_false",
                     help="start every runner cold (a fresh interpreter) instead of forking it from a warm server")
    run.add_argument("--address", help="the Ray cluster to use (e.g. auto, HOST:PORT; default: a local one)")
    run.add_argument("--force", action="store_true", help="regrade unchanged submissions")
    run.add_argument("--lang", choices=("fr", "en"), default="fr", help="language of the feedback")
    run.add_argument("--sandbox", choices=("require", "auto", "off"), default="auto",
                     help="isolation layers: require all, use what this machine has (default), or none")
    run.add_argument("--profile", choices=("cpu", "gpu"), help="training budget (default: detected hardware)")
    run.add_argument("--due", help="this run's due date instead of [late] due (ISO; no offset: the course's clock)")
    run.add_argument("--extensions", metavar="FILE.csv",
                     help="per-student due dates: columns student (key or LMS id), due")
    _course_option(run)
    run.set_defaults(func=_cmd_run)
    _command(sub, "list", "list the assignments", _cmd_list)
    _command(sub, "generate", "regenerate student notebooks from the references", _cmd_generate).add_argument(
        "ids", nargs="*")
    chk = _command(sub, "check", "a student's self-check: run the public checks on one notebook", _cmd_check)
    chk.add_argument("notebook", help="the student's notebook (.ipynb) or module (.py)")
    chk.add_argument("--bundle", help="the folder written by `grader release` (default: the installed course)")
    chk.add_argument("--assignment", "-a", help="assignment id (default: from the notebook's metadata)")
    chk.add_argument("--out", "-o", default="grader-check", help="where the HTML report goes")
    chk.add_argument("--sandbox", choices=("require", "auto", "off"), default="auto")
    asg = _command(sub, "assign", "turn a teacher's solution notebook (nbgrader or otter style) into a TP",
                   _cmd_assign)
    asg.add_argument("notebook", help="the instructor's notebook, solutions marked")
    asg.add_argument("--id", required=True, help="the assignment id")
    asg.add_argument("--no-run", action="store_true",
                     help="do not run the reference (starter checks then test names only, not types or shapes)")
    rel = _command(sub, "release", "write the student bundle: student notebook and public checks only", _cmd_release)
    rel.add_argument("id")
    rel.add_argument("--out", "-o", required=True, help="the bundle folder (a course folder for `grader check`)")
    _command(sub, "new", "scaffold a working assignment (two questions) in a course folder", _cmd_new).add_argument(
        "id", help="the assignment id (a folder name: lower-case, digits, '-', '_')")
    exp = _command(sub, "export", "a Canvas or Moodle grade import from a run's output folder and a roster",
                   _cmd_export)
    exp.add_argument("lms", choices=("canvas", "moodle"))
    exp.add_argument("out", help="the output folder of `grader run` (results.json, gradebook.sqlite)")
    exp.add_argument("--roster", required=True, help="the class list (CSV): a Canvas gradebook export, Moodle's "
                                                     "grading worksheet or gradebook export, ...")
    exp.add_argument("-o", "--file", help="the import file (default: OUT/canvas.csv or OUT/moodle.csv)")
    exp.add_argument("--key", metavar="COLUMN", help="the roster column holding the students' ids "
                                                     "(default: the column that matches the most)")
    exp.add_argument("--assignment-name", help="the assignment's name in the LMS (default: the TP's title)")
    exp.add_argument("--canvas-id", help="Canvas: the assignment's id (default: from the roster's 'Name (id)' column)")
    exp.add_argument("--identity", choices=("email", "username", "idnumber"), default="email",
                     help="Moodle: the user field the import maps the first column to")
    exp.add_argument("--absent", choices=("empty", "zero"),
                     help="grade of a roster student without a submission (default: Canvas empty, Moodle 0)")
    exp.add_argument("--no-points-possible", action="store_true", help="Canvas: no 'Points Possible' row")
    man = sub.add_parser("manual", help="grading by hand: written answers' sheets, importing filled ones")
    man_sub = man.add_subparsers(dest="action", required=True)
    _command(man_sub, "export", "per written question: OUT/manual/<id>.html (the answers) and <id>.csv to fill",
             _cmd_manual).add_argument("out", help="the output folder of `grader run`")
    man_imp = _command(man_sub, "import", "check filled sheets, store their scores, rewrite the run's reports "
                       "(a row for an autograded question overrides its score)", _cmd_manual)
    man_imp.add_argument("out", help="the output folder of `grader run`")
    man_imp.add_argument("files", nargs="+", metavar="FILE.csv", help="filled sheets: student, question, score, comment")
    man_imp.add_argument("--grader", help="who graded (kept with each score)")
    data = sub.add_parser("data", help="offline datasets: where they come from, import one")
    data_sub = data.add_subparsers(dest="action", required=True)
    _command(data_sub, "status", "where each dataset is found, or how to get it", _cmd_data, course=False)
    imp = _command(data_sub, "import", "copy a dataset from local files (or download it) into the data dir",
                   _cmd_data, course=False)
    imp.add_argument("name", help="mnist, fashion_mnist or cifar10")
    imp.add_argument("path", nargs="?", help="mnist.npz / IDX folder / .gz folder / cifar-10-python.tar.gz; "
                                             "none: download from Keras' origin")
    imp.add_argument("--to", help="destination (default: $GRADER_DATA_DIR or ~/.local/share/tp-grader/datasets)")
    syn = _command(data_sub, "synthesize", "write a synthetic stand-in (tests/CI only: not the real dataset)",
                   _cmd_data, course=False)
    syn.add_argument("name", choices=("cifar10",))
    syn.add_argument("--train", type=int, default=5000, help="training images (default 5000)")
    syn.add_argument("--test", type=int, default=2000, help="test images (default 2000)")
    syn.add_argument("--seed", type=int, default=0)
    syn.add_argument("--dir", help="destination (default: the first folder of $GRADER_DATA_DIR)")
    gs = sub.add_parser("gradescope", help="Gradescope: build the autograder zip, grade one submission in it")
    gs_sub = gs.add_subparsers(dest="action", required=True)
    gs_build = _command(gs_sub, "build", "the autograder zip: setup.sh, run_autograder, this grader's wheel, "
                        "the assignment", _cmd_gradescope)
    gs_build.add_argument("id", help="the assignment id")
    gs_build.add_argument("--out", "-o", default="autograder.zip")
    _lms_run_options(_command(gs_sub, "run", "grade $GRADESCOPE_ROOT/submission, write results/results.json",
                              _cmd_gradescope), "$GRADESCOPE_ROOT or /autograder")
    _lms_run_options(_command(sub, "prairielearn", "PrairieLearn external grader: grade $PL_GRADE_ROOT/student, "
                              "write results/results.json", _cmd_prairielearn), "$PL_GRADE_ROOT or /grade")
    cal = _command(sub, "calibrate", "run the reference here; store its time and scores for thresholds",
                   _cmd_calibrate)
    cal.add_argument("ids", nargs="+")
    cal.add_argument("--profile", choices=("cpu", "gpu"), help="default: detected hardware")
    cal.add_argument("--dry-run", action="store_true", help="measure and print, write nothing")
    return p


def main(argv: list[str] | None = None) -> int:
    """Run one command. Ctrl-C and a full disk end any command with one line and no traceback:
    exit 130 (the finished work is kept; the same command resumes) and 1 (free space, run it again)."""
    import sqlite3

    from grader import interrupt, outdir

    args = build_parser().parse_args(argv)
    lang = getattr(args, "lang", "fr")
    try:
        return int(args.func(args))
    except KeyboardInterrupt:  # `Interrupted` from a run, or Ctrl-C anywhere else
        console.print(f"[yellow]{escape(interrupt.INTERRUPTED.get(lang))}[/yellow]", soft_wrap=True)
        interrupt.exit_if_stuck(130)
        return 130
    except outdir.DiskFull as e:
        console.print(f"[red]{_error(args)}[/red] {escape(e.text(lang))}", soft_wrap=True)
        interrupt.exit_if_stuck(1)
        return 1
    except (OSError, sqlite3.Error) as e:
        if (detail := outdir.full_disk_detail(e)) is None:
            raise
        where = getattr(args, "out", None) or getattr(e, "filename", None) or "."
        console.print(f"[red]{_error(args)}[/red] {escape(outdir.DiskFull(Path(where), detail).text(lang))}",
                      soft_wrap=True)
        return 1


if __name__ == "__main__":
    sys.exit(main())
