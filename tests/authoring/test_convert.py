"""`grader assign`: nbgrader and otter teacher notebooks become a course assignment that grades right."""

from __future__ import annotations

import ast
import json
import shutil
import subprocess
import tomllib
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from grader.assignments import load_folder
from grader.authoring import AuthoringError
from grader.authoring.convert import (
    answer_names,
    assign_notebook,
    reference_text,
    student_notebook,
)
from grader.authoring.teacher import otter_code, read_teacher
from grader.grading import grade
from grader.intake.cells import split_cells as runner_cells
from grader.notebooks import notebook_from_reference, render, split_cells

HERE = Path(__file__).parent
NBGRADER = HERE / "notebooks" / "nbgrader_teacher.ipynb"
OTTER = HERE / "notebooks" / "otter_teacher.ipynb"
CASES = {  # fixture -> (id, {question: points}, {question: answer names}, autograded questions)
    "nbgrader": (NBGRADER, "demo-nbgrader", {"q_array": 3, "relu": 3, "mean_value": 0, "explain": 2},
                 {"q_array": ["x"], "relu": ["relu"], "mean_value": ["mean_value"], "explain": []},
                 {"q_array", "relu", "mean_value"}),
    "otter": (OTTER, "demo-otter", {"q1": 2, "q2": 3, "q3": 2},
              {"q1": ["x"], "q2": ["relu"], "q3": ["total"]}, {"q1", "q2", "q3"}),
}


def files_of(result) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in result.written}


def solution_lines(reference: str) -> list[str]:
    """Every code line the reference holds between BEGIN and END SOLUTION (STUB lines aside)."""
    out, inside = [], False
    for line in reference.splitlines():
        s = line.strip()
        if s == "# BEGIN SOLUTION":
            inside = True
        elif s == "# END SOLUTION":
            inside = False
        elif inside and s and not s.startswith("# STUB:"):
            out.append(s)
    return out


@pytest.fixture(scope="module", params=sorted(CASES))
def assigned(request, tmp_path_factory):
    notebook, aid, points, names, auto = CASES[request.param]
    course = tmp_path_factory.mktemp(f"course-{request.param}")
    first = assign_notebook(notebook, assignment_id=aid, course=course)
    before = files_of(first)
    again = assign_notebook(notebook, assignment_id=aid, course=course)
    return {"case": request.param, "result": again, "first": before, "course": course, "id": aid,
            "points": points, "names": names, "auto": auto}


def test_layout_and_toml(assigned):
    r, course, aid = assigned["result"], assigned["course"], assigned["id"]
    assert r.reference == course / "reference" / f"{aid}.py"
    assert r.student == course / "assignments" / aid / "student.ipynb"
    assert r.written == (r.reference, r.student, r.toml, r.checks, r.generated) and r.kept == ()
    assert r.generated == course / "assignments" / aid / "teacher_checks.py"
    toml = tomllib.loads(r.toml.read_text(encoding="utf-8"))
    assert toml["id"] == aid
    assert toml["title"]["fr"] == toml["title"]["en"] == ("TP — Tableaux numpy" if assigned["case"] == "nbgrader"
                                                         else "Otter TP: arrays")
    assert toml["limits"] == {"cell_timeout": 120, "wall_timeout": 900, "call_timeout": 60}
    assert toml["scoring"] == {"step": 0}  # nbgrader's and otter's points, exactly
    assert {q["id"]: q["points"] for q in toml["questions"]} == assigned["points"]
    assert {q["id"] for q in toml["questions"] if q.get("kind") == "manual"} == set(assigned["points"]) - assigned["auto"]
    assert all(q["fr"] and q["en"] for q in toml["questions"])
    assert {q.id: [a.name for a in q.answers] for q in r.questions} == assigned["names"]
    loaded = load_folder(course / "assignments" / aid)  # what `grader run --course` will read
    assert [q.id for q in loaded.assignment.questions] == list(assigned["points"])
    assert {c.question for c in loaded.checks} == assigned["auto"]
    assert all(c.name.startswith("test_") for c in loaded.checks)


def test_assign_twice_gives_the_same_bytes(assigned):
    assert files_of(assigned["result"]) == assigned["first"]


def test_student_notebook_is_generated_valid_and_free_of_solutions(assigned):
    r, aid = assigned["result"], assigned["id"]
    reference = r.reference.read_text(encoding="utf-8")
    text = r.student.read_text(encoding="utf-8")
    assert text == render(notebook_from_reference(reference, aid))  # what `grader generate` makes
    nb = nbformat.reads(text, as_version=4)
    nbformat.validate(nb)
    assert nb.metadata["grader"] == {"assignment": aid} and nb.metadata["kernelspec"]["name"] == "python3"
    code = [c.source for c in nb.cells if c.cell_type == "code"]
    for source in code:
        ast.parse(source)
    student_lines = {s.strip() for source in code for s in source.splitlines()}
    secret = solution_lines(reference)
    assert secret and not [s for s in secret if s in student_lines]
    everything = "\n".join(c.source for c in nb.cells)
    assert "BEGIN SOLUTION" not in everything and "STUB:" not in everything and "SOLUTION" not in everything
    assert "assert " not in everything and "HIDDEN" not in everything  # the instructor's tests stay out
    assert "def relu(v):\n    # VOTRE CODE ICI\n    raise NotImplementedError()" in code
    assert "Parce que" not in everything  # a model written answer stays in the reference


def test_reference_is_percent_format_with_solution_blocks(assigned):
    reference = assigned["result"].reference.read_text(encoding="utf-8")
    kinds = [k for k, _ in split_cells(reference)]
    assert kinds[0] == "markdown" and "code" in kinds
    assert "### BEGIN" not in reference and "# SOLUTION" not in reference.replace("# BEGIN SOLUTION", "") \
        .replace("# END SOLUTION", "")
    assert "assert " not in reference
    if assigned["case"] == "otter":  # `x = ... # SOLUTION` and a PROMPT region become STUB lines
        assert "# BEGIN SOLUTION\n# STUB: x = ...\nx = np.ones((3, 4))\n# END SOLUTION" in reference
        assert "# BEGIN SOLUTION\n# STUB: total = ...\ntotal = int(x.sum())\n# END SOLUTION" in reference
    else:  # a solution cell without markers is all solution; a written answer is the hand grader's model
        assert "# BEGIN SOLUTION\nmean_value = float(x.mean())\n# END SOLUTION" in reference
        assert "# %% [markdown] answer=explain\n# Parce que" in reference


def test_teacher_checks_module_is_clean_and_runs_the_tests(assigned):
    r = assigned["result"]
    source = r.generated.read_text(encoding="utf-8")
    compile(source, str(r.generated), "exec")
    ruff = shutil.which("ruff")
    if ruff:
        for path in (r.generated, r.checks):
            done = subprocess.run([ruff, "check", "--no-cache", "--config", str(HERE.parents[1] / "pyproject.toml"),
                                   str(path)], capture_output=True, text=True)
            assert done.returncode == 0, done.stdout + done.stderr
    assert "from .teacher_checks import checks" in r.checks.read_text(encoding="utf-8")
    checks = {c.name: c for c in load_folder(assigned["course"] / "assignments" / assigned["id"]).checks}
    if assigned["case"] == "nbgrader":
        assert "assert x.shape == (3, 4)" in source and "assert x.sum() == 66" in source
        assert [(n, c.weight, c.public) for n, c in checks.items() if c.question == "q_array"] == [
            ("test_q_array_1", 2, True), ("test_q_array_2_visible", 0, True), ("test_q_array_2", 1, False)]
    else:  # otter: points over cases as otter splits them; `# HIDDEN` cases hidden
        assert [(c.question, c.weight, c.public) for c in checks.values()] == [
            ("q1", 1, True), ("q1", 1, False), ("q2", 1, True), ("q2", 2, False), ("q3", 1, True), ("q3", 1, True)]
        assert "output='True\\n'" in source.replace('"', "'")  # a doctest's output, from the reference
    assert 'reads=("relu",)' in source
    assert [str(s) for s in r.summary()][0] == ("q_array: 2 tests, 1 hidden" if assigned["case"] == "nbgrader"
                                                else "q1: 2 tests, 1 hidden")


def test_reference_scores_full_marks_and_the_stub_nothing(assigned, tmp_path):
    r, aid = assigned["result"], assigned["id"]
    subs = tmp_path / "subs"
    subs.mkdir()
    shutil.copy(r.reference, subs / "reference.py")
    shutil.copy(r.student, subs / "stub.ipynb")
    run = grade(subs, assignment=aid, out=tmp_path / "out", courses=[assigned["course"]])
    results = {res.student: res for res in run.results}
    ref, stub = results["reference"], results["stub"]
    auto = sum(p for q, p in assigned["points"].items() if q in assigned["auto"])
    assert ref.score == auto, [(c.name, c.status.value, c.message.en) for q in ref.questions for c in q.checks]
    scores = {q.question.id: q.score for q in stub.questions}
    assert all(scores[q] == 0 for q in assigned["auto"]), scores
    relu = [c for q in stub.questions for c in q.checks if q.question.id in ("relu", "q2")]
    assert relu and all(c.status.value == "failed" for c in relu)
    assert any("NotImplementedError" in c.message.en for c in relu)  # the stub's own line, as the test met it


def test_nbgrader_reader_turns_test_cells_into_tests_and_graded_answers_into_manual_questions():
    teacher = read_teacher(NBGRADER)
    assert teacher.style == "nbgrader"
    assert {q.id: q.points for q in teacher.questions} == {"q_array": 3, "relu": 3, "mean_value": 0, "explain": 2}
    assert [q.heading for q in teacher.questions][:3] == ["Q1 — Un tableau", "Q2 — ReLU", "Q3 — Moyenne"]
    q_array = teacher.questions[0]
    assert [(t.points, t.hidden, t.public) for t in q_array.tests] == [
        (2, False, "assert x.shape == (3, 4)"), (1, True, "assert x.dtype.kind == 'f'")]
    assert q_array.tests[1].source == "assert x.dtype.kind == 'f'\nassert x.sum() == 66"
    assert [q.id for q in teacher.questions if q.manual] == ["explain"]


def test_otter_reader_splits_points_over_cases_and_matches_raw_cells_loosely():
    teacher = read_teacher(OTTER)
    assert teacher.style == "otter"
    assert {q.id: q.points for q in teacher.questions} == {"q1": 2, "q2": 3, "q3": 2}
    assert [q.heading for q in teacher.questions] == ["Question 1: an array", "Question 2: relu",
                                                      "Question 3: a total"]
    assert [[(t.points, t.hidden) for t in q.tests] for q in teacher.questions] == [
        [(1, False), (1, True)], [(1, False), (2, True)], [(1, False), (1, False)]]
    assert [c.source for c in teacher.cells if c.question == "q3"] and teacher.cells[-1].source == "print('fin')"


def test_otter_points_resolve_as_otter_does():
    from grader.authoring.teacher import resolve_points

    assert resolve_points(3, [None, None, None], "q") == [1, 1, 1]
    assert resolve_points(4, [2, None, None], "q") == [2, 1, 1]
    assert resolve_points(None, [None, None], "q") == [0.5, 0.5]  # no total: the cases share 1 point
    assert resolve_points(None, [2, None], "q") == [2, 0]
    assert resolve_points([1, 3], [None, None], "q") == [1, 3]
    with pytest.raises(AuthoringError, match="2 points listed for 1 test case"):
        resolve_points([1, 2], [None], "q")
    with pytest.raises(AuthoringError, match="exceed"):
        resolve_points(1, [2, None], "q")


def test_without_running_the_reference_tests_are_converted_unchecked(tmp_path):
    quick = assign_notebook(NBGRADER, assignment_id="demo-norun", course=tmp_path, run_reference=False)
    assert [len(q.tests) for q in quick.questions] == [3, 1, 1, 0]
    with pytest.raises(AuthoringError, match="compares printed output"):  # otter's expected outputs need a run
        assign_notebook(OTTER, assignment_id="demo-norun2", course=tmp_path, run_reference=False)
    assert not (tmp_path / "assignments" / "demo-norun2").exists()


def test_hand_edited_checks_are_kept_and_still_load_the_teachers_tests(tmp_path):
    r = assign_notebook(NBGRADER, assignment_id="demo-kept", course=tmp_path, run_reference=False)
    edited = r.checks.read_text(encoding="utf-8") + "\n# my own check comes here\n"
    r.checks.write_text(edited, encoding="utf-8")
    again = assign_notebook(NBGRADER, assignment_id="demo-kept", course=tmp_path, run_reference=False)
    assert again.kept == (r.checks,) and r.checks.read_text(encoding="utf-8") == edited
    assert again.checks not in again.written and any("checks.py" in w for w in again.warnings)
    assert again.generated in again.written


def write_teacher(path: Path, *cells) -> Path:
    nb = new_notebook(cells=list(cells))
    nbformat.write(nb, str(path))
    return path


def nbgrader_solution(source: str, grade_id: str):
    cell = new_code_cell(source)
    cell.metadata["nbgrader"] = {"solution": True, "grade": False, "grade_id": grade_id, "locked": False,
                                 "schema_version": 3, "task": False}
    return cell


def test_a_failing_reference_is_an_error_naming_its_cell_and_writes_nothing(tmp_path):
    nb = write_teacher(tmp_path / "t.ipynb", new_markdown_cell("# T"), new_code_cell("import math"),
                       nbgrader_solution("### BEGIN SOLUTION\ny = 1 / 0\n### END SOLUTION", "q1"))
    with pytest.raises(AuthoringError, match=r"(?s)code cell 2 \(cell 3 of the notebook\).*ZeroDivisionError"):
        assign_notebook(nb, assignment_id="broken", course=tmp_path / "course")
    assert not (tmp_path / "course").exists()


def test_unbalanced_markers_and_bad_ids_are_errors(tmp_path):
    nb = write_teacher(tmp_path / "t.ipynb", nbgrader_solution("### BEGIN SOLUTION\ny = 1", "q1"))
    with pytest.raises(AuthoringError, match="never closed"):
        assign_notebook(nb, assignment_id="broken", course=tmp_path, run_reference=False)
    with pytest.raises(AuthoringError, match="invalid assignment id"):
        assign_notebook(NBGRADER, assignment_id="../up", course=tmp_path, run_reference=False)
    with pytest.raises(AuthoringError, match="not a readable notebook"):
        assign_notebook(tmp_path / "missing.ipynb", assignment_id="x", course=tmp_path, run_reference=False)


def test_otter_code_syntax():
    assert otter_code("x = 2 # SOLUTION", "c") == "# BEGIN SOLUTION\n# STUB: x = ...\nx = 2\n# END SOLUTION"
    assert otter_code("def f(v):\n    y = v * 2  # SOLUTION NO PROMPT\n    return y # SOLUTION", "c") == (
        "def f(v):\n    # BEGIN SOLUTION\n    # STUB: return ...\n    y = v * 2\n    return y\n    # END SOLUTION")
    assert otter_code("a = 1\nb = 2", "c") == "# BEGIN SOLUTION\na = 1\nb = 2\n# END SOLUTION"  # no marks: all
    with pytest.raises(AuthoringError, match="nested indentation"):
        otter_code("# BEGIN PROMPT\ndef f():\n    ...\n# END PROMPT\n# BEGIN SOLUTION\nz = 1\n# END SOLUTION", "c")


def test_answer_names_are_top_level_bindings_inside_solutions():
    cell = ("import numpy as np\nkeep = 1\n# BEGIN SOLUTION\nimport math\na, (b, c) = 1, (2, 3)\n_private = 4\n"
            "m.attr = 5\nz, d[0] = 6, 7\n# END SOLUTION\ndef f(v):\n    # BEGIN SOLUTION\n    return v\n    # END SOLUTION\n"
            "if True:\n    # BEGIN SOLUTION\n    class K:\n        pass\n    # END SOLUTION\n")
    assert answer_names(cell) == [("a", "value"), ("b", "value"), ("c", "value"), ("z", "value"),
                                  ("f", "function"), ("K", "class")]


def test_empty_bodies_get_a_raise_and_cell_markers_in_code_are_escaped(tmp_path):
    source = ("def g(v):\n    ### BEGIN SOLUTION\n    w = v\n    ### END SOLUTION\n    ### BEGIN SOLUTION\n"
              "    return w\n    ### END SOLUTION\n# %% not a cell\nh = 1")
    nb = write_teacher(tmp_path / "t.ipynb", nbgrader_solution(source, "q1"), new_markdown_cell("%% not one"))
    text = reference_text(read_teacher(nb))
    assert [k for k, _ in split_cells(text)] == ["code", "markdown"] and "\n # %% not a cell\n" in text
    assert len(runner_cells(text)) == 1  # the runner's reader agrees
    student = [c for c in student_notebook("t", text)["cells"] if not c["id"].startswith("selfcheck-")]
    assert student[1]["source"] == ["\\%% not one"]  # markdown's escape: it still shows `%%`
    code = "".join(student[0]["source"])
    ast.parse(code)
    assert code.count("raise NotImplementedError()") == 1 and "return w" not in code and "h = 1" in code


def test_notebook_json_is_canonical(assigned):
    text = assigned["result"].student.read_text(encoding="utf-8")
    assert text == json.dumps(json.loads(text), ensure_ascii=False, indent=1, sort_keys=True) + "\n"


def test_a_notebook_with_our_own_markers_gives_one_question_per_solution_cell(tmp_path):
    nb = write_teacher(tmp_path / "t.ipynb", new_markdown_cell("## Intro"), new_code_cell("import math"),
                       new_code_cell("# BEGIN SOLUTION\nr = math.pi\n# END SOLUTION"),
                       new_code_cell("def area(v):\n    # BEGIN SOLUTION\n    return r * v * v\n    # END SOLUTION"))
    r = assign_notebook(nb, assignment_id="plain", course=tmp_path / "course", run_reference=False)
    assert r.style == "markers"
    assert [(q.id, q.points, [a.name for a in q.answers]) for q in r.questions] == [("q1", 1, ["r"]),
                                                                                  ("q2", 1, ["area"])]
    assert r.questions[0].title == "Intro (`r`)"


def test_assign_on_the_command_line(tmp_path, capsys):
    from grader.cli import main

    course = tmp_path / "course"
    notebook = HERE / "notebooks" / "nbgrader_teacher.ipynb"
    assert main(["assign", str(notebook), "--id", "cli-demo", "--course", str(course), "--no-run"]) == 0
    assert (course / "reference" / "cli-demo.py").is_file()
    assert "cli-demo (nbgrader)" in capsys.readouterr().err
    broken = tmp_path / "broken.ipynb"
    broken.write_text("{not json")
    assert main(["assign", str(broken), "--id", "x", "--course", str(course), "--lang", "en"]) == 2
    err = capsys.readouterr().err
    assert "error:" in err and "Traceback" not in err
