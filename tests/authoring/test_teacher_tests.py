"""The instructor's tests are the grading: a course brought in with `grader assign` grades by its tests.

A small nbgrader course (softmax, one-hot, a mean, a rate; public tests, hidden parts, a test that
expects the student's function to raise, one that draws random inputs) is assigned and graded for
real: the reference gets full marks, the stub and each wrong answer lose exactly what the tests
catch, and a submission that patches numpy and builtins in its own notebook gets what its values
earn. Around it: a test that cannot run outside the kernel is refused naming its cell, a re-assign
after the notebook grew keeps the instructor's edits and loads, otter's `# SOLUTION` lines never
reach students, and the student bundle holds no hidden test.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_raw_cell

from grader.assignments import load_folder
from grader.authoring import AuthoringError
from grader.authoring.convert import _leaks, assign_notebook
from grader.grading import grade


def solution(source: str, grade_id: str):
    cell = new_code_cell(source)
    cell.metadata["nbgrader"] = {"solution": True, "grade": False, "grade_id": grade_id, "locked": False,
                                 "schema_version": 3, "task": False}
    return cell


def graded_test(source: str, grade_id: str, points: float):
    cell = new_code_cell(source)
    cell.metadata["nbgrader"] = {"solution": False, "grade": True, "grade_id": grade_id, "locked": True,
                                 "points": points, "schema_version": 3, "task": False}
    return cell


SOFTMAX = """def softmax(z):
    ### BEGIN SOLUTION
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)
    ### END SOLUTION"""
ONE_HOT = """def one_hot(labels, n):
    ### BEGIN SOLUTION
    out = np.zeros((len(labels), n))
    out[np.arange(len(labels)), labels] = 1.0
    return out
    ### END SOLUTION"""
MEAN = """def mean_loss(losses):
    ### BEGIN SOLUTION
    return float(np.mean(losses))
    ### END SOLUTION"""
RATE = "### BEGIN SOLUTION\nrate = 0.5\n### END SOLUTION"


def course_cells(extra: bool = False) -> list:
    cells = [
        new_markdown_cell("# TP softmax"), new_code_cell("import numpy as np"),
        new_markdown_cell("## Q1 softmax"), solution(SOFTMAX, "softmax"),
        graded_test("z = np.array([[1.0, 2.0, 3.0], [1.0, 1.0, 1.0]])\np = softmax(z)\nassert p.shape == (2, 3)\n"
                  "assert np.allclose(p.sum(axis=1), 1.0)\n### BEGIN HIDDEN TESTS\nassert np.allclose(p[1], 1 / 3)\n"
                  "r = np.random.rand(4, 5)\nassert np.allclose(softmax(r).sum(axis=1), 1.0)\n### END HIDDEN TESTS",
                  "test_softmax", 2),
        new_markdown_cell("## Q2 one-hot"), solution(ONE_HOT, "one_hot"),
        graded_test("y = one_hot(np.array([0, 2, 1, 2]), 3)\nassert y.shape == (4, 3)\nassert y[1, 2] == 1 and "
                  "y[3, 2] == 1 and y.sum() == 4", "test_one_hot", 2),
        graded_test("try:\n    one_hot(np.array([5]), 3)\n    raised = False\nexcept IndexError:\n    raised = True\n"
                  "assert raised, 'a label out of range must raise IndexError'", "test_one_hot_range", 1),
        new_markdown_cell("## Q3 loss"), solution(MEAN, "mean_loss"),
        graded_test("assert max(abs(mean_loss(np.array([1.0, 2.0, 3.0])) - 2.0), 0) < 1e-9", "test_mean", 1),
        new_markdown_cell("## Q4 rate"), solution(RATE, "rate"),
        graded_test("assert 0 < rate < 1\n### BEGIN HIDDEN TESTS\nassert rate == 0.5\n### END HIDDEN TESTS",
                  "test_rate", 1),
    ]
    if extra:
        cells += [new_markdown_cell("## Q5 square"),
                  solution("def square(v):\n    ### BEGIN SOLUTION\n    return v * v\n    ### END SOLUTION", "square"),
                  graded_test("assert square(3) == 9", "test_square", 2)]
    return cells


def write(path: Path, cells: list) -> Path:
    nbformat.write(new_notebook(cells=cells), str(path))
    return path


@pytest.fixture(scope="module")
def softmax_course(tmp_path_factory):
    root = tmp_path_factory.mktemp("softmax")
    notebook = write(root / "teacher.ipynb", course_cells())
    result = assign_notebook(notebook, assignment_id="softmax", course=root / "course")
    return root, result


STUDENTS = {  # name -> (replacements in the reference, expected scores per question)
    "reference": ([], {"softmax": 2, "one_hot": 3, "mean_loss": 1, "rate": 1}),
    "no_axis": ([("e = np.exp(z - z.max(axis=1, keepdims=True))\n    return e / e.sum(axis=1, keepdims=True)",
                  "e = np.exp(z)\n    return e / e.sum()")], {"softmax": 0, "one_hot": 3, "mean_loss": 1, "rate": 1}),
    "transposed": ([("out = np.zeros((len(labels), n))\n    out[np.arange(len(labels)), labels] = 1.0",
                     "out = np.zeros((n, len(labels)))\n    out[labels, np.arange(len(labels))] = 1.0")],
                   {"softmax": 2, "one_hot": 1, "mean_loss": 1, "rate": 1}),
    "summed": ([("return float(np.mean(losses))", "return float(np.sum(losses))")],
               {"softmax": 2, "one_hot": 3, "mean_loss": 0, "rate": 1}),
    "identity": ([("e = np.exp(z - z.max(axis=1, keepdims=True))\n    return e / e.sum(axis=1, keepdims=True)",
                   "return z"), ("out = np.zeros((len(labels), n))\n    out[np.arange(len(labels)), labels] = 1.0\n"
                                 "    return out", "return labels"), ("return float(np.mean(losses))", "return losses")],
                 {"softmax": 0, "one_hot": 0, "mean_loss": 0, "rate": 1}),
    # the identity answers again, in a notebook that patches what the tests would use in its kernel
    "patcher": ([("e = np.exp(z - z.max(axis=1, keepdims=True))\n    return e / e.sum(axis=1, keepdims=True)",
                  "return z"), ("out = np.zeros((len(labels), n))\n    out[np.arange(len(labels)), labels] = 1.0\n"
                                "    return out", "return labels"), ("return float(np.mean(losses))", "return losses"),
                 ("import numpy as np", "import numpy as np\nimport builtins\nnp.allclose = lambda *a, **k: True\n"
                                        "builtins.abs = lambda v: 0\nbuiltins.max = lambda *a: 0\n"
                                        "max = lambda *a: 0\nnp.random.rand = lambda *shape: np.zeros(shape)")],
                {"softmax": 0, "one_hot": 0, "mean_loss": 0, "rate": 1}),
}


def test_the_tests_grade_the_class(softmax_course, tmp_path):
    root, result = softmax_course
    reference = result.reference.read_text(encoding="utf-8")
    subs = tmp_path / "subs"
    subs.mkdir()
    for name, (changes, _) in STUDENTS.items():
        text = reference
        for old, new in changes:
            assert old in text, (name, old)
            text = text.replace(old, new)
        (subs / f"{name}.py").write_text(text, encoding="utf-8")
    shutil.copy(result.student, subs / "stub.ipynb")
    run = grade(subs, assignment="softmax", out=tmp_path / "out", courses=[root / "course"])
    got = {r.student: {q.question.id: q.score for q in r.questions} for r in run.results}
    expected = {name: scores for name, (_, scores) in STUDENTS.items()}
    expected["stub"] = {"softmax": 0, "one_hot": 0, "mean_loss": 0, "rate": 0}
    details = {r.student: [(c.name, c.status.value, c.message.en) for q in r.questions for c in q.checks
                           if not c.passed] for r in run.results}
    assert got == expected, details
    identity = {c.name: c.message.en for r in run.results if r.student == "identity" for q in r.questions
                for c in q.checks}
    # the failing line and the values involved, as pytest's assertion rewriting shows them
    assert identity["test_softmax_1"].startswith("Instructor's test, line 4 `assert np.allclose(p.sum(axis=1), 1.0)` "
                                                 "is false: `p.sum(axis=1)` is `array([6., 3.])`")
    assert "a label out of range must raise IndexError" in identity["test_one_hot_2"]


def test_a_test_reading_an_object_with_no_plain_form_is_refused_naming_its_cell(tmp_path):
    notebook = write(tmp_path / "t.ipynb", [
        new_code_cell("import numpy as np"),
        solution("class Counter:\n    def __init__(self):\n        self.count = 0\n### BEGIN SOLUTION\nc = Counter()\n"
                 "### END SOLUTION", "counter"),
        graded_test("assert c.count == 0", "test_counter", 1)])
    with pytest.raises(AuthoringError, match=r"(?s)cell 3: the test of counter fails on the reference.*`c` "
                                             r"\(__main__.Counter\), which has no plain-data form") as e:
        assign_notebook(notebook, assignment_id="objects", course=tmp_path / "course")
    assert "cellule 3" in e.value.text("fr")
    assert not (tmp_path / "course").exists()  # nothing written


def test_reassign_after_the_notebook_grew_keeps_edits_and_loads(tmp_path):
    notebook = write(tmp_path / "teacher.ipynb", course_cells())
    course = tmp_path / "course"
    first = assign_notebook(notebook, assignment_id="grow", course=course, run_reference=False)
    first.checks.write_text(first.checks.read_text(encoding="utf-8") + (
        "\n\n@checks(\"rate\", fr=\"Taux positif.\", en=\"Positive rate.\")\ndef check_rate_mine(obs, ctx):\n"
        "    assert obs.value(\"rate\") > 0\n"), encoding="utf-8")
    first.toml.write_text(first.toml.read_text(encoding="utf-8").replace('fr = "Q4 rate', 'fr = "Q4 taux'),
                          encoding="utf-8")
    write(notebook, course_cells(extra=True))
    again = assign_notebook(notebook, assignment_id="grow", course=course)
    assert set(again.kept) == {again.checks, again.toml}
    assert any("square" in w and "appended" in w for w in again.warnings)
    loaded = load_folder(course / "assignments" / "grow")
    assert [q.id for q in loaded.assignment.questions][-1] == "square"
    assert {c.name for c in loaded.checks} >= {"check_rate_mine", "test_square_1"}
    subs = tmp_path / "subs"
    subs.mkdir()
    shutil.copy(again.reference, subs / "ref.py")
    run = grade(subs, assignment="grow", out=tmp_path / "out", courses=[course])
    assert run.results[0].score == run.results[0].max_score == 9


def test_a_hand_edited_generated_module_is_refused_and_nothing_written(tmp_path):
    notebook = write(tmp_path / "teacher.ipynb", course_cells())
    course = tmp_path / "course"
    first = assign_notebook(notebook, assignment_id="gen", course=course, run_reference=False)
    first.generated.write_text(first.generated.read_text(encoding="utf-8") + "\n# mine\n", encoding="utf-8")
    before = {p: p.read_bytes() for p in first.written}
    write(notebook, course_cells(extra=True))
    with pytest.raises(AuthoringError, match="teacher_checks.py was edited by hand"):
        assign_notebook(notebook, assignment_id="gen", course=course, run_reference=False)
    assert {p: p.read_bytes() for p in first.written} == before


def test_otter_solution_lines_without_raw_solution_cells_never_reach_students(tmp_path):
    notebook = write(tmp_path / "otter.ipynb", [
        new_raw_cell("# ASSIGNMENT CONFIG\nexport_cell: false"), new_code_cell("import numpy as np"),
        new_raw_cell("# BEGIN QUESTION\nname: q1\npoints: 2"), new_markdown_cell("## Q1\n`x`: two"),
        new_code_cell("x = 2  # SOLUTION\ny = np.arange(3)  # SOLUTION"),
        new_raw_cell("# BEGIN TESTS"), new_code_cell("assert x == 2"), new_code_cell("# HIDDEN\nassert y.sum() == 3"),
        new_raw_cell("# END TESTS"), new_raw_cell("# END QUESTION")])
    r = assign_notebook(notebook, assignment_id="otter-lines", course=tmp_path / "course")
    student = r.student.read_text(encoding="utf-8")
    assert "SOLUTION" not in student and "x = 2" not in student and "np.arange(3)" not in student
    assert "x = ..." in student
    assert [(q.id, q.points, len(q.tests), q.manual) for q in r.questions] == [("q1", 2, 2, False)]


def test_the_leak_guard_finds_markers_and_solution_lines():
    reference = "# %%\nimport numpy as np\n\n# %%\n# BEGIN SOLUTION\nanswer = np.arange(10).sum()\n# END SOLUTION\n"
    nb = {"cells": [{"cell_type": "code", "source": ["answer = np.arange(10).sum()\n"]},
                    {"cell_type": "code", "source": ["z = 1  # SOLUTION\n"]},
                    {"cell_type": "code", "source": ["### BEGIN HIDDEN TESTS\n"]},
                    {"cell_type": "code", "source": ["import numpy as np\n"]}]}
    assert [f[:6] for f in _leaks(nb, reference)] == ["cell 1", "cell 2", "cell 3"]


def test_the_student_bundle_holds_public_tests_only(softmax_course, tmp_path):
    from grader.authoring.release import release

    root, result = softmax_course
    made = release(root / "course" / "assignments" / "softmax", tmp_path / "out")
    text = "\n".join(p.read_text(encoding="utf-8", errors="replace") for p in made.folder.rglob("*")
                     if p.is_file() and p.suffix in (".py", ".toml", ".json", ".ipynb"))
    assert "assert p.shape == (2, 3)" in text  # public tests: students may run them
    for hidden in ("assert np.allclose(p[1], 1 / 3)", "np.random.rand(4, 5)", "assert rate == 0.5"):
        assert hidden not in text
    assert "return e / e.sum(axis=1, keepdims=True)" not in text
    assert set(made.hidden_checks) == {"test_softmax_1", "test_rate_1"}


def test_what_a_test_reads_from_the_notebook():
    from grader.authoring.converted_tests import _reads

    setup = "import numpy as np\n"
    assert _reads("x = x + 1\nassert x == 3", setup, set()) == ("x",)  # read before the test rebinds it
    assert _reads("y = 2\nassert np.all(y + z)", setup, set()) == ("z",)  # its own `y`, the setup's `np`
    assert _reads("assert max(v) == 3", setup, {"v"}) == ("v",)  # Python's `max`, whatever a student defines
    assert _reads("assert max(v) == 3", setup, {"v", "max"}) == ("max", "v")  # the exercise's own `max`
    assert _reads("def f(a):\n    return a + q\nassert f(1)", setup, set()) == ("q",)


SELF_CHECK = """
import json, sys, __main__
from grader.notebooks import split_cells
nb = json.load(open(sys.argv[1], encoding="utf-8"))
for kind, src in split_cells(open(sys.argv[2], encoding="utf-8").read()):  # the student's answers
    if kind == "code":
        exec(src.replace("return e / e.sum(axis=1, keepdims=True)", "return e / e.sum()"), __main__.__dict__)
for cell in nb["cells"]:  # then the released notebook's self-check cells, as a student runs them
    if cell["id"].startswith("selfcheck-"):
        exec("".join(cell["source"]).replace('init("softmax")', 'init("softmax", bundle=sys.argv[3], lang="en")'),
             __main__.__dict__)
"""


def test_the_released_notebook_self_checks_the_public_tests(softmax_course, tmp_path):
    """An assigned course's released notebook: its check cells run the instructor's public tests in
    the student's own process, and say what the hidden ones are without running them."""
    import subprocess
    import sys

    from grader.authoring.release import release

    root, result = softmax_course
    made = release(root / "course" / "assignments" / "softmax", tmp_path / "out")
    script = tmp_path / "student.py"
    script.write_text(SELF_CHECK, encoding="utf-8")
    done = subprocess.run([sys.executable, str(script), str(made.folder / "student.ipynb"), str(result.reference),
                           str(tmp_path / "out")], capture_output=True, text=True, timeout=300)
    out = done.stdout
    assert done.returncode == 0, done.stderr[-3000:]
    assert "[Failed] softmax: instructor's test 1, its visible part" in out  # the softmax without an axis
    assert "`p.sum(axis=1)` is `array([0.333809, 0.666191])`" in out
    assert "[Passed] one_hot: instructor's test 2 (cell 9)." in out and "1 hidden check is not run here." in out
    assert "4/5 public checks passed." in out and "assert rate == 0.5" not in out
