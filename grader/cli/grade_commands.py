"""`grader run` and `grader check`: grade a class, or one student's notebook on its public checks."""

from __future__ import annotations

import argparse
import math
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

from grader.cli.common import console, error_word, say
from grader.model import status_word
from grader.options import GradeOptions


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


def run_options(args: argparse.Namespace) -> GradeOptions:
    """`grader run`'s flags as the one options record the library reads."""
    return GradeOptions.of(args.out, assignment=args.assignment, workers=args.workers, force=args.force,
                           lang=args.lang, sandbox=args.sandbox, profile=args.profile, courses=args.course,
                           due=args.due, extensions=args.extensions, executor=args.executor,
                           address=args.address, warm=args.warm, guard=True)


def cmd_run(args: argparse.Namespace) -> int:
    from grader.grading import Hooks, UsageError, grade
    from grader.model import Message
    from grader.reports.document import text

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
            run = grade(Path(args.submissions), run_options(args), Hooks(on_header, on_start, on_done))
    except UsageError as e:  # one line however long (OUT busy names a pid a test or a script reads)
        console.print(f"[red]{error_word(args)}[/red] {escape(say(e, args.lang))}", soft_wrap=True)
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


def cmd_check(args: argparse.Namespace) -> int:
    """A student's self-check: the public checks only, same runner and sandbox; exit 0 whatever the score."""
    from grader.grading import UsageError, grade_one
    from grader.intake.discovery import student_id
    from grader.reports.document import text

    en = args.lang == "en"
    notebook = Path(args.notebook)
    if not notebook.is_file():
        console.print(f"[red]{error_word(args)}[/red] " + escape(f"{notebook}: " + ("no such file" if en
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
        run = grade_one(notebook, GradeOptions.of(out, assignment=assignment, lang=args.lang, sandbox=args.sandbox,
                                                  courses=[*courses, *args.course], public_only=True, force=True),
                        student=student_id(notebook))
    except UsageError as e:
        console.print(f"[red]{error_word(args)}[/red] {escape(say(e, args.lang))}")
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
