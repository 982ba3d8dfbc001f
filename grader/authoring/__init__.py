"""Instructor tools that write a course: `grader new`, `assign`, `generate`, `release` (nbformat lives here)."""

from __future__ import annotations

import re


class AuthoringError(Exception):
    """An authoring command cannot run as given (unknown or existing id, a broken notebook): exit 2.
    `str()` is the English; `fr=` its French, `text(lang)` the one to show."""

    def __init__(self, message: str, fr: str | None = None):
        super().__init__(message)
        self.fr = _cellule(fr) if fr is not None else message

    def text(self, lang: str = "fr") -> str:
        return self.fr if lang == "fr" else str(self)


class Said(str):
    """A warning of an authoring command: the English (what a script or a test reads), its French beside."""

    fr: str

    def __new__(cls, en: str, fr: str) -> Said:
        said = super().__new__(cls, en)
        said.fr = _cellule(fr)
        return said

    def get(self, lang: str = "fr") -> str:
        return self.fr if lang == "fr" else str(self)


def _cellule(fr: str) -> str:
    """"nb.ipynb, cell 3" (where a teacher's notebook says a thing) in French words."""
    return re.sub(r", cell (\d)", r", cellule \1", fr)


def said(warning: str, lang: str = "fr") -> str:
    """A warning in `lang` (a plain string has one language only)."""
    return warning.get(lang) if isinstance(warning, Said) else str(warning)
