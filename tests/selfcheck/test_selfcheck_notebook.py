"""A released notebook self-checks in a real Jupyter kernel, from its bundle alone, and grades as before.

`grader release` of tp-tenseurs, unzipped beside the student's notebook; the notebook is executed
by nbclient in an IPython kernel (the init cell finds the bundle in the folder under the current
one): the stub shows each question's failures with what is expected, in French; the reference's
answers pass, in English (`GRADER_LANG=en`). The bundle holds no line of the reference's solutions,
and a submission carrying the self-check cells grades exactly as one without them.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import pytest
from conftest import REPO, by_student, reference_text, write_class

from grader.authoring.release import release
from grader.grading import grade
from grader.notebooks import render, split_cells
from grader.selfcheck.check_cells import is_selfcheck_cell

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")

TP = "tp-tenseurs"
PUBLIC_QUESTIONS = ("q1", "q2", "q4")  # tp-tenseurs' questions with public checks (q3, q5, q6: hidden only)


@pytest.fixture(scope="module")
def work(tmp_path_factory) -> dict:
    """The student's folder: their notebook and, right under it, the release folder they unzipped."""
    home = tmp_path_factory.mktemp("student")
    result = release(REPO / "assignments" / TP, home / "tp-release", student_kit=False)
    shutil.copy(result.folder / "student.ipynb", home / f"{TP}.ipynb")
    return {"home": home, "result": result}


def filled(notebook: dict) -> dict:
    """The notebook with the reference's code (solutions in) in each of its own code cells."""
    nb = json.loads(json.dumps(notebook))
    ref = iter(source for kind, source in split_cells(reference_text(TP)))
    kinds = [kind for kind, _ in split_cells(reference_text(TP))]
    own = [c for c in nb["cells"] if not c["id"].startswith("selfcheck-")]
    assert [c["cell_type"] for c in own] == kinds
    for cell in own:
        source = next(ref)
        if cell["cell_type"] == "code":
            cell["source"] = source
    return nb


def execute(nb: dict, cwd: Path, **env: str) -> dict:
    node = nbformat.reads(json.dumps(nb), as_version=4)
    client = nbclient.NotebookClient(node, timeout=300, kernel_name="python3", allow_errors=True,
                                     resources={"metadata": {"path": str(cwd)}})
    saved = {k: os.environ.get(k) for k in ("GRADER_LANG", "GRADER_BUNDLE")}
    os.environ.pop("GRADER_BUNDLE", None)
    os.environ.update(env)
    if "GRADER_LANG" not in env:
        os.environ.pop("GRADER_LANG", None)
    try:
        client.execute()
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    return json.loads(nbformat.writes(node))


def shown(cell: dict) -> tuple[str, str]:
    """(text/plain, text/html) of what a cell displayed; an error output fails the test."""
    assert not [o for o in cell["outputs"] if o["output_type"] == "error"], cell["outputs"]
    text = "".join("".join(o.get("data", {}).get("text/plain", "")) + "".join(o.get("text", ""))
                   for o in cell["outputs"])
    html = "".join("".join(o.get("data", {}).get("text/html", "")) for o in cell["outputs"])
    return text, html


def selfcheck_cells(nb: dict) -> dict[str, dict]:
    """The executed self-check cells by what they run: "init", "q1"..., "all"."""
    out = {}
    for cell in nb["cells"]:
        if cell["id"].startswith("selfcheck-"):
            source = "".join(cell["source"])
            m = re.search(r'check\("([^"]+)"\)', source)
            out["init" if "init(" in source else m.group(1) if m else "all"] = cell
    return out


@pytest.fixture(scope="module")
def stub_run(work) -> dict:
    nb = json.loads((work["home"] / f"{TP}.ipynb").read_text(encoding="utf-8"))
    return selfcheck_cells(execute(nb, work["home"]))


@pytest.fixture(scope="module")
def reference_run(work) -> dict:
    nb = filled(json.loads((work["home"] / f"{TP}.ipynb").read_text(encoding="utf-8")))
    done = execute(nb, work["home"], GRADER_LANG="en")
    errors = [o for c in done["cells"] for o in c.get("outputs", []) if o["output_type"] == "error"]
    assert not errors, errors
    return selfcheck_cells(done)


def test_the_stub_shows_each_questions_failures_with_what_is_expected(work, stub_run):
    assert set(stub_run) == {"init", "q1", "q2", "q3", "q4", "q5", "q6", "all"}
    text, html = shown(stub_run["init"])
    assert "Auto-vérification prête" in text and TP in text and "tp-release" in text
    hidden = work["result"].hidden_checks
    for q in ("q1", "q2", "q3", "q4", "q5", "q6", "all"):
        text, html = shown(stub_run[q])
        assert html.startswith('<div class="grader-selfcheck"') and "<script" not in html.lower()
        assert "votre propre noyau" in text and "La note est calculée ailleurs" in text
        assert ("[Échoué]" in text) == (q in (*PUBLIC_QUESTIONS, "all")) and "[Réussi]" not in text
        assert not [n for n in hidden if n in text or n in html], q  # hidden checks: never named
    q1, q1_html = shown(stub_run["q1"])
    assert q1.count("[Échoué]") == 2 and "tenseur flottant de forme (10, 28, 28)" in q1  # what is expected
    assert "`batch` n'est pas un tableau ni un tenseur" in q1  # what was found
    assert "<code>batch</code>" in q1_html
    for q in ("q2", "q4"):
        text, _ = shown(stub_run[q])
        assert "[Échoué]" in text and "1 vérification cachée n'est pas lancée ici." in text
    for q in ("q3", "q5", "q6"):
        text, _ = shown(stub_run[q])
        assert "Pas de vérification publique" in text and "1 vérification cachée n'est pas lancée ici." in text
    text, _ = shown(stub_run["all"])
    assert "0/4 vérifications publiques réussies." in text


def test_the_references_answers_pass_in_english(reference_run):
    for q in ("q1", "q2", "q4"):
        text, html = shown(reference_run[q])
        assert "[Passed]" in text and "[Failed]" not in text and "Échoué" not in text
        assert "Self-check run in your own kernel" in text and "The grade is computed elsewhere" in text
        assert ">Passed</span>" in html
    assert "1 hidden check is not run here." in shown(reference_run["q2"])[0]
    assert "4/4 public checks passed." in shown(reference_run["all"])[0]


def test_the_bundle_holds_no_line_of_the_reference_solutions(work):
    solutions, inside = [], False
    for line in reference_text(TP).splitlines():
        s = line.strip()
        if s in ("# BEGIN SOLUTION", "# END SOLUTION"):
            inside = s == "# BEGIN SOLUTION"
        elif inside and s and not s.startswith("#") and len(s.strip(" ,()[]{}:")) >= 8:
            solutions.append(s)
    assert len(solutions) >= 8
    for path in sorted(p for p in work["result"].folder.rglob("*") if p.is_file()):
        text = path.read_text(encoding="utf-8", errors="replace")
        if path.suffix == ".ipynb":
            text += "\n".join("".join(c["source"]) for c in json.loads(text)["cells"])
        leaked = [s for s in solutions if s in text]
        assert not leaked, f"{path.name} holds reference lines: {leaked}"


def test_a_submission_with_the_selfcheck_cells_grades_as_one_without(work, tmp_path):
    nb = filled(json.loads((work["home"] / f"{TP}.ipynb").read_text(encoding="utf-8")))
    without = {**nb, "cells": [c for c in nb["cells"] if not c["id"].startswith("selfcheck-")]}
    english = json.loads(json.dumps(nb))  # the student asked for English and named their bundle: still dropped
    for cell in english["cells"]:
        if cell["id"].startswith("selfcheck-") and "init(" in "".join(cell["source"]):
            cell["source"] = "".join(cell["source"]).replace(f'init("{TP}")', f'init("{TP}", lang="en", bundle="..")')
            assert is_selfcheck_cell(cell["source"])
    folder = write_class(tmp_path / "class", {"with.ipynb": render(nb), "without.ipynb": render(without),
                                              "english.ipynb": render(english)})
    run = grade(folder, assignment=TP, out=tmp_path / "out", workers=1)
    got = by_student(run)

    def graded(result):
        return (result.score, len(result.cells), [c.status for c in result.cells],
                [(q.question.id, q.score, [(c.name, c.status, c.message) for c in q.checks]) for q in result.questions])

    assert graded(got["with"]) == graded(got["without"]) == graded(got["english"])
    assert got["without"].score > 0 and all(c.status.value == "passed" for c in got["with"].cells)
