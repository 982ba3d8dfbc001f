"""Scores an instructor would write: each question rounded down to its grid (0.25 by default)."""

from __future__ import annotations

import csv
import io
import json

import pytest

from grader.assignments import AssignmentError, load
from grader.authoring.scaffold import new
from grader.model import (
    Assignment,
    CheckResult,
    Question,
    Status,
    SubmissionResult,
    msg,
    on_grid,
    score_question,
)
from grader.reports import write_all
from grader.reports.csv import grades_csv


def results(passed: int, failed: int, q: str = "q1") -> list[CheckResult]:
    return ([CheckResult(f"ok{i}", q, Status.PASSED, msg("ok")) for i in range(passed)]
            + [CheckResult(f"ko{i}", q, Status.FAILED, msg("ko")) for i in range(failed)])


@pytest.mark.parametrize("raw,step,points,shown", [
    (2.5714, 0.25, 3, 2.5), (1.7143, 0.25, 2, 1.5), (2.9999999999, 0.25, 3, 3.0), (0.24, 0.25, 1, 0.0),
    (2.5714, 0.5, 3, 2.5), (2.5714, 1, 3, 2.0), (2.5714, 0, 3, 2.5714), (3.0, 0.25, 3, 3.0),
])
def test_on_grid_rounds_down_to_the_step(raw, step, points, shown):
    assert on_grid(raw, step, points) == shown


def test_a_question_with_a_failed_check_never_shows_full_marks():
    q = Question("q1", 3.0, msg("Q"))
    assert score_question(q, results(6, 1)).score == 2.5  # 18/7 = 2.571...
    assert score_question(q, results(6, 1)).raw == pytest.approx(18 / 7, abs=1e-6)
    tiny = [CheckResult("big", "q1", Status.PASSED, msg("ok"), weight=1e9),
            CheckResult("small", "q1", Status.FAILED, msg("ko"), weight=1e-9)]
    assert score_question(q, tiny).score == 2.75
    assert score_question(q, results(7, 0)).score == 3.0


def test_console_json_csv_and_report_show_the_same_grid_numbers(tmp_path):
    q1, q2 = Question("q1", 3.0, msg("Q1")), Question("q2", 2.0, msg("Q2"))
    a = Assignment("demo", msg("Demo"), (q1, q2))
    r = SubmissionResult("alice", "demo", "graded",
                         (score_question(q1, results(6, 1)), score_question(q2, results(5, 2, "q2"))))
    assert r.score == 2.5 + 1.25  # 10/7 = 1.43 -> 1.25
    write_all([r], a, tmp_path)
    data = json.loads((tmp_path / "results.json").read_text())["submissions"][0]
    assert data["score"] == 3.75 and data["questions"]["q1"]["score"] == 2.5
    [row] = list(csv.DictReader(io.StringIO(grades_csv([r], a))))
    assert (row["q1"], row["q2"], row["total"]) == ("2.5", "1.25", "3.75")
    page = (tmp_path / "reports" / "alice.html").read_text()
    assert "3.75" in page or "3,75" in page
    assert "2.571" not in page and "2,571" not in page and "1.428" not in page


def test_scoring_step_from_the_toml(tmp_path):
    made = new("demo", tmp_path)
    toml = made.folder / "assignment.toml"
    toml.write_text(toml.read_text() + "\n[scoring]\nstep = 0.5\n")
    assert {q.step for q in load("demo", [tmp_path]).assignment.questions} == {0.5}
    toml.write_text(toml.read_text().replace("step = 0.5", 'step = "half"'))
    with pytest.raises(AssignmentError, match="step must be a number"):
        load("demo", [tmp_path])
