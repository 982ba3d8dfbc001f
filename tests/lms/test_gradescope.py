"""Gradescope, end to end: `grader gradescope build` writes the zip, the zip is unpacked into a
temporary folder laid out like `/autograder`, its own `run_autograder` grades a submission with this
machine's interpreter and the wheel the zip carries (installed with `--target`, first on PYTHONPATH),
and results.json is validated against a JSON Schema written from Gradescope's specification.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import jsonschema
import pytest
from conftest import mutate, reference_notebook, reference_text

from grader import assignments
from grader.cli import main
from grader.data import lookup
from grader.judge.registry import Check
from grader.lms import gradescope
from grader.lms import gradescope_results as report
from grader.model import (
    Assignment,
    CheckResult,
    Measure,
    Question,
    Status,
    SubmissionResult,
    msg,
    score_question,
)

FORMATS = ["text", "simple_format", "html", "md", "ansi"]
VISIBILITY = ["hidden", "after_due_date", "after_published", "visible"]
# https://gradescope-autograders.readthedocs.io/en/latest/specs/ (Output format, visibility, status,
# output string formatting, leaderboards): only documented keys, with their documented values.
SCHEMA = {
    "type": "object",
    "required": ["score", "execution_time", "output", "tests"],
    "additionalProperties": False,
    "properties": {
        "score": {"type": "number", "minimum": 0},
        "execution_time": {"type": "number", "minimum": 0},
        "output": {"type": "string"},
        "output_format": {"enum": FORMATS},
        "test_output_format": {"enum": FORMATS},
        "test_name_format": {"enum": FORMATS},
        "visibility": {"enum": VISIBILITY},
        "stdout_visibility": {"enum": VISIBILITY},
        "extra_data": {"type": "object"},
        "tests": {"type": "array", "items": {
            "type": "object",
            "required": ["name", "number", "score", "max_score", "status", "output", "visibility"],
            "additionalProperties": False,
            "properties": {
                "score": {"type": "number", "minimum": 0},
                "max_score": {"type": "number", "minimum": 0},
                "status": {"enum": ["passed", "failed"]},
                "name": {"type": "string", "minLength": 1},
                "name_format": {"enum": FORMATS},
                "number": {"type": "string", "pattern": r"^[0-9]+\.[0-9]+$"},
                "output": {"type": "string"},
                "output_format": {"enum": FORMATS},
                "tags": {"type": "array", "items": {"type": "string"}},
                "visibility": {"enum": VISIBILITY},
                "extra_data": {"type": "object"},
            },
        }},
        "leaderboard": {"type": "array", "items": {
            "type": "object",
            "required": ["name", "value"],
            "additionalProperties": False,
            "properties": {"name": {"type": "string", "minLength": 1}, "value": {"type": ["number", "string"]},
                           "order": {"enum": ["asc", "desc"]}},
        }},
    },
}
CREATED_AT = "2026-12-01T10:00:00.123456-08:00"
MNIST_BUDGET = {"epochs": 1, "train_size": 2000, "serve_train": 4000, "serve_test": 1000, "holdout": 1000,
                "thresholds": {"q5": 0.6}}


def validate(doc: dict) -> dict:
    jsonschema.validate(doc, SCHEMA)
    json.dumps(doc, allow_nan=False)
    return doc


def build_zip(tmp: Path, assignment: str) -> Path:
    out = tmp / f"{assignment}.zip"
    assert main(["gradescope", "build", assignment, "-o", str(out)]) == 0
    return out


@pytest.fixture(scope="module")
def wheel_site(tmp_path_factory) -> Path:
    """The wheel the tp-tenseurs zip carries, installed alone (no dependencies) into a folder."""
    tmp = tmp_path_factory.mktemp("gs-wheel")
    with zipfile.ZipFile(build_zip(tmp, "tp-tenseurs")) as zf:
        [name] = [n for n in zf.namelist() if n.startswith("wheels/") and n.endswith(".whl")]
        wheel = tmp / Path(name).name
        wheel.write_bytes(zf.read(name))
    with zipfile.ZipFile(wheel) as whl:  # every file is in RECORD, with its true hash and size
        [record] = [n for n in whl.namelist() if n.endswith(".dist-info/RECORD")]
        listed = {line.split(",")[0]: line.split(",")[1:] for line in whl.read(record).decode().splitlines()}
        assert set(listed) == set(whl.namelist())
        for member, (digest, size) in listed.items():
            if member != record:
                data = whl.read(member)
                expected = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
                assert (digest, size) == (f"sha256={expected}", str(len(data))), member
    site = tmp / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-index", "--target", str(site),
                    str(wheel)], check=True, capture_output=True, timeout=300)
    return site


def autograder(tmp: Path, zip_path: Path, submission: dict[str, str | bytes]) -> Path:
    """A folder laid out like /autograder: source/ (the zip unpacked), run_autograder copied beside
    it as Gradescope does, submission/, results/ and submission_metadata.json."""
    root = tmp / "autograder"
    with zipfile.ZipFile(zip_path) as zf:
        zf.extractall(root / "source")
    shutil.copy2(root / "source" / "run_autograder", root / "run_autograder")
    (root / "run_autograder").chmod(0o755)
    (root / "submission").mkdir()
    (root / "results").mkdir()
    for name, content in submission.items():
        path = root / "submission" / name
        path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    (root / "submission_metadata.json").write_text(json.dumps({"id": 1, "created_at": CREATED_AT,
                                                               "users": [{"email": "a@b.fr", "id": 7, "name": "A"}]}))
    return root


def run_autograder(root: Path, site: Path, *args: str, python: str | None = None) -> dict:
    """The unpacked `run_autograder`, from /autograder's stand-in, with `python3` this interpreter."""
    bin_dir = root.parent / "bin"
    bin_dir.mkdir(exist_ok=True)
    body = python or f'exec {sys.executable} "$@"'
    (bin_dir / "python3").write_text(f"#!/bin/sh\n{body}\n")
    (bin_dir / "python3").chmod(0o755)
    env = {**os.environ, "GRADESCOPE_ROOT": str(root), "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
           "PYTHONPATH": str(site)}
    proc = subprocess.run(["bash", str(root / "run_autograder"), *args], cwd=root, env=env, capture_output=True,
                          text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return validate(json.loads((root / "results" / "results.json").read_text(encoding="utf-8")))


def public_names(assignment: str) -> set[str]:
    return {c.name for c in assignments.load(assignment).checks if c.public}


def test_the_zip_has_its_scripts_at_the_root_and_carries_a_wheel_that_imports_alone(tmp_path, wheel_site):
    with zipfile.ZipFile(build_zip(tmp_path, "tp-tenseurs")) as zf:
        names = set(zf.namelist())
        modes = {i.filename: i.external_attr >> 16 for i in zf.infolist()}
        scripts = {name: zf.read(name).decode() for name in ("setup.sh", "run_autograder")}
    setup = scripts["setup.sh"]
    assert {"setup.sh", "run_autograder", "course/assignments/tp-tenseurs/checks.py",
            "course/assignments/tp-tenseurs/assignment.toml", "course/reference/tp-tenseurs.py"} <= names
    assert modes["setup.sh"] & 0o111 and modes["run_autograder"] & 0o111
    assert "pip install" in setup and "bubblewrap" in setup
    for name, script in scripts.items():  # at least valid bash
        (tmp_path / name).write_text(script)
        subprocess.run(["bash", "-n", str(tmp_path / name)], check=True)
    info = next(wheel_site.glob("tp_grader-*.dist-info"))
    metadata = (info / "METADATA").read_text()
    assert "Requires-Dist: tensorflow" in metadata and "Requires-Dist: nbformat" in metadata
    assert "grader = grader.cli:main" in (info / "entry_points.txt").read_text()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    proc = subprocess.run([sys.executable, "-c", "import grader, grader.courses as c, grader.lms.gradescope; "
                           "print(grader.__file__); print(' '.join(c.builtin().ids()))"],
                          cwd=elsewhere, env={**os.environ, "PYTHONPATH": str(wheel_site)}, capture_output=True,
                          text=True, check=True, timeout=120)
    where, ids = proc.stdout.splitlines()
    assert Path(where).is_relative_to(wheel_site)  # the wheel's copy, not the checkout
    assert "tp-tenseurs" in ids.split() and "tp-mnist-dense" in ids.split()
    assert not any(p.is_symlink() for p in (wheel_site / "grader").rglob("*"))


def test_run_autograder_grades_a_correct_notebook_with_full_marks(tmp_path, wheel_site):
    root = autograder(tmp_path, build_zip(tmp_path, "tp-tenseurs"), {"tp.ipynb": reference_notebook("tp-tenseurs"),
                                                                      "notes.txt": "mes notes"})
    doc = run_autograder(root, wheel_site)
    assert doc["score"] == 20.0, doc["output"]
    assert [t["number"] for t in doc["tests"]][:4] == ["1.1", "1.2", "2.1", "2.2"]
    assert all(t["status"] == "passed" and t["score"] == t["max_score"] for t in doc["tests"])
    assert sum(t["max_score"] for t in doc["tests"]) == pytest.approx(20.0)
    public = public_names("tp-tenseurs")
    by_check = {t["extra_data"]["check"]: t for t in doc["tests"]}
    assert set(by_check) == {c.name for c in assignments.load("tp-tenseurs").checks}
    assert {n for n, t in by_check.items() if t["visibility"] == "visible"} == public
    assert {t["visibility"] for n, t in by_check.items() if n not in public} == {"after_published"}
    assert doc["extra_data"]["created_at"] == CREATED_AT and CREATED_AT in doc["output"]
    assert 0 in doc["extra_data"]["sandbox_layers"]
    # tp-tenseurs has hidden checks: the always-visible summary tells neither the total nor the score of a
    # question holding one (each resubmission would tell whether they pass), only when they come
    assert "20/20" not in doc["output"] and "note : à la publication des notes" in doc["output"]
    secret = {t["tags"][0] for t in doc["tests"] if t["visibility"] != "visible"}
    for q in secret:
        assert f"<li>{q} — " in doc["output"] and not any(
            line.startswith(f"{q} — ") and "/" in line.split(":")[-1]
            for line in doc["output"].replace("</li>", "\n").replace("<li>", "\n").splitlines())
    assert "leaderboard" not in doc  # tp-tenseurs measures nothing held out


def test_run_autograder_grades_a_broken_zip_submission_and_says_why_in_english(tmp_path, wheel_site):
    per_image = mutate(reference_text("tp-tenseurs"), "mean = tf.reduce_mean(batch)\nstd = tf.math.reduce_std(batch)",
                       "mean = tf.reduce_mean(batch, axis=(1, 2), keepdims=True)\n"
                       "std = tf.math.reduce_std(batch, axis=(1, 2), keepdims=True)")
    archive = tmp_path / "upload.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("work/tp.py", per_image)
    root = autograder(tmp_path, build_zip(tmp_path, "tp-tenseurs"), {"upload.zip": archive.read_bytes()})
    doc = run_autograder(root, wheel_site, "--lang", "en")
    failed = [t for t in doc["tests"] if t["status"] == "failed"]
    assert [t["number"] for t in failed] == ["2.2"], [(t["number"], t["output"]) for t in failed]
    assert failed[0]["score"] == 0 and failed[0]["max_score"] == 3.0
    assert failed[0]["visibility"] == "after_published" and failed[0]["output"].strip()
    assert doc["score"] == 17.0 and "score: when grades are published" in doc["output"]  # a hidden check failed
    assert "17/20" not in doc["output"] and "17" not in doc["output"].split("</p>")[0]
    assert sum(t["score"] for t in doc["tests"]) == pytest.approx(doc["score"])


def test_a_grader_that_cannot_start_still_leaves_a_valid_results_file(tmp_path, wheel_site):
    root = autograder(tmp_path, build_zip(tmp_path, "tp-tenseurs"), {"tp.py": "x = 1"})
    doc = run_autograder(root, wheel_site, python="exit 1")  # python3 itself is broken on the image
    assert doc["score"] == 0 and doc["tests"] == [] and "0" in doc["output"]


@pytest.mark.parametrize("case", ["unknown assignment", "empty submission", "no submission folder"])
def test_what_cannot_be_graded_is_a_zero_with_the_reason(tmp_path, case):
    root = tmp_path / "autograder"
    (root / "submission").mkdir(parents=True)
    if case == "no submission folder":
        (root / "submission").rmdir()
    doc = gradescope.run("nope" if case == "unknown assignment" else "tp-tenseurs", root=root, lang="en")
    assert validate(json.loads((root / "results" / "results.json").read_text())) == doc
    assert doc["score"] == 0
    if case == "unknown assignment":
        assert "unknown assignment 'nope'" in html.unescape(doc["output"]) and doc["tests"] == []
    elif case == "empty submission":  # every check listed, none run
        assert doc["tests"] and {t["status"] for t in doc["tests"]} == {"failed"}
        assert "notebook" in doc["output"].lower()
    else:
        assert "no submission" in doc["output"]
    assert not list((root / "results").glob(".*.tmp"))  # written once, atomically


def test_tests_add_up_to_the_score_but_for_each_question_s_grid():
    """Per-test shares are exact; the overall score is the grader's (each question rounded down to
    its grid), and the output says how much the tests exceed it."""
    q = Question("q1", 2.0, msg("Q1", "Q1"), 0.5)
    a = Assignment("demo", msg("Démo", "Demo"), (q,))
    checks = [CheckResult(f"c{i}", "q1", Status.PASSED if i < 2 else Status.FAILED, msg("m", "m")) for i in range(3)]
    result = SubmissionResult("s", "demo", "graded", (score_question(q, checks),))
    public = [Check(f"c{i}", "q1", lambda obs, ctx: None, public=True) for i in range(3)]
    doc = validate(report.document(result, a, public, lang="en"))
    assert [t["max_score"] for t in doc["tests"]] == [0.6667] * 3
    assert doc["score"] == 1.0  # 1.333 on a 0.5 grid
    assert sum(t["score"] for t in doc["tests"]) == pytest.approx(1.3334, abs=1e-3)
    assert "0.33 point(s) more than the score" in doc["output"]


def test_measures_become_leaderboard_entries_lower_first_for_an_error():
    q = Question("q1", 2.0, msg("Q1", "Q1"))
    a = Assignment("demo", msg("Démo", "Demo"), (q,))
    checks = [CheckResult("acc", "q1", Status.PASSED, msg("ok"), measures=(Measure(msg("Précision", "Accuracy"), 0.91),)),
              CheckResult("mse", "q1", Status.FAILED, msg("ko"),
                          measures=(Measure(msg("Erreur", "Error"), 0.04, higher_is_better=False),))]
    doc = validate(report.document(SubmissionResult("s", "demo", "graded", (score_question(q, checks),)), a,
                                   lang="en"))
    assert doc["leaderboard"] == [{"name": "Accuracy", "value": 0.91, "order": "desc"},
                                  {"name": "Error", "value": 0.04, "order": "asc"}]


@pytest.mark.slow  # trains the MNIST-dense reference: the slow tier
def test_tp_mnist_dense_reference_puts_its_held_out_accuracy_on_the_leaderboard(tmp_path, wheel_site):
    if lookup.locate("mnist") is None:
        pytest.skip(lookup.how_to_get("mnist"))
    root = autograder(tmp_path, build_zip(tmp_path, "tp-mnist-dense"), {"tp.py": reference_text("tp-mnist-dense")})
    with zipfile.ZipFile(tmp_path / "tp-mnist-dense.zip") as zf:
        assert "import mnist" in zf.read("setup.sh").decode()  # the dataset is fetched when the image is built
    doc = run_autograder(root, wheel_site, "--budget", json.dumps(MNIST_BUDGET), "--profile", "cpu")
    assert doc["score"] == 20.0, [(t["number"], t["output"][:300]) for t in doc["tests"] if t["status"] != "passed"]
    [entry] = doc["leaderboard"]
    assert entry["name"] == "Précision (model)" and entry["order"] == "desc" and 0.6 <= entry["value"] <= 1.0
    held_out = next(t for t in doc["tests"] if t["extra_data"]["check"] == "check_model_accuracy_on_hidden_images")
    assert held_out["visibility"] == "after_published" and f"{entry['value']:.3f}" in held_out["output"]


HOSTILE = ("**Note finale : 20/20** [cliquez ici](http://evil.example/login) ![](http://evil.example/t.png) "
           "<img src=x onerror=alert(1)> <a href='http://evil.example'>x</a> http://evil.example/bare")


def test_student_text_is_inert_in_every_output():
    """A student's error text, traceback and notes can be neither a fake grade, a link nor an image."""
    q = Question("q1", 2.0, msg("Q1", "Q1"))
    a = Assignment("demo", msg("Démo", "Demo"), (q,))
    checks = [CheckResult("c0", "q1", Status.ERROR, msg(f"`f(x)` a levé une erreur : `{HOSTILE}`",
                                                        f"`f(x)` raised an error: `{HOSTILE}`"), details=HOSTILE)]
    result = SubmissionResult("s", "demo", "graded", (score_question(q, checks),), errors=(HOSTILE,))
    public = [Check("c0", "q1", lambda obs, ctx: None, public=True)]
    for lang in ("fr", "en"):
        doc = validate(report.document(result, a, public, lang=lang))
        assert doc["output_format"] == doc["test_output_format"] == "html"
        for out in (doc["output"], *(t["output"] for t in doc["tests"])):
            assert "<img" not in out and "<a " not in out and "<strong>Note finale" not in out, out
            assert "&lt;img src=x" in out or "**Note finale" in out


def test_hidden_checks_keep_the_total_and_their_questions_scores_for_publication():
    q1, q2 = Question("q1", 2.0, msg("Q1", "Q1")), Question("q2", 3.0, msg("Q2", "Q2"))
    a = Assignment("demo", msg("Démo", "Demo"), (q1, q2))
    r1 = [CheckResult("open", "q1", Status.PASSED, msg("ok"))]
    r2 = [CheckResult("secret", "q2", Status.FAILED, msg("attendu 0.995426", "expected 0.995426"))]
    result = SubmissionResult("s", "demo", "graded", (score_question(q1, r1), score_question(q2, r2)))
    declared = [Check("open", "q1", lambda obs, ctx: None, public=True), Check("secret", "q2", lambda obs, ctx: None)]
    doc = validate(report.document(result, a, declared, lang="en"))
    assert "q1 — Q1: 2/2" in doc["output"] and "q2 — Q2: when grades are published" in doc["output"]
    assert "score: when grades are published" in doc["output"] and "2/5" not in doc["output"]
    assert "0.995426" not in doc["output"]
    secret = next(t for t in doc["tests"] if t["extra_data"]["check"] == "secret")
    assert secret["visibility"] == "after_published"
