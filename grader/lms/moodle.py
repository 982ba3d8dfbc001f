"""moodle.csv: the gradebook's "Import > CSV file" (not the assignment's offline grading worksheet).

Three columns: the student's identity, the grade, the feedback. On import, "Map from" is the first
column and "Map to" the matching user field (`useremail`, `username` or `useridnumber`, per
`--identity`), the grade column maps to the assignment's grade item and the feedback column to its
feedback (Moodle overwrites a grade item's grades when its feedback is imported, so both go
together). Moodle aborts the whole import on a row whose user it cannot find, so only roster rows
are written, never a student missing from the roster, nor a row without an identity value (both are
listed in the side file). A roster student without a submission gets 0 and a feedback saying no
submission reached the grader: Moodle has no missing-submission policy, and its default aggregation
leaves an empty grade out of the course total (`--absent empty` writes an empty grade all the same).
Grades use a dot (Moodle reads both); UTF-8 with a byte-order mark, which Moodle's CSV reader strips.
"""

from __future__ import annotations

import io
from pathlib import Path

from grader.lms import roster_lines
from grader.lms.roster import Matching, Roster
from grader.lms.roster_lines import (
    NO_SUBMISSION,
    Exported,
    ExportError,
    Run,
    feedback,
    lines,
    number,
)
from grader.model import Message
from grader.reports.csv import DefusedWriter
from grader.reports.document import atomic_write

#: Roster column names (English and French Moodle exports, common lists) for each identity.
IDENTITY = {
    "email": ("email address", "email", "e-mail", "adresse de courriel", "adresse courriel", "courriel",
              "adresse email", "adresse e-mail", "mail"),
    "username": ("username", "user name", "nom d'utilisateur", "login", "identifiant de connexion"),
    "idnumber": ("id number", "idnumber", "numéro d'identification", "numero d'identification",
                 "student id", "numéro étudiant", "numero etudiant", "n° étudiant"),
}
MAP_TO = {"email": "useremail", "username": "username", "idnumber": "useridnumber"}
ABSENT = "zero"


def identity_column(roster: Roster, identity: str) -> int:
    """The roster column holding `identity`, or a usage error naming the columns there are."""
    if (i := roster.find(IDENTITY[identity])) is None:
        raise ExportError(Message(
            f"la liste d'élèves n'a pas de colonne {identity} ({', '.join(IDENTITY[identity][:3])}...) ; "
            f"colonnes : {', '.join(roster.header)}",
            f"the roster has no {identity} column ({', '.join(IDENTITY[identity][:3])}...); columns: "
            f"{', '.join(roster.header)}"))
    return i


def moodle_csv(run: Run, matching: Matching, *, identity: int, name: str, absent: str = ABSENT,
               lang: str = "fr") -> tuple[str, list[int]]:
    """The CSV text, and the roster rows left out for want of an identity value."""
    roster = matching.roster
    buf = io.StringIO()
    writer = DefusedWriter(buf, lineterminator="\r\n")  # every cell defused (reports/csv.py)
    writer.writerow([roster.header[identity], name, f"{name} (feedback)" if lang == "en" else f"{name} (commentaires)"])
    skipped = []
    for line in lines(run, matching):
        who = roster.rows[line.row][identity].strip()
        if not who:
            skipped.append(line.row)
            continue
        if line.graded is not None:
            writer.writerow([who, number(line.graded.score), feedback(run, line.graded, lang)])
        elif line.shared:
            writer.writerow([who, "", ""])
        else:
            writer.writerow([who, "0" if absent == "zero" else "", NO_SUBMISSION.get(lang)])
    return buf.getvalue(), skipped


def write(run: Run, matching: Matching, path: Path, side: Path, *, name: str, identity: str = "email",
          absent: str = ABSENT, lang: str = "fr") -> Exported:
    """Write the import file and its side file atomically; say how to map the columns on import."""
    column = identity_column(matching.roster, identity)
    text, skipped = moodle_csv(run, matching, identity=column, name=name, absent=absent, lang=lang)
    atomic_write(path, "\ufeff" + text)
    no_identity = Message(f"pas de valeur dans « {matching.roster.header[column]} » : ligne non écrite",
                          f"no value in '{matching.roster.header[column]}': row not written")
    rows = roster_lines.unmatched_rows(run, matching, lang, "0" if absent == "zero" else "",
                          [("no-identity", no_identity, r, matching.by_row.get(r)) for r in skipped])
    roster_lines.write_unmatched(side, rows)
    how = Message(f"import Moodle : « Map from » {matching.roster.header[column]} -> {MAP_TO[identity]}, "
                  f"{name} -> l'élément d'évaluation du devoir, commentaires -> son feedback",
                  f"Moodle import: 'Map from' {matching.roster.header[column]} -> {MAP_TO[identity]}, "
                  f"{name} -> the assignment's grade item, feedback -> its feedback")
    written = sum(1 for r in matching.by_row if r not in skipped)
    absent_rows = sum(1 for r in matching.no_submission if r not in skipped)
    pending = roster_lines.pending_note(run, lang)
    return Exported(path, side, written, absent_rows, (how.get(lang), *((pending,) if pending else ()),
                                                        *roster_lines.notes(rows)))
