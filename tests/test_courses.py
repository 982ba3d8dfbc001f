"""Instructors' own courses: `--course`, `GRADER_COURSE`, `grader new`, stale results, newcomer errors.

The scaffold of `grader new` (numpy only) grades in seconds, so these run real notebooks for real.
"""

from __future__ import annotations

import json
import shutil

import pytest
from conftest import by_student, question_scores, write_class

from grader import assignments, courses
from grader.authoring import AuthoringError
from grader.authoring.scaffold import new
from grader.cli import main
from grader.grading import UsageError, grade
from grader.judge.engine import Context, run_check
from grader.judge.registry import Registry, fail
from grader.model import Status

TEN = ["tp-cnn-mnist", "tp-diy", "tp-fashion", "tp-gradient", "tp-mnist-dense", "tp-tenseurs", "tp-transfer",
       "tp1-autoencoder", "tp1-cifar10", "tp1-lstm-vs-cnn"]


@pytest.fixture
def course(tmp_path):
    made = new("demo", tmp_path / "course")
    return made


def scaffold_class(made, folder, **extra) -> object:
    return write_class(folder, {"ref.py": made.reference.read_text(encoding="utf-8"),
                                "stub.ipynb": made.notebook.read_text(encoding="utf-8"), **extra})


def test_builtin_course_is_package_data_and_lists_the_ten_tps():
    root = courses.builtin().root
    assert root.name == "resources" and root.parent.name == "grader"  # inside the package, not above it
    assert assignments.available() == TEN
    assert courses.templates().joinpath("report.html").is_file()


def test_new_scaffold_gives_full_marks_to_its_reference_and_zero_to_its_stub(course, tmp_path):
    run = grade(scaffold_class(course, tmp_path / "c"), assignment="demo", out=tmp_path / "o",
                courses=[course.folder.parent.parent])
    scores = {r.student: r.score for r in run.results}
    assert scores == {"ref": 5.0, "stub": 0.0}
    assert run.located == str(course.folder.parent.parent)
    stub = by_student(run)["stub"]
    assert {c.status for q in stub.questions for c in q.checks} <= {Status.FAILED, Status.ERROR, Status.SKIPPED}
    assert run.grader_errors == 0


def test_new_refuses_an_existing_or_invalid_id(course):
    root = course.folder.parent.parent
    with pytest.raises(AuthoringError, match="already exists"):
        new("demo", root)
    with pytest.raises(AuthoringError, match="invalid assignment id"):
        new("../evil", root)
    (root / "reference" / "tp-x.py").write_text("x = 1")  # a reference alone is someone's work too
    with pytest.raises(AuthoringError, match="already exists"):
        new("tp-x", root)


def test_new_needs_a_course_folder(capsys, monkeypatch):
    monkeypatch.delenv("GRADER_COURSE", raising=False)
    assert main(["new", "demo"]) == 2
    assert "--course" in capsys.readouterr().err


def test_course_folder_searched_first_and_from_the_environment(course, tmp_path, monkeypatch):
    root = course.folder.parent.parent
    assert "demo" not in assignments.available()
    monkeypatch.setenv("GRADER_COURSE", str(root))
    assert assignments.available() == sorted([*TEN, "demo"])
    # a course's own copy of a built-in id shadows the built-in one
    shutil.copytree(course.folder, root / "assignments" / "tp-tenseurs")
    assert assignments.locate("tp-tenseurs").course.root == root.resolve()
    monkeypatch.delenv("GRADER_COURSE")
    assert assignments.locate("tp-tenseurs", [root]).course.root == root.resolve()
    assert assignments.locate("tp-tenseurs").course.builtin


def test_list_shows_a_broken_assignment_with_its_error_and_every_other(course, capsys):
    root = course.folder.parent.parent
    (root / "assignments" / "nochecks").mkdir()
    (root / "assignments" / "nochecks" / "assignment.toml").write_text('id = "nochecks"\n')
    shutil.copytree(course.folder, root / "assignments" / "badsyntax")
    (root / "assignments" / "badsyntax" / "checks.py").write_text("def broken(:\n")
    assert main(["list", "--course", str(root), "--lang", "en"]) == 0
    out = capsys.readouterr().out
    for aid in [*TEN, "demo", "nochecks", "badsyntax"]:
        assert aid in out
    assert "no checks.py" in out and "SyntaxError" in out


def test_generate_unknown_id_is_a_clear_error(capsys):
    assert main(["generate", "no-such-tp"]) == 2
    err = capsys.readouterr().err
    assert "TP inconnu « no-such-tp »" in err and "Traceback" not in err
    assert main(["generate", "no-such-tp", "--lang", "en"]) == 2
    assert "unknown assignment 'no-such-tp'" in capsys.readouterr().err


def test_generate_writes_into_the_course_that_holds_the_assignment(course):
    course.notebook.unlink()
    assert main(["generate", "demo", "--course", str(course.folder.parent.parent)]) == 0
    assert json.loads(course.notebook.read_text())["metadata"]["grader"]["assignment"] == "demo"


def test_requires_naming_a_later_or_unknown_check_is_an_assignment_error(course):
    checks = course.folder / "checks.py"
    text = checks.read_text()
    checks.write_text(text.replace('requires="check_scores_shape"', 'requires="check_relu_on_hidden_inputs"'))
    with pytest.raises(assignments.AssignmentError, match="declared after it"):
        assignments.load("demo", [course.folder.parent.parent])
    checks.write_text(text.replace('requires="check_scores_shape"', 'requires="check_nothing"'))
    with pytest.raises(assignments.AssignmentError, match="unknown check 'check_nothing'"):
        assignments.load("demo", [course.folder.parent.parent])


def test_a_public_check_may_not_require_a_hidden_one(course):
    checks = course.folder / "checks.py"
    checks.write_text(checks.read_text().replace('@checks("q2", fr=', '@checks("q2", public=True, '
                                                 'requires="check_scores_values", fr='))
    with pytest.raises(assignments.AssignmentError, match="public check check_relu_on_hidden_inputs requires hidden"):
        assignments.load("demo", [course.folder.parent.parent])


def test_fail_without_raise_still_fails():
    registry = Registry()

    @registry("q1")
    def check_forgot_raise(obs, ctx):
        fail("mauvaise réponse", "wrong answer")  # no `raise`: a trap in earlier versions

    result = run_check(registry.checks[0], None, Context("x"))
    assert result.status is Status.FAILED and result.message.en == "wrong answer"


def test_edited_checks_regrade_the_class_and_say_why(course, tmp_path):
    root = course.folder.parent.parent
    folder = scaffold_class(course, tmp_path / "c")
    first = grade(folder, assignment="demo", out=tmp_path / "o", courses=[root])
    again = grade(folder, assignment="demo", out=tmp_path / "o", courses=[root])
    assert sorted(first.regraded) == ["ref", "stub"] and again.regraded == () and again.stale == {}
    # the instructor makes q1 stricter: the reference's `scores` no longer passes its value check
    checks = course.folder / "checks.py"
    checks.write_text(checks.read_text().replace("np.arange(5.0) ** 2, ", "np.arange(5.0) ** 3, "))
    edited = grade(folder, assignment="demo", out=tmp_path / "o", courses=[root])
    assert sorted(edited.regraded) == ["ref", "stub"] and edited.stale == {"checks": 2}
    assert question_scores(by_student(edited)["ref"])["q1"] < 2
    assert "les vérifications ont changé : 2 copie(s) recorrigée(s)" in edited.notices("fr")
    assert "the checks changed: 2 submission(s) regraded" in edited.notices("en")
    # so does an edited reference (it is part of what graded), and nothing else changes
    course.reference.write_text(course.reference.read_text() + "\n")
    assert grade(folder, assignment="demo", out=tmp_path / "o", courses=[root]).stale == {"checks": 2}


def test_newcomer_mistakes_are_clear_messages(course, tmp_path, capsys):
    root = course.folder.parent.parent
    (tmp_path / "empty").mkdir()
    assert main(["run", str(tmp_path / "empty"), "-a", "demo", "--course", str(root), "-o", str(tmp_path / "o")]) == 2
    assert "aucune copie trouvée" in capsys.readouterr().err
    with pytest.raises(UsageError, match="no submission found"):
        grade(write_class(tmp_path / "docs", {"README.md": "# TP"}), assignment="demo", out=tmp_path / "o",
              courses=[root], lang="en")
    # README.md and a PDF beside the notebooks are listed as ignored, not graded as students;
    # a notebook naming another TP is said on the console
    other = json.loads(course.notebook.read_text())
    other["metadata"]["grader"]["assignment"] = "tp-tenseurs"
    folder = scaffold_class(course, tmp_path / "c", **{"README.md": "# notes", "sujet.pdf": "%PDF",
                                                       "lost.ipynb": json.dumps(other)})
    assert main(["run", str(folder), "-a", "demo", "--course", str(root), "-o", str(tmp_path / "o2"),
                 "--lang", "en"]) == 0
    err = capsys.readouterr().err
    assert "Ignored (not submissions): README.md, sujet.pdf" in err
    assert "lost: the notebook names TP 'tp-tenseurs'; graded as 'demo'" in err
    results = json.loads((tmp_path / "o2" / "results.json").read_text())
    assert sorted(r["student"] for r in results["submissions"]) == ["lost", "ref", "stub"]


def test_release_then_self_check_runs_the_public_checks_only_and_exits_0(course, tmp_path, capsys):
    root = course.folder.parent.parent
    bundle = tmp_path / "bundle"
    assert main(["release", "demo", "--course", str(root), "--out", str(bundle)]) == 0
    shipped = "".join(p.read_text() for p in bundle.rglob("*") if p.is_file() and p.suffix != ".whl")
    assert "check_scores_shape" in shipped
    assert "check_scores_values" not in shipped and "check_relu_on_hidden_inputs" not in shipped
    assert "np.maximum(x, 0)" not in shipped  # the hidden check's expected values, and the solution
    assert not list(bundle.rglob("demo.py"))
    capsys.readouterr()
    # the student's machine: the bundle only (the course folder is not named)
    assert main(["check", str(course.notebook), "--bundle", str(bundle), "--out", str(tmp_path / "me"),
                 "--lang", "en"]) == 0
    out = capsys.readouterr()
    assert "0/1 public checks passed" in out.err and "`scores`" in out.out
    assert "no public check: graded by your instructor only" in out.out  # q2 has none
    page = (tmp_path / "me" / "reports" / "student.html").read_text()
    assert "Self-check: only the public checks were run" in page
    mine = tmp_path / "mine.py"
    mine.write_text(course.reference.read_text())
    assert main(["check", str(mine), "--bundle", str(bundle), "--out", str(tmp_path / "me2")]) == 0
    assert "1/1 vérifications publiques réussies" in capsys.readouterr().err
