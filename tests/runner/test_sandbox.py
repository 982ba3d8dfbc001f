"""Sandbox plans as an instructor meets them: root never lends itself to student code, wherever the
grader is installed, and a layer that is off says exactly why (its failing step's own error)."""

from __future__ import annotations

import json
import os
import shutil
import site
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from conftest import REPO

from grader.runner.sandbox import NPROC, SandboxPlan, nproc_limit, plan

AS_ROOT = pytest.mark.skipif(os.geteuid() != 0, reason="the grader runs as root only where the tests do")
EXAMPLE = REPO / "examples" / "tp-tenseurs"


def fake_tool(folder: Path, name: str, stderr: str, code: int = 1) -> Path:
    """A stand-in for a system tool on PATH that fails the way a locked-down machine makes it fail."""
    folder.mkdir(exist_ok=True)
    tool = folder / name
    tool.write_text(f"#!/bin/sh\necho '{stderr}' >&2\nexit {code}\n")
    tool.chmod(0o755)
    return folder


def make_venv(path: Path) -> Path:
    """A venv of this Python that sees its packages (no pip: fast); returns its interpreter.

    Made from a venv (as `.ci/run` runs the tests), `--system-site-packages` reaches the *base*
    interpreter's packages, not this environment's: those are hard-linked into the new venv (a copy
    where links cannot be made), so it holds its packages as an instructor's venv does."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", "--system-site-packages", str(path)], check=True)
    if sys.prefix != sys.base_prefix:
        version = f"python{sys.version_info[0]}.{sys.version_info[1]}"
        target = path / "lib" / version / "site-packages"
        for source in site.getsitepackages():
            if subprocess.run(["cp", "-al", f"{source}/.", str(target)], capture_output=True).returncode:
                shutil.copytree(source, target, symlinks=True, dirs_exist_ok=True)
    return path / "bin" / "python"


def grader_cli(*args: str, path_prefix: Path | None = None, cwd: Path | None = None,
               python: str = sys.executable) -> subprocess.CompletedProcess:
    env = {**os.environ, "COLUMNS": "200"}
    if path_prefix is not None:
        env["PATH"] = f"{path_prefix}{os.pathsep}{env.get('PATH', '/usr/bin:/bin')}"
    return subprocess.run([python, "-m", "grader", *args], capture_output=True, text=True, env=env,
                          cwd=cwd or REPO, timeout=900)


def test_nproc_is_sized_to_tensorflow_not_to_a_fork_bomb():
    assert nproc_limit(2) == 80 and nproc_limit(16) == 192
    assert NPROC == nproc_limit(os.cpu_count())
    assert NPROC < 1024


def test_plan_off_is_unsafe_only_as_root():
    off = plan("off")
    assert off.layers == (0,)
    assert off.unsafe is (os.geteuid() == 0)
    assert (off.warning is not None) is off.unsafe
    assert SandboxPlan((0, 1), uid=64023).warning is None


@AS_ROOT
def test_root_without_layer1_refuses_with_the_failing_steps_error(tmp_path):
    """setpriv refused (as in a container without CAP_SETUID): nothing is graded, exit 2, the reason
    quotes setpriv's own words, in the language asked for."""
    fake = fake_tool(tmp_path / "bin", "setpriv", "setpriv: setresuid failed: Operation not permitted")
    out = tmp_path / "out"
    r = grader_cli("run", str(EXAMPLE), "--out", str(out), "--lang", "en", path_prefix=fake)
    assert r.returncode == 2, r.stderr[-2000:]
    text = " ".join(r.stderr.split())
    assert "cannot run student code as a dedicated user (Layer 1)" in text, text
    assert "setresuid failed: Operation not permitted" in text
    assert not (out / "results.json").exists()
    r = grader_cli("run", str(EXAMPLE), "--out", str(out), path_prefix=fake)
    assert r.returncode == 2 and "sous un utilisateur dédié" in " ".join(r.stderr.split())


@AS_ROOT
def test_sandbox_off_as_root_warns_in_red_and_is_recorded(tmp_path):
    klass = tmp_path / "class"
    klass.mkdir()
    shutil.copy(EXAMPLE / "alice.ipynb", klass / "alice.ipynb")
    r = grader_cli("run", str(klass), "--out", str(tmp_path / "out"), "--sandbox", "off", "--lang", "en")
    assert r.returncode == 0, r.stderr[-2000:]
    assert "student code runs as root" in " ".join(r.stderr.split())
    sub = json.loads((tmp_path / "out" / "results.json").read_text())["submissions"][0]
    assert sub["score"] == 20
    assert "root" in sub["info"]["sandbox_warning"]["en"] and "root" in sub["info"]["sandbox_warning"]["fr"]
    assert sub["info"]["sandbox_layers"] == [0]


def test_a_broken_bubblewrap_is_reported_with_its_own_error(tmp_path):
    fake = fake_tool(tmp_path / "bin", "bwrap", "bwrap: No permissions to creating new namespace")
    code = ("from grader.runner.sandbox import plan\np = plan('auto')\n"
            "print(p.layers)\nprint(p.describe('en'))\nprint(p.describe('fr'))")
    env = {**os.environ, "PATH": f"{fake}{os.pathsep}{os.environ['PATH']}"}
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=600)
    assert r.returncode == 0, r.stderr[-2000:]
    layers, en, fr = r.stdout.splitlines()[-3:]
    assert "2" not in layers
    assert "2: bubblewrap present but refused: bwrap failed: bwrap: No permissions to creating new namespace" in en
    assert "2 : bubblewrap présent mais refusé : bwrap a échoué" in fr


@AS_ROOT
def test_checkout_in_a_closed_folder_with_a_venv_in_a_closed_home_still_drops_root(tmp_path):
    """The instructor's setup that ran every student as root: a checkout in a `mktemp -d` folder (0700),
    a venv in a 0700 home. Layer 1 is active and student code runs as the runner uid."""
    closed = Path(tempfile.mkdtemp(prefix="grader-checkout-"))  # 0700, like mktemp -d
    home = Path(tempfile.mkdtemp(prefix="grader-home-"))
    try:
        checkout = closed / "tp-grader"
        for part in ("grader", "assignments", "reference", "templates"):
            shutil.copytree(REPO / part, checkout / part, ignore=shutil.ignore_patterns("__pycache__"))
        klass = checkout / "class"
        klass.mkdir()
        shutil.copy(EXAMPLE / "alice.ipynb", klass / "alice.ipynb")
        (klass / "whoami.py").write_text((REPO / "reference" / "tp-tenseurs.py").read_text()
                                         + "\n\n# %%\nimport os, sys\nprint('RUNS AS', os.getuid(), sys.version_info[:2])\n")
        python = make_venv(home / "venv")
        assert oct(closed.stat().st_mode & 0o777) == "0o700" and oct(home.stat().st_mode & 0o777) == "0o700"
        r = grader_cli("run", "class", "--assignment", "tp-tenseurs", "--out", "out", "--lang", "en",
                       cwd=checkout, python=str(python))
        assert r.returncode == 0, r.stderr[-3000:]
        assert "1 (dedicated user + seccomp)" in " ".join(r.stderr.split()), r.stderr[-2000:]
        data = json.loads((checkout / "out" / "results.json").read_text())
        subs = {s["student"]: s for s in data["submissions"]}
        assert subs["alice"]["score"] == 20 and subs["whoami"]["score"] == 20
        assert 1 in subs["whoami"]["info"]["sandbox_layers"]
        with sqlite3.connect(checkout / "out" / "gradebook.sqlite") as db:  # the gradebook keeps cell outputs
            cells = json.loads(db.execute("SELECT cells FROM submissions WHERE student = 'whoami'").fetchone()[0])
        output = cells[-1]["output"]
        assert "RUNS AS" in output, output[-3000:]
        uid = int(output.split("RUNS AS")[1].split()[0])
        assert 64023 <= uid < 64023 + 256, output
        assert f"({sys.version_info[0]}, {sys.version_info[1]})" in output  # our Python, not the system's
    finally:
        shutil.rmtree(closed, ignore_errors=True)
        shutil.rmtree(home, ignore_errors=True)


@pytest.mark.skipif(not os.environ.get("GRADER_REQUIRE_LAYERS"),
                    reason="GRADER_REQUIRE_LAYERS unset: this machine promises no layer (.ci/run sets it)")
def test_the_layers_this_machine_must_give_are_active():
    from conftest import required_layers

    assert required_layers() <= set(plan("auto").layers), plan("auto").describe("en")


@AS_ROOT
@pytest.mark.skipif(not shutil.which("bwrap"), reason="needs sandbox layer 2 (bubblewrap not installed)")
def test_a_venv_under_tmp_keeps_layer2(tmp_path):
    """bwrap mounts a fresh /tmp: a venv that lives there must be bound after it, not hidden by it."""
    venv = Path(tempfile.mkdtemp(prefix="grader-venv-")) / "venv"
    try:
        python = make_venv(venv)
        code = ("import shutil\nfrom grader.runner.sandbox import SandboxPlan, plan, probe\n"
                "print(probe(SandboxPlan((0, 2), bwrap=shutil.which('bwrap'))))\nprint(plan('auto').layers)")
        r = subprocess.run([str(python), "-c", code], capture_output=True, text=True, cwd=REPO,
                           timeout=600)
        assert r.returncode == 0, r.stderr[-2000:]
        alone, layers = r.stdout.splitlines()[-2:]
        assert alone == "None"  # Layer 2 alone, the venv bound at its own path under the sandbox's /tmp
        assert layers == "(0, 1, 2)"
    finally:
        shutil.rmtree(venv.parent, ignore_errors=True)
