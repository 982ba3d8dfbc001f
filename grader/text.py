"""Student-originated text made safe to show anywhere (HTML, JSON, LMS feeds, terminals).

Keras and IPython colour their error messages with ANSI codes; a check that quotes a student's
error would otherwise carry them into results.json and every LMS export.
"""

from __future__ import annotations

import re

ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[@-Z\\-_]?")
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def plain(value: str) -> str:
    """`value` without ANSI sequences and control characters (newlines and tabs kept)."""
    return CONTROL.sub("", ANSI.sub("", value or "").replace("\r\n", "\n").replace("\r", "\n"))
