"""One student's LMS submission folder graded as one student, through the same pipeline as a class.

An LMS hands the autograder a folder holding one student's files (Gradescope's `submission/`,
PrairieLearn's `student/`). `grade_one` grades exactly that entry as one student, as `grader check`
does one notebook: the folder itself (its notebook or module is picked, its other files become the
runner's working directory), or the lone zip it holds.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from grader import assignments as assignments_mod
from grader.assignments import CourseLike, LoadedAssignment
from grader.grading import GradingRun, grade_one
from grader.intake.hashing import IGNORED_NAMES
from grader.late import Submitted
from grader.model import Message, SubmissionResult
from grader.options import GradeOptions, UsageError

STUDENT = "submission"


@dataclass(frozen=True)
class SingleResult:
    result: SubmissionResult
    loaded: LoadedAssignment  # the checks' descriptions and public marks, for the LMS's tests
    run: GradingRun


def entry(folder: Path) -> Path:
    """What is graded in `folder`: the lone zip it holds (an archive as submitted), else the folder."""
    items = [p for p in folder.iterdir() if p.name not in IGNORED_NAMES and not p.name.startswith(".")]
    if len(items) == 1 and items[0].is_file() and items[0].suffix.lower() == ".zip":
        return items[0]
    return folder


def grade_folder(folder: Path, assignment_id: str, *, courses: Iterable[CourseLike] = (), lang: str = "fr",
                 budget: dict | None = None, profile: str | None = None, sandbox: str = "auto",
                 submitted: Submitted | None = None) -> SingleResult:
    """Grade `folder` as one student. Raises what `grade()` raises for the instructor's side
    (`UsageError`: unknown assignment, sandbox refused) and `FileNotFoundError` for no folder.
    `submitted`: the submission time the LMS gives (late work), else the files' time is used."""
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"{folder}: no submission folder")
    courses = list(courses)
    loaded = assignments_mod.load(assignment_id, courses)
    target = entry(folder).resolve()
    with tempfile.TemporaryDirectory(prefix="grader-lms-") as tmp:
        opts = GradeOptions.of(Path(tmp) / "out", assignment=assignment_id, lang=lang, budget=budget,
                               profile=profile, sandbox=sandbox, courses=courses, force=True,
                               submitted={STUDENT: submitted} if submitted is not None else {})
        run = grade_one(target, opts, student=STUDENT)
    [result] = run.results
    return SingleResult(result, loaded, run)


def failure_reason(error: BaseException, lang: str = "fr") -> str:
    """Why grading could not happen, for the student's results file (the instructor's traceback goes
    to the autograder's own log)."""
    if isinstance(error, UsageError):
        return str(error)
    if isinstance(error, assignments_mod.AssignmentError):
        return Message("le TP est mal configuré : ", "the assignment is misconfigured: ").get(lang) + error.text(lang)
    if isinstance(error, FileNotFoundError):
        return Message("aucune soumission reçue : ", "no submission received: ").get(lang) + str(error)
    return (Message("erreur interne du correcteur (pas de votre fait) : ",
                    "internal grader error (not your fault): ").get(lang) + f"{type(error).__name__}: {error}")
