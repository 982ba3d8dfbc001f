"""PrairieLearn's external grader: `grader prairielearn ID` against a folder laid out like `/grade`,
results.json validated against a JSON Schema written from PrairieLearn's external-grading docs,
under 1 MB with the judge's pictures as data URLs (dropped first, biggest first, when too big)."""

from __future__ import annotations

import base64
import json
import shlex
import zipfile
from pathlib import Path

import jsonschema
import numpy as np
import pytest
from conftest import REPO, reference_notebook, reference_text

from grader.cli import build_parser, main
from grader.judge import pictures
from grader.judge.registry import Check
from grader.lms import prairielearn_results as report
from grader.lms.prairielearn import submitted_files
from grader.model import (
    Assignment,
    CheckResult,
    Question,
    Status,
    SubmissionResult,
    msg,
    score_question,
)

IMAGE = {"type": "object", "required": ["url"], "additionalProperties": False,
         "properties": {"label": {"type": "string"},
                        "url": {"type": "string", "pattern": r"^data:image/(png|jpeg|gif);base64,[A-Za-z0-9+/]+=*$"}}}
# https://prairielearn.readthedocs.io/en/latest/externalGrading/ (Grading results): `score` in [0, 1]
# unless `gradable` is false, then `format_errors`; tests as pl-external-grader-results renders them.
SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "gradable": {"type": "boolean"},
        "score": {"type": "number", "minimum": 0, "maximum": 1},
        "message": {"type": "string"},
        "output": {"type": "string"},
        "format_errors": {"oneOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]},
        "images": {"type": "array", "items": IMAGE},
        "tests": {"type": "array", "items": {
            "type": "object",
            "required": ["name", "points", "max_points"],
            "additionalProperties": False,
            "properties": {"name": {"type": "string", "minLength": 1}, "description": {"type": "string"},
                           "points": {"type": "number", "minimum": 0}, "max_points": {"type": "number", "minimum": 0},
                           "message": {"type": "string"}, "output": {"type": "string"},
                           "images": {"type": "array", "items": IMAGE}},
        }},
    },
    "if": {"required": ["gradable"], "properties": {"gradable": {"const": False}}},
    "then": {"required": ["gradable", "format_errors"]},
    "else": {"required": ["score"]},
}


def read(root: Path) -> dict:
    raw = (root / "results" / "results.json").read_bytes()
    assert len(raw) <= report.MAX_BYTES
    doc = json.loads(raw)
    jsonschema.validate(doc, SCHEMA)
    return doc


def grade_layout(tmp: Path, files: dict[str, str], data: dict | None = None) -> Path:
    """A folder laid out like PrairieLearn's /grade: student/, data/data.json (results/ is ours to make)."""
    root = tmp / "grade"
    (root / "student").mkdir(parents=True)
    (root / "data").mkdir()
    for name, content in files.items():
        (root / "student" / name).write_text(content, encoding="utf-8")
    (root / "data" / "data.json").write_text(json.dumps(data or {"params": {}, "submitted_answers": {}}))
    return root


def test_a_correct_notebook_scores_one(tmp_path, monkeypatch):
    root = grade_layout(tmp_path, {"tp.ipynb": reference_notebook("tp-tenseurs")})
    monkeypatch.setenv("PL_GRADE_ROOT", str(root))
    assert main(["prairielearn", "tp-tenseurs"]) == 0
    doc = read(root)
    assert doc["gradable"] is True and doc["score"] == 1.0, doc["message"]
    assert "20/20" in doc["message"]
    assert sum(t["max_points"] for t in doc["tests"]) == pytest.approx(20.0)
    assert all(t["points"] == t["max_points"] for t in doc["tests"])
    assert doc["tests"][0]["description"].startswith("1.1 · q1")


def test_a_corrupt_notebook_is_not_gradable(tmp_path):
    root = grade_layout(tmp_path, {"tp.ipynb": '{"cells": [ {"cell_type": "code", "sou'})
    assert main(["prairielearn", "tp-tenseurs", "--root", str(root), "--lang", "en"]) == 0
    doc = read(root)
    assert doc["gradable"] is False and doc["format_errors"] and "score" not in doc
    assert "could not be graded" in doc["message"]


def test_an_unknown_assignment_is_not_gradable_and_says_why(tmp_path):
    root = grade_layout(tmp_path, {"tp.py": reference_text("tp-tenseurs")})
    assert main(["prairielearn", "nope", "--root", str(root), "--lang", "en"]) == 0
    doc = read(root)
    assert doc["gradable"] is False and "unknown assignment 'nope'" in doc["format_errors"][0]


def test_files_kept_in_data_json_are_what_is_graded_when_student_is_empty(tmp_path):
    data = {"submitted_answers": {"_files": [
        {"name": "../../tp.py", "contents": base64.b64encode(b"x = 1\n").decode()},  # its base name only
        {"name": "bad.py", "contents": "not base64!"}]}}
    assert submitted_files(data, tmp_path) == 1
    assert [p.name for p in tmp_path.iterdir()] == ["tp.py"] and (tmp_path / "tp.py").read_text() == "x = 1\n"


# -- pure documents: the judge's own pictures, and the 1 MB budget ---------------------------------

Q1, Q2 = Question("q1", 2.0, msg("Historique", "History")), Question("q2", 3.0, msg("Précision", "Accuracy"))
ASSIGNMENT = Assignment("demo", msg("Démo", "Demo"), (Q1, Q2))


def _result() -> SubmissionResult:
    curves = pictures.learning_curves({"accuracy": [0.5, 0.8, 0.9], "val_accuracy": [0.4, 0.7, 0.85]})
    rng = np.random.default_rng(0)
    grid = pictures.prediction_grid(rng.integers(0, 255, (16, 28, 28)).astype("uint8"), np.arange(16) % 10,
                                    (np.arange(16) + 1) % 10, n=16)
    assert curves is not None and grid is not None and len(grid.png) > len(curves.png)
    q1 = [CheckResult("history", "q1", Status.PASSED, msg("Historique correct.", "History is right."),
                      pictures=(curves,))]
    q2 = [CheckResult("accuracy", "q2", Status.FAILED, msg("Précision 0,1 ; attendu 0,9.", "Accuracy 0.1; expected 0.9."),
                      details="Traceback: \x1b[31mValueError\x1b[0m", pictures=(grid, curves))]
    return SubmissionResult("s", "demo", "graded", (score_question(Q1, q1), score_question(Q2, q2)))


PUBLIC = [Check("history", "q1", lambda obs, ctx: None, public=True),
          Check("accuracy", "q2", lambda obs, ctx: None, public=True)]


def _png(url: str) -> bytes:
    head, _, data = url.partition(",")
    assert head == "data:image/png;base64"
    return base64.b64decode(data)


def test_pictures_are_png_data_urls_under_their_check():
    doc = report.document(_result(), ASSIGNMENT, PUBLIC, lang="en")
    jsonschema.validate(doc, SCHEMA)
    history, accuracy = doc["tests"]
    assert [i["label"] for i in history["images"]] == ["Learning curves (fit history)"]  # plain text there
    assert len(accuracy["images"]) == 2 and all(_png(i["url"]).startswith(b"\x89PNG") for i in accuracy["images"])
    assert doc["score"] == pytest.approx(2 / 5) and accuracy["points"] == 0 and accuracy["max_points"] == 3.0
    assert accuracy["output"] == "Traceback: ValueError"  # no terminal colours in a web page
    assert "left out" not in doc["message"]


def test_too_big_drops_the_biggest_pictures_first_and_says_so():
    full = report.document(_result(), ASSIGNMENT, PUBLIC, lang="fr")
    sizes = sorted((len(i["url"]) for t in full["tests"] for i in t["images"]), reverse=True)
    limit = len(report.encode(full)) - sizes[0] + 200  # room for everything but the biggest picture
    doc = report.document(_result(), ASSIGNMENT, PUBLIC, lang="fr", max_bytes=limit)
    jsonschema.validate(doc, SCHEMA)
    assert len(report.encode(doc)) <= limit
    kept = sorted((len(i["url"]) for t in doc["tests"] for i in t["images"]), reverse=True)
    assert kept == sizes[1:]  # only the biggest (the prediction grid) went
    assert "1 image(s) omise(s)" in doc["message"]
    tiny = report.document(_result(), ASSIGNMENT, PUBLIC, lang="en", max_bytes=2000)
    assert len(report.encode(tiny)) <= 2000 and "3 picture(s) left out" in tiny["message"]
    assert not any(t["images"] for t in tiny["tests"]) and tiny["score"] == full["score"]


def test_the_example_dockerfile_copies_what_the_build_holds_and_runs_a_real_command(tmp_path):
    text = (REPO / "examples" / "prairielearn" / "Dockerfile").read_text()
    [entrypoint] = [json.loads(line.split(None, 1)[1]) for line in text.splitlines() if line.startswith("ENTRYPOINT")]
    assert entrypoint[:2] == ["grader", "prairielearn"] and text.startswith("#") and "FROM python:3.11-slim" in text
    args = build_parser().parse_args(entrypoint[1:])
    assert args.func.__name__ == "cmd_prairielearn" and args.course == ["/course"]
    build = next(line for line in text.splitlines() if "grader gradescope build" in line)
    out = tmp_path / "autograder.zip"
    assert main(shlex.split(build.lstrip("# "))[1:4] + ["-o", str(out)]) == 0
    assert shlex.split(build.lstrip("# "))[3] == args.id
    with zipfile.ZipFile(out) as zf:
        names = zf.namelist()
    for line in text.splitlines():
        if line.startswith("COPY "):
            src = line.split()[1]
            assert any(n.startswith(src) for n in names), line


def test_a_hidden_check_says_passed_or_failed_and_nothing_it_compared():
    """PrairieLearn shows results at once: a hidden check's message (an expected value), output and
    pictures (hidden images with their labels) never reach the student."""
    doc = report.document(_result(), ASSIGNMENT, [PUBLIC[0]], lang="fr")  # `accuracy` is hidden
    jsonschema.validate(doc, SCHEMA)
    history, accuracy = doc["tests"]
    assert history["images"] and "Historique correct" in history["message"]
    assert accuracy["message"] == "Vérification cachée : échouée (le détail n'est pas montré)."
    assert accuracy["output"] == "" and accuracy["images"] == [] and accuracy["max_points"] == 3.0
    assert "0,9" not in json.dumps(doc, ensure_ascii=False)
