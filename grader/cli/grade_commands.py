"""`grader run` and `grader check`: parse, build the options, grade, hand the run to the console reporter."""

from __future__ import annotations

import argparse
from pathlib import Path

from rich.markup import escape

from grader.cli.common import console, error_word, say
from grader.options import GradeOptions


def run_options(args: argparse.Namespace) -> GradeOptions:
    """`grader run`'s flags as the one options record the library reads."""
    return GradeOptions.of(args.out, assignment=args.assignment, workers=args.workers, force=args.force,
                           lang=args.lang, sandbox=args.sandbox, profile=args.profile, courses=args.course,
                           due=args.due, extensions=args.extensions, executor=args.executor,
                           address=args.address, warm=args.warm, guard=True)


def cmd_run(args: argparse.Namespace) -> int:
    from grader.grading import Hooks, UsageError, grade
    from grader.reports.console import RunConsole

    reporter = RunConsole(console, args.lang, sandbox_off=args.sandbox == "off")
    if args.sandbox == "off":  # said before any student code runs, and again with the results
        from grader.runner.sandbox import plan

        if (warning := plan("off").warning) is not None:
            console.print(f"[bold red]{escape(warning.get(args.lang))}[/bold red]")
    try:
        with reporter.running():
            run = grade(Path(args.submissions), run_options(args), Hooks(*reporter.callbacks()))
    except UsageError as e:  # one line however long (OUT busy names a pid a test or a script reads)
        console.print(f"[red]{error_word(args)}[/red] {escape(say(e, args.lang))}", soft_wrap=True)
        return 2
    return reporter.results(run)


def cmd_check(args: argparse.Namespace) -> int:
    """A student's self-check: the public checks only, same runner and sandbox; exit 0 whatever the score."""
    from grader.grading import UsageError, grade_one
    from grader.intake.discovery import student_id
    from grader.reports.console import selfcheck_results

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
    selfcheck_results(console, run, out, args.lang)
    return 0
