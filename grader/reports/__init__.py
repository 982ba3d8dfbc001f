"""Reporters: turn finished `SubmissionResult` records into files for students, teachers and tools.

One output format is one module (`json`, `csv`, `html`, `console`); `document` holds the few
helpers every reporter needs so that they agree on scores and never leave a half-written file
behind; this package holds `write_all`, the run's reporters in order. The LMS documents
(Gradescope, PrairieLearn, Canvas, Moodle, manual sheets) live in `grader.lms`.
"""

from __future__ import annotations

from pathlib import Path

from grader.model import Assignment, SubmissionResult
from grader.reports.csv import write_grades_csv
from grader.reports.html import report_names, write_reports
from grader.reports.json import write_results_json


def write_all(
    results: list[SubmissionResult], assignment: Assignment, out: Path, *, lang: str = "fr"
) -> None:
    """Write results.json, grades.csv, reports/<student>.html and summary.html under `out`; the report
    of a student no longer in `results` (a file removed from the class, another class graded here with
    --force) is removed, so reports/ never shows a grade results.json does not hold."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    write_results_json(results, assignment, out / "results.json", lang)
    write_grades_csv(results, assignment, out / "grades.csv")
    write_reports(results, assignment, out, lang)
    remove_stale_reports(out, set(report_names([r.student for r in results]).values()))


def remove_stale_reports(out: Path, keep: set[str]) -> list[str]:
    """Remove OUT/reports/*.html not named in `keep`; the names removed."""
    removed = []
    folder = Path(out) / "reports"
    if not folder.is_dir():
        return removed
    for path in folder.glob("*.html"):
        if path.name not in keep and path.is_file() and not path.is_symlink():
            try:
                path.unlink()
            except OSError:
                continue
            removed.append(path.name)
    return sorted(removed)


