"""Written answers found by what they are, not where they sit: answer cell ids derived from the TP and
the question (never from position), a lookup that never takes another question's cell, and "no
answer" with its reason when nothing fits. Real notebooks: the Quick start's example class (made
before w1 existed) and a class handed out before a question was added to the TP."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import REPO, mutate, reference_text

from grader.gradebook import Gradebook
from grader.intake.answers import (
    CELL_ID,
    HEADING,
    METADATA,
    NotebookCell,
    answer_cell_id,
    cells_of_notebook,
    find_answers,
    no_answer_reason,
)
from grader.intake.discovery import load
from grader.notebooks import answer_specs, notebook_from_reference, render

REF = reference_text("tp-tenseurs")
SPECS = answer_specs(REF, "tp-tenseurs")
W1_CELL = "# %% [markdown] answer=w1"
W1_BLOCK = REF[REF.index("# %% [markdown]\n# ## Question écrite w1"):REF.index("# %% [markdown]\n# ## Q5")]
WITHOUT_W1 = REF.replace(W1_BLOCK, "")
#: A question added to the TP before w1: a code question (`relu`) and a written one (w0).
ADDED = mutate(REF, "# %% [markdown]\n# ## Q4 — Centrage",
               "# %% [markdown]\n# ## Q3b — ReLU\n# Écrivez `relu(x)`.\n\n# %%\ndef relu(x):\n"
               "    # BEGIN SOLUTION\n    # STUB: raise NotImplementedError\n    return tf.maximum(x, 0.0)\n"
               "    # END SOLUTION\n\n"
               "# %% [markdown]\n# ## Question écrite w0 — Pourquoi ReLU ?\n# Une phrase.\n\n"
               "# %% [markdown] answer=w0\n# Parce qu'elle ne sature pas.\n\n"
               "# %% [markdown]\n# ## Q4 — Centrage")


def _cells(nb: dict) -> tuple[NotebookCell, ...]:
    return cells_of_notebook(json.loads(render(nb))["cells"])


def _fill(nb: dict, answers: dict[str, str], code: dict[str, str]) -> dict:
    """A student's work: their text in each answer cell, their code in each code cell whose stub
    assigns a name of `code` (e.g. {"flat": "flat = tf.reshape(batch, (10, -1))"})."""
    nb = json.loads(render(nb))
    for cell in nb["cells"]:
        src = "".join(cell["source"])
        mark = cell["metadata"].get("grader", {}).get("answer")
        if mark in answers:
            cell["source"] = answers[mark]
        for name, body in code.items():
            if cell["cell_type"] == "code" and (f"{name} = None" in src or f"def {name}(" in src):
                cell["source"] = body
    return nb


def _drop_marks(nb: dict) -> dict:
    for cell in nb["cells"]:
        cell["metadata"] = {}
    return nb


def test_answer_ids_come_from_the_question_not_the_position():
    before = notebook_from_reference(REF, "tp-tenseurs")
    after = notebook_from_reference(ADDED, "tp-tenseurs")
    ids = {c["metadata"]["grader"]["answer"]: c["id"] for nb in (before, after) for c in nb["cells"]
           if c["metadata"].get("grader")}
    assert ids["w1"] == answer_cell_id("tp-tenseurs", "w1") == [s for s in SPECS if s.question == "w1"][0].cell_id
    assert ids["w0"] == answer_cell_id("tp-tenseurs", "w0") != ids["w1"]
    assert answer_cell_id("tp-gradient", "w1") != ids["w1"]  # another TP's w1 is another cell
    old = notebook_from_reference(WITHOUT_W1, "tp-tenseurs")  # the TP before w1: no cell has an answer id
    assert not {c["id"] for c in old["cells"]} & set(ids.values())
    for nb in (before, after):
        assert len({c["id"] for c in nb["cells"]}) == len(nb["cells"])
    twice = mutate(REF, W1_CELL, f"{W1_CELL}\n# Première partie.\n\n{W1_CELL}")  # two answer cells for w1
    nb = notebook_from_reference(twice, "tp-tenseurs")
    assert len({c["id"] for c in nb["cells"]}) == len(nb["cells"])  # ids stay unique in a notebook
    assert [c["id"] for c in nb["cells"] if c["metadata"].get("grader")][0] == ids["w1"]


def test_built_in_student_notebooks_carry_the_stable_ids():
    for path in sorted((REPO / "assignments").glob("*/student.ipynb")):
        nb = json.loads(path.read_text(encoding="utf-8"))
        for cell in nb["cells"]:
            if q := cell["metadata"].get("grader", {}).get("answer"):
                assert cell["id"] == answer_cell_id(path.parent.name, q), path


def test_quick_start_class_shows_no_other_questions_code_as_w1(tmp_path):
    """The reported case: examples/tp-tenseurs was made before w1; alice's q5 cell sat where w1's
    answer cell now is. Nothing is taken, and why is said."""
    for student in ("alice", "bruno", "chloe", "david"):
        sub = load(REPO / "examples" / "tp-tenseurs" / f"{student}.ipynb", student)
        [a] = find_answers(sub.texts, ["w1"], SPECS)
        assert a.text == "" and "flat" not in a.text, student
        assert a.reason is not None and "w1" in a.reason.fr and "w1" in a.reason.en
        assert "distribué avant" in a.reason.fr and "handed out before" in a.reason.en


def test_adding_a_question_keeps_every_earlier_answer_on_its_question():
    q5 = "flat = tf.reshape(batch, (batch.shape[0], -1))"
    relu = "def relu(x):\n    return tf.maximum(x, 0.0)"
    # handed out before w1 existed: their code only
    oldest = _fill(notebook_from_reference(WITHOUT_W1, "tp-tenseurs"), {}, {"flat": q5})
    # handed out with w1: an answer, kept with its mark, or with the mark lost (some tools drop it)
    marked = _fill(notebook_from_reference(REF, "tp-tenseurs"), {"w1": "Centrer garde l'échelle."}, {"flat": q5})
    unmarked = _drop_marks(json.loads(render(marked)))
    new_specs = answer_specs(ADDED, "tp-tenseurs")
    regenerated = _fill(notebook_from_reference(ADDED, "tp-tenseurs"),
                        {"w0": "Elle ne sature pas.", "w1": "Normaliser : écart-type 1."}, {"flat": q5, "relu": relu})
    got = {name: {a.question: a for a in find_answers(_cells(nb), ["w0", "w1"], new_specs)}
           for name, nb in (("oldest", oldest), ("marked", marked), ("unmarked", unmarked),
                            ("regenerated", regenerated))}
    assert got["oldest"]["w1"].text == "" and got["oldest"]["w0"].text == ""
    assert got["oldest"]["w1"].reason is not None
    assert got["marked"]["w1"].found == METADATA and got["marked"]["w1"].text == "Centrer garde l'échelle."
    assert got["unmarked"]["w1"].found == CELL_ID and got["unmarked"]["w1"].text == "Centrer garde l'échelle."
    for name in ("marked", "unmarked"):  # w0 did not exist for them: nothing of theirs becomes w0's answer
        assert got[name]["w0"].text == "" and got[name]["w0"].reason is not None
    assert got["regenerated"]["w0"].text == "Elle ne sature pas."
    assert got["regenerated"]["w1"].text == "Normaliser : écart-type 1."
    for answers in got.values():
        assert not any("tf.reshape" in a.text or "def relu" in a.text for a in answers.values())


def _after_heading(cell: NotebookCell) -> list[NotebookCell]:
    nb = notebook_from_reference(REF, "tp-tenseurs")
    cells = [c for c in _cells(nb) if not c.answer]  # the answer cell deleted, its mark and id with it
    i = next(k for k, c in enumerate(cells) if c.source.startswith("## Question écrite w1"))
    return [*cells[:i + 1], cell, *cells[i + 1:]]


def test_cell_after_the_question_defining_another_questions_name_is_not_taken():
    [a] = find_answers(_after_heading(NotebookCell("code", "flat = tf.reshape(batch, (10, -1))")), ["w1"], SPECS)
    assert a.text == "" and a.reason is not None
    assert "`flat`" in a.reason.fr and "Q5" in a.reason.fr and "another question's code" in a.reason.en
    # a cell that does not even parse is read line by line
    [a] = find_answers(_after_heading(NotebookCell("code", "first_five = batch[:5\n")), ["w1"], SPECS)
    assert a.text == "" and "`first_five`" in a.reason.en
    # code that defines nothing of the TP's is an answer (written as code)
    [a] = find_answers(_after_heading(NotebookCell("code", "# centrer garde l'échelle\nprint(1)")), ["w1"], SPECS)
    assert a.found == HEADING and a.text.startswith("# centrer")


def test_cell_marked_for_another_question_or_holding_the_tps_text_is_not_taken():
    [a] = find_answers(_after_heading(NotebookCell("markdown", "ma réponse à w2", "", "w2")), ["w1"], SPECS)
    assert a.text == "" and "w2" in a.reason.fr and "marked for question w2" in a.reason.en
    nb = notebook_from_reference(REF, "tp-tenseurs")
    cells = [c for c in _cells(nb) if not c.answer]  # deleted: the next cell is Q5's own text
    [a] = find_answers(cells, ["w1"], SPECS)
    assert a.text == "" and "Q5" in a.reason.fr and "answer cell deleted" in a.reason.en
    # a cell given the answer's id but marked for another question: not w1's either
    cid = answer_cell_id("tp-tenseurs", "w1")
    [a] = find_answers([NotebookCell("markdown", "texte", cid, "w2")], ["w1"], SPECS)
    assert a.text == "" and a.reason is not None


def test_no_answer_reason_survives_the_gradebook(tmp_path: Path):
    [a] = find_answers([], ["w1"], SPECS)
    book = Gradebook(tmp_path / "gradebook.sqlite")
    try:
        book.set_answers("tp-tenseurs", "alice", [a], notebook=None, kind="ipynb", entry="alice.ipynb")
        kept = book.answers("tp-tenseurs", "alice")["w1"]
    finally:
        book.close()
    assert kept.text == "" and kept.reason == a.reason and no_answer_reason(kept.found) == a.reason
    assert no_answer_reason("metadata") is None and no_answer_reason("none:{bad") is None
