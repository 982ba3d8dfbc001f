"""Frozen records shared by the judge, the gradebook and the reporters; scores are pure functions of them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
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


class MessageError(Exception):
    """An error whose words are a `Message`: `message` in both languages, `text(lang)` the one to show,
    `str()` in `lang` (French unless the raiser says otherwise)."""

    def __init__(self, message: Message, lang: str = "fr") -> None:
        super().__init__(message.get(lang))
        self.message = message

    def text(self, lang: str = "fr") -> str:
        return self.message.get(lang)


class SubmissionStatus(StrEnum):
    """A submission's outcome: graded (whatever its score), or not gradable (a corrupt file, our bug)."""

    GRADED = "graded"
    ERROR = "error"


#: Every status in words, once, for every reader: the console, HTML reports, Gradescope, the self-check.
STATUS_WORDS: dict[Status, Message] = {
    Status.PASSED: Message("réussi", "passed"), Status.FAILED: Message("échoué", "failed"),
    Status.ERROR: Message("erreur", "error"), Status.TIMEOUT: Message("temps dépassé", "timed out"),
    Status.MEMORY: Message("mémoire dépassée", "out of memory"),
    Status.OUTPUT_LIMIT: Message("sortie trop longue", "output too long"),
    Status.CRASH: Message("plantage", "crashed"), Status.MISSING: Message("absent", "missing"),
    Status.SKIPPED: Message("non évalué", "skipped"), Status.GRADER_ERROR: Message("erreur du correcteur", "grader error"),
}
#: A submission's status in words (`SubmissionResult.status`).
SUBMISSION_WORDS: dict[str, Message] = {SubmissionStatus.GRADED: Message("corrigé", "graded"),
                                        SubmissionStatus.ERROR: Message("erreur", "error")}


def status_word(status: str, lang: str, *, capital: bool = False) -> str:
    """A check's, cell's or submission's status in `lang` (an unknown one as it is written)."""
    words = STATUS_WORDS.get(Status(status)) if status in Status._value2member_map_ else SUBMISSION_WORDS.get(status)
    word = words.get(lang) if words else str(status)
    return word[:1].upper() + word[1:] if capital else word


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
    ranked: bool = True  # False: measured through the student's own code; kept off leaderboards


#: Question kinds: `auto` is scored by its checks, `manual` (a written answer, ids `w1`, `w2`...) by hand.
AUTO, MANUAL = "auto", "manual"


@dataclass(frozen=True)
class Question:
    id: str
    points: float
    title: Message
    step: float = 0.25  # scores shown are rounded down to this grid ([scoring] step; 0: exact)
    kind: str = AUTO

    @property
    def manual(self) -> bool:
        return self.kind == MANUAL


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
    #: [leaderboard]: `student_code = true` ranks measures made through a student's own `predict` too
    leaderboard: dict = field(default_factory=dict)

    @property
    def max_score(self) -> float:
        """Every question's points, written answers included."""
        return sum(q.points for q in self.questions)

    @property
    def auto_max(self) -> float:
        """The autograded questions' points: what an LMS autograder (Gradescope, PrairieLearn) scores."""
        return sum(q.points for q in self.questions if not q.manual)

    @property
    def auto_questions(self) -> tuple[Question, ...]:
        return tuple(q for q in self.questions if not q.manual)


@dataclass(frozen=True)
class CheckInfo:
    """A check as documents list it, without its code: the plain catalogue reporters read (an LMS
    document names every declared check, run or not), never the judge's registry."""

    name: str
    question: str
    weight: float = 1.0
    description: Message = field(default_factory=lambda: Message(""))
    public: bool = False


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
class ManualScore:
    """A score given by hand (`grader manual import`): a written answer's, or an automatic score
    overridden after a regrade request; the comment is shown to the student."""

    question: str
    score: float
    comment: str = ""
    grader: str = ""  # who graded it (optional)
    at: float = 0.0  # when it was imported (epoch seconds)


@dataclass(frozen=True)
class QuestionScore:
    question: Question
    score: float  # on the question's grid (or as given by hand): what every report and export shows
    checks: tuple[CheckResult, ...]
    raw: float | None = None  # points pro rata the weights, before rounding (audits)
    manual: ManualScore | None = None  # the hand-given score: a written answer's, or an override
    auto: float | None = None  # an overridden question: what its checks gave (shown beside the override)

    @property
    def pending(self) -> bool:
        """A written answer not graded by hand yet: it counts nothing, and the reports say so."""
        return self.question.manual and self.manual is None

    @property
    def overridden(self) -> bool:
        return not self.question.manual and self.manual is not None


def on_grid(raw: float, step: float, points: float) -> float:
    """`raw` rounded down to a multiple of `step` (a question with a failed check never shows full
    marks); a float's rounding error (2.9999999 for 3) never costs a step."""
    if step <= 0:
        return round(raw, 4)
    steps = int((raw + 1e-9) // step)
    return round(min(steps * step, points), 4)


def score_question(question: Question, checks: list[CheckResult],
                   manual: ManualScore | None = None) -> QuestionScore:
    """Points pro rata the weights of the passed checks, on the grid; a question without checks scores
    zero. A hand-given score (`manual`) is the score: a written answer's, or an override of the checks'."""
    if question.manual:
        given = round(min(max(manual.score, 0.0), question.points), 4) if manual else 0.0
        return QuestionScore(question, given, tuple(checks), None, manual)
    auto = _auto_score(question, checks)
    if manual is None:
        return auto
    given = round(min(max(manual.score, 0.0), question.points), 4)
    return QuestionScore(question, given, auto.checks, auto.raw, manual, auto.score)


def _auto_score(question: Question, checks: list[CheckResult]) -> QuestionScore:
    total = sum(c.weight for c in checks)
    earned = sum(c.weight for c in checks if c.passed)
    raw = question.points * earned / total if total else 0.0
    shown = on_grid(raw, question.step, question.points)
    if shown >= question.points and any(not c.passed and c.weight > 0 for c in checks):
        shown = round(max(question.points - (question.step or 1e-4), 0.0), 4)  # a weight too small to count
    return QuestionScore(question, shown, tuple(checks), round(raw, 6))


@dataclass(frozen=True)
class Totals:
    """A submission's points, split so reports can say what is still to be graded by hand.

    `score` is the one total every report and export shows (autograded, overrides included, plus
    the written answers graded so far) out of `max` (every question's points); `pending` are the
    points of written answers not graded yet. A later adjustment (a late penalty) applies to `score`.
    """

    auto: float  # autograded questions, hand overrides included
    manual: float  # written answers graded by hand so far
    pending: float  # points of written answers still to grade
    max: float  # every question's points
    auto_max: float  # the autograded questions' points

    @property
    def score(self) -> float:
        return round(self.auto + self.manual, 4)


def totals(scores: Iterable[QuestionScore]) -> Totals:
    """The one place a submission's total is computed from its question scores."""
    auto = manual = pending = most = auto_most = 0.0
    for qs in scores:
        most += qs.question.points
        if qs.question.manual:
            if qs.pending:
                pending += qs.question.points
            else:
                manual += qs.score
        else:
            auto += qs.score
            auto_most += qs.question.points
    return Totals(round(auto, 4), round(manual, 4), round(pending, 4), round(most, 4), round(auto_most, 4))


@dataclass(frozen=True)
class SubmissionResult:
    student: str
    assignment: str
    status: SubmissionStatus  # a str: "graded" | "error"
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
        """What the questions earned (autograded + hand-graded so far), before any late penalty."""
        return round(self.totals.score, 4)

    @property
    def totals(self) -> Totals:
        return totals(self.questions)

    @property
    def score(self) -> float:
        """The grade: autograded points plus the written answers graded so far (`Totals`), less the
        late penalty. The one place a penalty is applied, to the whole total, so every report and
        export shows the same grade."""
        return after_penalty(self.points, self.penalty)

    @property
    def max_score(self) -> float:
        return self.totals.max


def after_penalty(points: float, penalty: Penalty | None) -> float:
    """`points` less `penalty`'s percentage, never below 0, to the hundredth; unchanged without one."""
    if penalty is None or penalty.percent <= 0:
        return points
    return round(max(points * (1 - penalty.percent / 100), 0.0), 2)
