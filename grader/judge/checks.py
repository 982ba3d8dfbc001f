"""How a TP declares its checks: one plain function per property, registered for a question."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from grader.model import Message, Status


class CheckFailed(Exception):
    """Raised by a check: what was checked, expected, found, and what to try."""

    def __init__(self, message: Message, status: Status = Status.FAILED, details: str = ""):
        super().__init__(message.fr)
        self.message, self.status, self.details = message, status, details


def fail(fr: str, en: str = "", *, details: str = "") -> CheckFailed:
    """Build a failure; use as `raise fail("attendu ...", "expected ...")`."""
    return CheckFailed(Message(fr, en), Status.FAILED, details)


@dataclass(frozen=True)
class Check:
    name: str
    question: str
    func: Callable
    weight: float = 1.0
    requires: tuple[str, ...] = ()
    description: Message = field(default_factory=lambda: Message(""))


class Registry:
    """Checks of one assignment, in declaration order."""

    def __init__(self) -> None:
        self.checks: list[Check] = []

    def __call__(self, question: str, *, weight: float = 1.0, requires: tuple[str, ...] = (),
                 fr: str = "", en: str = "") -> Callable[[Callable], Callable]:
        def register(func: Callable) -> Callable:
            name = func.__name__
            if any(c.name == name for c in self.checks):
                raise ValueError(f"duplicate check {name}")
            self.checks.append(Check(name, question, func, weight, tuple(requires), Message(fr, en)))
            return func

        return register
