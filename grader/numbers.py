"""How the grader writes a count, in either language: one helper for every message and note.

French groups digits with a space (12 000), English with a comma (12,000). Runner notes, check
messages and reports all word counts through here, so a number reads the same everywhere.
"""

from __future__ import annotations


def group(n: int, lang: str = "fr") -> str:
    """12000 -> '12 000' (French, the default) or '12,000' (English)."""
    text = f"{int(n):,}"
    return text if lang == "en" else text.replace(",", " ")
