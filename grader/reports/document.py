"""What every reporter shares, so that they agree: a result's scores aligned with the TOML, texts in
the reader's language, numbers as documents write them, and files never left half-written."""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

from grader.model import Assignment, Message, QuestionScore, SubmissionResult, totals


def aligned_scores(result: SubmissionResult, assignment: Assignment) -> list[QuestionScore]:
    """Every question of the assignment, in its order, even for a submission that never ran.

    A question the judge did not score counts zero with no checks; a question the result has
    but the assignment no longer declares is kept at the end rather than silently dropped.
    """
    by_id = {qs.question.id: qs for qs in result.questions}
    rows = [by_id.pop(q.id, None) or QuestionScore(q, 0.0, ()) for q in assignment.questions]
    return rows + list(by_id.values())


def auto_scores(result: SubmissionResult, assignment: Assignment) -> list[QuestionScore]:
    """The autograded questions only: what an LMS autograder scores (it grades written answers itself)."""
    return [qs for qs in aligned_scores(result, assignment) if not qs.question.manual]


#: An LMS autograder's line about the written answers, which it does not grade.
BY_HAND = Message("À corriger à la main (hors de cette note) : ", "Graded by hand (not in this score): ")


def total(scores: list[QuestionScore]) -> float:
    """The total every report shows (`model.totals`: autograded + written answers graded so far)."""
    return totals(scores).score


def max_total(scores: list[QuestionScore]) -> float:
    return float(totals(scores).max)


def text(value: Message | str | None, lang: str) -> str:
    """A Message in `lang`; tolerate a plain string so a reporter never crashes on one."""
    if value is None:
        return ""
    if isinstance(value, Message):
        return value.get(lang)
    return str(value)


#: The runner's own words inside texts it hands back whole (a traceback's cell names, the capture's
#: cut mark), in French as stored, and their English.
_RUNNER_WORDS_EN = ((re.compile(r'"cellule \[(\d+)\]"'), r'"cell [\1]"'),
                    (re.compile(r"\[\.\.\. (\d+) caractères omis \.\.\.\]"), r"[... \1 characters left out ...]"),
                    (re.compile(r"\((?:message illisible)\)"), "(unreadable message)"))


def runner_text(value: Message | str | None, lang: str) -> str:
    """A cell's error, output or a check's details in `lang`: a Message as such; in a student's
    traceback or output, the runner's few words of its own translated."""
    out = text(value, lang)
    if lang == "en" and not isinstance(value, Message):
        for pattern, english in _RUNNER_WORDS_EN:
            out = pattern.sub(english, out)
    return out


def fmt_number(value: float, decimal: str = ".") -> str:
    """3.5 not 3.5000001, 3 not 3.0: round to 2 decimals and drop trailing zeros."""
    s = f"{round(float(value), 2):.2f}".rstrip("0").rstrip(".")
    if s in ("-0", ""):
        s = "0"
    return s.replace(".", decimal)


def atomic_write(path: Path, data: str | bytes) -> None:
    """Write via a temp file in the same folder + os.replace, so readers never see a partial file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = data.encode("utf-8") if isinstance(data, str) else data
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(payload)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
