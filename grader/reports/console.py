"""The console reporter: what `grader run` and `grader check` print, from the run's records only.

pytest's terminal reporter is the model: the command line parses and delegates; this module owns the
progress bar, the header (sandbox, sizing, budget), one line per submission as it finishes, the
class table and the self-check table, in the run's language. Students' names and messages are
escaped: a name like `[red]` never becomes console markup.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
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

from grader.data.catalogue import origin_text
from grader.model import Message, SubmissionResult, status_word
from grader.reports.document import text

#: A check's colour by status in the self-check table; every other status is red.
_COLOURS = {"passed": "green", "skipped": "yellow"}


def duration(seconds: float, en: bool) -> str:
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
    return duration(penalty.seconds, en) + cut


def _late_tag(penalty, en: bool) -> str:
    """The progress line's word on lateness ("" when on time)."""
    if penalty is None or penalty.seconds <= 0:
        return ""
    cut = f", −{penalty.percent:g}{'' if en else ' '}%" if penalty.percent > 0 else ""
    return f" ({duration(penalty.seconds, True)} late{cut})" if en else \
        f" ({duration(penalty.seconds, False)} de retard{cut})"


class RunConsole:
    """`grader run` on the console: header, progress, a line per submission, then the table."""

    def __init__(self, console: Console, lang: str = "fr", *, sandbox_off: bool = False) -> None:
        self.console, self.lang, self.en, self.sandbox_off = console, lang, lang == "en", sandbox_off
        self.progress = Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                                 TimeElapsedColumn(), TextColumn("ETA" if self.en else "reste"),
                                 TimeRemainingColumn(), console=console)
        self._task = None

    @contextlib.contextmanager
    def running(self) -> Iterator[None]:
        with self.progress:
            yield

    def callbacks(self) -> tuple[Callable, Callable, Callable]:
        """(on_header, on_start, on_done), as `grader.grading.Hooks` takes them."""
        return self.on_header, self.on_start, self.on_done

    def on_header(self, head) -> None:
        """Before any student line: the machine's protection, how many at once, the budget."""
        say, lang = self.progress.console.print, self.lang
        label = "Sandbox:" if self.en else "Bac à sable :"
        say(escape(f"{label} {head.sandbox.describe(lang)}"))
        if head.sizing is not None:
            say(escape(("Workers: " if self.en else "Parallélisme : ") + head.sizing.get(lang)))
        if head.sandbox.warning is not None and not self.sandbox_off:  # off: said already, before the probe
            say(f"[bold red]{escape(head.sandbox.warning.get(lang))}[/bold red]")
        for note in head.plan.notes if head.plan else ():
            say(escape(("Budget: " if self.en else "Budget : ") + note.get(lang)))

    def on_start(self, total: int) -> None:
        self._task = self.progress.add_task("Grading" if self.en else "Correction", total=total)

    def on_done(self, result: SubmissionResult, fresh: bool) -> None:
        en, lang, say = self.en, self.lang, self.progress.console.print
        tag = "" if fresh else (" (already graded)" if en else " (déjà corrigé)")
        tag += _late_tag(result.penalty, en)
        status = status_word(result.status, lang)
        say(escape(f"  {result.student}: {result.score:g}/{result.max_score:g} [{status}]{tag}"))
        if fresh and isinstance(choice := result.info.get("entry_choice"), dict):  # several notebooks: which, why
            say(f"    [yellow]{escape(text(Message(**choice), lang))}[/yellow]", soft_wrap=True)
        if fresh and result.status == "error" and result.errors:  # why nothing could be graded (a refused name)
            say(f"    [yellow]{escape(text(result.errors[0], lang)[:300])}[/yellow]", soft_wrap=True)
        self.progress.advance(self._task)

    def results(self, run) -> int:
        """The notices, the class table and where the files are; the exit code (3: a grader-error)."""
        console, en, lang = self.console, self.en, self.lang
        for notice in run.notices(lang):
            console.print(f"[yellow]{escape(notice)}[/yellow]")
        if run.sandbox.warning is not None:  # again with the results
            console.print(f"[bold red]{escape(run.sandbox.warning.get(lang))}[/bold red]")
        table = Table(title=f"{run.assignment.id} — {len(run.results)} "
                      + ("submission(s)" if en else "soumission(s)") + f", {run.seconds:.1f} s")
        table.add_column("student" if en else "élève")
        table.add_column("status" if en else "statut")
        for q in run.assignment.questions:
            table.add_column(q.id, justify="right")
        table.add_column("total", justify="right")
        late = run.assignment.late is not None
        if late:
            table.add_column("late" if en else "retard", justify="right")
        for r in run.results:
            status = status_word(r.status, lang)
            table.add_row(escape(r.student), status,
                          *("…" if qs.pending else f"{qs.score:g}" for qs in r.questions),
                          f"{r.score:g}/{r.max_score:g}", *((_late_cell(r.penalty, en),) if late else ()))
        Console().print(table)
        if any(q.manual for q in run.assignment.questions):  # written answers: said once, with the command
            console.print(escape("… = " + ("to be graded by hand: " if en else "à corriger à la main : ")
                                 + f"grader manual export {run.out}"))
        files = f"{run.out / 'results.json'}, {run.out / 'grades.csv'}, {run.out / 'summary.html'}"
        console.print(escape(("Results: " if en else "Résultats : ") + files))
        if run.grader_errors:
            console.print(f"[red]{run.grader_errors} " + ("internal error(s) of the grader: see the reports."
                                                         if en else "erreur(s) interne(s) du correcteur : voir "
                                                         "les rapports.") + "[/red]")
            return 3
        return 0


def selfcheck_results(console: Console, run, out: Path, lang: str = "fr") -> None:
    """`grader check`: each public check's status and message, then what the score means."""
    en = lang == "en"
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
            word, colour = status_word(c.status.value, lang), _COLOURS.get(c.status.value, "red")
            table.add_row(qs.question.id, f"[{colour}]{word}[/{colour}]", escape(c.message.get(lang)))
    Console().print(table)
    for error in result.errors:
        console.print(f"[yellow]{escape(text(error, lang))}[/yellow]")
    report = out / "reports" / f"{result.student}.html"
    console.print(escape(f"{passed}/{total} public checks passed; the final grade also counts hidden checks. "
                         f"Report: {report}" if en else
                         f"{passed}/{total} vérifications publiques réussies ; la note finale compte aussi des "
                         f"vérifications cachées. Rapport : {report}"))


@dataclass(frozen=True)
class Listed:
    """One row of `grader list`: an assignment, or the problem that keeps it from loading."""

    id: str
    course: str
    title: str = ""
    questions: tuple[str, ...] = ()
    points: float = 0.0
    problem: str | None = None


def assignments_table(rows: Iterable[Listed], lang: str = "fr", *, missing: Iterable[Path] = ()) -> None:
    """`grader list`: every assignment the search path holds (a broken one with its error), then the
    course folders without an assignments/ folder."""
    en = lang == "en"
    table = Table(title="Assignments" if en else "TP disponibles")
    for col in (("id", "title", "questions", "points", "course") if en
                else ("id", "titre", "questions", "points", "cours")):
        table.add_column(col)
    for row in rows:
        if row.problem is not None:
            table.add_row(row.id, f"[red]{escape(row.problem)}[/red]", "", "", escape(row.course))
        else:
            table.add_row(row.id, escape(row.title), " ".join(row.questions), f"{row.points:g}", escape(row.course))
    Console().print(table)
    for root in missing:
        Console(stderr=True).print(f"[yellow]{escape(str(root))}: " + ("no assignments/ folder" if en else
                                                                    "pas de dossier assignments/") + "[/yellow]")


def datasets_table(status: Iterable[tuple[str, object, str]], lang: str = "fr") -> None:
    """`grader data status`: each dataset, where its copy is (a synthetic one in yellow), or how to get it."""
    en = lang == "en"
    table = Table(title="Datasets" if en else "Jeux de données")
    for col in (("dataset", "origin", "path or how to get it") if en
                else ("jeu", "origine", "chemin ou comment l'obtenir")):
        table.add_column(col)
    for name, source, line in status:
        if source is None:
            table.add_row(name, "[red]" + ("missing" if en else "absent") + "[/red]", escape(line))
        elif source.synthetic:
            table.add_row(name, f"[bold yellow]{escape(origin_text(source.origin, lang))}[/bold yellow]", escape(line))
        else:
            table.add_row(name, escape(origin_text(source.origin, lang)), escape(str(source.path)))
    Console().print(table)
