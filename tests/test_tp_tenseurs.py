"""tp-tenseurs graded for real: the reference, a variant, one mutant per question, and adversarial cases.

The whole class is graded in one `grade()` call (two workers) to pay TensorFlow's import few times.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from conftest import (
    assert_loses_exactly,
    assert_reports_in_each_language,
    by_student,
    mutate,
    question_scores,
    reference_text,
    with_cell,
    write_class,
)

from grader.grading import grade
from grader.model import Status
from grader.notebooks import student_notebook
from grader.reports.document import text
from grader.runner.warm.pool import server_pids

HERE = Path(__file__).parent
REF = reference_text("tp-tenseurs")

MUTANTS = {
    "q1": ("maxval=1.0, seed=42", "maxval=255.0, seed=42"),  # pixels not scaled
    "q2": ("mean = tf.reduce_mean(batch)\nstd = tf.math.reduce_std(batch)",
           "mean = tf.reduce_mean(batch, axis=(1, 2), keepdims=True)\n"
           "std = tf.math.reduce_std(batch, axis=(1, 2), keepdims=True)"),  # per-image normalisation
    "q3": ("first_five = batch[:5]", "first_five = batch[-5:]"),
    "q4": ("centered = batch - tf.reduce_mean(batch, axis=0)", "centered = batch - tf.reduce_mean(batch)"),
    "q5": ("flat = tf.reshape(batch, (batch.shape[0], -1))",
           "flat = tf.reshape(tf.transpose(batch, (0, 2, 1)), (batch.shape[0], -1))"),  # column-major
    # reduces over the first axis only: right for vectors, wrong for any other shape
    "q6": ("float(tf.math.reduce_std(t)),", "float(tf.reduce_mean(tf.math.reduce_std(t, axis=0))),"),
}

STUB_NOTEBOOK = json.dumps(student_notebook("tp-tenseurs"))

ADVERSARIAL = {
    # a runaway last cell: interrupted, everything before it kept
    "adv_infinite_loop.py": with_cell(REF, "while True:\n    pass"),
    # a cell that swallows the interruption: the process is killed, cells are replayed without it
    "adv_swallow_timeout.py": with_cell(REF, "while True:\n    try:\n        while True:\n            pass\n"
                                             "    except BaseException:\n        pass"),
    "adv_sys_exit.py": with_cell(REF, "import sys\nsys.exit(0)", first=True),
    "adv_keyboard_interrupt.py": with_cell(REF, "raise KeyboardInterrupt", first=True),
    # prints a fake perfect score, writes fake results everywhere it can, then dies: the stub stays at 0
    "adv_fake_results.py": with_cell(
        "\n".join("".join(c["source"]) for c in json.loads(STUB_NOTEBOOK)["cells"] if c["cell_type"] == "code"),
        "import json, os\nprint('Score : 20/20 - tous les tests passent')\n"
        "fake = json.dumps({'assignment': 'tp-tenseurs', 'submissions': [{'student': 'adv_fake_results', "
        "'score': 20}]})\nfor p in ['results.json', '../results.json', '../../results.json', "
        "os.path.expanduser('~/results.json')]:\n    try:\n        open(p, 'w').write(fake)\n"
        "    except OSError:\n        pass\nos._exit(0)", first=True),
    "adv_flood.py": with_cell(REF, "import os, sys\nfor _ in range(50_000):\n    print('x' * 1000)\n"
                                   "os.write(1, b'y' * 5_000_000)\nsys.stderr.write('z' * 1_000_000)"),
    "adv_daemon.py": with_cell(REF, "import os, subprocess, time\nsubprocess.Popen(['sleep', '3131'])\n"
                                    "if os.fork() == 0:\n    os.setsid()\n    if os.fork() == 0:\n"
                                    "        os.execvp('sleep', ['sleep', '3132'])\n    os._exit(0)\ntime.sleep(0.2)"),
    "adv_segfault.py": with_cell(REF, "import ctypes\nctypes.string_at(0)"),
    # wrong answers dressed up: numpy comparisons patched, an object equal to everything
    "adv_tamper.py": with_cell(
        "import numpy as np\nimport tensorflow as tf\nbatch = tf.random.uniform((10, 28, 28), seed=1)\n"
        "normalized = batch\nfirst_five = batch[5:]\ncentered = batch\nflat = tf.zeros((10, 784))\n"
        "class Always:\n    def __eq__(self, other):\n        return True\n    shape = (10, 784)\n"
        "flat = Always()\ndef tensor_stats(t):\n    return Always()",
        "np.allclose = lambda *a, **k: True\nnp.testing.assert_allclose = lambda *a, **k: None\n"
        "np.array_equal = lambda *a, **k: True\nimport builtins\nbuiltins.abs = lambda x: 0\n"
        "import unittest\nunittest.TestCase.assertEqual = lambda *a, **k: None"),
    "adv_corrupt.ipynb": '{"cells": [ {"cell_type": "code", "source": "x = 1"',
    "adv_binary.ipynb": bytes(range(256)) * 4,
    "adv_empty.py": "",
    "stub.ipynb": STUB_NOTEBOOK,
}


def _leftover(pattern: str, *, orphans_only: bool = False) -> list[str]:
    """Processes whose command line holds `pattern`; with `orphans_only`, only those no live parent
    holds (re-parented to init or to us): another test run's live runners are not ours to count."""
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                cmd = f.read().replace(b"\0", b" ").decode()
            with open(f"/proc/{pid}/stat") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        if pattern in cmd and (not orphans_only or ppid in (1, os.getpid())):
            found.append(f"{pid}: {cmd}")
    return found


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("tenseurs") / "class"
    entries: dict[str, str | bytes] = {"reference.py": REF,
                                       "variant_numpy.py": (HERE / "submissions/tp-tenseurs/variant_numpy.py").read_text()}
    entries |= {f"mutant_{q}.py": mutate(REF, old, new) for q, (old, new) in MUTANTS.items()}
    entries |= ADVERSARIAL
    write_class(folder, entries)
    out = folder.parent / "out"
    result = grade(folder, assignment="tp-tenseurs", out=out, workers=2,
                   limits={"cell_timeout": 20, "grace": 3, "wall_timeout": 200})
    return result


def test_reference_and_variant_get_full_marks(run):
    results = by_student(run)
    for name in ("reference", "variant_numpy"):
        r = results[name]  # the written answer w1 (2 points) waits for hand grading
        assert r.score == r.totals.auto_max == 20 and r.totals.pending == 2 and r.max_score == 22, question_scores(r)


@pytest.mark.parametrize("question", sorted(MUTANTS))
def test_each_mutant_loses_exactly_its_question(run, question):
    assert_loses_exactly(by_student(run)[f"mutant_{question}"], question)


def test_per_image_normalisation_gets_a_specific_hint(run):
    checks = {c.name: c for qs in by_student(run)["mutant_q2"].questions for c in qs.checks}
    assert "image par image" in checks["check_normalized_is_global_standardisation"].message.fr


@pytest.mark.parametrize("student", ["adv_infinite_loop", "adv_swallow_timeout", "adv_sys_exit",
                                     "adv_keyboard_interrupt", "adv_flood", "adv_daemon", "adv_segfault"])
def test_misbehaving_cell_costs_nothing_defined_before_it(run, student):
    r = by_student(run)[student]
    assert r.status == "graded"
    assert r.score == 20, question_scores(r)


def test_timeouts_and_crashes_are_reported_per_cell(run):
    results = by_student(run)
    last = results["adv_infinite_loop"].cells[-1]
    assert last.status is Status.TIMEOUT
    swallowed = results["adv_swallow_timeout"].cells[-1]
    assert swallowed.status is Status.TIMEOUT and "arrêté" in text(swallowed.error, "fr")
    assert results["adv_segfault"].cells[-1].status is Status.CRASH
    assert "SIGSEGV" in text(results["adv_segfault"].cells[-1].error, "en")
    assert results["adv_sys_exit"].cells[0].status is Status.ERROR
    assert "SystemExit" in results["adv_sys_exit"].cells[0].error


def test_fake_results_and_exit_gain_nothing(run):
    r = by_student(run)["adv_fake_results"]
    assert r.score == 0
    assert r.cells[0].status is Status.CRASH
    data = json.loads((run.out / "results.json").read_text())
    fake = [s for s in data["submissions"] if s["student"] == "adv_fake_results"]
    assert len(fake) == 1 and fake[0]["score"] == 0
    assert len(data["submissions"]) == len(run.results)


def test_output_flood_keeps_reports_small(run):
    r = by_student(run)["adv_flood"]
    flood_cell = r.cells[-1]
    assert len(flood_cell.output) < 20_000 and "omis" in flood_cell.output
    assert (run.out / "results.json").stat().st_size < 2_000_000
    assert (run.out / "reports" / "adv_flood.html").stat().st_size < 500_000


def test_no_student_process_survives(run):
    assert _leftover("sleep 3131") == []
    assert _leftover("sleep 3132") == []
    servers = {f"{pid}:" for pid in server_pids()}  # the warm pool's servers, kept for the next run
    assert [p for p in _leftover("grader.runner", orphans_only=True) if p.split(" ")[0] not in servers] == []


def test_tampering_gains_nothing(run):
    r = by_student(run)["adv_tamper"]
    scores = question_scores(r)
    assert scores["q1"] == 3  # its batch is a genuine one
    # only the shape checks of q2/q4 can pass (the shapes are right); every value check fails
    value_checks = [c for qs in r.questions if qs.question.id != "q1" for c in qs.checks if "shape" not in c.name]
    assert value_checks and not any(c.passed for c in value_checks), [(c.name, c.status) for c in value_checks]
    assert scores["q3"] == scores["q5"] == scores["q6"] == 0, scores


@pytest.mark.parametrize("student", ["adv_corrupt", "adv_binary", "adv_empty"])
def test_unreadable_files_get_an_error_and_zero(run, student):
    r = by_student(run)[student]
    assert r.status == "error" and r.score == 0 and r.errors
    assert {qs.question.id for qs in r.questions} == {"q1", "q2", "q3", "q4", "q5", "q6", "w1"}


def test_student_notebook_stub_scores_zero_without_crashing(run):
    r = by_student(run)["stub"]
    assert r.status == "graded" and r.score == 0


def test_outputs_cover_every_student(run):
    data = json.loads((run.out / "results.json").read_text())
    assert sorted(s["student"] for s in data["submissions"]) == sorted(r.student for r in run.results)
    rows = (run.out / "grades.csv").read_text().strip().splitlines()
    assert len(rows) == len(run.results) + 1
    assert (run.out / "summary.html").is_file()


def test_grading_twice_gives_the_same_results(run, tmp_path):
    """Same submission, fresh gradebook: the same statuses, scores and messages (hidden inputs are seeded)."""
    folder = write_class(tmp_path / "again", {"mutant_q2.py": mutate(REF, *MUTANTS["q2"]), "reference.py": REF})
    again = by_student(grade(folder, assignment="tp-tenseurs", out=tmp_path / "out", workers=2))
    first = by_student(run)

    def fingerprint(r):
        return [(c.name, c.status, c.message.fr) for qs in r.questions for c in qs.checks]

    for name in ("mutant_q2", "reference"):
        assert fingerprint(again[name]) == fingerprint(first[name])


def test_a_changed_budget_regrades_unchanged_files(tmp_path):
    """Unchanged file + same budget: kept; another profile (caps, thresholds): graded again."""
    folder = write_class(tmp_path / "class", {"reference.py": REF, "broken.py": b"\x00\xff"})
    out = tmp_path / "out"
    first = grade(folder, assignment="tp-tenseurs", out=out, profile="cpu")
    assert sorted(first.regraded) == ["broken", "reference"]
    assert grade(folder, assignment="tp-tenseurs", out=out, profile="cpu").regraded == ()
    again = grade(folder, assignment="tp-tenseurs", out=out, profile="gpu")
    assert again.regraded == ("reference",)  # an unreadable file has no budget: its bytes decide
    assert by_student(again)["reference"].info["budget"]["profile"] == "gpu"


def test_reports_are_wholly_in_the_language_asked(run):
    """Reference, variants and mutants: English reports hold no French, French ones no English."""
    assert_reports_in_each_language(run)
