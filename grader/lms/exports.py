"""`grader export canvas|moodle`: a finished run's grades as the LMS's gradebook import.

The one place that knows both LMSs: it pairs the run with the roster (`grader.lms.roster_lines`, the
code they share) and hands the file to `canvas` or `moodle`, which import only that shared code
(no module imports the one that imports it).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from grader.assignments import CourseLike
from grader.lms import canvas, moodle
from grader.lms.roster_lines import Exported, load_run, pair


def export(lms: str, out: Path, roster: Path, *, file: Path | None = None, key: str | None = None,
           assignment_name: str | None = None, canvas_id: str | None = None, identity: str = "email",
           absent: str | None = None, points_possible: bool = True, lang: str = "fr",
           courses: Iterable[CourseLike] = ()) -> Exported:
    """Write OUT/<lms>.csv (or `file`) and its `-unmatched.csv` side file for `lms` ("canvas", "moodle")."""
    run = load_run(out, courses)
    matching = pair(run, roster, key)
    path = Path(file) if file else Path(out) / f"{lms}.csv"
    side = path.with_name(f"{path.stem}-unmatched.csv")
    name = assignment_name or run.title
    if lms == "canvas":
        return canvas.write(run, matching, path, side, name=name, canvas_id=canvas_id,
                            absent=absent or canvas.ABSENT, points_possible=points_possible, lang=lang,
                            named=assignment_name is not None)
    return moodle.write(run, matching, path, side, name=name, identity=identity,
                        absent=absent or moodle.ABSENT, lang=lang)
