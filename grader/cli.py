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

    progress = Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                        TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn(), console=console)
    task = None

    def on_start(total: int) -> None:
        nonlocal task
        task = progress.add_task("Correction", total=total)

    def on_done(result, fresh: bool) -> None:
        tag = "" if fresh else " (déjà corrigé)"
        progress.console.print(escape(f"  {result.student}: {result.score:g}/{result.max_score:g} [{result.status}]{tag}"))
        progress.advance(task)

    try:
        with progress:
            run = grade(Path(args.submissions), assignment=args.assignment, out=Path(args.out),
                        workers=args.workers, force=args.force, lang=args.lang, on_start=on_start, on_done=on_done)
    except UsageError as e:
        console.print(f"[red]error:[/red] {e}")
        return 2
    table = Table(title=f"{run.assignment.id} — {len(run.results)} soumission(s), {run.seconds:.1f} s")
    table.add_column("élève")
    table.add_column("statut")
    for q in run.assignment.questions:
        table.add_column(q.id, justify="right")
    table.add_column("total", justify="right")
    for r in run.results:
        table.add_row(r.student, r.status, *(f"{qs.score:g}" for qs in r.questions),
                      f"{r.score:g}/{r.max_score:g}")
    Console().print(table)
    console.print(f"Résultats : {run.out / 'results.json'}, {run.out / 'grades.csv'}, {run.out / 'summary.html'}")
    if run.grader_errors:
        console.print(f"[red]{run.grader_errors} erreur(s) interne(s) du correcteur : voir les rapports.[/red]")
        return 3
    return 0


def _cmd_list(args: argparse.Namespace) -> int:
    from grader.assignments import available, load

    table = Table(title="TP disponibles")
    for col in ("id", "titre", "questions", "points"):
        table.add_column(col)
    for aid in available():
        a = load(aid).assignment
        table.add_row(aid, a.title.get(args.lang), " ".join(q.id for q in a.questions), f"{a.max_score:g}")
    Console().print(table)
    return 0


def _cmd_generate(args: argparse.Namespace) -> int:
    from grader.assignments import available
    from grader.notebooks import write_student_notebook

    for aid in args.ids or available():
        path = write_student_notebook(aid)
        console.print(f"{aid}: {path}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="grader", description="Grade TensorFlow/Keras practicals (TP).")
    sub = p.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="grade a folder of submissions")
    run.add_argument("submissions", help="folder with one entry per student (.ipynb, .py, .zip or folder)")
    run.add_argument("--assignment", "-a", help="assignment id (default: from the notebooks' metadata)")
    run.add_argument("--out", "-o", default="out", help="output folder (gradebook, results, reports)")
    run.add_argument("--workers", "-j", type=int, default=2, help="submissions graded in parallel")
    run.add_argument("--force", action="store_true", help="regrade unchanged submissions")
    run.add_argument("--lang", choices=("fr", "en"), default="fr", help="language of the feedback")
    run.set_defaults(func=_cmd_run)
    ls = sub.add_parser("list", help="list the assignments")
    ls.add_argument("--lang", choices=("fr", "en"), default="fr")
    ls.set_defaults(func=_cmd_list)
    gen = sub.add_parser("generate", help="regenerate student notebooks from the references")
    gen.add_argument("ids", nargs="*")
    gen.set_defaults(func=_cmd_generate)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
