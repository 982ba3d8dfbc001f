"""The percent format (`# %%` cells, as jupytext and VS Code write them), split in one place.

A reference solution, a student's `.py` submission and the written answers in it are all read
through `split`, so the grader, the notebook generator and the answer finder always agree on where
a cell starts. A marker is `#`, optional spaces, `%%`, then a space, `[`, or the line's end:
`# %%time` is a commented magic, not a marker. A header holding `[markdown]`, `[md]` or `[raw]`
starts a text cell. Line ends are Python's (`\\r\\n` and a lone `\\r` read as `\\n`); nothing else
splits a line, so code holding a form feed or U+2028 comes back byte for byte.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MARKER = re.compile(r"#\s*%%(?=\s|\[|$)(.*)")
NOT_CODE = re.compile(r"\[\s*(markdown|md|raw)\s*\]", re.IGNORECASE)


@dataclass(frozen=True)
class PercentCell:
    """One cell: the header after `# %%` ("" for the text before the first marker) and its lines,
    without their line ends."""

    header: str
    lines: tuple[str, ...]

    @property
    def kind(self) -> str:
        """"code", or "markdown" for a text cell (`[markdown]`, `[md]`, `[raw]`)."""
        return "markdown" if NOT_CODE.search(self.header) else "code"

    @property
    def text(self) -> str:
        """The cell's lines, a text cell's without their leading `# ` (as jupytext reads them)."""
        if self.kind == "code":
            return "\n".join(self.lines)
        return "\n".join(re.sub(r"^# ?", "", line) for line in self.lines)


def split(text: str) -> list[PercentCell]:
    """Every cell of `text` in order, the unmarked text before the first marker included (even empty)."""
    cells: list[PercentCell] = []
    header, lines = "", []
    for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        m = MARKER.match(line)
        if m:
            cells.append(PercentCell(header, tuple(lines)))
            header, lines = m.group(1), []
        else:
            lines.append(line)
    cells.append(PercentCell(header, tuple(lines)))
    return cells
