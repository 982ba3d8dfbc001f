"""One student's work as intake hands it to the runner: the record and the error a student reads.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from grader.intake.answers import NotebookCell
from grader.intake.downloads import LmsIdentity
from grader.model import Message, MessageError

KINDS = {".ipynb": "ipynb", ".py": "py"}


@dataclass(frozen=True)
class Submission:
    """One student's work, ready for the runner; `error` set means there is nothing to run."""

    student: str
    source: str
    kind: str  # "ipynb" | "py" ("" when no notebook/module could even be identified)
    cells: tuple[str, ...] = ()
    workdir: Path | None = None
    sha256: str = ""
    assignment_hint: str | None = None
    error: Message | None = None  # in both languages: the student reads it in the report's
    warnings: tuple[Message, ...] = ()
    entry: str = ""
    lms: LmsIdentity | None = None  # named by an LMS download (Moodle, Canvas): the student's id and name
    mtime: float | None = None  # when it was handed in, as its file says (late work): epoch seconds
    texts: tuple[NotebookCell, ...] = ()  # every cell, markdown too: where written answers are looked for
    #: with several candidate files: which one is graded and why the others are not (also in `warnings`;
    #: results keep it as `info["entry_choice"]` for the console)
    chosen: Message | None = None


class UnreadableSubmission(MessageError, ValueError):
    """A submission problem; `message` is what the student reads, in French and English."""
