"""The disk cap counts bytes written, not names: as root the run folder is a tmpfs of the cap's size,
mounted by the grader on the host (`make_run_dir`), so that a file deleted while still open counts as
any other, a write past the cap fails with ENOSPC inside the runner (the student's own OSError), the
host's disk never holds it, and the grader still reads what the runner hands back in `exchange/`.
Warm runners get that mount through a descriptor (their fork server's view of the host never sees a
mount made after it started). Without root the folder is plain and a polling check counts its files.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import shutil
import subprocess
import tempfile
import threading
from dataclasses import replace
from pathlib import Path

import pytest
from conftest import by_student, reference_text, with_cell, write_class

from grader.model import Status
from grader.runner import sandbox as sandbox_mod
from grader.runner.process import cold_starter
from grader.runner.sandbox import (
    UIDS,
    make_run_dir,
    plan,
    prepare_run_dir,
    release_run_dirs,
    sweep_stale_run_dirs,
)
from grader.runner.warm.pool import WarmPool, warm_unavailable

PLAN = plan("auto")
ROOT = pytest.mark.skipif(os.geteuid() != 0, reason="needs sandbox layer 1 (root mounts the run folder's tmpfs)")
MB = 1 << 20
CAP = 64 * MB
ATTACK = ("import os\nwritten = 0\nwith open('gone.bin', 'wb') as f:\n    os.unlink('gone.bin')\n"
          "    for _ in range(256):\n        f.write(b'\\0' * (1 << 20))\n        f.flush()\n        written += 1\n")
LEGIT = ("import os\nwith open('scratch.bin', 'wb') as f:\n    f.write(os.urandom(8 << 20))\n"
         "size = os.path.getsize('scratch.bin')\nos.remove('scratch.bin')\nprint('SCRATCH', size)")


def _mounted(path: Path) -> bool:
    with open("/proc/self/mountinfo") as f:
        return any(line.split()[4] == str(path) for line in f)


def _disk_free() -> int:
    return shutil.disk_usage(tempfile.gettempdir()).free


@ROOT
def test_the_run_folder_is_a_tmpfs_of_the_cap_that_counts_deleted_files(tmp_path):
    source = tmp_path / "sub"
    source.mkdir()
    (source / "data.txt").write_text("x" * 1000)
    root = Path(tempfile.mkdtemp(prefix="grader-sub-"))
    run = root / "run0"
    try:
        assert make_run_dir(PLAN, run, CAP, source) is True
        assert _mounted(run) and (run / "work" / "data.txt").read_text() == "x" * 1000
        st = os.statvfs(run)
        assert st.f_blocks * st.f_frsize == CAP
        free = _disk_free()
        written = 0
        with pytest.raises(OSError) as full, open(run / "work" / "gone.bin", "wb") as f:
            os.unlink(run / "work" / "gone.bin")
            for _ in range(200):
                f.write(b"\0" * MB)
                f.flush()
                written += 1
        assert full.value.errno == 28 and written < 64  # ENOSPC at the cap, not 200 MB later
        assert free - _disk_free() < 32 * MB  # none of it on the host's disk
        release_run_dirs(root)
        assert not _mounted(run)
    finally:
        release_run_dirs(root)
        shutil.rmtree(root, ignore_errors=True)


@ROOT
def test_a_submission_folder_over_the_cap_gets_a_plain_folder(tmp_path):
    """Its own files exceed the cap: no ENOSPC while copying it, a plain folder the polling check watches."""
    source = tmp_path / "sub"
    source.mkdir()
    (source / "weights.bin").write_bytes(b"w" * (3 * MB))
    root = Path(tempfile.mkdtemp(prefix="grader-sub-"))
    try:
        assert make_run_dir(PLAN, root / "run0", 1 * MB, source) is False
        assert not _mounted(root / "run0") and (root / "run0" / "work" / "weights.bin").stat().st_size == 3 * MB
    finally:
        shutil.rmtree(root, ignore_errors=True)


def test_without_root_the_run_folder_is_plain(tmp_path, monkeypatch):
    monkeypatch.setattr(sandbox_mod.os, "geteuid", lambda: 1000)
    assert make_run_dir(PLAN, tmp_path / "run0", CAP, None) is False
    assert (tmp_path / "run0" / "work").is_dir() and not _mounted(tmp_path / "run0")


@ROOT
def test_the_run_folders_of_a_dead_grader_are_unmounted():
    dead = subprocess.Popen(["true"])
    dead.wait()
    root = Path(tempfile.mkdtemp(prefix="grader-sub-"))
    run = root / "run0"
    run.mkdir()
    libc = ctypes.CDLL(None, use_errno=True)
    assert libc.mount(f"{sandbox_mod.RUN_FS}-{dead.pid}".encode(), str(run).encode(), b"tmpfs", 0, b"size=1m") == 0
    try:
        assert _mounted(run)
        assert sweep_stale_run_dirs() >= 1
        assert not _mounted(run) and not root.exists()
    finally:
        libc.umount2(str(run).encode(), 2)
        shutil.rmtree(root, ignore_errors=True)


@contextlib.contextmanager
def _runner(starter, cap: int):
    """A runner on a run folder made as a session makes it: `make_run_dir`, then `exchange/`, then
    `prepare_run_dir`. The polling check is off (disk_bytes=0): the filesystem alone stops the writes."""
    uid = UIDS.acquire() if PLAN.uid is not None else None
    box = replace(PLAN, uid=uid) if uid is not None else PLAN
    root = Path(tempfile.mkdtemp(prefix="grader-sub-"))
    run = root / "run0"
    runner = None
    try:
        assert make_run_dir(box, run, cap, None)
        (run / "exchange").mkdir()
        prepare_run_dir(box, root, run)
        runner = starter(run / "work", run / "exchange", sandbox=box, disk_bytes=0, memory_bytes=3 << 30,
                         output_bytes=MB, limits={"file_bytes": 1 << 30, "seed": 0, "cpu_seconds": 300, "budget": {},
                                                  "datasets": {}, "preload": []})
        runner.start()
        assert runner.request({"op": "hello"}, timeout=300)["ok"]
        yield runner, run
    finally:
        if runner is not None:
            runner.close()
        release_run_dirs(root)
        shutil.rmtree(root, ignore_errors=True)
        if uid is not None:
            UIDS.release(uid)


@pytest.fixture(scope="module")
def warm_pool():
    if (why := warm_unavailable(PLAN)) is not None:
        pytest.skip(f"warm runners unavailable: {why.en}")
    with WarmPool(PLAN, slots=1) as pool:
        pool.server().ready.wait(300)
        yield pool


@ROOT
@pytest.mark.parametrize("kind", ["cold", "warm"])
def test_a_runner_cannot_write_past_the_cap_even_into_a_deleted_file(kind, request):
    starter = cold_starter if kind == "cold" else request.getfixturevalue("warm_pool").starter()
    free = _disk_free()
    with _runner(starter, CAP) as (runner, run):
        if kind == "warm":
            assert runner.warm, runner.fallback
        reply = runner.request({"op": "run_cell", "index": 0, "source": ATTACK, "timeout": 60}, timeout=70)
        assert reply["status"] == "error" and "No space left on device" in reply["error"], reply
        assert runner.request({"op": "get", "name": "written", "timeout": 10}, timeout=20)["value"] < 64
        assert free - _disk_free() < 32 * MB
        # the file was closed with the cell: the space is back, the grader still reads the exchange folder
        reply = runner.request({"op": "run_cell", "index": 1, "source": LEGIT, "timeout": 60}, timeout=70)
        assert reply["status"] == "passed" and "SCRATCH 8388608" in reply["output"], reply
        (run / "exchange" / "probe.txt").write_text("from the grader")
        code = "import os\nseen = open(os.path.join(os.path.dirname(os.environ['MPLCONFIGDIR']), 'probe.txt')).read()"
        assert runner.request({"op": "run_cell", "index": 2, "source": code, "timeout": 30}, timeout=40)["status"] == "passed"
        assert runner.request({"op": "get", "name": "seen", "timeout": 10}, timeout=20)["value"] == {"str": "from the grader"}


@ROOT
def test_a_deleted_file_attack_is_the_students_error_and_its_twin_gets_full_marks(tmp_path):
    from grader.grading import grade

    ref = reference_text("tp-tenseurs")
    folder = write_class(tmp_path / "class", {
        "attack.py": with_cell(ref, ATTACK),
        "kept_open.py": with_cell(ref, ATTACK.replace("with open('gone.bin', 'wb') as f:", "f = open('gone.bin', 'wb')\nif True:")),
        "twin.py": with_cell(ref, LEGIT),
    })
    lowest = [_disk_free()]
    done = threading.Event()

    def watch() -> None:
        while not done.wait(0.05):
            lowest[0] = min(lowest[0], _disk_free())

    start = lowest[0]
    threading.Thread(target=watch, daemon=True).start()
    try:
        run = grade(folder, assignment="tp-tenseurs", out=tmp_path / "out", workers=2,
                    limits={"disk_bytes": CAP, "cell_timeout": 60, "grace": 3, "wall_timeout": 300})
    finally:
        done.set()
    results = by_student(run)
    assert start - lowest[0] < 150 * MB  # 256 MB written by each attack: none of it reached the disk
    attack = results["attack"]
    assert attack.status == "graded" and attack.score == 20
    assert attack.cells[-1].status is Status.ERROR and "No space left on device" in str(attack.cells[-1].error)
    # its file stays open, its folder full: that cell is the disk's limit (as the polling check's on a plain
    # folder), the runner is replaced on a fresh folder without it, and the answers keep their points
    kept = results["kept_open"]
    assert kept.status == "graded" and kept.cells[-1].status is Status.OUTPUT_LIMIT, kept.cells[-1]
    assert "Mo écrits sur le disque" in kept.cells[-1].error.fr and kept.score == 20
    assert not [c for q in kept.questions for c in q.checks if c.status is Status.GRADER_ERROR]
    twin = results["twin"]
    assert twin.score == 20 and "SCRATCH 8388608" in twin.cells[-1].output
