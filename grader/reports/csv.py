"""grades.csv: one row per student for spreadsheets and gradebook imports.

Columns: student, status, one per question id (assignment order), total, max_score; a TP with
written answers adds `pending` (points still to grade by hand), and a written answer not graded
yet is an empty cell, not a 0; with a `[late]` policy, then `before_penalty` and
`late_penalty_percent` (`total` is after the penalty). Numbers are rounded to 2 decimals and
written plainly (3.5, not 3.5000001).

Every CSV the grader writes (grades.csv, manual sheets, LMS exports and their side files) goes
through `defuse`/`DefusedWriter`: no cell, nor any piece of one that a spreadsheet splitting on
`;` or `,` would make a cell, starts with a formula character (`=`, `+`, `-`, `@`, tab, CR).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from grader.model import Assignment, SubmissionResult, after_penalty, totals
from grader.reports.document import aligned_scores, atomic_write, fmt_number, max_total, total

#: A cell starting with one of these is run as a formula by spreadsheet software.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_FORMULA_START = FORMULA_START
#: Where a spreadsheet may start a new cell inside one of ours: the separators a French (`;`) or
#: English (`,`) spreadsheet splits on, whatever separator the file was written with, and a line
#: break (a quoted one ends the line for a reader splitting on the other separator).
SEPARATORS = (";", ",", "\r", "\n")
_NUMBER = re.compile(r"[+-]?\d+(?:[.,]\d+)?(?:[eE][+-]?\d+)?")


def write_grades_csv(results: list[SubmissionResult], assignment: Assignment, path: Path) -> None:
    """Write the grade table, sorted by student id, atomically."""
    atomic_write(Path(path), grades_csv(results, assignment))


def grades_csv(results: list[SubmissionResult], assignment: Assignment) -> str:
    """The CSV text; question columns are the assignment's, so every row has the same width."""
    qids = [q.id for q in assignment.questions]
    by_hand = any(q.manual for q in assignment.questions)
    buf = io.StringIO()
    writer = DefusedWriter(buf, lineterminator="\n")
    late = assignment.late is not None
    writer.writerow(["student", "status", *qids, "total", "max_score", *(["pending"] if by_hand else []),
                     *(("before_penalty", "late_penalty_percent") if late else ())])
    for result in sorted(results, key=lambda r: r.student):
        scores = aligned_scores(result, assignment)
        by_id = {qs.question.id: "" if qs.pending else fmt_number(qs.score) for qs in scores}
        penalty = result.penalty
        writer.writerow(
            [
                result.student,  # defused by the writer
                result.status,
                *(by_id[q] for q in qids),
                fmt_number(after_penalty(total(scores), penalty)),
                fmt_number(max_total(scores)),
                *([fmt_number(totals(scores).pending)] if by_hand else []),
                *((fmt_number(total(scores)), fmt_number(penalty.percent if penalty else 0)) if late else ()),
            ]
        )
    return buf.getvalue()


def defuse(value: str) -> str:
    """Defuse CSV formula injection: a `'` before a formula character at the start of the cell and
    after every `;`, `,` or line break (where a spreadsheet splitting on another separator starts a cell), so
    `=HYPERLINK(...)` becomes `'=HYPERLINK(...)` and `x;=1+2` becomes `x;'=1+2`. A number (`-1`, `2,5`)
    is left as it is. A `'` already standing there before a formula character or another `'` is
    doubled, so `undefuse` gives back exactly what was written."""
    if not isinstance(value, str) or not value or _NUMBER.fullmatch(value):
        return value
    out = []
    for i, ch in enumerate(value):
        if i == 0 or value[i - 1] in SEPARATORS:
            after = value[i + 1:i + 2]
            if ch in FORMULA_START or (ch == "'" and after and (after in FORMULA_START or after == "'")):
                out.append("'")
        out.append(ch)
    return "".join(out)


def undefuse(value: str) -> str:
    """The text `defuse` was given (what a filled sheet's student or comment cell held before export)."""
    if not value or "'" not in value or _NUMBER.fullmatch(value):
        return value
    out = []
    i = 0
    while i < len(value):
        ch = value[i]
        after = value[i + 1:i + 2]
        if (ch == "'" and (i == 0 or value[i - 1] in SEPARATORS) and after
                and (after in FORMULA_START or after == "'")):
            out.append(after)
            i += 2
            continue
        out.append(ch)
        i += 1
    return "".join(out)


_safe_cell = defuse  # the older name, still imported by some writers


class DefusedWriter:
    """`csv.writer` whose every text cell goes through `defuse` (numbers and empty cells unchanged)."""

    def __init__(self, f: Any, **kwargs: Any):
        self._writer = csv.writer(f, **kwargs)
        # csv quotes a cell holding a line break only when the break is in the line terminator: a lone
        # CR under "\n" would end the row for every reader, so it is written as the terminator's break
        self._cr = "\r" in self._writer.dialect.lineterminator

    def _cell(self, c: Any) -> Any:
        if not isinstance(c, str):
            return c
        if not self._cr and "\r" in c:
            c = c.replace("\r\n", "\n").replace("\r", "\n")
        return defuse(c)

    def writerow(self, row: Iterable[Any]) -> Any:
        return self._writer.writerow([self._cell(c) for c in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)

