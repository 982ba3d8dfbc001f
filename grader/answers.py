"""Written answers (questions of kind `manual`) found in a student's notebook, for grading by hand.

A generated student notebook marks each answer cell in its metadata (`{"grader": {"answer": "w1"}}`).
Students move, edit, split or convert cells (markdown to code and back), and some tools drop the
metadata, so an answer is looked for by that mark first, then by the cell's id, then as the cell
right after the question's own text. What cannot be found is "no answer", never an error. Plain
JSON and text only: this runs at intake, where nbformat is not wanted (its import costs seconds).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

#: What a generated answer cell holds until the student writes in it.
PLACEHOLDER = "*Votre réponse ici.*"
#: A percent-format header that marks an answer cell: `# %% [markdown] answer=w1`.
ANSWER_TAG = re.compile(r"\banswer\s*=\s*[\"']?([A-Za-z0-9_.-]+)")
_PERCENT = re.compile(r"^#\s*%%(.*)$")
_NOT_CODE = re.compile(r"\[\s*(markdown|md|raw)\s*\]", re.IGNORECASE)

#: How an answer was found: by its cell's mark, by the cell's id, after the question's text; or not.
METADATA, CELL_ID, HEADING, NOT_FOUND = "metadata", "id", "heading", ""


@dataclass(frozen=True)
class NotebookCell:
    """A cell as intake keeps it for answers: its type, text, id and answer mark (if any)."""

    kind: str  # "code" | "markdown" | "raw"
    source: str
    id: str = ""
    answer: str = ""  # the question id of `metadata.grader.answer`


@dataclass(frozen=True)
class AnswerCell:
    """Where the student notebook puts a written answer: the cell's id and the text just before it."""

    question: str
    cell_id: str
    heading: str  # first line of the question's cell, right before the answer cell
    expected: str = ""  # the reference's model answer, shown to whoever grades
    prompt: str = ""  # the question's whole text (the cell before the answer cell)


@dataclass(frozen=True)
class Answer:
    question: str
    text: str  # "" when there is no answer (not found, or the placeholder left as it was)
    cell_type: str = ""
    found: str = NOT_FOUND


def _source(value: object) -> str:
    if isinstance(value, str):
        return value.replace("\r\n", "\n")
    if isinstance(value, list):
        return "".join(s for s in value if isinstance(s, str)).replace("\r\n", "\n")
    return ""


def answer_mark(metadata: object) -> str:
    """The question id of a cell's `{"grader": {"answer": ID}}` metadata, or ""."""
    grader = metadata.get("grader") if isinstance(metadata, dict) else None
    value = grader.get("answer") if isinstance(grader, dict) else None
    return value.strip() if isinstance(value, str) else ""


def cells_of_notebook(raw: object, key: str = "source") -> tuple[NotebookCell, ...]:
    """Every cell of a notebook's `cells` list (JSON as loaded); malformed cells are left out."""
    if not isinstance(raw, list):
        return ()
    out = []
    for cell in raw:
        if not isinstance(cell, dict):
            continue
        kind = cell.get("cell_type")
        cid = cell.get("id")
        out.append(NotebookCell(kind if isinstance(kind, str) else "", _source(cell.get(key)),
                                cid if isinstance(cid, str) else "", answer_mark(cell.get("metadata"))))
    return tuple(out)


def cells_of_module(text: str) -> tuple[NotebookCell, ...]:
    """The cells of a percent-format module (`# %%`, `# %% [markdown] answer=w1`); markdown cells
    lose their leading `# `, as jupytext reads them."""
    cells: list[NotebookCell] = []
    kind, tag, lines = "code", "", []

    def close() -> None:
        body = "\n".join(re.sub(r"^# ?", "", s) for s in lines) if kind != "code" else "\n".join(lines)
        if body.strip() or tag:
            cells.append(NotebookCell(kind, body.strip("\n"), "", tag))

    for line in text.replace("\r\n", "\n").split("\n"):
        m = _PERCENT.match(line)
        if m:
            close()
            kind = "markdown" if _NOT_CODE.search(m.group(1)) else "code"
            found = ANSWER_TAG.search(m.group(1))
            tag, lines = (found.group(1) if found else ""), []
        else:
            lines.append(line)
    close()
    return tuple(cells)


def _words(text: str) -> str:
    """The text without comment marks, markdown emphasis and extra blanks: to compare, not to show."""
    lines = (re.sub(r"^\s*#+\s?", "", s) for s in text.split("\n"))
    return " ".join(" ".join(lines).replace("*", " ").replace("_", " ").split()).lower()


def is_placeholder(text: str) -> bool:
    return _words(text) in ("", _words(PLACEHOLDER))


def _first_line(text: str) -> str:
    return next((_words(s) for s in text.split("\n") if _words(s)), "")


def find_answers(cells: Sequence[NotebookCell], questions: Iterable[str],
                 specs: Iterable[AnswerCell] = ()) -> tuple[Answer, ...]:
    """Each question's answer: the text of the cells marked for it (several: joined), else of the
    cell with the generated answer cell's id, else of the cell after the question's text."""
    by_q = {s.question: s for s in specs}
    out = []
    for q in questions:
        answer = _by_mark(cells, q) or _by_id(cells, q, by_q.get(q)) or _by_heading(cells, q, by_q.get(q))
        out.append(answer or Answer(q, ""))
    return tuple(out)


def _answer(q: str, found: Sequence[NotebookCell], how: str) -> Answer:
    texts = [c.source.strip() for c in found if not is_placeholder(c.source)]
    kind = found[0].kind if found else ""
    return Answer(q, "\n\n".join(texts), kind, how)


def _by_mark(cells: Sequence[NotebookCell], q: str) -> Answer | None:
    found = [c for c in cells if c.answer == q]
    return _answer(q, found, METADATA) if found else None


def _by_id(cells: Sequence[NotebookCell], q: str, spec: AnswerCell | None) -> Answer | None:
    if spec is None or not spec.cell_id:
        return None
    found = [c for c in cells if c.id == spec.cell_id and not c.answer]
    return _answer(q, found, CELL_ID) if found else None


def _by_heading(cells: Sequence[NotebookCell], q: str, spec: AnswerCell | None) -> Answer | None:
    if spec is None or not (heading := _words(spec.heading)):
        return None
    for i, cell in enumerate(cells[:-1]):
        if _first_line(cell.source) == heading and not cells[i + 1].answer:
            return _answer(q, [cells[i + 1]], HEADING)
    return None


def answer_cells(cells: Sequence[tuple[str, str, str, str]]) -> tuple[AnswerCell, ...]:
    """The answer cells of a generated notebook, from its (kind, source, id, answer) rows in order,
    each with the first line of the cell before it; `source` of an answer row is the model answer."""
    out = []
    for i, (_kind, source, cid, answer) in enumerate(cells):
        if answer:
            prompt = cells[i - 1][1] if i else ""
            heading = next((s for s in prompt.split("\n") if s.strip()), "")
            out.append(AnswerCell(answer, cid, heading.strip(), source, prompt.strip()))
    return tuple(out)
