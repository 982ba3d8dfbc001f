"""The run keeps its head: OUT locked for one writer, Ctrl-C, a full disk (grader/interrupt.py, grader/outdir.py).

Real processes throughout: `python -m grader run` in a subprocess, SIGINT as a terminal sends it,
a real tmpfs filled to the last byte (as root; skipped otherwise, with the reason), flock held by a
process that is then killed -9.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from conftest import REPO, mutate, reference_text, write_class

from grader.cli import main
from grader.gradebook import Gradebook
from grader.grading import outdir
from grader.model import CheckResult, Message, Picture, Status

EXAMPLES = REPO / "examples" / "tp-tenseurs"
EXPECTED = {"alice": 20, "bruno": 17, "chloe": 17, "david": 0, "emma": 0, "aa_slow": 20}
LAST_BUT_ONE = "check_flat_is_row_major_reshape"  # q5; q6 (`tensor_stats`, 5 calls) comes last


def _slow_reference(seconds: float) -> str:
    """The reference, whose `tensor_stats` takes `seconds` a call: q6's check (5 calls) is in flight
    long enough to stop the run in the middle of it. It deserves 20/22 like the reference."""
    return mutate(reference_text("tp-tenseurs"), "def tensor_stats(t):\n",
                  f"def tensor_stats(t):\n    import time\n    time.sleep({seconds})\n")


def _class(folder: Path, *, examples: tuple[str, ...], slow: float) -> Path:
    folder.mkdir(parents=True)
    for name in examples:
        shutil.copy(EXAMPLES / f"{name}.ipynb", folder)
    write_class(folder, {"aa_slow.py": _slow_reference(slow)})  # sorted first: started at once
    return folder


def _cmd(folder: Path, out: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "grader", "run", str(folder), "-a", "tp-tenseurs", "--out", str(out), *extra]


def _start(cmd: list[str]) -> subprocess.Popen:
    """A run as a terminal starts it: SIGINT at its default (a shell's `&` would have it ignored)."""
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))


def _query(db: Path, sql: str) -> list[tuple]:
    if not db.exists():
        return []
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1) as con:
            return con.execute(sql).fetchall()
    except sqlite3.Error:
        return []


def _complete(db: Path) -> set[str]:
    return {r[0] for r in _query(db, "SELECT student FROM submissions WHERE complete=1")}


def _checks(db: Path, student: str) -> dict[str, tuple]:
    return {r[0]: r[1:] for r in _query(db, f"SELECT name, status, seq FROM checks WHERE student='{student}'")}


def _wait(what, proc: subprocess.Popen, seconds: float = 240) -> None:
    deadline = time.monotonic() + seconds
    while not what():
        if proc.poll() is not None:
            raise AssertionError(f"the run ended first ({proc.returncode}): {proc.stderr.read()[-2000:]}")
        assert time.monotonic() < deadline, "timed out waiting for the run"
        time.sleep(0.1)


def _descendants(pid: int) -> set[tuple[int, str]]:
    """(pid, start time) of every process under `pid`: runners, supervisors, fork servers, bwrap."""
    found, todo = set(), [pid]
    while todo:
        parent = todo.pop()
        try:
            tasks = os.listdir(f"/proc/{parent}/task")
        except OSError:
            continue
        for tid in tasks:
            try:
                kids = [int(x) for x in Path(f"/proc/{parent}/task/{tid}/children").read_text().split()]
            except (OSError, ValueError):
                continue
            for kid in kids:
                if (kid, start := _started(kid)) not in found and start:
                    found.add((kid, start))
                    todo.append(kid)
    return found


def _started(pid: int) -> str:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return ""
    return "" if fields[0] == "Z" else fields[19]


def _line(stderr: str, needle: str) -> str:
    lines = [line for line in stderr.splitlines() if needle in line]
    assert lines, f"{needle!r} not said:\n{stderr[-3000:]}"
    return lines[-1]


def _regraded(stderr: str, student: str) -> bool:
    line = _line(stderr, f"  {student}: ")
    return "déjà corrigé" not in line and "already graded" not in line


# -------------------------------------------------------------------------------- Ctrl-C


def test_ctrl_c_keeps_what_finished_blames_no_one_and_the_same_command_resumes(tmp_path):
    """SIGINT while a check is asking a runner: exit 130 in seconds, one line, no traceback, no runner
    left; the check cut short is not stored (no crash blamed on the student), the finished results
    are reported; the same command grades only what was unfinished and everyone gets their score."""
    students = ("alice", "bruno", "david", "emma")  # chloe's endless loop would only add 15 s to each run
    # 2 s a call: alice, started beside aa_slow, has the time to finish before aa_slow's q6 is over
    folder, out = _class(tmp_path / "class", examples=students, slow=2.0), tmp_path / "out"
    db = out / "gradebook.sqlite"
    cmd = _cmd(folder, out, "-j", "2")
    run = _start(cmd)
    seen: set[tuple[int, str]] = set()

    def ready() -> bool:
        seen.update(_descendants(run.pid))
        return bool(_complete(db)) and LAST_BUT_ONE in _checks(db, "aa_slow")

    _wait(ready, run)
    time.sleep(0.5)  # q6's first calls are under way
    assert "check_tensor_stats_on_hidden_tensors" not in _checks(db, "aa_slow")
    seen.update(_descendants(run.pid))
    run.send_signal(signal.SIGINT)
    sent = time.monotonic()
    _, stderr = run.communicate(timeout=60)
    took = time.monotonic() - sent
    assert run.returncode == 130, stderr[-3000:]
    assert took < 20, f"{took:.1f} s to stop"
    assert "Traceback" not in stderr
    assert stderr.rstrip().splitlines()[-1].strip() == "interrompu : relancez la même commande pour reprendre"
    time.sleep(1.0)
    assert not {p for p in seen if _started(p[0]) == p[1]}, "processes of the run outlived it"

    finished = _complete(db)
    assert finished and "aa_slow" not in finished
    stored = _checks(db, "aa_slow")
    assert LAST_BUT_ONE in stored and "check_tensor_stats_on_hidden_tensors" not in stored, stored
    assert not _query(db, "SELECT student, name FROM checks WHERE status IN ('crash', 'timeout', 'grader-error')")
    reported = json.loads((out / "results.json").read_text())["submissions"]
    assert {s["student"] for s in reported} == finished  # only what finished: no partial score goes out

    rerun = subprocess.run(cmd, capture_output=True, text=True, timeout=400)
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    scores = {s["student"]: s["score"] for s in json.loads((out / "results.json").read_text())["submissions"]}
    assert scores == {s: EXPECTED[s] for s in ("aa_slow", *students)}
    for student in scores:
        assert _regraded(rerun.stderr, student) == (student not in finished), student
    again = _checks(db, "aa_slow")
    assert {k: v for k, v in again.items() if k in stored} == stored  # resumed: q1-q5 kept as they were
    assert again["check_tensor_stats_on_hidden_tensors"][0] == "passed"


# -------------------------------------------------------------------------------- OUT's lock


def test_a_second_run_into_the_same_out_is_refused_at_once_naming_the_first(tmp_path):
    folder, out = _class(tmp_path / "class", examples=("alice", "bruno"), slow=2.0), tmp_path / "out"
    first = _start(_cmd(folder, out, "--lang", "en", "-j", "1"))
    _wait(lambda: (out / outdir.LOCK_NAME).is_file() and (out / outdir.LOCK_NAME).read_text().strip(), first)
    started = time.monotonic()
    second = subprocess.run(_cmd(folder, out, "--lang", "en"), capture_output=True, text=True, timeout=120)
    assert second.returncode == 2, second.stderr[-2000:]
    assert time.monotonic() - started < 15
    assert second.stderr.strip() == (f"error: {out} is in use by another grading run (pid {first.pid}); "
                                     "wait for it to finish")
    french = subprocess.run(_cmd(folder, out), capture_output=True, text=True, timeout=120)
    assert french.returncode == 2
    assert french.stderr.strip() == (f"erreur : « {out} » est déjà utilisé par une autre correction "
                                     f"(pid {first.pid}) ; attendez qu'elle finisse")

    first.send_signal(signal.SIGTERM)  # `kill` stops a run as Ctrl-C does; and in English, the stop's line
    _, stderr = first.communicate(timeout=60)
    assert first.returncode == 130, stderr[-2000:]
    assert "Traceback" not in stderr
    assert stderr.rstrip().splitlines()[-1].strip() == "interrupted: run the same command again to resume"
    assert (out / outdir.LOCK_NAME).read_text() == ""  # released: no pid left to mislead


def test_the_lock_of_a_killed_run_is_never_stale(tmp_path):
    """flock dies with its process: kill -9 the holder and OUT is free at once, nothing to clean."""
    out = tmp_path / "out"
    holder = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        import sys, time
        from pathlib import Path
        from grader.grading import outdir
        with outdir.hold(Path({str(out)!r})):
            print("held", flush=True)
            time.sleep(600)
        """)], stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "held"
    with pytest.raises(outdir.OutBusy) as busy:
        with outdir.hold(out):
            pass
    assert busy.value.pid == holder.pid
    holder.kill()
    holder.wait()
    with outdir.hold(out) as lock:  # free
        assert lock.read_text().strip() == str(os.getpid())
        with pytest.raises(outdir.OutBusy) as mine:  # one writer, even within a process
            with outdir.hold(out):
                pass
        assert mine.value.pid == os.getpid()


def test_manual_import_waits_for_no_run_it_is_refused(tmp_path, capsys):
    """`grader manual import` writes the gradebook and rewrites results.json: refused while a run holds OUT."""
    out = tmp_path / "out"
    sheet = tmp_path / "w1.csv"
    sheet.write_text("student;question;score;comment\nalice;w1;1;ok\n", encoding="utf-8")
    with outdir.hold(out):
        assert main(["manual", "import", str(out), str(sheet), "--lang", "en"]) == 2
    assert f"is in use by another grading run (pid {os.getpid()})" in capsys.readouterr().err


# -------------------------------------------------------------------------------- full disk


def test_a_full_disk_is_recognised_in_every_form():
    with pytest.raises(OSError) as full, open("/dev/full", "wb", buffering=0) as f:
        f.write(b"x")
    assert full.value.errno == errno.ENOSPC
    assert outdir.full_disk_detail(full.value) == os.strerror(errno.ENOSPC)
    try:
        try:
            raise full.value
        except OSError:
            raise sqlite3.OperationalError("cannot rollback - no transaction is active")  # noqa: B904
    except sqlite3.OperationalError as on_top:
        assert outdir.full_disk_detail(on_top) == os.strerror(errno.ENOSPC)  # the cause, under a cleanup error
    assert outdir.full_disk_detail(sqlite3.OperationalError("database or disk is full")) == "database or disk is full"
    assert outdir.full_disk_detail(OSError(errno.EACCES, "Permission denied")) is None
    said = outdir.DiskFull(Path("out/demo"), "No space left on device")
    assert said.text() == ("disque plein sous « out/demo » : No space left on device ; libérez de la place puis "
                           "relancez la même commande")
    assert said.text("en") == ("disk full under out/demo: No space left on device; free some space, then run "
                               "the same command again")


@pytest.fixture
def small_disk(tmp_path):
    """A real file system of 16 MB (tmpfs), filled on demand; needs root to mount."""
    if os.geteuid() != 0:
        pytest.skip("a full disk is tested on a real tmpfs, and mounting one needs root")
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16m,mode=0755", "tmpfs", str(mount)],
                          capture_output=True, text=True)
    if done.returncode:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
    try:
        yield mount
    finally:
        for _ in range(5):
            if subprocess.run(["umount", str(mount)], capture_output=True).returncode == 0:
                break
            time.sleep(0.2)
        else:  # still "busy" for a while in some sandboxes' mount namespaces (bwrap binds `/` for warm
            subprocess.run(["umount", "-l", str(mount)], capture_output=True)  # runners): detach it now


def _fill(disk: Path) -> Path:
    """Take every free byte of `disk`; remove the returned file to give them back."""
    filler = disk / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        for size in (1 << 20, 4096, 1):
            try:
                while True:
                    os.write(fd, b"\0" * size)
            except OSError as e:
                assert e.errno == errno.ENOSPC, e
    finally:
        os.close(fd)
    return filler


def _check(name: str, picture_bytes: int = 0) -> CheckResult:
    pictures = (Picture(Message("courbe", "curve"), os.urandom(picture_bytes)),) if picture_bytes else ()
    return CheckResult(name, "q1", Status.PASSED, Message("ok " * 2000, "ok " * 2000), 1.0, "x" * 8000, 0.0,
                       pictures)


def test_the_gradebook_keeps_every_committed_check_when_the_disk_fills(small_disk):
    """A COMMIT that fails for lack of room leaves the gradebook usable, its earlier checks intact,
    and the error is the disk's (not "cannot rollback")."""
    book = Gradebook(small_disk / "gradebook.sqlite")
    book.begin("tp", "alice", "sha", "alice.py")
    book.add_check("tp", "alice", _check("c1"))
    filler = _fill(small_disk)
    with pytest.raises(sqlite3.Error) as full:  # at COMMIT
        book.add_check("tp", "alice", _check("c2"))
    assert str(full.value) == "database or disk is full"
    with pytest.raises(sqlite3.Error) as full:  # within the INSERT: more than SQLite's page cache spills
        book.add_check("tp", "alice", _check("c3", picture_bytes=6 << 20))
    assert str(full.value) == "database or disk is full"
    assert "c1" in book.done_checks("tp", "alice")
    filler.unlink()
    book.add_check("tp", "alice", _check("later"))
    book.close()
    again = Gradebook(small_disk / "gradebook.sqlite")
    assert {"c1", "later"} <= set(again.done_checks("tp", "alice"))
    again.close()


def test_a_run_on_a_full_disk_says_so_in_one_line_and_the_same_command_finishes(tmp_path, small_disk):
    """The disk fills while a check is in flight: exit 1, one line naming OUT, no traceback; the
    student in flight is left unfinished (not an error of theirs); once there is room, the same
    command resumes it from its stored checks and grades the rest."""
    folder = _class(tmp_path / "class", examples=("alice", "david", "emma"), slow=1.0)
    out = small_disk / "out"
    db = out / "gradebook.sqlite"
    cmd = _cmd(folder, out, "-j", "1")
    run = _start(cmd)
    _wait(lambda: LAST_BUT_ONE in _checks(db, "aa_slow"), run)
    filler = _fill(small_disk)
    _, stderr = run.communicate(timeout=120)
    assert run.returncode == 1, stderr[-3000:]
    assert "Traceback" not in stderr
    assert stderr.rstrip().splitlines()[-1].strip() == (
        f"erreur : disque plein sous « {out} » : database or disk is full ; libérez de la place puis relancez "
        "la même commande")
    assert "aa_slow" not in _complete(db)
    stored = _checks(db, "aa_slow")
    assert LAST_BUT_ONE in stored and "check_tensor_stats_on_hidden_tensors" not in stored
    assert not _query(db, "SELECT student FROM submissions WHERE status IS NOT NULL AND student != 'emma' "
                          "AND status != 'graded'")

    filler.unlink()
    rerun = subprocess.run(cmd, capture_output=True, text=True, timeout=400)
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    scores = {s["student"]: s["score"] for s in json.loads((out / "results.json").read_text())["submissions"]}
    assert scores == {s: EXPECTED[s] for s in ("aa_slow", "alice", "david", "emma")}
    assert _regraded(rerun.stderr, "aa_slow")
    again = _checks(db, "aa_slow")
    assert {k: v for k, v in again.items() if k in stored} == stored
