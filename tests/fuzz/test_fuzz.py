"""Fuzzing of every contract name: whatever a student hands in, every check ends with a verdict.

Each assignment's corpus (`hostile.corpus`) is graded for real, and: no check is a `grader-error`;
every check says something in French and English; no nonsense submission scores more than a
quarter of the points; the run itself never raises.

A sample runs in the default test run (three families on every assignment); the whole corpus,
and a second tier (the reference with one name rebound to nonsense, so that the checks of later
questions meet a wrong earlier answer) run when `GRADER_FUZZ=all` (CI's second pass:
`GRADER_FUZZ=all python -m pytest -q -m fuzz tests/fuzz`). Every test here is marked `fuzz`.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import hostile
import pytest
from conftest import write_class

from grader import assignments
from grader.grading import grade
from grader.model import Status

pytestmark = pytest.mark.fuzz

FULL = os.environ.get("GRADER_FUZZ", "").strip().lower() == "all"

#: Limits of the fuzz runs: nothing here trains, and a sleeping function is stopped after 10 s.
LIMITS = {"call_timeout": 10, "cell_timeout": 20, "wall_timeout": 90, "grace": 3}
#: A tiny CPU budget (no fuzz submission trains, but the data and hold-out checks read it).
BUDGET = {"epochs": 1, "train_size": 64, "max_batch_size": 32, "serve_train": 128, "serve_test": 64,
          "holdout": 64}
#: Most points a nonsense submission may get, as a fraction of the total (see `ALLOWED`).
LOW = 0.25

#: The default run: three families on every assignment (two for all, one for its kind of names).
SAMPLE_FAMILIES = ("evil", "wrong_rank")
SAMPLE_BY_KIND = ("keras_wrong_input", "cls_none", "fn_arity")  # the first that applies


def _families(assignment: str) -> list[str]:
    every = hostile.families_for(assignment)
    if FULL:
        return every
    third = next(f for f in (*SAMPLE_BY_KIND, "none") if f in every)
    return [f for f in every if f in (*SAMPLE_FAMILIES, third)]


def grade_corpus(folder: Path, assignment: str, entries: dict[str, str]):
    """Grade `entries` (file name -> source) as one class under `folder`; returns (run, seconds)."""
    write_class(folder / "class", entries)
    start = time.monotonic()
    run = grade(folder / "class", assignment=assignment, out=folder / "out", workers=2, profile="cpu",
                budget=BUDGET, limits=LIMITS)
    return run, time.monotonic() - start


def problems(run, *, low: bool = True) -> list[str]:
    """Everything wrong with a graded corpus, one line (plus the traceback) per problem; with `low`,
    a submission scoring more than `LOW` of the points is one."""
    found = []
    for r in run.results:
        for qs in r.questions:
            for c in qs.checks:
                where = f"{r.student} / {qs.question.id} / {c.name}"
                if c.status is Status.GRADER_ERROR:
                    found.append(f"grader-error in {where}:\n{c.details}")
                if not (c.message.fr.strip() and c.message.en.strip()):
                    found.append(f"empty message in {where} ({c.status.value}): {c.message!r}")
        if low and r.max_score and r.score > LOW * r.max_score:
            passed = [c.name for qs in r.questions for c in qs.checks if c.passed]
            found.append(f"{r.student} scores {r.score}/{r.max_score}; passed: {passed}")
    return found


@pytest.mark.parametrize("assignment", assignments.available())
def test_hostile_corpus_gets_verdicts_only(assignment, tmp_path):
    """Every name of the contract bound to nonsense of one family: verdicts only, and a low score."""
    families = _families(assignment)
    assert families, f"no fuzz family applies to {assignment}"
    run, seconds = grade_corpus(tmp_path, assignment, hostile.corpus(assignment, families))
    assert sorted(r.student for r in run.results) == sorted(f"fuzz_{f}" for f in families)
    bad = problems(run)
    assert not bad, f"{assignment} ({len(families)} families, {seconds:.0f} s):\n" + "\n\n".join(bad)


@pytest.mark.skipif(not FULL, reason="the one-name tier runs the references: GRADER_FUZZ=all")
@pytest.mark.parametrize("assignment", assignments.available())
def test_one_wrong_name_in_a_right_submission_gets_verdicts_only(assignment, tmp_path):
    """The reference with one name the checks read rebound to nonsense: the checks that build on it
    meet it wrong (not every score is low: the other answers are right)."""
    entries = hostile.one_name_corpus(assignment)
    run, seconds = grade_corpus(tmp_path, assignment, entries)
    bad = problems(run, low=False)
    assert not bad, f"{assignment} ({len(entries)} submissions, {seconds:.0f} s):\n" + "\n\n".join(bad)
