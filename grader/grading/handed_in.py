"""What the gradebook keeps of a submission besides its checks: when it was handed in, its written
answers, and the notebook as handed in (for `grader manual export`)."""

from __future__ import annotations

from pathlib import Path

from grader import late as late_mod
from grader.gradebook import Gradebook
from grader.intake.answers import AnswerCell, find_answers
from grader.intake.record import Submission
from grader.notebooks import answer_specs

#: A handed-in notebook larger than this is not kept in the gradebook (its answers still are).
MAX_KEPT_NOTEBOOK = 30 * 2**20

def submission_time(sub: Submission, known: late_mod.Submitted | None, a) -> dict:
    """`info`'s `submitted_at` (ISO, with its offset) and `submitted_from`: what an LMS said
    (`known`), else the handed-in file's time; {} when neither is known (then no penalty, said)."""
    if known is not None:
        return {"submitted_at": late_mod.stamp(known.at, a.late), "submitted_from": known.source}
    if sub.mtime is None:
        return {}
    moment = late_mod.from_epoch(sub.mtime)
    return {"submitted_at": late_mod.stamp(moment, a.late), "submitted_from": "file"}


def written_answer_cells(loaded) -> tuple[AnswerCell, ...] | None:
    """Where the TP's student notebook puts its written answers; None: the TP has none."""
    a = loaded.assignment
    if not any(q.manual for q in a.questions):
        return None
    reference = loaded.located.reference if loaded.located else None
    if reference is None or not reference.is_file():
        return ()  # the answers' marks alone find them
    return answer_specs(reference.read_text(encoding="utf-8"), a.id)


def keep_answers(book: Gradebook, a, sub: Submission, specs: tuple[AnswerCell, ...]) -> None:
    """The written answers, and the notebook as handed in (for `grader manual export`), in the gradebook."""
    answers = find_answers(sub.texts, [q.id for q in a.questions if q.manual], specs)
    path = (sub.workdir / sub.entry) if sub.workdir is not None and sub.entry else Path(sub.source)
    try:
        data = path.read_bytes() if path.is_file() and path.stat().st_size <= MAX_KEPT_NOTEBOOK else None
    except OSError:
        data = None
    book.set_answers(a.id, sub.student, answers, notebook=data, kind=sub.kind, entry=sub.entry or path.name)


#: A handed-in notebook larger than this is not kept for the manual-grading pages (they say so).
