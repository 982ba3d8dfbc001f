"""canvas.csv: the gradebook import Canvas reads (Grades > Import).

Canvas' importer wants `Student`, `ID`, then `SIS User ID` and `SIS Login ID`, and `Section` last
among the student columns; each further column is an assignment, `Name (canvas id)` to update that
assignment (a bare name is looked up by title, or becomes a new assignment): the roster's own
column for the assignment is used whenever it has one, and with several the choice is asked for
(`target_column`), so that an export never makes Canvas create an assignment by accident. A row
whose first cell holds "Points Possible" sets the points. Students are found by `ID` (the Canvas user id), else by
the SIS ids, else by name, so the values are copied from the roster as they are (a Canvas gradebook
export is the natural roster). A roster student without a submission gets an empty cell: Canvas
then changes nothing where no grade exists yet and its own missing-submission policy applies, where
a 0 would override that policy and mark the work graded (`--absent zero` writes 0 all the same).
UTF-8 with a byte-order mark: Excel then shows accents right, and Canvas' header test ignores it.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

from grader.lms import roster_lines
from grader.lms.roster import Matching, Roster
from grader.lms.roster_lines import Exported, ExportError, Run, lines, number
from grader.model import Message
from grader.reports.csv import DefusedWriter
from grader.reports.document import atomic_write

COLUMNS = ("Student", "ID", "SIS User ID", "SIS Login ID", "Section")
POINTS_POSSIBLE = "    Points Possible"  # as Canvas' own export writes it
ABSENT = "empty"


def canvas_id_in(roster: Roster, name: str) -> str | None:
    """The id of the roster's `Name (id)` column for this assignment (a Canvas export names it so)."""
    pattern = re.compile(rf"{re.escape(name.strip())}\s*\(([0-9]+)\)", re.IGNORECASE)
    return next((m[1] for h in roster.header if (m := pattern.fullmatch(h.strip()))), None)


_ASSIGNMENT_COLUMN = re.compile(r"(?P<name>.*\S)\s*\((?P<id>[0-9]+)\)")


def assignment_columns(roster: Roster) -> list[tuple[str, str]]:
    """The roster's assignment columns, (header as written, Canvas id): `TP1 Tenseurs (67890)`."""
    return [(h.strip(), m["id"]) for h in roster.header
            if h.strip() not in COLUMNS and (m := _ASSIGNMENT_COLUMN.fullmatch(h.strip()))]


def target_column(roster: Roster, name: str, canvas_id: str | None, *, named: bool = False,
                  lang: str = "fr") -> tuple[str, str | None]:
    """The header of the grade column, and what to say about it: the roster's own column for this
    assignment when it has one (by `canvas_id`, by `name`, or its only assignment column), so that
    Canvas updates it and never creates another. Several columns and nothing to choose by: asked
    (ExportError naming them and the options). `named`: the name was given (--assignment-name)."""
    columns = assignment_columns(roster)
    if canvas_id:
        same = [h for h, cid in columns if cid == canvas_id]
        return (same[0], None) if same else (assignment_header(name, canvas_id), None)
    if (found := canvas_id_in(roster, name)) is not None:
        return next((h for h, cid in columns if cid == found), assignment_header(name, found)), None
    if len(columns) == 1 and not named:
        header = columns[0][0]
        return header, Message(f"colonne du devoir : « {header} », la seule de la liste d'élèves (--canvas-id "
                               "ou --assignment-name pour une autre)",
                               f"assignment column: '{header}', the roster's only one (--canvas-id or "
                               "--assignment-name for another)").get(lang)
    if len(columns) > 1 and not named:
        listed = ", ".join(f"« {h} »" for h, _ in columns)
        listed_en = ", ".join(f"'{h}'" for h, _ in columns)
        raise ExportError(Message(
            f"la liste d'élèves a plusieurs devoirs ({listed}) et aucun ne s'appelle « {name} » : choisissez la "
            f"colonne à remplir avec --canvas-id N (le nombre entre parenthèses) ou --assignment-name",
            f"the roster has several assignments ({listed_en}) and none is called '{name}': choose the column "
            "to fill with --canvas-id N (the number in parentheses) or --assignment-name"))
    return name, Message(f"pas d'identifiant Canvas (--canvas-id) : Canvas cherchera le devoir « {name} » par "
                         "son titre, ou en créera un", f"no Canvas id (--canvas-id): Canvas looks the assignment "
                         f"'{name}' up by its title, or creates one").get(lang)


def assignment_header(name: str, canvas_id: str | None) -> str:
    return f"{name} ({canvas_id})" if canvas_id else name


def canvas_csv(run: Run, matching: Matching, *, header: str, absent: str = ABSENT,
               points_possible: bool = True) -> str:
    """The CSV text: one row per roster row, in the roster's order (extra students are not rows)."""
    roster = matching.roster
    buf = io.StringIO()
    writer = DefusedWriter(buf, lineterminator="\r\n")  # every cell defused (reports/csv.py)
    writer.writerow([*COLUMNS, header])
    if points_possible:
        writer.writerow([POINTS_POSSIBLE, *[""] * (len(COLUMNS) - 1), number(run.max_score)])
    for line in lines(run, matching):
        grade = number(line.graded.score) if line.graded else "" if line.shared or absent == "empty" else "0"
        writer.writerow([*(roster.value(line.row, c) for c in COLUMNS), grade])
    return buf.getvalue()


def write(run: Run, matching: Matching, path: Path, side: Path, *, name: str, canvas_id: str | None,
          absent: str = ABSENT, points_possible: bool = True, lang: str = "fr", named: bool = False) -> Exported:
    """Write the import file and its side file atomically; say what Canvas will do with them. The grade
    goes to the roster's column for the assignment when it has one (`target_column`)."""
    roster = matching.roster
    header, about = target_column(roster, name, canvas_id, named=named, lang=lang)
    said = [about] if about else []
    if (note := roster_lines.pending_note(run, lang)) is not None:
        said.append(note)
    if roster.find(COLUMNS[1:4]) is None:
        said.append(Message("la liste n'a ni ID, ni SIS User ID, ni SIS Login ID : Canvas ne reconnaîtra les "
                             "élèves que par leur nom (Student)", "the roster has no ID, SIS User ID nor SIS Login "
                             "ID column: Canvas will know students by their name (Student) only").get(lang))
    text = canvas_csv(run, matching, header=header, absent=absent,
                      points_possible=points_possible)
    atomic_write(path, "\ufeff" + text)
    rows = roster_lines.unmatched_rows(run, matching, lang, "" if absent == "empty" else "0")
    roster_lines.write_unmatched(side, rows)
    return Exported(path, side, len(matching.by_row), len(matching.no_submission), (*said, *roster_lines.notes(rows)))
