"""Student notebooks are generated from the references, valid, and free of solutions."""

from __future__ import annotations

import json

import nbformat
import pytest
from conftest import REPO

from grader.assignments import available
from grader.notebooks import render, split_cells, strip_solutions, student_notebook


@pytest.mark.parametrize("assignment", available())
def test_committed_notebook_is_the_generated_one(assignment):
    committed = (REPO / "assignments" / assignment / "student.ipynb").read_text(encoding="utf-8")
    assert committed == render(student_notebook(assignment)), f"run `grader generate {assignment}`"


@pytest.mark.parametrize("assignment", available())
def test_notebook_is_valid_and_carries_its_assignment(assignment):
    nb = nbformat.reads(render(student_notebook(assignment)), as_version=4)
    nbformat.validate(nb)
    assert nb.metadata["grader"]["assignment"] == assignment
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    assert "BEGIN SOLUTION" not in code and "STUB:" not in code
    assert "# VOTRE CODE ICI" in code
    assert any(c.cell_type == "markdown" for c in nb.cells)


def test_strip_solutions_keeps_indentation_and_stub():
    src = "def f(x):\n    # BEGIN SOLUTION\n    # STUB: raise NotImplementedError\n    return x + 1\n    # END SOLUTION\n"
    assert strip_solutions(src) == "def f(x):\n    # VOTRE CODE ICI\n    raise NotImplementedError"


def test_split_cells_separates_markdown_and_code():
    cells = split_cells("# %% [markdown]\n# # Titre\n# texte\n\n# %%\nx = 1\n")
    assert cells == [("markdown", "# Titre\ntexte"), ("code", "x = 1")]
    assert json.loads(render({"cells": []}))["cells"] == []
