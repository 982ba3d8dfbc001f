"""The command line end to end: usage errors, metadata detection, kill -9 and resume."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time

from conftest import reference_text, write_class

from grader.cli import main
from grader.notebooks import render, student_notebook


def test_unknown_assignment_is_a_usage_error(tmp_path, capsys):
    write_class(tmp_path / "c", {"a.py": "x = 1"})
    assert main(["run", str(tmp_path / "c"), "--assignment", "nope", "--out", str(tmp_path / "o")]) == 2
    assert "TP inconnu « nope »" in capsys.readouterr().err  # French by default, every word
    assert main(["run", str(tmp_path / "c"), "--assignment", "nope", "--out", str(tmp_path / "o"), "--lang", "en"]) == 2
    assert "unknown assignment 'nope'" in capsys.readouterr().err


def test_assignment_needed_when_no_metadata(tmp_path, capsys):
    write_class(tmp_path / "c", {"a.py": "x = 1"})
    assert main(["run", str(tmp_path / "c"), "--out", str(tmp_path / "o")]) == 2
    assert "--assignment" in capsys.readouterr().err


def test_missing_folder_is_a_usage_error(tmp_path):
    assert main(["run", str(tmp_path / "absent"), "-a", "tp-tenseurs", "--out", str(tmp_path / "o")]) == 2


def test_list_shows_assignments(capsys):
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    assert "tp-tenseurs" in out and "tp-gradient" in out


def _complete(db) -> list[str]:
    if not db.exists():
        return []
    try:
        with sqlite3.connect(db, timeout=1) as con:
            return [r[0] for r in con.execute("SELECT student FROM submissions WHERE complete=1")]
    except sqlite3.Error:
        return []


def test_kill_minus_nine_then_rerun_finishes_without_regrading(tmp_path):
    """The grader is killed mid-class; the same command again completes and regrades nothing finished."""
    ref = reference_text("tp-tenseurs")
    stub = render(student_notebook("tp-tenseurs"))  # carries its assignment in its metadata
    folder = write_class(tmp_path / "c", {"a_ref.py": ref, "b_stub.ipynb": stub, "c_ref.py": ref})
    out = tmp_path / "o"
    cmd = [sys.executable, "-m", "grader", "run", str(folder), "-a", "tp-tenseurs", "-o", str(out), "-j", "1"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 120
    while not _complete(out / "gradebook.sqlite") and time.monotonic() < deadline:
        time.sleep(0.2)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    done_before = _complete(out / "gradebook.sqlite")
    assert done_before, "nothing finished before the kill"
    assert len(done_before) < 3

    rerun = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert rerun.returncode == 0, rerun.stderr[-2000:]
    data = json.loads((out / "results.json").read_text())
    scores = {s["student"]: s["score"] for s in data["submissions"]}
    assert scores == {"a_ref": 20, "b_stub": 0, "c_ref": 20}
    for student in done_before:
        assert f"{student}: " in rerun.stderr and "déjà corrigé" in rerun.stderr.split(f"{student}: ")[1].split("\n")[0]
