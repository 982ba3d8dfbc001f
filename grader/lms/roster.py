"""A class roster (an LMS gradebook export, a grading worksheet, a registrar's list) and which of its
rows each graded student is, so that an LMS import carries every grade to the right person.

Matching is by one roster column (`--key`, or by default the column that matches the most
students): a cell matches a student when, case- and whitespace-insensitively, it equals the
student key or the LMS id the download gave (`info.lms.id`), or its email's local part does, or it
is Moodle's worksheet identifier "Participant 12345" for participant 12345. Canvas' download id is
the user id: the gradebook export's `ID` column. Moodle's is the participant id of the assignment:
the grading worksheet's `Identifier`, not the gradebook's `ID number` (a field of the user's profile).
Where the key finds nothing, the student's name is the fallback (every such match is warned
about). A student that several rows match, or a row that several students match, is matched to
nothing and listed: a grade is never guessed onto someone. The LMS id is checked against the roster:
a student whose download name is not the name on the row their id finds (a display name made to
carry another student's id) is matched to nothing and listed (`name_differs`), the row left to its
own student.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from grader.intake.downloads import slug
from grader.model import Message, MessageError

FIRST_NAMES = ("first name", "firstname", "prénom", "prenom", "given name")
LAST_NAMES = ("last name", "lastname", "surname", "nom", "family name", "nom de famille")
#: Columns holding a whole name (Canvas' `Student`, Moodle's worksheet `Full name`).
FULL_NAMES = ("student", "full name", "nom complet", "name", "étudiant", "etudiant", "nom et prénom",
              "prénom nom", "utilisateur")


class RosterError(MessageError, ValueError):
    """A roster that cannot be used as given (unreadable, unknown column, nothing matches)."""


@dataclass(frozen=True)
class Roster:
    """The rows of a roster file, each as wide as its header, in the file's order."""

    path: Path
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]

    def column(self, name: str) -> int | None:
        """Index of the column called `name` (case and spaces ignored), None when absent."""
        wanted = norm(name)
        return next((i for i, h in enumerate(self.header) if norm(h) == wanted), None)

    def find(self, names: Iterable[str]) -> int | None:
        """The first of the columns called any of `names`."""
        return next((i for i in map(self.column, names) if i is not None), None)

    def value(self, row: int, name: str) -> str:
        i = self.column(name)
        return self.rows[row][i] if i is not None else ""


@dataclass(frozen=True)
class Student:
    """A graded student as the roster sees them: the grader's key, the LMS id and name if any."""

    key: str
    lms_id: str = ""
    name: str = ""


@dataclass(frozen=True)
class Matching:
    """Who each roster row is; everything that could not be paired one to one is kept, listed."""

    roster: Roster
    key_column: str | None  # None: no column matched any student, names only
    by_row: dict[int, str]  # roster row -> student key
    by_name: tuple[tuple[str, int], ...] = ()  # matched on the name only: to be checked
    not_in_roster: tuple[str, ...] = ()
    no_submission: tuple[int, ...] = ()  # rows no student claims (a doubtful row is not one of them)
    ambiguous: tuple[tuple[str, tuple[int, ...]], ...] = ()  # a student several rows match
    shared: tuple[tuple[int, tuple[str, ...]], ...] = ()  # a row several students match
    #: a student whose LMS id finds a row of another name: (student key, that row), never paired
    name_differs: tuple[tuple[str, int], ...] = ()


def norm(value: str) -> str:
    return " ".join(value.split()).casefold()


def read_roster(path: Path) -> Roster:
    """Read a CSV roster (UTF-8 with or without BOM, else Windows-1252 as Excel writes it; comma,
    semicolon or tab). Canvas' `Points Possible` row and its Student View account are left out."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as e:
        raise RosterError(Message(f"liste d'élèves illisible « {path} » : {e.strerror or e}",
                                  f"cannot read the roster {path}: {e.strerror or e}")) from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")
    first = text.split("\n", 1)[0]
    delimiter = max(",;\t", key=first.count) if first else ","
    table = [row for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)]
    if not table or not any(c.strip() for c in table[0]):
        raise RosterError(Message(f"liste d'élèves vide : « {path} »", f"empty roster: '{path}'"))
    header = tuple(c.strip() for c in table[0])
    rows = []
    for row in table[1:]:
        cells = tuple((row + [""] * len(header))[: len(header)])
        first_cell = norm(cells[0]) if cells else ""
        if not any(c.strip() for c in cells) or "points possible" in first_cell \
                or first_cell in ("student, test", "test student"):
            continue
        rows.append(cells)
    return Roster(path, header, tuple(rows))


def _cell_tokens(value: str) -> set[str]:
    value = norm(value)
    tokens = {value} if value else set()
    if "@" in value:
        tokens.add(value.split("@", 1)[0])
    if m := re.fullmatch(r"participant\s*(\d+)", value):
        tokens.add(str(int(m[1])))
    return tokens


def _student_tokens(student: Student) -> set[str]:
    return {t for t in (norm(student.key), norm(student.lms_id)) if t}


def _name_forms(name: str) -> set[str]:
    """"Doe, Jane", "Jane Doe" and Canvas' "doejane" alike: the words in order and sorted, glued."""
    words = slug(name).split("-")
    return {f for f in ("".join(words), "".join(sorted(words))) if f}


def _row_names(roster: Roster, row: int) -> list[str] | None:
    """A row's names (a whole name, first and last name); None when the roster has no name column
    (an id-only list: nothing to check a name against)."""
    first, last = roster.find(FIRST_NAMES), roster.find(LAST_NAMES)
    full = roster.find(FULL_NAMES)
    if full is None and (first is None or last is None):
        return None
    cells = roster.rows[row]
    names = [cells[full]] if full is not None else []
    if first is not None and last is not None:
        names.append(f"{cells[first]} {cells[last]}")
    return [n for n in names if n.strip()] or None


def same_person(name: str, names: Iterable[str]) -> bool:
    """Whether a download's name is one of a roster row's names, word order, case, accents and
    punctuation aside (Canvas' glued "doejane" too); a middle name more on one side still is."""
    mine = _name_forms(name)
    words = set(slug(name).split("-")) - {""}
    for other in names:
        theirs = set(slug(other).split("-")) - {""}
        if mine & _name_forms(other) or (len(words) > 1 and len(theirs) > 1
                                         and (words <= theirs or theirs <= words)):
            return True
    return False


def _index(roster: Roster, column: int) -> dict[str, set[int]]:
    index: dict[str, set[int]] = {}
    for r, row in enumerate(roster.rows):
        for token in _cell_tokens(row[column]):
            index.setdefault(token, set()).add(r)
    return index


def _hits(index: dict[str, set[int]], student: Student) -> set[int]:
    return set().union(*(index.get(t, set()) for t in _student_tokens(student)))


def _key_column(roster: Roster, students: list[Student], key: str | None) -> int | None:
    if key is not None:
        if (i := roster.column(key)) is None:
            raise RosterError(Message(
                f"colonne « {key} » absente de la liste d'élèves ; colonnes : {', '.join(roster.header)}",
                f"no column '{key}' in the roster; columns: {', '.join(roster.header)}"))
        return i
    indexes = [_index(roster, i) for i in range(len(roster.header))]
    counts = [sum(1 for s in students if _hits(index, s)) for index in indexes]
    best = max(counts, default=0)
    return counts.index(best) if best else None


def _names(roster: Roster, row: int, skip: int | None) -> set[str]:
    forms = set().union(*(_name_forms(c) for i, c in enumerate(roster.rows[row]) if i != skip))
    first, last = roster.find(FIRST_NAMES), roster.find(LAST_NAMES)
    if first is not None and last is not None:
        forms |= _name_forms(f"{roster.rows[row][first]} {roster.rows[row][last]}")
    return forms


def match(roster: Roster, students: Iterable[Student], key: str | None = None) -> Matching:
    """Pair roster rows and students one to one, by the key column, then by name (warned)."""
    students = list(students)
    column = _key_column(roster, students, key)
    index = _index(roster, column) if column is not None else {}
    claims: dict[int, list[str]] = {}
    ambiguous, unmatched, differs = [], [], []
    for s in students:
        hits = _hits(index, s)
        if len(hits) == 1 and s.lms_id and s.name:  # the LMS id checked against the roster's name
            [r] = hits
            names = _row_names(roster, r)
            if names is not None and not same_person(s.name, names):
                differs.append((s.key, r))
                continue
        if len(hits) > 1:
            ambiguous.append((s.key, tuple(sorted(hits))))
        elif hits:
            claims.setdefault(hits.pop(), []).append(s.key)
        else:
            unmatched.append(s)
    by_row = {r: keys[0] for r, keys in claims.items() if len(keys) == 1}
    shared = [(r, tuple(keys)) for r, keys in sorted(claims.items()) if len(keys) > 1]
    free = [r for r in range(len(roster.rows)) if r not in claims]
    names = {r: _names(roster, r, column) for r in free}
    by_name, not_in_roster = [], []
    for s in unmatched:
        forms = _name_forms(s.name or s.key)
        rows = [r for r in free if r not in by_row and forms & names[r]]
        if len(rows) == 1 and rows[0] not in {r for _, rs in ambiguous for r in rs}:
            by_row[rows[0]] = s.key
            by_name.append((s.key, rows[0]))
        else:
            not_in_roster.append(s.key)
    if students and not by_row and not shared and not ambiguous and not differs:
        raise RosterError(Message(
            "aucune ligne de la liste d'élèves ne correspond aux copies corrigées : précisez la colonne "
            f"avec --key (colonnes : {', '.join(roster.header)})",
            f"no roster row matches the graded submissions: name the column with --key (columns: "
            f"{', '.join(roster.header)})"))
    claimed = set(by_row) | {r for r, _ in shared} | {r for _, rows in ambiguous for r in rows}
    return Matching(roster, roster.header[column] if column is not None else None, by_row, tuple(by_name),
                    tuple(not_in_roster), tuple(r for r in range(len(roster.rows)) if r not in claimed),
                    tuple(ambiguous), tuple(shared), tuple(differs))
