"""Frozen records shared by the judge, the gradebook and the reporters; scores are pure functions of them."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum


class Status(StrEnum):
    """Outcome of one check or one cell, kept apart so reports can say what really happened."""

    PASSED = "passed"
    FAILED = "failed"  # wrong answer
    ERROR = "error"  # the student's code raised
    TIMEOUT = "timeout"
    MEMORY = "memory"
    OUTPUT_LIMIT = "output-limit"
    CRASH = "crash"  # the runner process died (os._exit, segfault, signal)
    MISSING = "missing"  # name not defined
    SKIPPED = "skipped"  # depends on something that failed
    GRADER_ERROR = "grader-error"  # our bug, never the student's fault


@dataclass(frozen=True)
class Message:
    """A student-facing text in French and English."""

    fr: str
    en: str = ""

    def get(self, lang: str) -> str:
        return (self.en or self.fr) if lang == "en" else self.fr

    def as_dict(self) -> dict[str, str]:
        return {"fr": self.fr, "en": self.en or self.fr}


def msg(fr: str, en: str = "") -> Message:
    return Message(fr, en)


def as_message(value: object) -> Message | str:
    """A stored text back as what it was: a `{"fr", "en"}` pair becomes a Message, the rest a string
    (a traceback, a student's output, or a record from an older grader)."""
    if isinstance(value, Message):
        return value
    if isinstance(value, dict) and isinstance(value.get("fr"), str):
        en = value.get("en")
        return Message(value["fr"], en if isinstance(en, str) else "")
    return "" if value is None else str(value)


def plain_text(value: Message | str) -> object:
    """What the gradebook and the wire store of a text: a Message as its pair, a string as it is."""
    return value.as_dict() if isinstance(value, Message) else value


PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@dataclass(frozen=True)
class Picture:
    """A PNG the judge drew from plain arrays (never student code), shown under its check."""

    title: Message
    png: bytes  # drawn with French words (axes, legends)
    png_en: bytes = b""  # the same picture drawn with English words; empty: none was drawn

    @property
    def is_png(self) -> bool:
        """Only real PNG bytes reach a report: anything else could be mislabelled or hostile."""
        return isinstance(self.png, bytes) and self.png.startswith(PNG_SIGNATURE)

    def png_for(self, lang: str) -> bytes:
        """The drawing in `lang` when one was made (and is a PNG), else the French one."""
        if lang == "en" and isinstance(self.png_en, bytes) and self.png_en.startswith(PNG_SIGNATURE):
            return self.png_en
        return self.png


@dataclass(frozen=True)
class Measure:
    """A number a check measured on the student's work (held-out accuracy, a reconstruction MSE).

    Kept beside the verdict so leaderboards (Gradescope's) rank students on it without running
    anything again; `higher_is_better` says which way they sort."""

    label: Message
    value: float
    higher_is_better: bool = True


@dataclass(frozen=True)
class Question:
    id: str
    points: float
    title: Message
    step: float = 0.25  # scores shown are rounded down to this grid ([scoring] step; 0: exact)


@dataclass(frozen=True)
class LatePolicy:
    """`[late]` of assignment.toml (read by `grader.late.read_policy`): when work is due, what lateness costs."""

    due: dt.datetime  # aware
    timezone: str = ""  # the course's clock (IANA name); "" : the due date's own offset
    policy: str = "none"  # "none" | "per_day" | "per_hour"
    percent: float = 0.0  # of the total, per started day or hour late
    limit: float | None = None  # seconds late beyond which the score is 0
    grace: float = 0.0  # seconds late that cost nothing


@dataclass(frozen=True)
class Penalty:
    """What lateness cost one submission: derived from its stored time and the current policy, never stored."""

    percent: float  # of the total taken off, 0 to 100
    seconds: float  # how late, on the course's clock (0: on time or unknown)
    reason: Message
    submitted_at: str = ""  # ISO with offset; "" when unknown
    source: str = ""  # where the time came from: "gradescope" | "lms" | "file"

    def as_dict(self) -> dict:
        return {"seconds": round(self.seconds), "penalty_percent": self.percent, "reason": self.reason.as_dict(),
                "submitted_at": self.submitted_at or None, "source": self.source or None}


@dataclass(frozen=True)
class Assignment:
    """What `assignments/<id>/assignment.toml` declares; the checks live in its `checks.py`."""

    id: str
    title: Message
    questions: tuple[Question, ...]
    folder: str = ""
    limits: dict = field(default_factory=dict)
    late: LatePolicy | None = None  # [late]: None, no deadline

    @property
    def max_score(self) -> float:
        return sum(q.points for q in self.questions)


@dataclass(frozen=True)
class CheckResult:
    name: str
    question: str
    status: Status
    message: Message
    weight: float = 1.0
    details: str = ""  # student traceback or output excerpt, shown verbatim (escaped)
    seconds: float = 0.0
    pictures: tuple[Picture, ...] = ()  # drawn by the judge, stored with the result
    measures: tuple[Measure, ...] = ()  # numbers for leaderboards, stored with the result

    @property
    def passed(self) -> bool:
        return self.status is Status.PASSED


@dataclass(frozen=True)
class CellRecord:
    index: int
    status: Status
    seconds: float
    error: str | Message = ""  # the student's traceback, trimmed to their frames; or our words (a time-out)
    output: str = ""  # capped excerpt
    notes: tuple[Message | str, ...] = ()  # the runner's words: budget caps, served datasets, skipped shell


@dataclass(frozen=True)
class QuestionScore:
    question: Question
    score: float  # on the question's grid: what every report and export shows
    checks: tuple[CheckResult, ...]
    raw: float | None = None  # points pro rata the weights, before rounding (audits)


def on_grid(raw: float, step: float, points: float) -> float:
    """`raw` rounded down to a multiple of `step` (a question with a failed check never shows full
    marks); a float's rounding error (2.9999999 for 3) never costs a step."""
    if step <= 0:
        return round(raw, 4)
    steps = int((raw + 1e-9) // step)
    return round(min(steps * step, points), 4)


def score_question(question: Question, checks: list[CheckResult]) -> QuestionScore:
    """Points pro rata the weights of the passed checks, on the grid; a question without checks scores zero."""
    total = sum(c.weight for c in checks)
    earned = sum(c.weight for c in checks if c.passed)
    raw = question.points * earned / total if total else 0.0
    shown = on_grid(raw, question.step, question.points)
    if shown >= question.points and any(not c.passed and c.weight > 0 for c in checks):
        shown = round(max(question.points - (question.step or 1e-4), 0.0), 4)  # a weight too small to count
    return QuestionScore(question, shown, tuple(checks), round(raw, 6))


@dataclass(frozen=True)
class SubmissionResult:
    student: str
    assignment: str
    status: str  # "graded" | "error"
    questions: tuple[QuestionScore, ...] = ()
    errors: tuple[Message | str, ...] = ()  # our words as Messages; a traceback or old record as a string
    cells: tuple[CellRecord, ...] = ()
    figures: tuple[bytes, ...] = ()
    sha256: str = ""
    seconds: float = 0.0
    info: dict = field(default_factory=dict)
    penalty: Penalty | None = None  # late work, from the stored time and the current [late] (Gradebook.result)

    @property
    def points(self) -> float:
        """What the questions earned, before any late penalty."""
        return round(sum(q.score for q in self.questions), 4)

    @property
    def score(self) -> float:
        """The grade: the points less the late penalty. The one place a penalty is applied, to the
        whole total, so every report and export shows the same grade."""
        return after_penalty(self.points, self.penalty)

    @property
    def max_score(self) -> float:
        return sum(q.question.points for q in self.questions)


def after_penalty(points: float, penalty: Penalty | None) -> float:
    """`points` less `penalty`'s percentage, never below 0, to the hundredth; unchanged without one."""
    if penalty is None or penalty.percent <= 0:
        return points
    return round(max(points * (1 - penalty.percent / 100), 0.0), 2)
