"""Student notebooks generated from the reference solutions (never hand-edited).

A reference is a percent-format Python file: `# %%` starts a code cell,
`# %% [markdown]` a text cell; code between `# BEGIN SOLUTION` and
`# END SOLUTION` is replaced by `# VOTRE CODE ICI` and the block's `# STUB:` lines.
`# %% [markdown] answer=w1` is the answer cell of written question `w1`: the reference holds the
model answer, the student notebook a placeholder, marked `{"grader": {"answer": "w1"}}` in the
cell's metadata so that intake finds it wherever the student moves it, with an id derived from
the TP and the question (`answer_cell_id`), not from its position: adding a question to a TP
never gives an earlier cell (in notebooks already handed out) an answer cell's id.

Every generated notebook (`grader generate`, `new`, `assign`, hence `release`) also carries the
self-check cells (`grader.selfcheck.check_cells`): an init cell, `check("q1")` after each autograded
question's last code cell (the question a cell answers: its `# %% question=q1` header, else the
heading before it), `check_all()` at the end. Intake drops them; they take no other cell's id.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from pathlib import Path

from grader.assignments import AssignmentError, CourseLike, locate, read_assignment
from grader.intake import percent
from grader.intake.answers import ANSWER_TAG, PLACEHOLDER, AnswerCell, answer_cell_id, answer_cells
from grader.selfcheck import check_cells as selfcheck
from grader.selfcheck.check_cells import QUESTION_TAG


def reference_path(assignment_id: str, courses: Iterable[CourseLike] = ()) -> Path:
    return locate(assignment_id, courses).reference


def split_cells(text: str) -> list[tuple[str, str]]:
    """(kind, source) pairs of a percent-format file; kind is 'code' or 'markdown'."""
    return [(kind, source) for kind, source, _ in split_tagged(text)]


def split_tagged(text: str) -> list[tuple[str, str, str]]:
    """(kind, source, answer) of a percent-format file; `answer` is the written question an
    `answer=ID` header marks the cell for ("" for the others)."""
    return [(kind, source, answer) for kind, source, answer, _ in _split(text)]


def _split(text: str) -> list[tuple[str, str, str, str]]:
    """(kind, source, answer, question) of each cell: `question` is the autograded question a code
    cell's `question=ID` header names ("" for none; its heading says it otherwise: `selfcheck.cells`)."""
    out = []
    for cell in percent.split(text):
        answer, asked = ANSWER_TAG.search(cell.header), QUESTION_TAG.search(cell.header)
        tag = answer[1] if answer else ""
        if not (any(s.strip() for s in cell.lines) or tag):
            continue
        question = asked[1] if asked and cell.kind == "code" else ""
        out.append((cell.kind, cell.text.strip("\n"), tag, question))
    return out


def _cell_ids(assignment_id: str, tags: Iterable[str]) -> list[str]:
    """Each cell's id, from the cells' answer tags in order: an answer cell's from its question
    (stable, looked up by intake; a question's second answer cell, if any, positional: ids are
    unique in a notebook); the others' from their position (nothing looks them up)."""
    ids, seen = [], set()
    for i, tag in enumerate(tags):
        if tag and tag not in seen:
            seen.add(tag)
            ids.append(answer_cell_id(assignment_id, tag))
        else:
            ids.append(hashlib.sha1(f"{assignment_id}:{i}".encode()).hexdigest()[:12])
    return ids


def answer_specs(text: str, assignment_id: str) -> tuple[AnswerCell, ...]:
    """Where the student notebook generated from reference `text` puts each written answer (cell
    id, the question's line before it) and the reference's model answer: intake's fallbacks."""
    cells = split_tagged(text)
    return answer_cells([(kind, source, cid, tag)
                         for (kind, source, tag), cid in zip(cells, _cell_ids(assignment_id, (t for *_, t in cells)),
                                                             strict=True)])


def strip_solutions(source: str) -> str:
    out, in_solution, indent, stub = [], False, "", []
    for line in source.splitlines():
        stripped = line.strip()
        if stripped == "# BEGIN SOLUTION":
            in_solution, indent, stub = True, line[: len(line) - len(line.lstrip())], []
        elif stripped == "# END SOLUTION":
            out.append(f"{indent}# VOTRE CODE ICI")
            out.extend(indent + s for s in stub)
            in_solution = False
        elif in_solution:
            if stripped.startswith("# STUB:"):
                stub.append(stripped[len("# STUB:"):].strip())
        else:
            out.append(line)
    return "\n".join(out)


def student_notebook(assignment_id: str, courses: Iterable[CourseLike] = ()) -> dict:
    located = locate(assignment_id, courses)
    return notebook_from_reference(located.reference.read_text(encoding="utf-8"), assignment_id,
                                   autograded(located.folder))


def autograded(folder: Path) -> tuple[str, ...] | None:
    """The ids of the TP's autograded questions (those a `check("q1")` cell can run); None when its
    TOML cannot be read here (headings then name them: `grader.selfcheck.check_cells`)."""
    try:
        return tuple(q.id for q in read_assignment(folder).questions if not q.manual)
    except AssignmentError:
        return None


def notebook_from_reference(text: str, assignment_id: str, questions: Iterable[str] | None = None) -> dict:
    """The student notebook of a percent-format reference: solutions out, the id in the metadata, and
    the self-check cells (`grader.selfcheck.check_cells`: an init cell before the first code cell, `check("q1")`
    after each autograded question's last code cell, `check_all()` at the end). `questions`: the TP's
    autograded question ids, when known. The other cells' ids are those they would have without them."""
    cells = []
    split = _split(text)
    tagged = [(kind, source, answer) for kind, source, answer, _ in split]
    for (kind, source, answer), cid in zip(tagged, _cell_ids(assignment_id, (t for *_, t in tagged)), strict=True):
        text = strip_solutions(source) if kind == "code" else source
        metadata: dict = {}
        if answer:  # a written answer: the model answer stays in the reference
            text = PLACEHOLDER if kind == "markdown" else f"# {PLACEHOLDER}"
            metadata = {"grader": {"answer": answer}}
        cell = {"cell_type": kind, "id": cid,
                "metadata": metadata, "source": text.splitlines(keepends=True)}
        if kind == "code":
            cell.update(execution_count=None, outputs=[])
        cells.append(cell)
    known = None if questions is None else tuple(questions)
    owners = selfcheck.question_of_cells([(kind, source, asked) for kind, source, _, asked in split], known)
    cells = _with_selfcheck(cells, assignment_id, [kind for kind, *_ in split], owners)
    return {
        "cells": cells,
        "metadata": {
            "grader": {"assignment": assignment_id},
            "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
            "language_info": {"name": "python"},
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }


def _with_selfcheck(cells: list[dict], assignment_id: str, kinds: list[str], owners: list[str]) -> list[dict]:
    first, after = selfcheck.placements(kinds, owners)
    if first < 0:
        return cells

    def code(source: str, what: str) -> dict:
        return {"cell_type": "code", "execution_count": None, "id": selfcheck.cell_id(assignment_id, what),
                "metadata": {}, "outputs": [], "source": source.splitlines(keepends=True)}

    out: list[dict] = []
    for i, cell in enumerate(cells):
        if i == first:
            out.append(code(selfcheck.init_cell(assignment_id), "init"))
        out.append(cell)
        if i in after:
            out.append(code(selfcheck.check_cell(after[i]), after[i]))
    out.append(code(selfcheck.CHECK_ALL_CELL, "all"))
    return out


def render(nb: dict) -> str:
    return json.dumps(nb, ensure_ascii=False, indent=1, sort_keys=True) + "\n"  # nbformat's canonical layout


def write_student_notebook(assignment_id: str, courses: Iterable[CourseLike] = ()) -> Path:
    """Written beside the assignment's TOML, in whichever course holds it."""
    located = locate(assignment_id, courses)
    if not located.reference.is_file():
        raise AssignmentError(f"{assignment_id}: no reference solution at {located.reference}")
    path = located.folder / "student.ipynb"
    path.write_text(render(notebook_from_reference(located.reference.read_text(encoding="utf-8"), assignment_id,
                                                   autograded(located.folder))), encoding="utf-8")
    return path
