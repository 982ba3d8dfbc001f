"""Migration fidelity: a course moved from nbgrader or otter-grader with `grader assign` keeps every score.

Why: an instructor moves to this grader only if the grades do not move. The same class as
bench/grading_speed.py (bench/speed_class.py: 20 tp-tenseurs students, 14 correct, 3 wrong shapes,
2 raising, 1 infinite loop), plus six students whose answers have the right shape and wrong values
(VALUE_MUTANTS: partial points, public test passed and hidden test failed), is written as an nbgrader course (the instructor's source notebook,
assert-based test cells with points, public ones and hidden ones between nbgrader's hidden-test
markers) and as an otter-grader course (otter assign's master notebook: the same questions, points
and tests, hidden cases marked as otter 7 documents). The real tools grade the students' notebooks
in each tool's own student format: their scores are the ground truth, recorded once in
bench/migration_expected.json with the tools' versions and commands. Then `grader assign` turns each
teacher notebook into a TP and `grader run` grades the very same student notebooks; each student's
total must equal the tool's.

The students' notebooks are built from the tools' own student notebooks (nbgrader's released
notebook, otter's student notebook), committed under bench/migration/ when the tools ran, so that
the comparison (and tests/authoring/test_migration_fidelity.py) needs neither tool installed.

Usage: python bench/migration.py                 # ours against the recorded scores (no nbgrader, no otter)
       python bench/migration.py --real          # first run nbgrader 0.9 and otter 7 (bench/.venv-others),
                                                 # rewrite bench/migration_expected.json and the templates
       [--only nbgrader,otter] [--keep DIR] [--workers N]   (bench/README.md)
"""

from __future__ import annotations

import argparse
import copy
import csv
import datetime
import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from speed_class import POINTS, QUESTIONS, TESTS, Spec, tenseurs_class

HERE = Path(__file__).resolve().parent
TEMPLATES = HERE / "migration"
EXPECTED = HERE / "migration_expected.json"
ASSIGNMENT = "tp"  # nbgrader's and otter's assignment name, and our TP id
TOOLS = ("nbgrader", "otter")
QUIET_TF = {"TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONWARNINGS": "ignore"}
#: The per-cell limit given to nbgrader (`--Execute.timeout`) and to our TP (its TOML): generous, so that
#: only the infinite loop reaches it (TensorFlow's import on a loaded 2-core host is ~10 s).
CELL_LIMIT = 60
#: otter has no per-cell limit: a submission still running after this is killed and has no score.
OTTER_KILL = 240

#: Each question's tests and points, as both tools get them: (kind, points) per test; kind "public" is
#: a test everyone sees, "hidden" one only the grader runs, "mixed" one nbgrader cell with a public part
#: and a hidden part (otter has no such case: it is one hidden case there).
SPLIT: dict[str, tuple[tuple[str, int], ...]] = {
    "q1": (("public", 1), ("hidden", 2)),
    "q2": (("public", 2), ("hidden", 2)),
    "q3": (("public", 1), ("hidden", 2)),
    "q4": (("public", 2), ("hidden", 2)),
    "q5": (("public", 1), ("hidden", 2)),
    "q6": (("mixed", 3),),
}
#: How otter's master notebook says each question's points, one of each form otter 7 reads: a list per
#: test case, a total split evenly over the cases, or each case's own test config block.
OTTER_POINTS = {"q1": "list", "q2": "total", "q3": "list", "q4": "total", "q5": "config", "q6": "total"}
HEADINGS = {"q1": "a batch of images", "q2": "global normalisation", "q3": "slicing", "q4": "centring",
            "q5": "flattening", "q6": "statistics of any tensor"}
#: The teacher's setup cell, locked: the tests build TensorFlow tensors, and a TensorFlow first imported
#: inside an nbgrader test cell writes to stderr, which nbgrader counts as a failed test.
SETUP = "# Given: the tests use numpy and TensorFlow\nimport numpy as np\nimport tensorflow as tf"
Q6_PUBLIC_ASSERT = "assert len(tensor_stats(_tf.constant([1.0, 2.0, 4.0]))) == 4"

assert {q: sum(p for _, p in SPLIT[q]) for q in QUESTIONS} == POINTS

#: One more student per question whose answer has the right shape and wrong values: the public test
#: passes and the hidden one fails, so the question earns its public test's points only. Without them
#: the class could not tell the instructor's tests, and how each tool splits a question's points over
#: them, from checks of names and shapes alone. (question -> the edit of the first correct student's cell)
VALUE_MUTANTS = {
    "q1": ("maxval=1.0, seed=42", "maxval=255.0, seed=42"),  # pixels not scaled to [0, 1]
    "q2": ("mean = tf.reduce_mean(batch)\nstd = tf.math.reduce_std(batch)",
           "mean = tf.reduce_mean(batch, axis=(1, 2), keepdims=True)\n"
           "std = tf.math.reduce_std(batch, axis=(1, 2), keepdims=True)"),  # each image on its own
    "q3": ("tf.slice(batch, [0, 0, 0], [5, 28, 28])", "tf.slice(batch, [5, 0, 0], [5, 28, 28])"),  # the last five
    "q4": ("batch - tf.reduce_mean(batch, axis=0)", "batch - tf.reduce_mean(batch)"),  # the global mean
    "q5": ("tf.reshape(image, [-1])", "tf.reshape(tf.transpose(image), [-1])"),  # column by column
    "q6": ("float(tf.sqrt(var))", "float(var)"),  # the variance, not the standard deviation
}


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


# -- the tests --------------------------------------------------------------------------------------------
def question_tests(q: str) -> list[tuple[str, str, int]]:
    """(kind, code, points) of each test of `q`, each self-contained (a hidden test repeats the public
    one's setup lines: a test cell must not lean on another having run). For "mixed", code is the public
    part and the hidden part joined by a NUL, split by each tool's writer."""
    public, hidden = TESTS[q]
    setup = "\n".join(line for line in public.splitlines() if not line.startswith("assert"))
    out = []
    for kind, points in SPLIT[q]:
        if kind == "public":
            out.append((kind, public, points))
        elif kind == "hidden":
            out.append((kind, f"{setup}\n{hidden}", points))
        else:
            out.append((kind, f"{public}\n{Q6_PUBLIC_ASSERT}\0{hidden}", points))
    return out


def _code(source: str, cell_id: str, nbgrader: dict | None = None) -> dict:
    meta: dict = {}
    if nbgrader is not None:
        meta["nbgrader"] = {"schema_version": 3, "solution": False, "grade": False, "locked": False,
                            "task": False, **nbgrader}
    return {"cell_type": "code", "execution_count": None, "id": cell_id, "metadata": meta, "outputs": [],
            "source": source}


def _text(kind: str, source: str, cell_id: str) -> dict:
    return {"cell_type": kind, "id": cell_id, "metadata": {}, "source": source}


def _notebook(cells: list[dict]) -> dict:
    return {"cells": cells, "metadata": {"kernelspec": {"display_name": "Python 3", "language": "python",
                                                        "name": "python3"},
                                         "language_info": {"name": "python"}},
            "nbformat": 4, "nbformat_minor": 5}


def teacher_cells(spec: Spec) -> tuple[str, list[str]]:
    """The instructor's solution: the first correct student's code (imports, q1..q6)."""
    return spec.cells[0], list(spec.cells[1:])


# -- nbgrader ---------------------------------------------------------------------------------------------
def nbgrader_teacher(spec: Spec) -> dict:
    """nbgrader's source notebook: a locked setup cell, the students' imports cell (theirs to edit, no
    nbgrader metadata), per question a heading, an autograded answer cell and its autograder test cells
    (points each; a hidden test wholly between `### BEGIN HIDDEN TESTS` / `### END HIDDEN TESTS`)."""
    imports, answers = teacher_cells(spec)
    cells = [_text("markdown", "# TP — tensors\n\nFill in each answer cell.", "title"),
             _code(SETUP, "setup", {"locked": True, "grade_id": "setup"}),
             _code(imports, "imports")]
    for q, code in zip(QUESTIONS, answers, strict=True):
        cells.append(_text("markdown", f"## {q.upper()} — {HEADINGS[q]}", f"h{q}"))
        cells.append(_code(f"### BEGIN SOLUTION\n{code}\n### END SOLUTION", f"answer_{q}",
                           {"solution": True, "grade_id": f"answer_{q}"}))
        for kind, test, points in question_tests(q):
            if kind == "hidden":
                source = f"### BEGIN HIDDEN TESTS\n{test}\n### END HIDDEN TESTS"
            elif kind == "mixed":
                public, hidden = test.split("\0")
                source = f"{public}\n### BEGIN HIDDEN TESTS\n{hidden}\n### END HIDDEN TESTS"
            else:
                source = test
            gid = f"test_{q}_{kind}"
            cells.append(_code(source, gid, {"grade": True, "locked": True, "points": points, "grade_id": gid}))
    return _notebook(cells)


def nbgrader_question(grade_id: str) -> str:
    """The question of one of nbgrader's graded cells (`test_q3_hidden` -> q3)."""
    return grade_id.split("_")[1]


def fill_nbgrader(released: dict, spec: Spec) -> dict:
    """A student's submission as nbgrader receives it: its released notebook (public test cells kept,
    hidden tests gone) with the student's code in the imports cell and each answer cell."""
    nb = copy.deepcopy(released)
    answers = {"imports": spec.cells[0], **{f"answer_{q}": c for q, c in zip(QUESTIONS, spec.cells[1:], strict=True)}}
    filled = set()
    for cell in nb["cells"]:
        key = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") or cell.get("id")
        if cell["cell_type"] == "code" and key in answers:
            cell["source"] = answers[key]
            filled.add(key)
    assert filled == set(answers), f"released notebook lacks {set(answers) - filled}"
    return nb


# -- otter ----------------------------------------------------------------------------------------------
OTTER_CONFIG = f"""# ASSIGNMENT CONFIG
name: {ASSIGNMENT}
init_cell: true
check_all_cell: false
export_cell: false
solutions_pdf: false
generate: true
tests:
  files: false
  ok_format: true"""


def _raw(source: str, cell_id: str) -> dict:
    return _text("raw", source, cell_id)


def otter_test_cell(q: str, n: int, kind: str, code: str, points: int) -> dict:
    """One otter test case: hidden by a first line `# HIDDEN`, or by its test config block (q5's, which
    also holds the case's points)."""
    if kind == "mixed":
        code = code.replace("\0", "\n")
    hidden = kind != "public"
    if OTTER_POINTS[q] == "config":
        config = f"hidden: {'true' if hidden else 'false'}\npoints: {points}"
        source = f'""" # BEGIN TEST CONFIG\n{config}\n""" # END TEST CONFIG\n{code}'
    else:
        source = f"# HIDDEN\n{code}" if hidden else code
    return _code(source, f"test_{q}_{n}")


def otter_teacher(spec: Spec) -> dict:
    """otter assign's master notebook (otter 7): the assignment config raw cell first, then per question
    `# BEGIN QUESTION` (name, points), a heading, the solution between `# BEGIN SOLUTION` / `# END
    SOLUTION` raw cells (its code in solution markers: students get `...`), the assert-based test cells
    between `# BEGIN TESTS` / `# END TESTS`, and `# END QUESTION`."""
    imports, answers = teacher_cells(spec)
    cells = [_raw(OTTER_CONFIG, "config"),
             _text("markdown", "# TP — tensors\n\nFill in each answer cell.", "title"),
             _code(SETUP, "setup"), _code(imports, "imports")]
    for q, code in zip(QUESTIONS, answers, strict=True):
        tests = question_tests(q)
        if OTTER_POINTS[q] == "list":
            points = f"points: [{', '.join(str(p) for _, _, p in tests)}]"
        elif OTTER_POINTS[q] == "total":
            assert len({p for _, _, p in tests}) == 1, f"{q}: an even split needs equal points"
            points = f"points: {POINTS[q]}"
        else:
            points = ""  # each case's config holds its points
        cells.append(_raw(f"# BEGIN QUESTION\nname: {q}" + (f"\n{points}" if points else ""), f"begin_{q}"))
        cells.append(_text("markdown", f"## {q.upper()} — {HEADINGS[q]}", f"h{q}"))
        cells.append(_raw("# BEGIN SOLUTION", f"sol_{q}"))
        cells.append(_code(f"# BEGIN SOLUTION\n{code}\n# END SOLUTION", f"answer_{q}"))
        cells.append(_raw("# END SOLUTION", f"endsol_{q}"))
        cells.append(_raw("# BEGIN TESTS", f"tests_{q}"))
        cells += [otter_test_cell(q, n, kind, test, p) for n, (kind, test, p) in enumerate(tests)]
        cells.append(_raw("# END TESTS", f"endtests_{q}"))
        cells.append(_raw("# END QUESTION", f"end_{q}"))
    return _notebook(cells)


def fill_otter(student: dict, spec: Spec) -> dict:
    """A student's submission as otter receives it: otter's student notebook (its init and check cells
    kept) with the student's code in the imports cell and in each answer cell (otter tags them
    `otter_answer_cell`, in question order)."""
    nb = copy.deepcopy(student)
    answers = [c for c in nb["cells"] if "otter_answer_cell" in c.get("metadata", {}).get("tags", [])]
    assert len(answers) == len(QUESTIONS), f"otter's student notebook has {len(answers)} answer cells"
    for cell, code in zip(answers, spec.cells[1:], strict=True):
        cell["source"] = code
    imports = [c for c in nb["cells"] if c.get("id") == "imports"]  # otter keeps the master's cell ids
    assert len(imports) == 1, "otter's student notebook: the imports cell not found once"
    imports[0]["source"] = spec.cells[0]
    return nb


# -- the class in each tool's format ----------------------------------------------------------------------
def migration_class() -> list[Spec]:
    """bench/speed_class.py's 20 students, then one value mutant per question (VALUE_MUTANTS), which
    earns that question's public test points only (q6's single mixed test: nothing)."""
    specs = tenseurs_class()
    base = specs[0]
    for n, (q, (old, new)) in enumerate(VALUE_MUTANTS.items()):
        cells = list(base.cells)
        i = 1 + QUESTIONS.index(q)
        assert cells[i].count(old) == 1, f"{q}: {old!r} not in the first student's cell"
        cells[i] = cells[i].replace(old, new)
        public = float(sum(p for kind, p in SPLIT[q] if kind == "public"))
        expected = {k: (public if k == q else float(p)) for k, p in POINTS.items()}
        specs.append(Spec(f"s{21 + n}_values_{q}", tuple(cells), "values", (q,), expected))
    return specs


def teacher(tool: str, specs: list[Spec] | None = None) -> dict:
    """The instructor's notebook of `tool` (the one `grader assign` reads), from the class's first student."""
    spec = (specs or migration_class())[0]
    return nbgrader_teacher(spec) if tool == "nbgrader" else otter_teacher(spec)


def class_digest(tool: str, specs: list[Spec]) -> str:
    """The fingerprint of what was measured, the teacher notebook and every student's code: the recorded
    scores hold for these alone."""
    what = {"teacher": teacher(tool, specs), "students": {s.name: list(s.cells) for s in specs}}
    return hashlib.sha256(json.dumps(what, sort_keys=True).encode()).hexdigest()[:16]


def template_path(tool: str) -> Path:
    return TEMPLATES / f"{tool}_student.ipynb"


def submissions(tool: str, specs: list[Spec], folder: Path, template: dict | None = None) -> Path:
    """Each student's filled-in notebook in `tool`'s student format, `folder/<student>.ipynb`."""
    template = template or json.loads(template_path(tool).read_text(encoding="utf-8"))
    fill = fill_nbgrader if tool == "nbgrader" else fill_otter
    folder.mkdir(parents=True, exist_ok=True)
    for spec in specs:
        (folder / f"{spec.name}.ipynb").write_text(json.dumps(fill(template, spec), indent=1), encoding="utf-8")
    return folder


def write_teacher(tool: str, folder: Path, specs: list[Spec] | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{ASSIGNMENT}.ipynb"
    path.write_text(json.dumps(teacher(tool, specs), indent=1), encoding="utf-8")
    return path


# -- the real tools -----------------------------------------------------------------------------------------
def _env(bin_dir: Path) -> dict:
    return {**os.environ, **QUIET_TF, "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"}


def _version(bin_dir: Path, tool: str) -> str:
    """`nbgrader 0.9.6`, `otter 7.0.0`: the installed distribution's version."""
    dist = {"nbgrader": "nbgrader", "otter": "otter-grader"}[tool]
    out = subprocess.run([str(bin_dir / "python"), "-c", f"import importlib.metadata as m; print(m.version({dist!r}))"],
                         capture_output=True, text=True, check=True)
    return f"{tool} {out.stdout.strip()}"


NBGRADER_SCORES = """\
import json, sys
from nbgrader.api import Gradebook
out = {}
with Gradebook("sqlite:///gradebook.db") as gb:
    for student in gb.students:
        try:
            nb = gb.find_submission_notebook(sys.argv[1], sys.argv[1], student.id)
        except Exception:
            continue
        out[student.id] = {g.name: g.score for g in nb.grades}
print(json.dumps(out))
"""


def real_nbgrader(specs: list[Spec], root: Path, bin_dir: Path) -> dict:
    """nbgrader 0.9: generate_assignment of the source notebook, the students' filled-in released
    notebooks in submitted/, one autograde of the class, scores per test cell from its gradebook."""
    course = root / "nbgrader"
    source = course / "source" / ASSIGNMENT
    source.mkdir(parents=True)
    (course / "nbgrader_config.py").write_text(
        f"c = get_config()\nc.CourseDirectory.root = {str(course)!r}\nc.CourseDirectory.course_id = 'bench'\n")
    write_teacher("nbgrader", source, specs)
    env, nbg = _env(bin_dir), str(bin_dir / "nbgrader")
    generate = [nbg, "generate_assignment", ASSIGNMENT, "--force"]
    subprocess.run(generate, cwd=course, env=env, check=True, capture_output=True)
    released = json.loads((course / "release" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").read_text())
    for spec in specs:
        target = course / "submitted" / spec.name / ASSIGNMENT
        target.mkdir(parents=True)
        (target / f"{ASSIGNMENT}.ipynb").write_text(json.dumps(fill_nbgrader(released, spec)))
    autograde = [nbg, "autograde", ASSIGNMENT, "--force", f"--Execute.timeout={CELL_LIMIT}"]
    t0 = time.monotonic()
    proc = subprocess.run(autograde, cwd=course, env=env, capture_output=True, text=True)
    seconds = time.monotonic() - t0
    (root / "nbgrader-autograde.log").write_text(proc.stderr)
    if proc.returncode != 0:
        log(f"nbgrader autograde exited {proc.returncode}: {proc.stderr[-2000:]}")
    export = [nbg, "export", "--to", "grades.csv"]
    subprocess.run(export, cwd=course, env=env, capture_output=True, check=True)
    with open(course / "grades.csv", newline="") as f:
        totals = {r["student_id"]: float(r["raw_score"]) for r in csv.DictReader(f)}
    cells = json.loads(subprocess.run([str(bin_dir / "python"), "-c", NBGRADER_SCORES, ASSIGNMENT], cwd=course,
                                      env=env, capture_output=True, text=True, check=True).stdout)
    students = {}
    for spec in specs:
        per_q: dict[str, float] = {}
        for gid, score in sorted(cells.get(spec.name, {}).items()):
            per_q[nbgrader_question(gid)] = per_q.get(nbgrader_question(gid), 0.0) + float(score or 0)
        students[spec.name] = {"total": totals.get(spec.name), "questions": per_q,
                               "tests": {k: float(v or 0) for k, v in sorted(cells.get(spec.name, {}).items())}}
    return {"version": _version(bin_dir, "nbgrader"), "released": released, "seconds": round(seconds, 1),
            "commands": [" ".join(["nbgrader", *c[1:]]) for c in (generate, autograde, export)],
            "students": students}


def _run_killable(cmd: list[str], cwd: Path, env: dict, timeout: float, log_to: Path) -> tuple[int | None, float]:
    """Run in its own session; past `timeout` kill the whole group (otter's kernel included, which would
    otherwise spin on in the loop forever)."""
    t0 = time.monotonic()
    proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            start_new_session=True)
    try:
        out, _ = proc.communicate(timeout=timeout)
        log_to.write_bytes(out or b"")
        return proc.returncode, time.monotonic() - t0
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        return None, time.monotonic() - t0


def real_otter(specs: list[Spec], root: Path, bin_dir: Path) -> dict:
    """otter-grader 7: `otter assign` of the master notebook (student notebook, autograder zip; it runs
    the tests on the solution first), then `otter run -a ZIP` of each student's filled-in student
    notebook, killed at OTTER_KILL s (otter has no cell limit)."""
    folder = root / "otter"
    master = write_teacher("otter", folder, specs)
    env, otter = _env(bin_dir), str(bin_dir / "otter")
    assign = [otter, "assign", master.name, "dist", "--no-pdfs"]
    proc = subprocess.run(assign, cwd=folder, env=env, capture_output=True, text=True)
    (root / "otter-assign.log").write_text(proc.stdout + proc.stderr)
    if proc.returncode != 0:
        raise RuntimeError(f"otter assign failed: {(proc.stdout + proc.stderr)[-3000:]}")
    student = json.loads((folder / "dist" / "student" / master.name).read_text())
    zips = sorted((folder / "dist" / "autograder").glob("*.zip"))
    assert len(zips) == 1, zips
    students, t0 = {}, time.monotonic()
    for spec in specs:
        sub = folder / "subs" / spec.name
        sub.mkdir(parents=True)
        (sub / master.name).write_text(json.dumps(fill_otter(student, spec)))
        out = folder / "out" / spec.name
        out.mkdir(parents=True)
        run = [otter, "run", "-a", str(zips[0]), "-o", str(out), "--no-logo", str(sub / master.name)]
        rc, seconds = _run_killable(run, sub, env, OTTER_KILL, folder / "out" / f"{spec.name}.log")
        results = out / "results.json"
        entry: dict = {"total": None, "questions": {}, "seconds": round(seconds, 1)}
        if rc is None:
            entry["killed"] = f"still running after {OTTER_KILL} s"
        if results.exists():
            data = json.loads(results.read_text())
            tests = [t for t in data.get("tests", []) if "max_score" in t]  # not the "Public Tests" summary
            entry["questions"] = {t["name"]: float(t["score"]) for t in tests}
            entry["total"] = float(sum(t["score"] for t in tests))
        students[spec.name] = entry
        log(f"otter {spec.name}: {entry['total']} ({seconds:.0f} s)")
    cmd_run = f"otter run -a dist/autograder/{ASSIGNMENT}-autograder_<timestamp>.zip -o OUT --no-logo SUBMISSION.ipynb"
    return {"version": _version(bin_dir, "otter"), "student_notebook": student,
            "seconds": round(time.monotonic() - t0, 1),
            "commands": [" ".join(["otter", *assign[1:]]), f"{cmd_run} (killed at {OTTER_KILL} s)"],
            "students": students}


def record(tools: list[str], specs: list[Spec], root: Path) -> dict:
    """Run the real tools, rewrite the templates and bench/migration_expected.json (the tools not run
    keep what was recorded)."""
    sys.path.insert(0, str(HERE))
    from grading_speed import side_env

    bin_dir = side_env()
    doc = json.loads(EXPECTED.read_text()) if EXPECTED.exists() else {"tools": {}}
    TEMPLATES.mkdir(exist_ok=True)
    for tool in tools:
        log(f"running {tool} on {len(specs)} students ...")
        got = real_nbgrader(specs, root, bin_dir) if tool == "nbgrader" else real_otter(specs, root, bin_dir)
        template = got.pop("released" if tool == "nbgrader" else "student_notebook")
        template_path(tool).write_text(json.dumps(template, indent=1, sort_keys=True) + "\n", encoding="utf-8")
        doc["tools"][tool] = {
            **got, "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
            "class_sha256": class_digest(tool, specs),
            "environment": {k: v for k, v in QUIET_TF.items()},
            "cell_limit": CELL_LIMIT if tool == "nbgrader" else None,
            "construction": {s.name: s.total for s in specs},
        }
    doc["note"] = ("Scores given by the real tools (ground truth for bench/migration.py and "
                   "tests/authoring/test_migration_fidelity.py); 'construction' is what the class was built to "
                   "score. Re-record: python bench/migration.py --real")
    EXPECTED.write_text(json.dumps(doc, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return doc


# -- this grader ---------------------------------------------------------------------------------------------
def grader_cmd(*args: str) -> list[str]:
    return [sys.executable, "-m", "grader", *args]


def assign_course(tool: str, course: Path, specs: list[Spec] | None = None, cell_limit: int = CELL_LIMIT) -> Path:
    """`grader assign` of the tool's teacher notebook into `course`; the TP's per-cell limit then set to
    `cell_limit` in its TOML (what an instructor edits), so the loop costs that and not the default."""
    teacher_nb = write_teacher(tool, course / "teacher", specs)
    proc = subprocess.run(grader_cmd("assign", str(teacher_nb), "--id", ASSIGNMENT, "--course", str(course)),
                          capture_output=True, text=True, env={**os.environ, "GRADER_LANG": "en"})
    if proc.returncode != 0:
        raise RuntimeError(f"grader assign ({tool}) exited {proc.returncode}: {proc.stdout[-2000:]}{proc.stderr[-2000:]}")
    toml = course / "assignments" / ASSIGNMENT / "assignment.toml"
    text = toml.read_text(encoding="utf-8")
    text, n = re.subn(r"(?m)^cell_timeout\s*=\s*[0-9.]+", f"cell_timeout = {cell_limit}", text)
    assert n == 1, f"{toml}: no cell_timeout to set"
    toml.write_text(text, encoding="utf-8")
    return course


def run_ours(course: Path, subs: Path, out: Path, workers: int | None = None) -> dict[str, dict]:
    """`grader run --course COURSE -a tp SUBS --out OUT`; each student's total and question scores from
    OUT/results.json."""
    cmd = grader_cmd("run", "--course", str(course), "-a", ASSIGNMENT, str(subs), "--out", str(out), "--force")
    if workers:
        cmd += ["--workers", str(workers)]
    proc = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, "GRADER_LANG": "en"})
    (out / "console.log").parent.mkdir(parents=True, exist_ok=True)
    (out / "console.log").write_text(proc.stdout + proc.stderr, encoding="utf-8")
    if proc.returncode != 0:
        raise RuntimeError(f"grader run exited {proc.returncode}: {proc.stdout[-2000:]}{proc.stderr[-2000:]}")
    return read_results(out / "results.json")


def read_results(path: Path) -> dict[str, dict]:
    data = json.loads(path.read_text(encoding="utf-8"))
    out = {}
    for sub in data["submissions"]:  # questions: {id: {"score", "max_score", "checks", ...}}, notebook order
        out[sub["student"]] = {"total": float(sub["score"]), "status": sub.get("status"),
                               "questions": {qid: float(q["score"]) for qid, q in sub.get("questions", {}).items()}}
    return out


def same_questions(expected: dict, ours: dict[str, dict]) -> int:
    """Students whose every question's score is the tool's (our question ids are the teacher notebook's:
    `answer_q1` for nbgrader, `q1` for otter; both in notebook order)."""
    n = 0
    for name, want in expected["students"].items():
        mine = list(ours.get(name, {}).get("questions", {}).values())
        theirs = [want["questions"].get(q) for q in QUESTIONS]
        n += len(mine) == len(theirs) and all(t is not None and abs(m - t) < 1e-6 for m, t in zip(mine, theirs, strict=False))
    return n


def compare(expected: dict, ours: dict[str, dict]) -> tuple[int, list[str]]:
    """Students whose total is the tool's, and one line per other student."""
    same, diffs = 0, []
    tool = expected["version"].split()[0]
    for name, want in sorted(expected["students"].items()):
        got = ours.get(name, {}).get("total")
        if want["total"] is not None and got is not None and abs(got - want["total"]) < 1e-6:
            same += 1
        elif want["total"] is None:
            diffs.append(f"{name}: {tool} no score ({want.get('killed', 'no results.json')}), ours {got:g}"
                         if got is not None else f"{name}: neither gives a score")
        else:
            diffs.append(f"{name}: {tool} {want['total']:g}, ours {got}")
    return same, diffs


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--real", action="store_true", help="run nbgrader and otter first and record their scores")
    p.add_argument("--only", default=",".join(TOOLS), help="comma list of nbgrader,otter")
    p.add_argument("--keep", type=Path, help="work here and keep the files (default: a temporary folder)")
    p.add_argument("--workers", type=int, default=2)
    args = p.parse_args()
    tools = [t for t in TOOLS if t in {s.strip() for s in args.only.split(",")}]
    root = args.keep or Path(tempfile.mkdtemp(prefix="bench-migration-"))
    root.mkdir(parents=True, exist_ok=True)
    specs = migration_class()
    if args.real:
        record(tools, specs, root / "real")
    doc = json.loads(EXPECTED.read_text())
    lines = [f"{'tool':28} {'totals identical':>16} {'per question':>12}  differences"]
    for tool in tools:
        want = doc["tools"][tool]
        if want["class_sha256"] != class_digest(tool, specs):
            log(f"{tool}: the class or the teacher notebook changed since the scores were recorded: "
                "re-run with --real")
        course = assign_course(tool, root / f"course-{tool}", specs)
        subs = submissions(tool, specs, root / f"subs-{tool}")
        log(f"grader run on {tool}'s student notebooks ...")
        t0 = time.monotonic()
        ours = run_ours(course, subs, root / f"out-{tool}", args.workers)
        seconds = time.monotonic() - t0
        same, diffs = compare(want, ours)
        per_q = same_questions(want, ours)
        lines.append(f"{want['version'] + ' vs tp-grader':28} {f'{same}/{len(specs)}':>16} "
                     f"{f'{per_q}/{len(specs)}':>12}  " + ("; ".join(diffs) if diffs else "none")
                     + f"   (grader run {seconds:.0f} s)")
        (root / f"ours-{tool}.json").write_text(json.dumps(ours, indent=1))
    print("\n".join(lines))
    print(f"\nfiles in {root}")
    if not args.keep:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
