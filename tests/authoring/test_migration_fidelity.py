"""A course moved from nbgrader or otter with `grader assign` grades every student as the tool did.

Why: the promise of `grader assign` is that an instructor's nbgrader or otter course keeps its grades.
bench/migration.py builds both courses from one class (bench/speed_class.py's 20 students and six
whose answers have the right shape and wrong values, which earn a question's public test points only)
and the students' notebooks in each tool's own student format (from the tools' notebooks committed
under bench/migration/); the scores nbgrader 0.9 `autograde` and otter 7 `run` gave them are recorded
in bench/migration_expected.json. Here `grader assign` and `grader run` run for real (no nbgrader or
otter needed) and every student's total must be the tool's. The one student otter gives no score
(its notebook loops forever, otter has no cell limit and the run is killed) must keep every other
question's points, as nbgrader gives them.
"""

from __future__ import annotations

import json
import sys

import pytest
from conftest import REPO

sys.path.insert(0, str(REPO / "bench"))
import migration  # noqa: E402  (bench/ is not a package: its modules import each other by name)
from speed_class import POINTS, QUESTIONS  # noqa: E402

EXPECTED = json.loads(migration.EXPECTED.read_text(encoding="utf-8"))
#: The TP's per-cell limit here: the loop student waits this long once per course (the bench uses 60 s).
CELL_LIMIT = 30


@pytest.mark.parametrize("tool", migration.TOOLS)
def test_recorded_scores_are_for_this_class(tool, tmp_path):
    """The recorded scores hold only for the class and teacher notebook they were measured on: a change to
    bench/speed_class.py or bench/migration.py's notebooks must be re-recorded (`--real`)."""
    specs = migration.migration_class()
    recorded = EXPECTED["tools"][tool]
    assert recorded["class_sha256"] == migration.class_digest(tool, specs), \
        "the class or the teacher notebook changed: re-run python bench/migration.py --real"
    assert set(recorded["students"]) == {s.name for s in specs}
    folder = migration.submissions(tool, specs, tmp_path)
    assert sorted(p.stem for p in folder.glob("*.ipynb")) == sorted(s.name for s in specs)


@pytest.mark.slow
@pytest.mark.parametrize("tool", migration.TOOLS)
def test_grader_gives_the_tools_scores(tool, tmp_path):
    specs = migration.migration_class()
    recorded = EXPECTED["tools"][tool]
    course = migration.assign_course(tool, tmp_path / "course", specs, cell_limit=CELL_LIMIT)
    subs = migration.submissions(tool, specs, tmp_path / "subs")
    ours = migration.run_ours(course, subs, tmp_path / "out", workers=2)

    wrong = {}
    for spec in specs:
        want = recorded["students"][spec.name]["total"]
        got = ours[spec.name]["total"]
        if want is None:  # otter killed the run: no score at all; ours keeps the other questions' points
            assert spec.kind == "loop" and "killed" in recorded["students"][spec.name]
            want = spec.total
        if got != pytest.approx(want, abs=1e-6):
            wrong[spec.name] = (got, want)
    assert not wrong, f"ours vs {recorded['version']} (student: (ours, theirs)): {wrong}"

    loop = next(s for s in specs if s.kind == "loop")
    by_question = dict(zip(QUESTIONS, ours[loop.name]["questions"].values(), strict=True))
    assert by_question == {q: (0.0 if q in loop.loses else float(POINTS[q])) for q in QUESTIONS}
