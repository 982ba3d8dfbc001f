"""How a TP declares its checks: one plain function per property, registered for a question."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import NoReturn

from grader.model import Measure, Message, Picture, Status

MAX_PICTURES = 6  # per check: a report shows them all inline
MAX_PICTURE_BYTES = 400_000  # per picture; the renderers aim at < 80 KB


def keep_measures(measures: Iterable[Measure] | Measure | None) -> tuple[Measure, ...]:
    """The finite measures only: a NaN accuracy ranks nobody and must not break a JSON export."""
    if measures is None:
        return ()
    if isinstance(measures, Measure):
        measures = (measures,)
    return tuple(m for m in measures if isinstance(m, Measure) and isinstance(m.label, Message)
                 and isinstance(m.value, int | float) and math.isfinite(m.value))


def keep_pictures(pictures: Iterable[Picture | None] | Picture | None) -> tuple[Picture, ...]:
    """The usable pictures only: `None` (a renderer that gave up), non-PNG or huge ones are dropped.

    A picture is a bonus for the student; a bad one must never turn a verdict into a grader error.
    """
    if pictures is None:
        return ()
    if isinstance(pictures, Picture):
        pictures = (pictures,)
    try:
        items = list(pictures)
    except TypeError:
        return ()
    kept = [p for p in items if isinstance(p, Picture) and isinstance(p.title, Message) and p.is_png
            and len(p.png) <= MAX_PICTURE_BYTES]
    return tuple(kept[:MAX_PICTURES])


@dataclass(frozen=True)
class Feedback:
    """What a passing check may return: a message (None: the check's description), pictures, and
    measures (leaderboard numbers)."""

    message: Message | None = None
    pictures: tuple[Picture, ...] = ()
    measures: tuple[Measure, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "pictures", keep_pictures(self.pictures))
        object.__setattr__(self, "measures", keep_measures(self.measures))


class CheckFailed(Exception):
    """Raised by a check: what was checked, expected, found, and what to try (and maybe pictures
    and measures: a model below the threshold still has a rank on the leaderboard)."""

    def __init__(self, message: Message, status: Status = Status.FAILED, details: str = "", *,
                 pictures: Iterable[Picture | None] = (), measures: Iterable[Measure] = ()):
        super().__init__(message.fr)
        self.message, self.status, self.details = message, status, details
        self.pictures = keep_pictures(pictures)
        self.measures = keep_measures(measures)


NO_HINT = Message("", "")


def quoted(student_text: str, limit: int = 300) -> str:
    """A student's own text (an exception's line, a value's repr) as a code span in a message: every
    reader shows it verbatim, never as markup (a fake bold grade, a link, an image). Backticks, which
    would close the span, and line breaks are replaced."""
    text = " ".join(str(student_text).replace("`", "'").split())
    text = text if len(text) <= limit else text[: limit - 1] + "…"
    return f"`{text}`" if text else ""


def pair(fr: str | Message = "", en: str = "", *, part: str = "hint") -> Message:
    """A French/English pair, both sides or neither: a French hint without its English one (or the
    reverse) is a bug of the check's author, raised wherever the helper is called, not only when a
    student's answer is wrong (so a reference run finds it)."""
    if isinstance(fr, Message):
        fr, en = fr.fr, en or fr.en
    if bool(fr.strip()) != bool(en.strip()):
        raise ValueError(f"{part} given in one language only: fr={fr!r}, en={en!r}")
    return Message(fr, en)


@dataclass(frozen=True)
class Failure:
    """A failure in its parts, each a French/English pair: what was checked, what was found, what
    was expected, what to try. `message()` words them the same way in both languages, so neither
    side can drop a part (the English text of a hand-written pair used to lose the hint)."""

    what: Message
    found: Message
    expected: Message
    hint: Message = NO_HINT

    def __post_init__(self) -> None:
        for part in ("what", "found", "expected", "hint"):
            object.__setattr__(self, part, pair(getattr(self, part), part=part))
        if not self.what.fr:
            raise ValueError("a failure says what was checked")

    def message(self) -> Message:
        """'<what> <found> ; attendu <expected>. <hint>' / '<what> <found>; expected <expected>. <hint>'."""
        fr = f"{self.what.fr} {self.found.fr} ; attendu {self.expected.fr}. {self.hint.fr.strip()}"
        en = f"{self.what.en} {self.found.en}; expected {self.expected.en}. {self.hint.en.strip()}"
        return Message(fr.strip(), en.strip())


def fail(fr: str | Failure, en: str = "", *, details: str = "", pictures: Iterable[Picture | None] = (),
         measures: Iterable[Measure] = ()) -> NoReturn:
    """Fail the check: raises, so a failure written without `raise` can never pass a wrong answer.

    `fr` is the French text (with `en` its English one) or a structured `Failure`.
    `raise fail(...)` keeps working (the `raise` is never reached).
    """
    message = fr.message() if isinstance(fr, Failure) else Message(fr, en)
    raise CheckFailed(message, Status.FAILED, details, pictures=pictures, measures=measures)


@dataclass(frozen=True)
class Check:
    name: str
    question: str
    func: Callable
    weight: float = 1.0
    requires: tuple[str, ...] = ()
    description: Message = field(default_factory=lambda: Message(""))
    public: bool = False  # shipped to students by `grader release` for `grader check`; hidden by default


class Registry:
    """Checks of one assignment, in declaration order."""

    def __init__(self) -> None:
        self.checks: list[Check] = []

    def __call__(self, question: str, *, weight: float = 1.0, requires: tuple[str, ...] | str = (),
                 fr: str = "", en: str = "", public: bool = False) -> Callable[[Callable], Callable]:
        """Register a check; `public=True` for structural checks a student may run before submitting."""
        needs = (requires,) if isinstance(requires, str) else tuple(requires)

        def register(func: Callable) -> Callable:
            name = func.__name__
            if any(c.name == name for c in self.checks):
                raise ValueError(f"duplicate check {name}")
            self.checks.append(Check(name, question, func, weight, needs, Message(fr, en), bool(public)))
            return func

        return register
