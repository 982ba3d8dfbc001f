"""Hand grading for real: a tp-tenseurs class (written question w1) graded, its answers found whatever
the students did to the answer cell, the sheets exported, filled as a French spreadsheet saves them,
imported, and the new grade in results.json, grades.csv, the reports and the Canvas and Moodle imports;
a bad sheet imports nothing; a regrade override is shown as one."""

from __future__ import annotations

import base64
import copy
import csv
import io
import json
from pathlib import Path

import pytest
from conftest import REPO, mutate, reference_text, write_class

from grader.cli import main
from grader.gradebook import Gradebook
from grader.grading import grade
from grader.intake.answers import (
    CELL_ID,
    HEADING,
    METADATA,
    NONE_PREFIX,
    NotebookCell,
    find_answers,
)
from grader.lms.exports import export as lms_export
from grader.lms.manual import ManualError, export, import_sheets
from grader.notebooks import answer_specs, student_notebook

REF = reference_text("tp-tenseurs")
MUTANT_Q3 = mutate(REF, "first_five = batch[:5]", "first_five = batch[-5:]")
SPECS = answer_specs(REF, "tp-tenseurs")
PNG = base64.b64encode(bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082")).decode()
ROSTER = ("Student,ID,SIS User ID,SIS Login ID,Section\r\n"
          "Alice,1,alice,alice,A\r\nBruno,2,bruno,bruno,A\r\nMallory,3,mallory,mallory,B\r\n")


def _notebook(edit) -> str:
    """The student notebook with the reference's code in a last cell, then `edit(cells)` applied."""
    nb = student_notebook("tp-tenseurs")
    nb["cells"].append({"cell_type": "code", "execution_count": 3, "id": "solution", "metadata": {},
                        "outputs": [{"output_type": "stream", "name": "stdout", "text": "SORTIE-DE-L-ELEVE\n"},
                                    {"output_type": "display_data", "metadata": {},
                                     "data": {"image/png": PNG, "text/plain": "<Figure>"}}],
                        "source": REF})
    edit(nb["cells"])
    return json.dumps(nb)


def _answer_index(cells) -> int:
    return next(i for i, c in enumerate(cells) if c.get("metadata", {}).get("grader", {}).get("answer") == "w1")


def _write(cells, text: str) -> None:
    cells[_answer_index(cells)]["source"] = text


def _to_code_and_move(cells) -> None:
    cell = cells.pop(_answer_index(cells))
    cells.insert(0, {**cell, "cell_type": "code", "execution_count": None, "outputs": [],
                     "source": "# Réponse de Bruno : centrer garde l'échelle.\n# Normaliser la ramène à 1."})


def _lose_metadata(cells) -> None:
    cells[_answer_index(cells)].update(metadata={}, source="Chloé : la normalisation stabilise le gradient.")


def _lose_metadata_and_id(cells) -> None:
    i = _answer_index(cells)
    cells[i] = {"cell_type": "markdown", "id": "pasted0cell1", "metadata": {},
                "source": "David : <script>alert('x')</script> écart-type 1 & moyenne 0."}


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    root = tmp_path_factory.mktemp("manual")
    folder = write_class(root / "class", {
        "alice.ipynb": _notebook(lambda cells: _write(cells, "Alice : **centrer** retire l'image moyenne.")),
        "bruno.ipynb": _notebook(_to_code_and_move),
        "chloe.ipynb": _notebook(_lose_metadata),
        "david.ipynb": _notebook(_lose_metadata_and_id),
        "emma.ipynb": json.dumps(student_notebook("tp-tenseurs")),  # the untouched stub: no answer
        "mallory.py": MUTANT_Q3,
    })
    write_class(root, {"roster.csv": ROSTER})
    return grade(folder, assignment="tp-tenseurs", out=root / "out", workers=2,
                 limits={"cell_timeout": 90, "grace": 3, "wall_timeout": 300})


def _doc(run) -> dict:
    return {s["student"]: s for s in json.loads((run.out / "results.json").read_text())["submissions"]}


def _answers(run) -> dict:
    book = Gradebook(run.out / "gradebook.sqlite")
    try:
        return {s: book.answers("tp-tenseurs", s)["w1"] for s in _doc(run)}
    finally:
        book.close()


def test_answers_are_found_whatever_the_student_did(run):
    got = _answers(run)
    assert got["alice"].found == METADATA and "centrer" in got["alice"].text
    assert got["bruno"].found == METADATA and got["bruno"].cell_type == "code" and "Bruno" in got["bruno"].text
    assert got["chloe"].found == CELL_ID and got["chloe"].text.startswith("Chloé")
    assert got["david"].found == HEADING and got["david"].text.startswith("David")
    assert got["emma"].text == ""  # the placeholder left as it was is no answer
    assert got["mallory"].found == METADATA and "normalized" in got["mallory"].text  # a module's answer cell


def test_written_question_is_pending_until_graded(run):
    doc = _doc(run)
    assert doc["alice"]["score"] == 20 and doc["alice"]["max_score"] == 22 and doc["alice"]["pending_points"] == 2
    assert doc["alice"]["questions"]["w1"]["pending"] is True and doc["alice"]["questions"]["w1"]["kind"] == "manual"
    assert doc["emma"]["score"] == 0 and doc["mallory"]["score"] < 20
    grades = list(csv.reader(io.StringIO((run.out / "grades.csv").read_text())))
    assert grades[0][-4:] == ["w1", "total", "max_score", "pending"]
    alice = next(r for r in grades if r[0] == "alice")
    assert alice[-4:] == ["", "20", "22", "2"]  # an empty cell, not a 0
    report = (run.out / "reports" / "alice.html").read_text()
    assert "à corriger à la main" in report and "2 point(s) en attente de correction à la main" in report


def test_export_writes_sheets_and_rendered_notebooks(run):
    done = export(run.out)
    sheet = run.out / "manual" / "w1.html"
    assert done.sheets == (sheet,) and done.notebooks == 6
    html = sheet.read_text()
    assert "Normaliser ou centrer" in html and "Réponse attendue" in html  # question and model answer
    assert "Alice : <strong>centrer</strong>" in html  # a markdown answer shown as rendered and "Pas de réponse." in html
    assert "<script" not in html and "alert('x') écart-type 1 &amp; moyenne 0." in html  # inert text
    assert 'href="notebooks/alice.html"' in html
    page = (run.out / "manual" / "notebooks" / "alice.html").read_text()
    assert "SORTIE-DE-L-ELEVE" in page and "data:image/png;base64," in page  # outputs as the student saw them
    assert "script-src" not in page and "default-src 'none'" in page  # every script forbidden
    rows = list(csv.reader(io.StringIO((run.out / "manual" / "w1.csv").read_text("utf-8-sig")), delimiter=";"))
    assert rows[0] == ["élève", "question", "note", "commentaire", "max"]
    assert [r[0] for r in rows[1:]] == sorted(_doc(run)) and {r[1] for r in rows[1:]} == {"w1"}
    assert all(r[2] == "" and r[4] == "2" for r in rows[1:])


def test_a_students_markdown_is_rendered_inert_and_reads_no_file(monkeypatch):
    """A markdown link to the reference must not make nbconvert embed it; a markdown answer shows as
    the student saw it rendered (their <p>, bold, lists) without a link, an image or a script."""
    from grader.lms.manual_sheets import SheetRow, notebook_html, sheet_html
    from grader.model import Question, msg

    monkeypatch.chdir(REPO)  # the reference and the checks one relative link away from the page's folder
    nb = student_notebook("tp-tenseurs")
    nb["cells"].append({"cell_type": "markdown", "id": "steal", "metadata": {},
                        "source": "![](reference/tp-tenseurs.py) ![](assignments/tp-tenseurs/checks.py)"})
    page = notebook_html("ipynb", "x.ipynb", json.dumps(nb).encode(), student="x")
    for leaked in ("reference/tp-tenseurs.py", "assignments/tp-tenseurs/checks.py"):
        assert base64.b64encode((REPO / leaked).read_bytes()).decode()[:60] not in page
    answer = ("<p>Mon avis</p>\n\n**centrer** [cliquez](http://evil.example) ![](http://evil.example/t.png) "
              "<img src=x onerror=alert(1)>\n\n- un\n- deux")
    html = sheet_html(Question("w1", 2.0, msg("Q", "Q"), kind="manual"),
                      [SheetRow("eve", answer, "metadata", "markdown")], assignment="tp-tenseurs",
                      title=msg("T", "T"), expected="", csv_name="w1.csv", out_hint="out")
    body = html.split('id="s-1"')[1]
    why = NONE_PREFIX + json.dumps({"fr": "aucune cellule marquée pour w1", "en": "no cell marked for w1"})
    for lang, said in (("fr", "Pas de réponse. aucune cellule marquée pour w1"), ("en", "No answer. no cell marked for w1")):
        none = sheet_html(Question("w1", 2.0, msg("Q", "Q"), kind="manual"), [SheetRow("zoe", "", why)],
                          assignment="tp-tenseurs", title=msg("T", "T"), expected="", csv_name="w1.csv",
                          out_hint="out", lang=lang)
        assert said in none  # whoever grades by hand reads why nothing was taken
    assert "<p>Mon avis</p>" in body and "<strong>centrer</strong>" in body and "<li>deux</li>" in body
    assert "&lt;p&gt;" not in body and "<a " not in body and "<img" not in body and "evil.example" not in body


def test_a_notebook_that_cannot_be_rendered_gets_a_page_saying_so():
    from grader.lms.manual_sheets import notebook_html

    page = notebook_html("ipynb", "x.ipynb", b'{"cells": 3}', student="x")
    assert "pas pu être rendu : TypeError" in page and "<pre" not in page
    assert "not kept" in notebook_html("ipynb", "x.ipynb", None, student="x", lang="en")


def _fill(path: Path, rows: list[list[str]], delimiter: str = ";") -> Path:
    buf = io.StringIO()
    csv.writer(buf, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    path.write_bytes(b"\xef\xbb\xbf" + buf.getvalue().encode("utf-8"))
    return path


def _snapshot(run) -> dict[str, bytes]:
    return {name: (run.out / name).read_bytes() for name in ("results.json", "grades.csv", "reports/alice.html")}


def test_bad_sheets_import_nothing_and_say_every_bad_row(run, tmp_path):
    before = _snapshot(run)
    bad = _fill(tmp_path / "bad.csv", [
        ["student", "question", "score", "comment"],
        ["alice", "w1", "1,5", "ok"],  # a good row: not imported either
        ["zoe", "w1", "1", ""],  # line 3: unknown student
        ["bruno", "w9", "1", ""],  # line 4: unknown question
        ["chloe", "w1", "3", ""],  # line 5: out of range (w1 is out of 2)
        ["david", "w1", "beaucoup", ""],  # line 6: malformed
        ["mallory", "q3", "-1", "négatif"],  # line 7: out of range
    ])
    with pytest.raises(ManualError) as caught:
        import_sheets(run.out, [bad])
    said = caught.value.text("fr")
    for needle in ("ligne 3", "« zoe »", "ligne 4", "« w9 »", "ligne 5", "hors de 0–2", "ligne 6", "« beaucoup »",
                   "ligne 7", "rien n'a été importé : 5 problème(s)"):
        assert needle in said, said
    assert "ligne 2" not in said
    assert caught.value.text("en").count("line ") == 5
    no_header = _fill(tmp_path / "noheader.csv", [["élève", "note"], ["alice", "1"]])
    with pytest.raises(ManualError, match="question"):
        import_sheets(run.out, [no_header])
    assert main(["manual", "import", str(run.out), str(bad)]) == 2
    book = Gradebook(run.out / "gradebook.sqlite")
    try:
        assert all(book.manual_scores("tp-tenseurs", s) == {} for s in _doc(run))
    finally:
        book.close()
    assert _snapshot(run) == before


def test_round_trip_changes_the_grade_everywhere(run, tmp_path):
    export(run.out)
    rows = list(csv.reader(io.StringIO((run.out / "manual" / "w1.csv").read_text("utf-8-sig")), delimiter=";"))
    filled = [rows[0]]
    for r in rows[1:]:
        if r[0] == "alice":
            r[2:4] = ["1,5", "Bien, mais l'échelle de `centered` ?"]  # a French decimal comma
        elif r[0] == "bruno":
            r[2:4] = ["2", "Très bien."]
        filled.append(r)  # the others left empty: not graded yet
    sheet = _fill(tmp_path / "w1-rempli.csv", filled)
    regrade = _fill(tmp_path / "regrade.csv", [["student", "question", "score", "comment"],
                                               ["mallory", "q3", "3", "Demande de révision acceptée"]], ",")
    assert main(["manual", "import", str(run.out), str(sheet), str(regrade), "--grader", "M. Dupont"]) == 0

    doc = _doc(run)
    assert doc["alice"]["score"] == 21.5 and doc["alice"]["manual_score"] == 1.5 and doc["alice"]["pending_points"] == 0
    assert doc["alice"]["questions"]["w1"]["manual"]["grader"] == "M. Dupont"
    assert doc["bruno"]["score"] == 22 and doc["chloe"]["pending_points"] == 2 and doc["chloe"]["score"] == 20
    assert doc["mallory"]["questions"]["q3"]["score"] == 3 and doc["mallory"]["questions"]["q3"]["auto_score"] == 0
    grades = {r[0]: r for r in csv.reader(io.StringIO((run.out / "grades.csv").read_text()))}
    assert grades["alice"][-4:] == ["1.5", "21.5", "22", "0"] and grades["chloe"][-4:] == ["", "20", "22", "2"]
    report = (run.out / "reports" / "alice.html").read_text()
    assert "21,5 / 22" in report and "corrigée à la main" in report and "l&#39;échelle" in report
    assert "21,5" in (run.out / "summary.html").read_text()

    canvas = lms_export("canvas", run.out, run.out.parent / "roster.csv", assignment_name="TP tenseurs")
    by_row = {r[2]: r[-1] for r in csv.reader(io.StringIO(canvas.path.read_text("utf-8-sig")))}
    assert by_row["alice"] == "21.5" and by_row["bruno"] == "22" and by_row["mallory"] == f"{doc['mallory']['score']:g}"
    moodle = lms_export("moodle", run.out, _fill(tmp_path / "m.csv", [["Email address", "ID number"],
                                                                      ["alice@u.fr", "alice"]], ","),
                        identity="email", key="ID number")
    [row] = list(csv.reader(io.StringIO(moodle.path.read_text("utf-8-sig"))))[1:]
    assert row[:2] == ["alice@u.fr", "21.5"] and "Bien, mais" in row[2]

    # an exported sheet now carries what was imported, so exporting again and importing it changes nothing
    export(run.out, lang="en")
    again = (run.out / "manual" / "w1.csv").read_text("utf-8-sig")
    assert "alice,w1,1.5," in again
    assert import_sheets(run.out, [run.out / "manual" / "w1.csv"]).scores == 2
    assert _doc(run)["alice"]["score"] == 21.5


def test_regrade_override_is_shown_in_the_report(run):
    if "manual" not in _doc(run)["mallory"]["questions"]["q3"]:
        pytest.skip("needs the round trip's import")
    fr = (run.out / "reports" / "mallory.html").read_text()
    assert "note modifiée à la main : Demande de révision acceptée" in fr and "note automatique 0 / 3" in fr
    en = import_sheets(run.out, [], lang="en")  # no file: nothing to import, the reports rewritten in English
    assert en.scores == 0
    english = (run.out / "reports" / "mallory.html").read_text()
    assert "score changed by hand: Demande de révision acceptée" in english and "automatic score 0 / 3" in english


# ---------------------------------------------------------------------------- intake without a run


def _cells(*rows: tuple[str, str, str, str]) -> list[NotebookCell]:
    return [NotebookCell(*r) for r in rows]


def test_answer_by_mark_wins_and_split_cells_are_joined():
    cells = _cells(("markdown", "part one", "", "w1"), ("code", "x = 1", "", ""), ("code", "# part two", "", "w1"))
    [a] = find_answers(cells, ["w1"], SPECS)
    assert a.found == METADATA and a.text == "part one\n\n# part two"


def test_missing_answer_is_no_answer_never_an_error():
    assert find_answers([], ["w1", "w2"], SPECS)[1].text == ""
    [a] = find_answers(_cells(("markdown", "*Votre réponse ici.*", "", "w1")), ["w1"], SPECS)
    assert a.text == "" and a.found == METADATA


def test_heading_fallback_reads_the_cell_after_the_question():
    [spec] = SPECS
    nb = student_notebook("tp-tenseurs")
    cells = [NotebookCell(c["cell_type"], "".join(c["source"]), "", "") for c in copy.deepcopy(nb["cells"])]
    i = next(k for k, c in enumerate(cells) if c.source.startswith(spec.heading))
    cells[i + 1] = NotebookCell("code", "# ma réponse", "", "")
    [a] = find_answers(cells, ["w1"], SPECS)
    assert a.found == HEADING and a.text == "# ma réponse"


def test_generated_answer_cell_is_marked_and_harmless():
    nb = student_notebook("tp-tenseurs")
    [cell] = [c for c in nb["cells"] if c["metadata"].get("grader", {}).get("answer") == "w1"]
    assert cell["cell_type"] == "markdown" and "".join(cell["source"]) == "*Votre réponse ici.*"
    assert "centered" not in "".join(cell["source"])  # the model answer stays in the reference


# ---------------------------------------------------------------------------- sheets and TOML without a run


def test_sheets_as_spreadsheets_save_them_are_read(tmp_path):
    from grader.lms.manual import read_sheet, validate
    from grader.model import Assignment, Message, Question

    a = Assignment("demo", Message("Démo"), (Question("q1", 3, Message("q1")),
                                            Question("w1", 2, Message("w1"), kind="manual")))
    tab = tmp_path / "tab.csv"
    tab.write_bytes("élève\tquestion\tnote\tcommentaire\n'=ann\tw1\t1,25\tRéponse juste.\n".encode("cp1252"))
    rows, problems = read_sheet(tab)
    scores, skipped, bad = validate(rows, a, ["=ann", "bob"], grader="moi")
    assert problems == bad == [] and skipped == 0
    assert scores[0][0] == "=ann" and scores[0][1].score == 1.25 and scores[0][1].grader == "moi"
    binary = tmp_path / "binary.csv"
    binary.write_bytes(b"\x81\x8d\x8f\x90\x9d")
    assert "encodage" in read_sheet(binary)[1][0].fr
    twice = _fill(tmp_path / "twice.csv", [["student", "question", "score"], ["bob", "w1", "1"], ["bob", "w1", "2"],
                                            ["bob", "q1", ""]], ",")
    scores, skipped, bad = validate(read_sheet(twice)[0], a, ["bob"])
    assert len(scores) == 1 and skipped == 1 and "déjà noté·e (twice.csv, ligne 2)" in bad[0].fr


def test_a_check_for_a_written_question_or_an_unknown_kind_is_refused(tmp_path):
    from grader.assignments import AssignmentError, load_folder, read_assignment

    folder = tmp_path / "demo"
    folder.mkdir()
    toml = 'id = "demo"\n[[questions]]\nid = "q1"\npoints = 1\n[[questions]]\nid = "w1"\nkind = "{}"\npoints = 1\n'
    (folder / "assignment.toml").write_text(toml.format("written"))
    with pytest.raises(AssignmentError, match="kind"):
        read_assignment(folder)
    (folder / "assignment.toml").write_text(toml.format("manual"))
    (folder / "checks.py").write_text("from grader.checks import Registry\nchecks = Registry()\n\n"
                                      "@checks('q1', fr='x', en='x')\ndef check_x(obs, ctx):\n    pass\n")
    loaded = load_folder(folder)  # a written question needs no check
    assert [q.kind for q in loaded.assignment.questions] == ["auto", "manual"] and loaded.assignment.auto_max == 1
    (folder / "checks.py").write_text("from grader.checks import Registry\nchecks = Registry()\n\n"
                                      "@checks('q1', fr='x', en='x')\ndef check_x(obs, ctx):\n    pass\n\n"
                                      "@checks('w1', fr='y', en='y')\ndef check_y(obs, ctx):\n    pass\n")
    with pytest.raises(AssignmentError, match="graded by hand"):
        load_folder(tmp_path / "demo")


def test_an_answer_turned_into_code_runs_only_if_it_is_python():
    from grader.intake.cells import parse_notebook

    def cell(source: str, answer: str = "") -> dict:
        return {"cell_type": "code", "source": source, "outputs": [], "execution_count": None,
                "metadata": {"grader": {"answer": answer}} if answer else {}}

    nb = {"cells": [cell("x = 1"), cell("Centrer garde l'échelle.", "w1"), cell("# en commentaire", "w2"),
                    cell("y = x + 1")], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    cells, _, warnings = parse_notebook(json.dumps(nb))
    assert cells == ("x = 1", "# en commentaire", "y = x + 1") and warnings == ()
