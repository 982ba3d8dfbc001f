"""`grader` command line: parse, delegate to one library call, show progress. Nothing else."""

from __future__ import annotations

import argparse
import math
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

from grader.model import status_word

console = Console(stderr=True)


#: A submission's status as the console says it.


def _duration(seconds: float, en: bool) -> str:
    """How late, read at a glance: "5 j 3 h", "2 h 05", "12 min" ("5 d 3 h" in English)."""
    minutes = max(1, math.ceil(seconds / 60))
    days, rest = divmod(minutes, 1440)
    hours, minutes = divmod(rest, 60)
    if days:
        return f"{days} {'d' if en else 'j'} {hours} h" if hours else f"{days} {'d' if en else 'j'}"
    if hours:
        return f"{hours} h {minutes:02d}"
    return f"{minutes} min"


def _late_cell(penalty, en: bool) -> str:
    """The console's late column: how late and what it cost; "—" on time; "?" when the time is unknown."""
    if penalty is None:
        return "—"
    if penalty.seconds <= 0:
        return "—" if penalty.submitted_at else "?"
    cut = f", −{penalty.percent:g}{'' if en else ' '}%" if penalty.percent > 0 else ""
    return _duration(penalty.seconds, en) + cut


def _late_tag(penalty, en: bool) -> str:
    """The progress line's word on lateness ("" when on time)."""
    if penalty is None or penalty.seconds <= 0:
        return ""
    cut = f", −{penalty.percent:g}{'' if en else ' '}%" if penalty.percent > 0 else ""
    return f" ({_duration(penalty.seconds, True)} late{cut})" if en else \
        f" ({_duration(penalty.seconds, False)} de retard{cut})"


def _cmd_run(args: argparse.Namespace) -> int:
    from grader.grading import UsageError, grade
    from grader.model import Message
    from grader.reports import text

    en = args.lang == "en"
    progress = Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                        TimeElapsedColumn(), TextColumn("ETA" if en else "reste"), TimeRemainingColumn(),
                        console=console)
    task = None

    def on_header(head) -> None:  # before any student line: the machine's protection, how many at once, budget
        say = progress.console.print
        label = "Sandbox:" if en else "Bac à sable :"
        say(escape(f"{label} {head.sandbox.describe(args.lang)}"))
        if head.sizing is not None:
            say(escape(("Workers: " if en else "Parallélisme : ") + head.sizing.get(args.lang)))
        if head.sandbox.warning is not None and args.sandbox != "off":  # off: said already, before the probe
            say(f"[bold red]{escape(head.sandbox.warning.get(args.lang))}[/bold red]")
        for note in head.plan.notes if head.plan else ():
            say(escape(("Budget: " if en else "Budget : ") + note.get(args.lang)))

    def on_start(total: int) -> None:
        nonlocal task
        task = progress.add_task("Grading" if en else "Correction", total=total)

    def on_done(result, fresh: bool) -> None:
        tag = "" if fresh else (" (already graded)" if en else " (déjà corrigé)")
        tag += _late_tag(result.penalty, en)
        status = status_word(result.status, args.lang)
        progress.console.print(escape(f"  {result.student}: {result.score:g}/{result.max_score:g} "
                                      f"[{status}]{tag}"))
        if fresh and isinstance(choice := result.info.get("entry_choice"), dict):  # several notebooks: which, why
            progress.console.print(f"    [yellow]{escape(text(Message(**choice), args.lang))}[/yellow]",
                                   soft_wrap=True)
        if fresh and result.status == "error" and result.errors:  # why nothing could be graded (a refused name)
            progress.console.print(f"    [yellow]{escape(text(result.errors[0], args.lang)[:300])}[/yellow]",
                                   soft_wrap=True)
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
                        executor=args.executor, address=args.address, warm=args.warm, on_start=on_start,
                        on_done=on_done, on_header=on_header, guard=True)
    except UsageError as e:  # one line however long (OUT busy names a pid a test or a script reads)
        console.print(f"[red]{_error(args)}[/red] {escape(_say(e, args.lang))}", soft_wrap=True)
        return 2
    for notice in run.notices(args.lang):
        console.print(f"[yellow]{escape(notice)}[/yellow]")
    if run.sandbox.warning is not None:  # again with the results
        console.print(f"[bold red]{escape(run.sandbox.warning.get(args.lang))}[/bold red]")
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
    for r in run.results:
        status = status_word(r.status, args.lang)
        table.add_row(escape(r.student), status, *("…" if qs.pending else f"{qs.score:g}" for qs in r.questions),
                      f"{r.score:g}/{r.max_score:g}", *((_late_cell(r.penalty, en),) if late else ()))
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


_COLOURS = {"passed": "green", "skipped": "yellow"}  # every other status of a check: red


def _cmd_check(args: argparse.Namespace) -> int:
    """A student's self-check: the public checks only, same runner and sandbox; exit 0 whatever the score."""
    from grader.grading import UsageError, grade_one
    from grader.reports import text
    from grader.submissions import student_id

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
    try:  # one student: the notebook alone, never its neighbours
        run = grade_one(notebook, student=student_id(notebook), assignment=assignment, out=out, lang=args.lang,
                        sandbox=args.sandbox, courses=[*courses, *args.course], public_only=True, force=True)
    except UsageError as e:
        console.print(f"[red]{_error(args)}[/red] {escape(_say(e, args.lang))}")
        if not args.bundle:  # a student's install holds no course: the bundle is what they were given
            console.print(escape("give --bundle DIR: the folder your instructor gave you (LISEZMOI.md)" if en
                                 else "précisez --bundle DOSSIER : le dossier donné par votre enseignant·e "
                                      "(LISEZMOI.md)"))
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
            word, colour = status_word(c.status.value, args.lang), _COLOURS.get(c.status.value, "red")
            table.add_row(qs.question.id, f"[{colour}]{word}[/{colour}]", escape(c.message.get(args.lang)))
    Console().print(table)
    for error in result.errors:
        console.print(f"[yellow]{escape(text(error, args.lang))}[/yellow]")
    report = out / "reports" / f"{result.student}.html"
    console.print(escape(f"{passed}/{total} public checks passed; the final grade also counts hidden checks. "
                         f"Report: {report}" if en else
                         f"{passed}/{total} vérifications publiques réussies ; la note finale compte aussi des "
                         f"vérifications cachées. Rapport : {report}"))
    return 0


def _say(e: BaseException, lang: str) -> str:
    """An exception's words in `lang`: its `text(lang)`, its `message` pair, else what it says."""
    from grader.model import Message

    if callable(getattr(e, "text", None)):
        return str(e.text(lang))
    if isinstance(getattr(e, "message", None), Message):
        return e.message.get(lang)
    return str(e)


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
            problem = e.text(args.lang) if isinstance(e, AssignmentError) else f"{type(e).__name__}: {e}"
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
            console.print(f"[red]{_error(args)}[/red] {escape(_say(e, args.lang))}")
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
        console.print(f"[red]{_error(args)}[/red] {escape(_say(e, args.lang))}")
        return 2
    for path in (made.folder / "assignment.toml", made.folder / "checks.py", made.reference, made.notebook):
        console.print(escape(str(path)))
    console.print(escape(f"grader run {made.reference} --assignment {made.id} --course {course}"))
    return 0


def _cmd_assign(args: argparse.Namespace) -> int:
    from grader.authoring import AuthoringError, said
    from grader.authoring.convert import assign_notebook

    course = _target_course(args)
    if course is None:
        return 2
    try:
        made = assign_notebook(Path(args.notebook), assignment_id=args.id, course=course,
                               run_reference=not args.no_run)
    except AuthoringError as e:
        console.print(f"[red]{_error(args)}[/red] {escape(_say(e, args.lang))}")
        return 2
    en = args.lang == "en"
    console.print(escape(f"{made.assignment} ({made.style}): " + ", ".join(
        f"{q.id} {q.points:g} pt" for q in made.questions)))
    for path in made.written:
        console.print(escape(f"  {path}"))
    for path in made.kept:
        console.print(escape(f"  {path} " + ("(edited by hand: kept)" if en else "(modifié à la main : conservé)")))
    for warning in made.warnings:
        console.print(f"[yellow]{escape(said(warning, args.lang))}[/yellow]")
    for line in made.summary():  # what each question became: "q1: 2 tests, 1 hidden"
        console.print(escape(f"  {said(line, args.lang)}"))
    console.print(escape(f"grader run {made.reference} --assignment {made.assignment} --course {course}"))
    return 0


def _cmd_release(args: argparse.Namespace) -> int:
    from grader.assignments import AssignmentError, locate
    from grader.authoring import AuthoringError
    from grader.authoring.release import release

    try:
        made = release(locate(args.id, args.course).folder, Path(args.out))
    except (AssignmentError, AuthoringError) as e:
        console.print(f"[red]{_error(args)}[/red] {escape(_say(e, args.lang))}")
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
            console.print(f"[red]{_error(args)}[/red] {escape(_say(e, args.lang))}")
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
        console.print(f"[red]{_error(args)}[/red] {escape(_say(e, args.lang))}")
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
            console.print(f"[red]{_error(args)}[/red] {escape(_say(e, args.lang))}")
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
        console.print(f"[red]{_error(args)}[/red] {escape(_say(e, args.lang))}")
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
    from grader.reports.exports import export
    from grader.reports.lms import ExportError, console_note

    try:
        done = export(args.lms, Path(args.out), Path(args.roster), file=args.file, key=args.key,
                      assignment_name=args.assignment_name, canvas_id=args.canvas_id, identity=args.identity,
                      absent=args.absent, points_possible=not args.no_points_possible, lang=args.lang,
                      courses=args.course)
    except ExportError as e:
        console.print(f"[red]{_error(args)}[/red] {escape(e.message.get(args.lang))}")
        return 2
    for note in done.notes:
        console.print(f"[yellow]{escape(console_note(note, args.lang))}[/yellow]")
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


LANGS = ("fr", "en")
ENV_LANG = "GRADER_LANG"  # the default of --lang on this machine (fr when unset)

#: argparse's own words (usage, options, its errors), in French; English is argparse's.
_ARGPARSE_FR = {
    "usage: ": "utilisation : ",
    "options": "options",
    "optional arguments": "options",
    "positional arguments": "arguments positionnels",
    "show this help message and exit": "afficher cette aide et quitter",
    "show program's version number and exit": "afficher la version et quitter",
    "the following arguments are required: %s": "arguments obligatoires manquants : %s",
    "%(prog)s: error: %(message)s\n": "%(prog)s : erreur : %(message)s\n",
    "unrecognized arguments: %s": "arguments non reconnus : %s",
    "invalid choice: %(value)r (choose from %(choices)s)": "choix invalide : %(value)r (au choix : %(choices)s)",
    "argument %(argument_name)s: %(message)s": "argument %(argument_name)s : %(message)s",
    "expected one argument": "une valeur attendue",
    "expected at most one argument": "au plus une valeur attendue",
    "expected at least one argument": "au moins une valeur attendue",
    "invalid %(type)s value: %(value)r": "valeur %(type)s invalide : %(value)r",
    "ambiguous option: %(option)s could match %(matches)s": "option ambiguë : %(option)s peut désigner %(matches)s",
    "not allowed with argument %s": "interdit avec l'argument %s",
    "ignored explicit argument %r": "argument explicite ignoré : %r",
    "one of the arguments %s is required": "l'un des arguments %s est obligatoire",
    "unknown parser %(parser_name)r (choices: %(choices)s)": "commande inconnue %(parser_name)r (au choix : "
                                                             "%(choices)s)",
    "unexpected option string: %s": "option inattendue : %s",
}


def scan_lang(argv: list[str]) -> str:
    """--lang, read before the parser is built (its help and errors are in that language), else
    $GRADER_LANG, else French."""
    import os

    for i, arg in enumerate(argv):
        if arg == "--":
            break
        if arg == "--lang" and i + 1 < len(argv) and argv[i + 1] in LANGS:
            return argv[i + 1]
        if arg.startswith("--lang=") and arg.split("=", 1)[1] in LANGS:
            return arg.split("=", 1)[1]
    env = os.environ.get(ENV_LANG, "").strip().lower()[:2]  # "en", "EN", "en_GB.UTF-8"
    return env if env in LANGS else "fr"


class _ArgparseIn:
    """argparse's own words in `lang` while the parser is built, parses and prints its help/errors."""

    def __init__(self, lang: str):
        self.lang = lang

    def __enter__(self) -> _ArgparseIn:
        self.saved = (argparse._, argparse.ngettext)  # type: ignore[attr-defined]
        if self.lang == "fr":
            argparse._ = lambda text: _ARGPARSE_FR.get(text, text)  # type: ignore[attr-defined]

            def ngettext(singular: str, plural: str, n: int) -> str:
                if singular == "expected %s argument":
                    return "%s valeur attendue" if n == 1 else "%s valeurs attendues"
                return singular if n == 1 else plural

            argparse.ngettext = ngettext  # type: ignore[attr-defined]
        return self

    def __exit__(self, *exc: object) -> None:
        argparse._, argparse.ngettext = self.saved  # type: ignore[attr-defined]


def _version() -> str:
    from importlib import metadata

    from grader import __version__

    try:
        return metadata.version("tp-grader")
    except metadata.PackageNotFoundError:
        return __version__


def _course_option(p: argparse.ArgumentParser, t) -> None:
    p.add_argument("--course", action="append", default=[], metavar=t("DOSSIER", "DIR"),
                   help=t("un dossier de cours (DOSSIER/assignments/<id>/, DOSSIER/reference/<id>.py), cherché avant "
                          "$GRADER_COURSE et le cours intégré ; répétable",
                          "a course folder (DIR/assignments/<id>/, DIR/reference/<id>.py), searched before "
                          "$GRADER_COURSE and the built-in course; repeatable"))


def _lang_option(p: argparse.ArgumentParser, t, lang: str) -> None:
    p.add_argument("--lang", choices=LANGS, default=lang,
                   help=t(f"langue des messages et des retours (défaut : {lang}, ou ${ENV_LANG})",
                          f"language of messages and feedback (default: {lang}, or ${ENV_LANG})"))


def _sandbox_option(p: argparse.ArgumentParser, t) -> None:
    p.add_argument("--sandbox", choices=("require", "auto", "off"), default="auto",
                   help=t("couches d'isolation : toutes exigées, celles que cette machine offre (défaut), ou aucune",
                          "isolation layers: require all, use what this machine has (default), or none"))


def _profile_option(p: argparse.ArgumentParser, t) -> None:
    p.add_argument("--profile", choices=("cpu", "gpu"),
                   help=t("budget d'entraînement (défaut : selon le matériel détecté)",
                          "training budget (default: detected hardware)"))


def _lms_run_options(p: argparse.ArgumentParser, root: str, t) -> None:
    import json

    p.add_argument("id", metavar="ID", help=t("l'identifiant du TP", "the assignment id"))
    p.add_argument("--root", metavar=t("DOSSIER", "DIR"), help=t(f"le dossier de la tâche (défaut : {root})",
                                                                 f"the job's folder (default: {root})"))
    p.add_argument("--budget", type=json.loads, metavar="JSON",
                   help=t('budget d\'entraînement à remplacer, p. ex. \'{"epochs": 1, "train_size": 2000}\'',
                          'training budget overrides, e.g. \'{"epochs": 1, "train_size": 2000}\''))
    _profile_option(p, t)
    _sandbox_option(p, t)


def _command(sub, name: str, help: tuple[str, str], func, t, lang: str, *, course: bool = True
             ) -> argparse.ArgumentParser:
    """A subcommand with the options every command shares: --lang, and --course where it reads a course."""
    cmd = sub.add_parser(name, help=t(*help), description=t(*help))
    _lang_option(cmd, t, lang)
    if course:
        _course_option(cmd, t)
    cmd.set_defaults(func=func)
    return cmd


def _group(sub, name: str, help: tuple[str, str], t, lang: str) -> argparse._SubParsersAction:
    """A command made of subcommands (manual, data, gradescope)."""
    cmd = sub.add_parser(name, help=t(*help), description=t(*help))
    _lang_option(cmd, t, lang)
    return cmd.add_subparsers(dest="action", required=True, metavar=t("ACTION", "ACTION"),
                              title=t("actions", "actions"))


def build_parser(lang: str = "fr") -> argparse.ArgumentParser:
    """The parser, every description and help in `lang` (argparse's own words too, inside `_ArgparseIn`)."""
    with _ArgparseIn(lang):
        return _build_parser(lang)


def _build_parser(lang: str) -> argparse.ArgumentParser:
    def t(fr: str, en: str) -> str:
        return en if lang == "en" else fr

    folder = t("DOSSIER", "DIR")
    p = argparse.ArgumentParser(prog="grader", description=t("Corriger les TP TensorFlow/Keras.",
                                                             "Grade TensorFlow/Keras practicals (TP)."))
    p.add_argument("--version", action="version", version=f"grader {_version()}",
                   help=t("afficher la version et quitter", "show the version and exit"))
    _lang_option(p, t, lang)
    sub = p.add_subparsers(dest="command", required=True, metavar=t("COMMANDE", "COMMAND"),
                           title=t("commandes", "commands"))
    run = _command(sub, "run", ("corriger un dossier de copies", "grade a folder of submissions"), _cmd_run, t, lang,
                   course=False)
    run.add_argument("submissions", metavar=t("COPIES", "SUBMISSIONS"),
                     help=t("dossier avec une entrée par élève (.ipynb, .py, .zip ou dossier)",
                            "folder with one entry per student (.ipynb, .py, .zip or folder)"))
    run.add_argument("--assignment", "-a", metavar="ID",
                     help=t("identifiant du TP (défaut : celui des métadonnées des notebooks)",
                            "assignment id (default: from the notebooks' metadata)"))
    run.add_argument("--out", "-o", default="out", metavar=t("SORTIE", "OUT"),
                     help=t("dossier de sortie (gradebook, résultats, rapports) ; un autre TP ou une autre classe "
                            "n'y est corrigé qu'avec --force", "output folder (gradebook, results, reports); another "
                            "TP or class is graded into it only with --force"))
    run.add_argument("--workers", "-j", type=int, default=None, metavar="N",
                     help=t("copies corrigées à la fois (défaut : ce que permettent cœurs, mémoire et GPU)",
                            "submissions graded at once (default: what the cores, memory and GPUs allow)"))
    run.add_argument("--executor", choices=("local", "ray"), default="local",
                     help=t("threads locaux, ou tâches Ray (pip install 'tp-grader[ray]' ; couche 2 du bac à sable "
                            "exigée)", "local threads, or Ray tasks (pip install 'tp-grader[ray]'; sandbox Layer 2 "
                            "required)"))
    run.add_argument("--no-warm", dest="warm", action="store_false",
                     help=t("démarrer chaque exécuteur à froid (un interpréteur neuf) plutôt que de le dupliquer "
                            "d'un serveur chaud", "start every runner cold (a fresh interpreter) instead of forking "
                            "it from a warm server"))
    run.add_argument("--address", metavar=t("ADRESSE", "ADDR"),
                     help=t("la grappe Ray à utiliser (p. ex. auto, HÔTE:PORT ; défaut : une grappe locale)",
                            "the Ray cluster to use (e.g. auto, HOST:PORT; default: a local one)"))
    run.add_argument("--force", action="store_true",
                     help=t("recorriger les copies inchangées ; remplacer la correction d'un autre TP ou d'une autre "
                            "classe dans --out", "regrade unchanged submissions; replace another TP's or class's "
                            "results in --out"))
    _sandbox_option(run, t)
    _profile_option(run, t)
    run.add_argument("--due", metavar="ISO",
                     help=t("date limite de cette correction au lieu de [late] due (ISO ; sans décalage : l'heure du "
                            "cours, sinon l'heure locale)", "this run's due date instead of [late] due (ISO; no "
                            "offset: the course's clock, else local time)"))
    run.add_argument("--extensions", metavar=t("FICHIER.csv", "FILE.csv"),
                     help=t("dates limites par élève : colonnes `student` (clé ou identifiant LMS) et `due`",
                            "per-student due dates: columns `student` (key or LMS id) and `due`"))
    _course_option(run, t)
    _command(sub, "list", ("lister les TP", "list the assignments"), _cmd_list, t, lang)
    _command(sub, "generate", ("régénérer les notebooks élèves depuis les références",
                               "regenerate student notebooks from the references"), _cmd_generate, t, lang
             ).add_argument("ids", nargs="*", metavar="ID", help=t("les TP (défaut : tous)",
                                                                   "the assignments (default: all)"))
    chk = _command(sub, "check", ("auto-vérification d'un élève : les vérifications publiques sur un notebook",
                                  "a student's self-check: run the public checks on one notebook"), _cmd_check, t, lang)
    chk.add_argument("notebook", metavar="NOTEBOOK", help=t("le notebook (.ipynb) ou module (.py) de l'élève",
                                                            "the student's notebook (.ipynb) or module (.py)"))
    chk.add_argument("--bundle", metavar=folder,
                     help=t("le dossier écrit par `grader release` (défaut : le cours installé)",
                            "the folder written by `grader release` (default: the installed course)"))
    chk.add_argument("--assignment", "-a", metavar="ID",
                     help=t("identifiant du TP (défaut : celui des métadonnées du notebook)",
                            "assignment id (default: from the notebook's metadata)"))
    chk.add_argument("--out", "-o", default="grader-check", metavar=folder,
                     help=t("où va le rapport HTML", "where the HTML report goes"))
    _sandbox_option(chk, t)
    asg = _command(sub, "assign", ("faire d'un notebook corrigé d'enseignant (style nbgrader ou otter) un TP",
                                   "turn a teacher's solution notebook (nbgrader or otter style) into a TP"),
                   _cmd_assign, t, lang)
    asg.add_argument("notebook", metavar="NOTEBOOK", help=t("le notebook de l'enseignant, solutions marquées",
                                                            "the instructor's notebook, solutions marked"))
    asg.add_argument("--id", required=True, metavar="ID", help=t("l'identifiant du TP", "the assignment id"))
    asg.add_argument("--no-run", action="store_true",
                     help=t("ne pas exécuter la référence (les vérifications de départ ne testent alors que les "
                            "noms, pas les types ni les formes)", "do not run the reference (starter checks then "
                            "test names only, not types or shapes)"))
    rel = _command(sub, "release", ("écrire le paquet élève : notebook élève et vérifications publiques seulement",
                                    "write the student bundle: student notebook and public checks only"),
                   _cmd_release, t, lang)
    rel.add_argument("id", metavar="ID", help=t("l'identifiant du TP", "the assignment id"))
    rel.add_argument("--out", "-o", required=True, metavar=folder,
                     help=t("le dossier du paquet (un dossier de cours pour `grader check`)",
                            "the bundle folder (a course folder for `grader check`)"))
    _command(sub, "new", ("créer un TP qui fonctionne (deux questions) dans un dossier de cours",
                          "scaffold a working assignment (two questions) in a course folder"), _cmd_new, t, lang
             ).add_argument("id", metavar="ID", help=t("l'identifiant du TP (un nom de dossier : minuscules, chiffres, "
                                                       "'-', '_')", "the assignment id (a folder name: lower-case, "
                                                       "digits, '-', '_')"))
    exp = _command(sub, "export", ("un import de notes Canvas ou Moodle depuis le dossier d'une correction et une "
                                   "liste d'élèves", "a Canvas or Moodle grade import from a run's output folder and "
                                   "a roster"), _cmd_export, t, lang)
    exp.add_argument("lms", choices=("canvas", "moodle"), metavar="canvas|moodle",
                     help=t("la plateforme", "the LMS"))
    exp.add_argument("out", metavar=t("SORTIE", "OUT"),
                     help=t("le dossier de sortie de `grader run` (results.json, gradebook.sqlite)",
                            "the output folder of `grader run` (results.json, gradebook.sqlite)"))
    exp.add_argument("--roster", required=True, metavar=t("LISTE.csv", "ROSTER.csv"),
                     help=t("la liste de la classe (CSV) : un export du carnet de notes Canvas, la feuille de "
                            "notation ou l'export du carnet de notes Moodle, ...", "the class list (CSV): a Canvas "
                            "gradebook export, Moodle's grading worksheet or gradebook export, ..."))
    exp.add_argument("-o", "--file", metavar=t("FICHIER", "FILE"),
                     help=t("le fichier d'import (défaut : SORTIE/canvas.csv ou SORTIE/moodle.csv)",
                            "the import file (default: OUT/canvas.csv or OUT/moodle.csv)"))
    exp.add_argument("--key", metavar=t("COLONNE", "COLUMN"),
                     help=t("la colonne de la liste qui porte les identifiants des élèves (défaut : celle qui "
                            "correspond le plus)", "the roster column holding the students' ids (default: the "
                            "column that matches the most)"))
    exp.add_argument("--assignment-name", metavar=t("NOM", "NAME"),
                     help=t("le nom du devoir dans la plateforme (défaut : le titre du TP)",
                            "the assignment's name in the LMS (default: the TP's title)"))
    exp.add_argument("--canvas-id", metavar="N",
                     help=t("Canvas : l'identifiant du devoir (défaut : celui de la colonne « Nom (id) » de la liste)",
                            "Canvas: the assignment's id (default: from the roster's 'Name (id)' column)"))
    exp.add_argument("--identity", choices=("email", "username", "idnumber"), default="email",
                     help=t("Moodle : le champ utilisateur auquel l'import associe la première colonne",
                            "Moodle: the user field the import maps the first column to"))
    exp.add_argument("--absent", choices=("empty", "zero"),
                     help=t("note d'un élève de la liste sans copie (défaut : Canvas vide, Moodle 0)",
                            "grade of a roster student without a submission (default: Canvas empty, Moodle 0)"))
    exp.add_argument("--no-points-possible", action="store_true",
                     help=t("Canvas : pas de ligne « Points Possible »", "Canvas: no 'Points Possible' row"))
    man_sub = _group(sub, "manual", ("correction à la main : fiches des réponses écrites, import des fiches remplies",
                                     "grading by hand: written answers' sheets, importing filled ones"), t, lang)
    _command(man_sub, "export", ("par question écrite : SORTIE/manual/<id>.html (les réponses) et <id>.csv à remplir",
                                 "per written question: OUT/manual/<id>.html (the answers) and <id>.csv to fill"),
             _cmd_manual, t, lang).add_argument("out", metavar=t("SORTIE", "OUT"),
                                                help=t("le dossier de sortie de `grader run`",
                                                       "the output folder of `grader run`"))
    man_imp = _command(man_sub, "import", ("vérifier les fiches remplies, enregistrer leurs notes, réécrire les "
                                           "rapports de la correction (une ligne pour une question corrigée "
                                           "automatiquement remplace sa note)", "check filled sheets, store their "
                                           "scores, rewrite the run's reports (a row for an autograded question "
                                           "overrides its score)"), _cmd_manual, t, lang)
    man_imp.add_argument("out", metavar=t("SORTIE", "OUT"), help=t("le dossier de sortie de `grader run`",
                                                                  "the output folder of `grader run`"))
    man_imp.add_argument("files", nargs="+", metavar=t("FICHIER.csv", "FILE.csv"),
                         help=t("fiches remplies : élève, question, note, commentaire",
                                "filled sheets: student, question, score, comment"))
    man_imp.add_argument("--grader", metavar=t("NOM", "NAME"), help=t("qui a corrigé (gardé avec chaque note)",
                                                                     "who graded (kept with each score)"))
    data_sub = _group(sub, "data", ("jeux de données hors ligne : d'où ils viennent, en importer un",
                                    "offline datasets: where they come from, import one"), t, lang)
    _command(data_sub, "status", ("où chaque jeu de données est trouvé, ou comment l'obtenir",
                                  "where each dataset is found, or how to get it"), _cmd_data, t, lang, course=False)
    imp = _command(data_sub, "import", ("copier un jeu de données depuis des fichiers locaux (ou le télécharger) "
                                        "dans le dossier des données", "copy a dataset from local files (or download "
                                        "it) into the data dir"), _cmd_data, t, lang, course=False)
    imp.add_argument("name", metavar=t("NOM", "NAME"), help="mnist, fashion_mnist " + t("ou", "or") + " cifar10")
    imp.add_argument("path", nargs="?", metavar=t("CHEMIN", "PATH"),
                     help=t("mnist.npz / dossier IDX / dossier .gz / cifar-10-python.tar.gz ; aucun : téléchargé "
                            "depuis l'origine de Keras", "mnist.npz / IDX folder / .gz folder / "
                            "cifar-10-python.tar.gz; none: download from Keras' origin"))
    imp.add_argument("--to", metavar=folder,
                     help=t("destination (défaut : $GRADER_DATA_DIR ou ~/.local/share/tp-grader/datasets)",
                            "destination (default: $GRADER_DATA_DIR or ~/.local/share/tp-grader/datasets)"))
    syn = _command(data_sub, "synthesize", ("écrire un substitut synthétique (tests/CI seulement : pas le vrai jeu)",
                                            "write a synthetic stand-in (tests/CI only: not the real dataset)"),
                   _cmd_data, t, lang, course=False)
    syn.add_argument("name", choices=("cifar10",), help=t("le jeu de données", "the dataset"))
    syn.add_argument("--train", type=int, default=5000, metavar="N",
                     help=t("images d'entraînement (défaut 5000)", "training images (default 5000)"))
    syn.add_argument("--test", type=int, default=2000, metavar="N",
                     help=t("images de test (défaut 2000)", "test images (default 2000)"))
    syn.add_argument("--seed", type=int, default=0, metavar="N", help=t("graine aléatoire (défaut 0)",
                                                                        "random seed (default 0)"))
    syn.add_argument("--dir", metavar=folder,
                     help=t("destination (défaut : le premier dossier de $GRADER_DATA_DIR)",
                            "destination (default: the first folder of $GRADER_DATA_DIR)"))
    gs_sub = _group(sub, "gradescope", ("Gradescope : construire le zip de l'autograder, y corriger une copie",
                                        "Gradescope: build the autograder zip, grade one submission in it"), t, lang)
    gs_build = _command(gs_sub, "build", ("le zip de l'autograder : setup.sh, run_autograder, la wheel de ce "
                                          "correcteur, le TP", "the autograder zip: setup.sh, run_autograder, this "
                                          "grader's wheel, the assignment"), _cmd_gradescope, t, lang)
    gs_build.add_argument("id", metavar="ID", help=t("l'identifiant du TP", "the assignment id"))
    gs_build.add_argument("--out", "-o", default="autograder.zip", metavar=t("FICHIER", "FILE"),
                          help=t("le zip à écrire (défaut : autograder.zip)", "the zip to write (default: "
                                 "autograder.zip)"))
    _lms_run_options(_command(gs_sub, "run", ("corriger $GRADESCOPE_ROOT/submission, écrire results/results.json",
                                              "grade $GRADESCOPE_ROOT/submission, write results/results.json"),
                              _cmd_gradescope, t, lang), t("$GRADESCOPE_ROOT ou /autograder",
                                                           "$GRADESCOPE_ROOT or /autograder"), t)
    _lms_run_options(_command(sub, "prairielearn", ("correcteur externe PrairieLearn : corriger $PL_GRADE_ROOT/student, "
                                                    "écrire results/results.json", "PrairieLearn external grader: grade "
                                                    "$PL_GRADE_ROOT/student, write results/results.json"),
                              _cmd_prairielearn, t, lang), t("$PL_GRADE_ROOT ou /grade", "$PL_GRADE_ROOT or /grade"), t)
    cal = _command(sub, "calibrate", ("exécuter la référence ici ; garder son temps et ses scores pour les seuils",
                                      "run the reference here; store its time and scores for thresholds"),
                   _cmd_calibrate, t, lang)
    cal.add_argument("ids", nargs="+", metavar="ID", help=t("les TP", "the assignments"))
    cal.add_argument("--profile", choices=("cpu", "gpu"), help=t("défaut : selon le matériel détecté",
                                                                 "default: detected hardware"))
    cal.add_argument("--dry-run", action="store_true", help=t("mesurer et afficher, ne rien écrire",
                                                              "measure and print, write nothing"))
    return p


def main(argv: list[str] | None = None) -> int:
    """Run one command. Ctrl-C and a full disk end any command with one line and no traceback:
    exit 130 (the finished work is kept; the same command resumes) and 1 (free space, run it again)."""
    import sqlite3

    from grader import interrupt, outdir

    argv = list(sys.argv[1:] if argv is None else argv)
    lang = scan_lang(argv)
    with _ArgparseIn(lang):
        args = _build_parser(lang).parse_args(argv)
    lang = getattr(args, "lang", lang)
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
