"""Grading by hand: `grader manual export OUT` and `grader manual import OUT FILE.csv...`.

Export writes, per written question (kind `manual`), `OUT/manual/<id>.html` (every student's
answer, the question, the reference's answer, a link to the student's notebook rendered under
`OUT/manual/notebooks/`) and `OUT/manual/<id>.csv` to fill. Import reads filled sheets (any number,
`;` or `,`, decimal comma, a BOM: what a spreadsheet saves), checks every row first and imports
nothing when one is wrong, stores the scores in the gradebook and rewrites the run's reports, so
results.json, grades.csv, the HTML reports and every LMS export made from them carry the new total.
A row for an autograded question (`q2`) overrides its automatic score: a regrade, shown as such.
"""

from __future__ import annotations

import csv
import io
import math
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from grader.assignments import AssignmentError, CourseLike, locate, read_assignment
from grader.gradebook import Gradebook
from grader.lms import manual_sheets as sheets
from grader.model import Assignment, ManualScore, Message, Question
from grader.notebooks import answer_specs
from grader.reports import write_all
from grader.reports.csv import undefuse
from grader.reports.document import atomic_write, fmt_number
from grader.reports.html import report_names
from grader.reports.json import read_results

#: Header names a filled sheet may use for each column (lower-case, accents as typed).
ALIASES = {
    "student": ("student", "élève", "eleve", "étudiant", "etudiant", "étudiant·e", "id"),
    "question": ("question", "q"),
    "score": ("score", "note", "points", "grade"),
    "comment": ("comment", "commentaire", "comments", "commentaires", "feedback"),
    "grader": ("grader", "correcteur", "correctrice", "correcteur·rice"),
}
REQUIRED = ("student", "question", "score")
FRENCH = {"student": "élève", "question": "question", "score": "note"}


class ManualError(Exception):
    """A problem of `grader manual` the instructor must fix; `message` in both languages."""

    def __init__(self, message: Message, problems: Sequence[Message] = ()):
        self.message = message
        self.problems = tuple(problems)
        super().__init__(self.text("fr"))

    def text(self, lang: str) -> str:
        return "\n".join([self.message.get(lang), *(f"  {p.get(lang)}" for p in self.problems)])


@dataclass(frozen=True)
class Run:
    """A grading run's folder as `grader manual` reads it."""

    out: Path
    assignment: Assignment
    students: tuple[str, ...]  # as results.json lists them
    lang: str  # the language the run's reports were written in
    reference: Path | None


@dataclass(frozen=True)
class Exported:
    sheets: tuple[Path, ...]
    notebooks: int

    def summary(self, lang: str) -> str:
        names = ", ".join(str(p) for p in self.sheets)
        return Message(f"{len(self.sheets)} feuille(s) : {names} ; {self.notebooks} notebook(s) rendu(s)",
                       f"{len(self.sheets)} sheet(s): {names}; {self.notebooks} notebook(s) rendered").get(lang)


@dataclass(frozen=True)
class Imported:
    scores: int
    skipped: int  # rows without a score: not graded yet
    students: int
    stale: tuple[Path, ...] = ()  # LMS exports in OUT, written before this import: to export again

    def summary(self, lang: str) -> str:
        out = Message(f"{self.scores} note(s) importée(s) pour {self.students} élève(s), {self.skipped} ligne(s) "
                      "sans note ignorée(s) ; results.json, grades.csv et les rapports sont à jour",
                      f"{self.scores} score(s) imported for {self.students} student(s), {self.skipped} row(s) "
                      "without a score skipped; results.json, grades.csv and the reports are up to date").get(lang)
        for path in self.stale:
            out += "\n" + Message(f"{path} date d'avant l'import : relancez `grader export` pour le mettre à jour",
                                  f"{path} predates this import: run `grader export` again to update it").get(lang)
        return out


def open_run(out: Path, courses: Iterable[CourseLike] = ()) -> Run:
    """The run in `out` (results.json, gradebook.sqlite) and its assignment's TOML."""
    out = Path(out)
    doc = read_results(out, ManualError)
    try:
        aid = str(doc["assignment"])
        students = tuple(str(s["student"]) for s in doc["submissions"])
    except (KeyError, TypeError) as e:
        raise ManualError(Message(f"results.json illisible dans « {out} » : {e}",
                                  f"unreadable results.json in {out}: {e}")) from None
    if not (out / "gradebook.sqlite").is_file():
        raise ManualError(Message(f"pas de gradebook.sqlite dans « {out} »", f"no gradebook.sqlite in {out}"))
    try:
        located = locate(aid, courses)
        assignment = read_assignment(located.folder)
    except AssignmentError as e:
        raise ManualError(Message(f"le TP « {aid} » de cette correction est introuvable : {e.text('fr')}",
                                  f"this run's assignment {aid!r} cannot be found: {e.text('en')}")) from None
    reference = located.reference if located.reference.is_file() else None
    return Run(out, assignment, students, str(doc.get("lang") or "fr"), reference)


# ---------------------------------------------------------------------------- export


def export(out: Path, *, lang: str = "fr", courses: Iterable[CourseLike] = ()) -> Exported:
    """Write the sheets and the rendered notebooks of every written question under OUT/manual/."""
    run = open_run(out, courses)
    a = run.assignment
    written = [q for q in a.questions if q.manual]
    if not written:
        raise ManualError(Message(f"le TP « {a.id} » n'a pas de question à corriger à la main (kind = \"manual\")",
                                  f"assignment {a.id!r} has no question graded by hand (kind = \"manual\")"))
    folder = run.out / "manual"
    names = report_names(list(run.students))
    specs = {s.question: s for s in answer_specs(run.reference.read_text(encoding="utf-8"), a.id)} \
        if run.reference else {}
    book = Gradebook(run.out / "gradebook.sqlite")
    try:
        answers = {s: book.answers(a.id, s) for s in run.students}
        given = {s: book.manual_scores(a.id, s) for s in run.students}
        for student in run.students:  # each notebook once, whatever the number of questions
            kind, entry, data = book.notebook(a.id, student)
            atomic_write(folder / "notebooks" / names[student],
                         sheets.notebook_html(kind, entry, data, student=student, lang=lang))
    finally:
        book.close()
    paths = []
    for q in written:
        rows = [sheets.SheetRow(s, (got := answers[s].get(q.id)) and got.text or "", got.found if got else "",
                                got.cell_type if got else "", "notebooks/" + names[s],
                                given[s][q.id].score if q.id in given[s] else None,
                                given[s][q.id].comment if q.id in given[s] else "")
                for s in sorted(run.students)]
        csv_path = folder / f"{q.id}.csv"
        atomic_write(csv_path, sheets.sheet_csv(q, rows, lang))
        atomic_write(folder / f"{q.id}.html", sheets.sheet_html(
            q, rows, assignment=a.id, title=a.title, expected=specs[q.id].expected if q.id in specs else "",
            prompt=specs[q.id].prompt if q.id in specs else "", csv_name=csv_path.name,
            out_hint=str(run.out), lang=lang))
        paths.append(folder / f"{q.id}.html")
    return Exported(tuple(paths), len(run.students))


# ---------------------------------------------------------------------------- import


@dataclass(frozen=True)
class Row:
    file: Path
    line: int
    student: str
    question: str
    score: str
    comment: str
    grader: str


def read_sheet(path: Path) -> tuple[list[Row], list[Message]]:
    """A filled sheet's rows and its problems (a file that cannot be read at all is one problem)."""
    where = Path(path).name
    try:
        raw = Path(path).read_bytes()
    except OSError as e:
        return [], [Message(f"{where} : illisible ({e.strerror or e})", f"{where}: unreadable ({e.strerror or e})")]
    try:
        content = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            content = raw.decode("cp1252")  # what Excel saves as "CSV" on Windows
        except UnicodeDecodeError:
            return [], [Message(f"{where} : encodage inconnu (enregistrez en CSV UTF-8)",
                                f"{where}: unknown encoding (save as CSV UTF-8)")]
    first = content.split("\n", 1)[0]
    delimiter = max((";", ",", "\t"), key=first.count)
    reader = csv.reader(io.StringIO(content, newline=""), delimiter=delimiter)
    header = next(reader, None)
    if not header:
        return [], [Message(f"{where} : fichier vide", f"{where}: empty file")]
    columns = {}
    for i, name in enumerate(header):
        key = name.strip().lower()
        for column, aliases in ALIASES.items():
            if key in aliases and column not in columns:
                columns[column] = i
    missing = [c for c in REQUIRED if c not in columns]
    if missing:
        return [], [Message(f"{where}, ligne 1 : colonne(s) manquante(s) : {', '.join(FRENCH[c] for c in missing)} (en-tête attendu : "
                            f"{', '.join(sheets.COLUMNS_FR[:4])}, ou {', '.join(sheets.COLUMNS[:4])})",
                            f"{where}, line 1: missing column(s): {', '.join(missing)} (expected header: "
                            f"{', '.join(sheets.COLUMNS[:4])})")]
    rows = []
    problems = []
    for cells in reader:
        if not any(c.strip() for c in cells):
            continue
        extra = [c for c in cells[len(header):] if c.strip()]
        if extra:  # a comment holding the separator, unquoted: never cut silently
            sep = {"\t": "tab"}.get(delimiter, delimiter)
            problems.append(Message(
                f"{where}, ligne {reader.line_num} : {len(cells)} champs pour {len(header)} colonnes (en trop : "
                f"« {delimiter.join(extra)[:60]} ») ; un « {sep} » dans un commentaire doit être entre guillemets",
                f"{where}, line {reader.line_num}: {len(cells)} fields for {len(header)} columns (extra: "
                f"{delimiter.join(extra)[:60]!r}); a {sep!r} in a comment must be inside quotes"))
            continue

        def cell(column: str, cells: list[str] = cells) -> str:
            i = columns.get(column)
            return cells[i].strip() if i is not None and i < len(cells) else ""

        rows.append(Row(Path(path), reader.line_num, cell("student"), cell("question"), cell("score"),
                        cell("comment"), cell("grader")))
    return rows, problems


def parse_score(value: str) -> float | None:
    """"3,5", "3.5", " 2 " as numbers; None when it is none."""
    cleaned = value.replace("\u00a0", "").replace(" ", "").replace(",", ".")
    try:
        number = float(cleaned)
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def validate(rows: Iterable[Row], assignment: Assignment, students: Iterable[str], *,
             grader: str = "") -> tuple[list[tuple[str, ManualScore]], int, list[Message]]:
    """Every row checked: (student, score) pairs to store, rows skipped (no score), problems (one per bad row)."""
    known = set(students)
    questions: dict[str, Question] = {q.id: q for q in assignment.questions}
    out: list[tuple[str, ManualScore]] = []
    seen: dict[tuple[str, str], Row] = {}
    problems: list[Message] = []
    skipped = 0
    now = time.time()
    for row in rows:
        here = Message(f"{row.file.name}, ligne {row.line}", f"{row.file.name}, line {row.line}")
        student = next((s for s in (undefuse(row.student), row.student, row.student[1:]) if s in known), row.student)
        why = []
        if student not in known:
            why.append(Message(f"élève inconnu·e « {row.student} »", f"unknown student {row.student!r}"))
        q = questions.get(row.question)
        if q is None:
            why.append(Message(f"question inconnue « {row.question} » (questions : {', '.join(questions)})",
                               f"unknown question {row.question!r} (questions: {', '.join(questions)})"))
        if not row.score:
            if not why:
                skipped += 1
                continue
        else:
            score = parse_score(row.score)
            if score is None:
                why.append(Message(f"note illisible « {row.score} »", f"unreadable score {row.score!r}"))
            elif q is not None and not 0 <= score <= q.points:
                why.append(Message(f"note {row.score} hors de 0–{fmt_number(q.points, ',')}",
                                   f"score {row.score} out of range 0–{fmt_number(q.points)}"))
        key = (student, row.question)
        if not why and key in seen:
            first = seen[key]
            why.append(Message(f"{row.question} de {student} déjà noté·e ({first.file.name}, ligne {first.line})",
                               f"{row.question} of {student} already scored ({first.file.name}, line {first.line})"))
        if why:
            problems.append(Message(f"{here.fr} : " + " ; ".join(w.fr for w in why),
                                    f"{here.en}: " + "; ".join(w.en for w in why)))
            continue
        seen[key] = row
        out.append((student, ManualScore(row.question, float(score), undefuse(row.comment), row.grader or grader, now)))
    return out, skipped, problems


def import_sheets(out: Path, files: Sequence[Path], *, grader: str = "", lang: str | None = None,
                  courses: Iterable[CourseLike] = ()) -> Imported:
    """Check every row of every file, then store them all and rewrite the run's reports; a single bad
    row (or file) raises ManualError listing every problem, and nothing is stored."""
    run = open_run(out, courses)
    rows: list[Row] = []
    problems: list[Message] = []
    for f in files:
        got, bad = read_sheet(Path(f))
        rows += got
        problems += bad
    scores, skipped, bad_rows = validate(rows, run.assignment, run.students, grader=grader)
    problems += bad_rows
    if problems:
        raise ManualError(Message(f"rien n'a été importé : {len(problems)} problème(s)",
                                  f"nothing was imported: {len(problems)} problem(s)"), problems)
    book = Gradebook(run.out / "gradebook.sqlite")
    try:
        book.add_manual_scores(run.assignment.id, scores)
        results = [r for s in run.students if (r := book.result(run.assignment, s)) is not None]
    finally:
        book.close()
    write_all(results, run.assignment, run.out, lang=lang or run.lang)
    stale = tuple(p for name in ("canvas.csv", "moodle.csv") if (p := run.out / name).is_file())
    return Imported(len(scores), skipped, len({s for s, _ in scores}), stale)
