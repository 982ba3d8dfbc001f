"""One row per check, in question order, with its share of the question's points: an LMS's "test".

Gradescope and PrairieLearn both list tests with points. A question's points go to its checks pro
rata their weights (`score_question`'s rule), so a test's `max_points` is that share and a passed
test earns all of it. The grader's own score rounds each question down to its grid
(`[scoring] step`), so the tests of a question may add up to a little more than the question's
score (less than one step): LMS documents carry the grader's total as the overall score and say
so when the two differ (`rounding_gap`).

A check the submission never reached (an unreadable notebook) is still a row, "not checked", so
the student sees every test the assignment has.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from grader.model import (
    Assignment,
    CheckInfo,
    CheckResult,
    Message,
    QuestionScore,
    Status,
    SubmissionResult,
)
from grader.reports.document import auto_scores

NOT_RUN = Message("Non vérifié : la copie n'a pas pu être exécutée jusqu'ici.",
                  "Not checked: the submission could not be run this far.")


@dataclass(frozen=True)
class Row:
    """One check as an LMS test: `number` "2.1" is question 2's first check."""

    number: str
    question: QuestionScore
    name: str  # the check's stable id
    title: Message  # the check's description (its id when it has none)
    result: CheckResult | None  # None: never run
    max_points: float
    points: float
    public: bool

    @property
    def passed(self) -> bool:
        return self.result is not None and self.result.passed

    @property
    def status(self) -> str:
        return str(self.result.status) if self.result is not None else str(Status.SKIPPED)

    @property
    def message(self) -> Message:
        return self.result.message if self.result is not None else NOT_RUN


def rows(result: SubmissionResult, assignment: Assignment, checks: Iterable[CheckInfo] = ()) -> list[Row]:
    """Every check of every question: the assignment's checks in declaration order (`checks`, for
    descriptions, weights and public marks), then any result the loaded checks no longer declare."""
    declared: dict[str, list[CheckInfo]] = {}
    for c in checks:
        declared.setdefault(c.question, []).append(c)
    out: list[Row] = []
    for qi, qs in enumerate(auto_scores(result, assignment), start=1):
        got = {c.name: c for c in qs.checks}
        items = [(c.name, c.description, c.weight, c.public, got.pop(c.name, None))
                 for c in declared.get(qs.question.id, [])]
        items += [(r.name, Message(""), r.weight, False, r) for r in got.values()]
        total = sum(max(float(w), 0.0) for _, _, w, _, _ in items)
        for ci, (name, desc, weight, public, res) in enumerate(items, start=1):
            share = round(qs.question.points * max(float(weight), 0.0) / total, 4) if total else 0.0
            title = desc if desc.fr else Message(name, name)
            out.append(Row(f"{qi}.{ci}", qs, name, title, res, share,
                           share if res is not None and res.passed else 0.0, public))
    return out


def rounding_gap(result: SubmissionResult, assignment: Assignment, table: list[Row]) -> float:
    """How much the tests' points exceed the grader's total (each question rounded down to its grid)."""
    return round(sum(r.points for r in table) - sum(qs.score for qs in auto_scores(result, assignment)), 4)
