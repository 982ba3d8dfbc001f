"""grades.csv: one row per student for spreadsheets and gradebook imports.

Columns: student, status, one per question id (assignment order), total, max_score; a TP with
written answers adds `pending` (points still to grade by hand), and a written answer not graded
yet is an empty cell, not a 0; with a `[late]` policy, then `before_penalty` and
`late_penalty_percent` (`total` is after the penalty). Numbers are rounded to 2 decimals and
written plainly (3.5, not 3.5000001).
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from grader.model import Assignment, SubmissionResult, after_penalty, totals
from grader.reports import aligned_scores, atomic_write, fmt_number, max_total, total

#: A cell starting with one of these is run as a formula by spreadsheet software.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def write_grades_csv(results: list[SubmissionResult], assignment: Assignment, path: Path) -> None:
    """Write the grade table, sorted by student id, atomically."""
    atomic_write(Path(path), grades_csv(results, assignment))


def grades_csv(results: list[SubmissionResult], assignment: Assignment) -> str:
    """The CSV text; question columns are the assignment's, so every row has the same width."""
    qids = [q.id for q in assignment.questions]
    by_hand = any(q.manual for q in assignment.questions)
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    late = assignment.late is not None
    writer.writerow(["student", "status", *qids, "total", "max_score", *(["pending"] if by_hand else []),
                     *(("before_penalty", "late_penalty_percent") if late else ())])
    for result in sorted(results, key=lambda r: r.student):
        scores = aligned_scores(result, assignment)
        by_id = {qs.question.id: "" if qs.pending else fmt_number(qs.score) for qs in scores}
        penalty = result.penalty
        writer.writerow(
            [
                _safe_cell(result.student),
                result.status,
                *(by_id[q] for q in qids),
                fmt_number(after_penalty(total(scores), penalty)),
                fmt_number(max_total(scores)),
                *([fmt_number(totals(scores).pending)] if by_hand else []),
                *((fmt_number(total(scores)), fmt_number(penalty.percent if penalty else 0)) if late else ()),
            ]
        )
    return buf.getvalue()


def _safe_cell(value: str) -> str:
    """Defuse CSV formula injection: a student id like "=HYPERLINK(...)" gets a leading quote."""
    return "'" + value if value.startswith(_FORMULA_START) else value
