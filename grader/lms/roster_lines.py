"""What the Canvas and Moodle exports share: a finished run's grades as results.json shows them,
their pairing with a roster, the plain-text summary a student reads as feedback, and the side file
listing everyone who could not be paired (never dropped silently).

Scores are read from results.json, never recomputed: the LMS shows exactly what the grader's
reports show. Check messages come from the gradebook, which keeps both languages, so `--lang`
chooses the feedback's language whatever language the run used.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from grader.assignments import CourseLike
from grader.lms.roster import Matching, Roster, RosterError, Student, match, read_roster
from grader.model import Assignment, Message
from grader.reports.csv import DefusedWriter
from grader.reports.document import atomic_write, fmt_number
from grader.reports.json import read_results
from grader.text import plain

NAME_COLUMNS = ("student", "full name", "nom complet", "name", "nom", "étudiant", "etudiant")
#: Which checks a feedback names: the ones that cost points (not the passed, nor the skipped ones).
FAILED = frozenset({"failed", "error", "timeout", "memory", "output-limit", "crash", "missing", "grader-error"})
MAX_FAILURES = 3  # per question, in the feedback
MAX_MESSAGE = 300  # characters of one check message in the feedback
NO_SUBMISSION = Message("Aucune copie reçue par le correcteur.", "No submission reached the grader.")
PENDING = Message("({} point(s) en attente de correction à la main)", "({} point(s) pending hand grading)")
BY_HAND_PENDING = Message("à corriger à la main", "to be graded by hand")
OVERRIDDEN = Message("note modifiée à la main", "score changed by hand")


class ExportError(RosterError):
    """A usage problem of `grader export` (no run in OUT, missing column); a roster's are ones too."""


@dataclass(frozen=True)
class ResultRow:
    """One submission of results.json: its scores as shown there, the LMS identity intake found."""

    student: str
    status: str
    score: float
    max_score: float
    record: dict[str, Any] = field(repr=False)

    @property
    def lms(self) -> dict[str, Any]:
        info = self.record.get("info") or {}
        return info.get("lms") or {} if isinstance(info, dict) else {}


@dataclass(frozen=True)
class Run:
    """A grading run's output folder, as the exports read it."""

    out: Path
    assignment: str
    title: str
    lang: str
    max_score: float
    graded: tuple[ResultRow, ...]
    messages: dict[tuple[str, str], Message] = field(default_factory=dict, repr=False)  # (student, check)
    toml: Assignment | None = None  # the assignment's titles in both languages, when its course is found

    def by_student(self) -> dict[str, ResultRow]:
        return {g.student: g for g in self.graded}


@dataclass(frozen=True)
class Line:
    """One roster row of an export, in the roster's order; `graded` None: nothing to import."""

    row: int
    graded: ResultRow | None
    shared: bool = False  # a doubtful row (two students claim it, or a student two rows match): no grade


@dataclass(frozen=True)
class Exported:
    """What an export wrote and what the console says about it."""

    path: Path
    unmatched: Path
    written: int
    absent: int
    notes: tuple[str, ...] = ()  # one line each, in the export's language: unpaired students and rows

    def summary(self, lang: str) -> str:
        return Message(f"{self.path} : {self.written} note(s), {self.absent} élève(s) sans copie ; "
                       f"non appariés : {self.unmatched}",
                       f"{self.path}: {self.written} grade(s), {self.absent} student(s) without a submission; "
                       f"unmatched: {self.unmatched}").get(lang)


def load_run(out: Path, courses: Iterable[CourseLike] = ()) -> Run:
    """results.json of `out` (a `grader run` output folder); messages in both languages from its
    gradebook when there is one, titles from the assignment's TOML when a course holds it."""
    doc = read_results(out, ExportError)
    try:
        graded = tuple(ResultRow(str(s["student"]), str(s.get("status", "")), float(s["score"]),
                              float(s["max_score"]), s) for s in doc["submissions"])
    except (ValueError, KeyError, TypeError) as e:
        raise ExportError(Message(f"results.json illisible dans « {out} » : {e}",
                                  f"unreadable results.json in {out}: {e}")) from None
    aid = str(doc.get("assignment", ""))
    return Run(Path(out), aid, str(doc.get("title") or aid), str(doc.get("lang", "fr")),
               float(doc.get("max_score", 0)), graded, _messages(Path(out) / "gradebook.sqlite", aid, graded),
               _toml(aid, courses))


def _toml(assignment: str, courses: Iterable[CourseLike]) -> Assignment | None:
    from grader.assignments import AssignmentError, locate, read_assignment

    try:
        return read_assignment(locate(assignment, courses).folder)
    except AssignmentError:
        return None  # a course no longer here: the titles of results.json serve, in its language


def _messages(db: Path, assignment: str, graded: tuple[ResultRow, ...]) -> dict[tuple[str, str], Message]:
    if not db.is_file():
        return {}
    from grader.gradebook import Gradebook

    book = Gradebook(db)
    try:
        return {(g.student, name): c.message for g in graded
                for name, c in book.done_checks(assignment, g.student).items()}
    finally:
        book.close()


def pair(run: Run, roster_path: Path, key: str | None) -> Matching:
    """The roster read and matched to the run's students (roster errors become export errors)."""
    try:
        roster = read_roster(roster_path)
        students = [Student(g.student, str(g.lms.get("id", "")), str(g.lms.get("name", ""))) for g in run.graded]
        return match(roster, students, key)
    except RosterError as e:
        raise ExportError(e.message) from e


def lines(run: Run, matching: Matching) -> list[Line]:
    """Every roster row that gets a line: matched, without submission, or claimed twice."""
    graded = run.by_student()
    doubtful = {r for r, _ in matching.shared} | {r for _, rows in matching.ambiguous for r in rows}
    return [Line(r, graded[matching.by_row[r]], False) if r in matching.by_row else Line(r, None, r in doubtful)
            for r in range(len(matching.roster.rows))]


def number(value: float) -> str:
    """A score as both LMSs read it: a dot, at most 2 decimals (the question grid is already applied)."""
    return fmt_number(value)


def feedback(run: Run, graded: ResultRow | None, lang: str) -> str:
    """The student's summary as plain text: total, each question's score, the checks that cost points."""
    if graded is None:
        return NO_SUBMISSION.get(lang)
    decimal, colon = (",", " : ") if lang == "fr" else (".", ": ")
    same_lang = run.lang == lang  # results.json holds the titles in the run's language only
    titles = {q.id: q.title.get(lang) for q in run.toml.questions} if run.toml else {}

    def pts(a: float, b: float) -> str:
        return f"{fmt_number(a, decimal)}/{fmt_number(b, decimal)}"

    title = run.toml.title.get(lang) if run.toml else run.title if same_lang else run.assignment
    pending = float(graded.record.get("pending_points") or 0)
    out = [f"{title}{colon}{pts(graded.score, graded.max_score)}"
           + (" " + PENDING.get(lang).format(fmt_number(pending, decimal)) if pending else "")]
    if (late := late_reason(graded.record, lang)) is not None:
        out.append(late)
    for error in graded.record.get("errors") or []:
        out.append(("Problème : " if lang == "fr" else "Problem: ") + _short(str(error)))
    for qid, q in (graded.record.get("questions") or {}).items():
        name = titles.get(qid) or (q.get("title") if same_lang else "")
        shown = BY_HAND_PENDING.get(lang) if q.get("pending") else pts(float(q.get('score', 0)),
                                                                      float(q.get('max_score', 0)))
        out.append(f"{qid}{' ' + name if name else ''}{colon}{shown}")
        hand = q.get("manual") if isinstance(q.get("manual"), dict) else None
        if hand is not None and (q.get("kind") != "manual" or hand.get("comment")):
            said = OVERRIDDEN.get(lang) if q.get("kind") != "manual" else ""
            comment = _short(str(hand.get("comment") or ""))
            out.append("  - " + (f"{said}{colon}{comment}" if said and comment else said or comment))
        failed = [c for c in q.get("checks") or [] if c.get("status") in FAILED]
        for c in failed[:MAX_FAILURES]:
            message = run.messages.get((graded.student, str(c.get("name"))))
            out.append("  - " + _short(message.get(lang) if message else str(c.get("message", ""))))
        if len(failed) > MAX_FAILURES:
            more = len(failed) - MAX_FAILURES
            out.append(f"  (+{more} " + ("autre(s) vérification(s) échouée(s))" if lang == "fr"
                                         else "more failed check(s))"))
    return "\n".join(out)


def late_reason(record: dict[str, Any], lang: str) -> str | None:
    """The late-work line of a results.json submission, in `lang` (kept in both languages there),
    when it cost points; None otherwise."""
    late = record.get("late")
    if not isinstance(late, dict) or not late.get("penalty_percent"):
        return None
    reason = late.get("reason")
    words = reason.get(lang) or reason.get("fr") if isinstance(reason, dict) else reason
    before = record.get("score_before_penalty")
    decimal = "," if lang == "fr" else "."
    note = (Message(f" Note avant pénalité : {fmt_number(float(before), decimal)}.",
                    f" Score before the penalty: {fmt_number(float(before))}.").get(lang)
            if isinstance(before, int | float) else "")
    return _short(str(words or "")) + note


def pending_note(run: Run, lang: str = "fr") -> str | None:
    """The console's warning when hand-graded points are still pending: the grades sent leave them out."""
    pending = [(g.student, float(g.record.get("pending_points") or 0)) for g in run.graded]
    pending = [(s, p) for s, p in pending if p > 0]
    if not pending:
        return None
    points = fmt_number(sum(p for _, p in pending), "," if lang == "fr" else ".")
    return Message(f"attention : {len(pending)} copie(s) ont encore des points à corriger à la main ({points} point(s) "
                   f"en tout) : les notes exportées ne les comptent pas. Corrigez-les (grader manual export "
                   f"{run.out}, puis grader manual import), puis exportez de nouveau",
                   f"warning: {len(pending)} submission(s) still have points to grade by hand ({points} point(s) in "
                   f"all): the exported grades leave them out. Grade them (grader manual export {run.out}, then "
                   "grader manual import), then export again").get(lang)


def _short(text: str) -> str:
    text = " ".join(plain(text).replace("**", "").split())
    return text if len(text) <= MAX_MESSAGE else text[: MAX_MESSAGE - 1] + "…"


def name_column(roster: Roster) -> int | None:
    return roster.find(NAME_COLUMNS)


UNMATCHED_HEADER = ("problem", "detail", "student", "lms_id", "lms_name", "score", "roster_key", "roster_name")


def unmatched_rows(run: Run, matching: Matching, lang: str, absent_grade: str,
                   extra: Sequence[tuple[str, Message, int, str | None]] = ()) -> list[list[str]]:
    """One row per student or roster row that was not paired one to one, and per name-only match;
    `extra`: (problem, detail, roster row, student) an LMS adds (a row it could not write)."""
    roster, graded = matching.roster, run.by_student()
    key = roster.column(matching.key_column) if matching.key_column else None
    who = name_column(roster)

    def row(problem: str, detail: Message, student: str | None, r: int | None) -> list[str]:
        g = graded.get(student) if student else None
        return [problem, detail.get(lang), student or "", str(g.lms.get("id", "")) if g else "",
                str(g.lms.get("name", "")) if g else "", number(g.score) if g else "",
                roster.rows[r][key] if r is not None and key is not None else "",
                roster.rows[r][who] if r is not None and who is not None else ""]

    out = [row("not-in-roster", Message("corrigé, absent de la liste : aucune note importée",
                                        "graded, not in the roster: no grade imported"), s, None)
           for s in matching.not_in_roster]
    written = Message(f"note écrite : « {absent_grade} »", f"grade written: '{absent_grade}'") \
        if absent_grade else Message("note laissée vide", "grade left empty")
    out += [row("no-submission", written, None, r) for r in matching.no_submission
            if r not in {r for _, _, r, _ in extra}]
    out += [row("ambiguous", Message(f"plusieurs lignes correspondent ({len(rows)}) : aucune choisie",
                                     f"several roster rows match ({len(rows)}): none chosen"), s, rows[0])
            for s, rows in matching.ambiguous]
    out += [row("shared-row", Message(f"ligne revendiquée par {', '.join(keys)} : note laissée vide",
                                      f"row claimed by {', '.join(keys)}: grade left empty"), k, r)
            for r, keys in matching.shared for k in keys]
    out += [row("name-differs", Message(
        f"l'identifiant LMS désigne « {roster.rows[r][who] if who is not None else r + 1} », d'un autre nom : "
        "aucune note importée (vérifiez dans l'LMS à qui est la copie)",
        f"the LMS id finds '{roster.rows[r][who] if who is not None else r + 1}', another name: no grade "
        "imported (check in the LMS whose submission it is)"), s, r) for s, r in matching.name_differs]
    out += [row("matched-by-name", Message("apparié par le nom seulement : à vérifier",
                                           "matched by name only: check it"), s, r) for s, r in matching.by_name]
    out += [row(problem, detail, s, r) for problem, detail, r, s in extra]
    return out


def write_unmatched(path: Path, rows: list[list[str]]) -> None:
    """The side file, always written (header only when everyone was paired), so a stale one never lingers."""
    buf = io.StringIO()
    writer = DefusedWriter(buf, lineterminator="\r\n")  # a file name may start with "=" or hold ";="
    writer.writerow(UNMATCHED_HEADER)
    writer.writerows(rows)
    atomic_write(path, "\ufeff" + buf.getvalue())


#: The side file's problem codes as the console says them (the file keeps the codes: a script reads them).
PROBLEMS = {"not-in-roster": Message("hors de la liste", "not in the roster"),
            "no-submission": Message("sans copie", "no submission"),
            "ambiguous": Message("ambigu", "ambiguous"),
            "shared-row": Message("ligne partagée", "shared row"),
            "matched-by-name": Message("apparié par le nom", "matched by name"),
            "name-differs": Message("nom différent", "name differs"),
            "no-identity": Message("sans identifiant", "no identity")}


def console_note(note: str, lang: str = "fr") -> str:
    """A note of `notes()` as the console says it: in French, its leading problem code in words
    ("sans copie : ..."); in English the code itself, the side file's word (what a script greps)."""
    code, sep, rest = note.partition(": ")
    if lang == "en" or not sep or code not in PROBLEMS:
        return note
    return f"{PROBLEMS[code].fr} : {rest}"


def notes(rows: list[list[str]]) -> tuple[str, ...]:
    """The console's lines for the side file's rows (its detail column is already in the export's language)."""
    return tuple(f"{r[0]}: {r[2] or r[7] or r[6]} — {r[1]}" for r in rows)
