"""What every command shares: the console (stderr) and how an error is said in `--lang`."""

from __future__ import annotations

import argparse

from rich.console import Console

from grader.model import Message

console = Console(stderr=True)


def say(e: BaseException, lang: str) -> str:
    """An exception's words in `lang`: its `text(lang)`, its `message` pair, else what it says."""
    if callable(getattr(e, "text", None)):
        return str(e.text(lang))
    if isinstance(getattr(e, "message", None), Message):
        return e.message.get(lang)
    return str(e)


def error_word(args: argparse.Namespace) -> str:
    return "error:" if getattr(args, "lang", "fr") == "en" else "erreur :"
