"""The self-check cells: placed after each question's last code cell, known exactly, dropped at intake.

They must never run under the grader, never take an answer cell's place or id, and never be
mistaken for a student's code: a cell is dropped only when it is the generated text (up to
comments, layout and `init`'s own keywords).
"""

from __future__ import annotations

import json

import pytest
from conftest import reference_text

from grader.assignments import available
from grader.intake.answers import answer_cell_id, find_answers
from grader.intake.cells import parse_notebook, split_cells
from grader.intake.cells import parse_source as parse_submission
from grader.notebooks import answer_specs, notebook_from_reference, render, student_notebook
from grader.selfcheck.check_cells import (
    CHECK_ALL_CELL,
    check_cell,
    init_cell,
    is_selfcheck_cell,
    question_of_cells,
)


def _selfcheck(nb: dict) -> list[str]:
    return ["".join(c["source"]) for c in nb["cells"] if c["id"].startswith("selfcheck-")]


def _without_selfcheck(nb: dict) -> dict:
    return {**nb, "cells": [c for c in nb["cells"] if not c["id"].startswith("selfcheck-")]}


def test_a_check_cell_follows_each_autograded_questions_last_code_cell():
    nb = student_notebook("tp-tenseurs")
    kinds = []
    for cell in nb["cells"]:
        source = "".join(cell["source"])
        if cell["id"].startswith("selfcheck-"):
            kinds.append("init" if "init(" in source else source)
        elif cell["cell_type"] == "markdown" and source.startswith("## "):
            kinds.append(source.split("—")[0].strip("# ").strip())
        elif cell["cell_type"] == "code":
            kinds.append("code")
    assert kinds == ["init", "code", "Q1", "code", 'check("q1")', "Q2", "code", 'check("q2")', "Q3", "code",
                     'check("q3")', "Q4", "code", 'check("q4")', "Question écrite w1", "Q5", "code", 'check("q5")',
                     "Q6 (bonus)", "code", 'check("q6")', "check_all()"]


@pytest.mark.parametrize("assignment", available())
def test_every_built_in_notebook_checks_each_autograded_question_once(assignment):
    from grader.assignments import load

    nb = student_notebook(assignment)
    sources = _selfcheck(nb)
    auto = [q.id for q in load(assignment).assignment.questions if not q.manual]
    assert sources[0] == init_cell(assignment) and sources[-1] == CHECK_ALL_CELL
    assert sources[1:-1] == [check_cell(q) for q in auto], "a question heading no longer names its id?"
    assert all(is_selfcheck_cell(s) for s in sources)


def test_the_other_cells_keep_their_ids_and_answer_cells_their_place():
    """The cells a notebook had before the self-check cells keep their ids (answer cells' ids come
    from the question, the others' from their position among the reference's cells)."""
    ref = reference_text("tp-tenseurs")
    nb = notebook_from_reference(ref, "tp-tenseurs")
    old_ids = [c["id"] for c in _without_selfcheck(nb)["cells"]]
    plain = notebook_from_reference(ref.replace("## Q", "## Partie "), "tp-tenseurs", ())  # no question found
    assert _selfcheck(plain) == [] and [c["id"] for c in plain["cells"]] == old_ids
    assert len({c["id"] for c in nb["cells"]}) == len(nb["cells"])
    answer = next(i for i, c in enumerate(nb["cells"]) if c["metadata"].get("grader"))
    assert nb["cells"][answer]["id"] == answer_cell_id("tp-tenseurs", "w1")
    assert "Question écrite w1" in "".join(nb["cells"][answer - 1]["source"])  # right after its question's text


def test_intake_runs_the_same_cells_with_or_without_them():
    nb = student_notebook("tp-tenseurs")
    with_cells = parse_notebook(render(nb))
    without = parse_notebook(render(_without_selfcheck(nb)))
    assert with_cells == without and not [c for c in with_cells[0] if "selfcheck" in c or "check(" in c]
    # their written answers are found the same way (by mark, by id, after the question's text)
    specs = answer_specs(reference_text("tp-tenseurs"), "tp-tenseurs")
    for strip_marks in (False, True):
        copies = []
        for source in (nb, _without_selfcheck(nb)):
            doc = json.loads(render(source))
            for cell in doc["cells"]:
                if cell["metadata"].get("grader"):
                    cell["source"] = "Ma réponse."
                if strip_marks:  # some tools drop metadata and ids: found after the question's text
                    cell["metadata"], cell["id"] = {}, "x" + cell["id"][:8]
            copies.append(find_answers(parse_submission(render(doc).encode(), "ipynb")[3], ["w1"], specs))
        assert copies[0] == copies[1] and copies[0][0].text == "Ma réponse."


def test_a_module_handed_in_drops_them_too():
    module = "# %%\nx = 1\n\n# %%\ncheck(\"q1\")\n\n# %%\ny = 2\n\n# %%\n" + init_cell("tp-tenseurs") + "\n# %%\ncheck_all()\n"
    assert split_cells(module) == ("x = 1", "y = 2")


@pytest.mark.parametrize("source", [
    init_cell("tp-tenseurs"),
    init_cell("tp-tenseurs").replace('init("tp-tenseurs")', 'init("tp-tenseurs", lang="en", bundle="~/tp")'),
    init_cell("tp-tenseurs").replace("# Auto-vérification", "# mes notes\n# Auto-vérification").replace("\n", "\r\n"),
    'check("q1")', "check('q2')\n", 'check("q1", lang="en")', "check_all()", "  check_all()  \n",
])
def test_the_generated_cells_are_recognised(source):
    assert is_selfcheck_cell(source)


@pytest.mark.parametrize("source", [
    'check("q1")\nbatch = tf.zeros((10, 28, 28))',  # a student's code after it: runs, whole
    'batch = check("q1")',
    "check(q)",
    'check("q1", 2)',
    "init(3)",  # a student's own `init` (a TP could ask for one)
    'init("tp-tenseurs")',  # bare: not the generated cell
    init_cell("tp-tenseurs").replace('init("tp-tenseurs")', 'init("tp-tenseurs")\n    batch = 1'),
    init_cell("tp-tenseurs").replace('init("tp-tenseurs")', 'init("tp-tenseurs", batch=1)'),
    init_cell("tp-tenseurs").replace("except ImportError:", "except Exception:"),
    "def check(q):\n    return q\ncheck('q1')",
    "# check('q1')",
    "check_all(print)",
    "x = 1",
    "check(",
])
def test_nothing_else_is(source):
    assert not is_selfcheck_cell(source)


def test_questions_from_headings_tags_and_the_toml():
    rows = [("markdown", "# TP", ""), ("code", "import numpy", ""), ("markdown", "## Q1. Un vecteur", ""),
            ("code", "a = 1", ""), ("markdown", "Du texte.", ""), ("code", "b = 2", ""),
            ("markdown", "### Indice", ""), ("code", "c = 3", ""), ("markdown", "## Annexe", ""),
            ("code", "d = 4", ""), ("code", "e = 5", "q2"), ("markdown", "## Question grad_check", ""),
            ("code", "f = 6", "")]
    assert question_of_cells(rows, ("q1", "grad_check")) == ["", "", "", "q1", "", "q1", "", "q1", "", "", "", "",
                                                             "grad_check"]
    # the TP's ids unknown (an instructor's notebook being converted): only tags say it, never a heading
    # whose "Q1" may not be an id of the TP
    assert question_of_cells(rows) == ["", "", "", "", "", "", "", "", "", "", "q2", "", ""]


def test_otters_own_cells_are_dropped_and_nothing_else():
    """A notebook handed out by otter keeps otter's init, check and export cells: here they could only
    fail (no otter, no `grader` object). Only cells made of those statements alone are dropped."""
    from grader.selfcheck.check_cells import is_otter_cell

    for source in ('# Initialize Otter\nimport otter\ngrader = otter.Notebook("tp.ipynb")', 'grader.check("q1")',
                   "grader.check_all()", "# Save your notebook first\ngrader.export(pdf=False)",
                   'import otter\nnb = otter.Notebook()\nnb.check("q2")'):
        assert is_otter_cell(source), source
    for source in ('grader.check("q1")\nx = 1', "import otter\nimport os", 'x = grader.check("q1")', "import grader",
                   'grader.check(name)', "otter = 3", 'other.check("q1")'):
        assert not is_otter_cell(source), source
