"""Mirrors of the runtime for a dropped uid: what it cannot reach is found precisely, and mirrored
without touching the original (hard links where readable, world-readable copies otherwise)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from grader.runner import staging
from grader.runner.sandbox import RUNNER_UID

ROOT_ONLY = pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("setpriv"),
                               reason="needs root and setpriv to drop to the runner uid")


@pytest.fixture
def open_tmp():
    """A 0755 folder under /tmp (pytest's own tmp_path lies under a 0700 folder)."""
    path = Path(tempfile.mkdtemp(prefix="grader-test-"))
    path.chmod(0o755)
    yield path
    shutil.rmtree(path, ignore_errors=True)


def as_runner(*cmd: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(["setpriv", "--reuid", str(RUNNER_UID), "--regid", str(RUNNER_UID), "--clear-groups",
                           "--", *cmd], capture_output=True, text=True, cwd="/", env=env)


def test_denial_names_the_folder_and_its_permissions(open_tmp):
    home = open_tmp / "home"
    (home / "cours").mkdir(parents=True)
    (home / "cours" / "a.py").write_text("x = 1")
    home.chmod(0o700)
    d = staging.denied(home / "cours" / "a.py", 4242)
    assert (d.path, d.need, d.mode) == (str(home), "traverse", "drwx------")
    assert f"ne peut pas traverser {home} (drwx------" in d.message(4242).fr
    assert f"cannot traverse {home}" in d.message(4242).en
    home.chmod(0o755)
    (home / "cours" / "a.py").chmod(0o600)
    d = staging.blocked(home, 4242)
    assert (d.path, d.need, d.mode) == (str(home / "cours" / "a.py"), "read", "-rw-------")
    (home / "cours" / "a.py").chmod(0o644)
    assert staging.blocked(home, 4242) is None
    assert staging.denied(home / "missing", 4242) is None


def test_mirror_links_readable_files_copies_the_others_and_leaves_the_original_alone(tmp_path):
    src = tmp_path / "src"
    (src / "bin").mkdir(parents=True)
    (src / "lib").mkdir()
    (src / "lib" / "mod.py").write_text("print('hi')")
    (src / "lib" / "secret.py").write_text("y = 2")
    (src / "lib" / "secret.py").chmod(0o600)
    (src / "bin" / "tool").write_text("#!/bin/sh\n")
    (src / "bin" / "tool").chmod(0o700)
    os.symlink("tool", src / "bin" / "rel")
    os.symlink(str(src / "lib" / "mod.py"), src / "bin" / "abs")
    os.symlink("/usr/bin/env", src / "bin" / "outside")
    (src / "pyvenv.cfg").write_text(f"home = {src}/bin\ninclude-system-site-packages = false\n")
    dest = tmp_path / "mirror"
    staging.mirror(src, dest, {str(src): str(dest)})
    staging._rewrite_venv_cfg(dest, {str(src): str(dest)})
    assert os.stat(dest / "lib" / "mod.py").st_ino == os.stat(src / "lib" / "mod.py").st_ino
    assert os.stat(dest / "lib" / "secret.py").st_ino != os.stat(src / "lib" / "secret.py").st_ino
    assert oct(os.stat(dest / "lib" / "secret.py").st_mode & 0o777) == "0o644"
    assert oct(os.stat(dest / "bin" / "tool").st_mode & 0o777) == "0o755"
    assert oct(os.stat(src / "lib" / "secret.py").st_mode & 0o777) == "0o600"  # original untouched
    assert os.readlink(dest / "bin" / "rel") == "tool"
    assert os.readlink(dest / "bin" / "abs") == str(dest / "lib" / "mod.py")
    assert os.readlink(dest / "bin" / "outside") == "/usr/bin/env"
    assert (dest / "pyvenv.cfg").read_text().startswith(f"home = {dest}/bin\n")
    assert (src / "pyvenv.cfg").read_text().startswith(f"home = {src}/bin\n")
    assert staging.denied_inside(dest, 4242) is None


def test_stage_folder_must_be_ours(tmp_path, monkeypatch):
    """A stage folder planted by someone else (or writable by others) is never used."""
    planted = tmp_path / f"{staging.STAGE_NAME}-{os.geteuid()}"
    planted.mkdir()
    planted.chmod(0o777)
    assert staging._safe_stage_dir(str(tmp_path)) is None
    planted.chmod(0o755)
    assert staging._safe_stage_dir(str(tmp_path)) == planted


@ROOT_ONLY
def test_runtime_for_the_runner_uid_imports_this_grader(tmp_path):
    """Whatever the install's location (here pyenv under a 0700 /root, or a checkout in a 0700
    folder), the dropped uid runs the same Python with numpy and the runner package."""
    runtime = staging.runtime_for(RUNNER_UID)
    for root in runtime.roots:
        assert staging.denied(root, RUNNER_UID) is None, root
    env = {"PATH": "/usr/bin:/bin", **runtime.environ()}
    r = as_runner(runtime.python, "-c", "import sys, os, numpy, grader.runner.worker; print(sys.hexversion, os.getuid())",
                  env=env)
    assert r.returncode == 0, r.stderr[-2000:]
    assert r.stdout.split() == [str(sys.hexversion), str(RUNNER_UID)]


@ROOT_ONLY
def test_served_data_in_a_closed_home_is_linked_for_the_runner(tmp_path, open_tmp):
    home = tmp_path / "prof"
    (home / "data").mkdir(parents=True)
    (home / "data" / "mnist.npz").write_bytes(b"npz bytes")
    (home / "data" / "fashion").mkdir()
    (home / "data" / "fashion" / "t10k.gz").write_bytes(b"gz")
    home.chmod(0o700)
    served = open_tmp  # as grading makes it: under /tmp, 0755
    for path, name in ((home / "data" / "mnist.npz", None), (home / "data" / "fashion", "t10k.gz")):
        staged = staging.stage_data(str(path), RUNNER_UID, served)
        assert staged != str(path)
        target = os.path.join(staged, name) if name else staged
        r = as_runner("cat", target)
        assert r.returncode == 0 and r.stdout in ("npz bytes", "gz"), r.stderr
    readable = served / "open.npz"
    readable.write_bytes(b"x")
    readable.chmod(0o644)
    assert staging.stage_data(str(readable), RUNNER_UID, served) == str(readable)


def test_mirrors_are_reused_and_those_of_a_deleted_source_forgotten(tmp_path):
    stage = tmp_path / "stage"
    stage.mkdir()
    venv = tmp_path / "venv"
    (venv / "lib").mkdir(parents=True)
    (venv / "lib" / "m.py").write_text("x = 1")
    first = staging._materialise(stage, venv, "k1", {}, frozenset())
    assert staging._materialise(stage, venv, "k1", {}, frozenset()) == first  # kept between runs
    gone = tmp_path / "gone-venv"
    (gone / "lib").mkdir(parents=True)
    old = staging._materialise(stage, gone, "k2", {}, frozenset())
    shutil.rmtree(gone)
    staging._materialise(stage, venv, "k3", {}, frozenset())
    assert not old.exists() and not (stage / f"{old.name}.source").exists()
    assert first.exists()  # same source, used recently: kept


def test_pth_lines_into_a_mirrored_tree_follow_the_mirror(tmp_path):
    """A venv whose dependencies come from another environment through a `.pth` line (shared
    site-packages) keeps them when both are mirrored; `import` lines and other paths are kept."""
    site = tmp_path / "venv" / "lib" / "python3.11" / "site-packages"
    site.mkdir(parents=True)
    deps = tmp_path / "base" / "lib" / "python3.11" / "site-packages"
    (site / "deps.pth").write_text(f"{deps}\nimport sys\n/opt/elsewhere\n")
    original = (site / "deps.pth").read_text()
    moves = {str(tmp_path / "base"): "/var/tmp/mirror/base-1", str(tmp_path / "venv"): "/var/tmp/mirror/venv-1"}
    staging.mirror(tmp_path / "venv", tmp_path / "copy", moves)
    staging._rewrite_pth(tmp_path / "copy", moves)
    lines = (tmp_path / "copy" / "lib" / "python3.11" / "site-packages" / "deps.pth").read_text().splitlines()
    assert lines == ["/var/tmp/mirror/base-1/lib/python3.11/site-packages", "import sys", "/opt/elsewhere"]
    assert (site / "deps.pth").read_text() == original  # the original is never written through
