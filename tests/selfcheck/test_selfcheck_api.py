"""`init`/`check`/`check_all` on a TP from `grader new`, in this process: languages, problems said as
messages, and a verdict whose HTML never lets a student's text become markup."""

from __future__ import annotations

import json

import pytest

from grader.authoring.release import release
from grader.authoring.scaffold import new
from grader.model import CheckResult, Message, Question, Status
from grader.notebooks import split_cells
from grader.selfcheck import api
from grader.selfcheck.check_cells import check_cell, init_cell
from grader.selfcheck.render import QuestionVerdict, Verdict


@pytest.fixture(scope="module")
def tp(tmp_path_factory) -> dict:
    root = tmp_path_factory.mktemp("course")
    made = new("demo", root / "course")
    out = root / "release"
    release(made.folder, out, student_kit=False)
    reference = made.reference.read_text(encoding="utf-8")
    solved: dict = {"__name__": "__main__"}
    stub: dict = {"__name__": "__main__"}
    for kind, source in split_cells(reference):
        if kind == "code":
            exec(source, solved)
    notebook = json.loads(made.notebook.read_text(encoding="utf-8"))
    for cell in notebook["cells"]:
        if cell["cell_type"] == "code" and not cell["id"].startswith("selfcheck-"):
            exec("".join(cell["source"]), stub)
    return {"out": out, "notebook": notebook, "solved": solved, "stub": stub}


@pytest.fixture(autouse=True)
def _french(monkeypatch):
    monkeypatch.delenv("GRADER_LANG", raising=False)
    monkeypatch.delenv("GRADER_BUNDLE", raising=False)


def test_grader_new_notebooks_carry_the_selfcheck_cells(tp):
    sources = ["".join(c["source"]) for c in tp["notebook"]["cells"] if c["id"].startswith("selfcheck-")]
    assert sources == [init_cell("demo"), check_cell("q1"), check_cell("q2"), "check_all()"]


def test_stub_fails_reference_passes_hidden_ones_counted(tp, capsys):
    api.init("demo", bundle=tp["out"])
    assert "Auto-vérification prête" in capsys.readouterr().out
    stub = api.run(["q1"], namespace=tp["stub"])
    assert [r.status for r in stub.results] == [Status.FAILED] and not stub.passed
    assert "`scores` : un tableau de 5 nombres." in stub.text()  # what is expected, before what was found
    assert "1 vérification cachée n'est pas lancée ici." in stub.text()
    solved = api.run(None, namespace=tp["solved"])
    assert solved.passed and "1/1 vérifications publiques réussies." in solved.text()
    q2 = [q for q in solved.questions if q.question.id == "q2"][0]
    assert q2.results == () and q2.hidden == 1
    assert "check_scores_values" not in solved.text() and "check_relu" not in solved.html()


def test_languages_init_env_and_one_call(tp, monkeypatch, capsys):
    api.init("demo", bundle=tp["out"], lang="en")
    assert "Self-check ready" in capsys.readouterr().out
    assert "[Failed]" in api.run(["q1"], namespace=tp["stub"]).text()
    assert "[Échoué]" in api.run(["q1"], namespace=tp["stub"], lang="fr").text()
    monkeypatch.setenv("GRADER_LANG", "en_GB.UTF-8")
    api.init("demo", bundle=tp["out"])
    text = api.run(None, namespace=tp["solved"]).text()
    assert "1/1 public checks passed." in text and "1 hidden check is not run here." in text
    assert "Self-check run in your own kernel" in text


def test_problems_are_messages_never_tracebacks(tp, capsys):
    api.init("demo", bundle=tp["out"])
    unknown = api.run(["q9"], namespace=tp["solved"])
    assert unknown.problem is not None and "q9" in unknown.text() and "q1, q2" in unknown.text()
    api.check("q9")  # shown, not raised
    assert "pas de question « q9 »" in capsys.readouterr().out
    api.init("other", bundle=tp["out"])
    out = capsys.readouterr().out
    assert "other" in out and "Self-check:" in out and "Auto-vérification :" in out  # both languages
    assert "« other »" in api.run(["q1"]).text()


def test_the_html_escapes_every_text_and_keeps_code_spans():
    hostile = CheckResult("c", "q1", Status.ERROR, Message(
        "`f(...)` a levé une erreur : `<script>alert(1)</script>` <img src=x onerror=alert(1)> **gras**",
        "`f(...)` raised an error: `<script>alert(1)</script>` <img src=x onerror=alert(1)> **bold**"),
        details='Traceback\n<iframe src="x"></iframe>')
    question = Question("q1", 1.0, Message("Une `<b>` question", "A `<b>` question"))
    verdict = Verdict("fr", "demo", (QuestionVerdict(question, (hostile,), 2, (Message("Décrit <u>", "Described"),)),))
    html = verdict.html()
    assert "<script" not in html and "<img" not in html and "<iframe" not in html and "<u>" not in html
    assert "<code>&lt;script&gt;alert(1)&lt;/script&gt;</code>" in html and "&lt;img src=x" in html
    assert "<code>&lt;b&gt;</code>" in html and "<strong>gras</strong>" in html
    assert "2 vérifications cachées ne sont pas lancées ici." in html and "Erreur" in html
    text = verdict.text()
    assert "[Erreur]" in text and "`<script>alert(1)</script>`" in text and "Décrit <u> — " in text
    english = Verdict("en", "demo", verdict.questions).text()
    assert "[Error]" in english and "2 hidden checks are not run here." in english
