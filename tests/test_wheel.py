"""The wheel is the product: built, installed into a fresh environment, used from an unrelated folder.

No source tree is on the installed grader's path: `grader list` and the Quick start's grading must
work from the package data alone (the built-in course through importlib.resources).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

from conftest import REPO

THIEF = """import pathlib
import grader
try:
    exec((pathlib.Path(grader.__file__).parent / "resources" / "reference" / "tp-tenseurs.py").read_text())
except OSError as e:
    print("blocked", e)
"""
QUICK_START_SCORES = {"alice": 20.0, "bruno": 17.0, "chloe": 17.0, "david": 0.0, "emma": 0.0}


def _run(cmd: list[str], cwd: Path, timeout: float = 900) -> subprocess.CompletedProcess:
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=timeout)
    assert proc.returncode == 0, f"{cmd}: rc {proc.returncode}\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    return proc


def build_wheel(dest: Path) -> Path:
    """From a copy of the tracked layout, so the build's droppings never land in the checkout."""
    src = dest / "src"
    for part in ("grader", "assignments", "reference", "templates"):
        shutil.copytree(REPO / part, src / part, symlinks=True, ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(REPO / name, src / name)
    _run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "-w", str(dest), str(src)],
         cwd=dest)
    [wheel] = dest.glob("tp_grader-*.whl")
    return wheel


def fresh_env(root: Path) -> Path:
    """A new venv; the dependencies (TensorFlow...) come from this environment through a `.pth` line,
    which adds their folder without running this environment's own `.pth` files (the editable
    install of the checkout stays out)."""
    subprocess.run([sys.executable, "-m", "venv", str(root)], check=True, timeout=300)
    python = root / "bin" / "python"
    site = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          capture_output=True, text=True, check=True).stdout.strip()
    deps = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    (Path(site) / "_outer_deps.pth").write_text("".join(f"{d}\n" for d in sorted(deps)))
    return python


def test_wheel_installed_elsewhere_lists_the_ten_tps_and_grades_the_quick_start(tmp_path):
    wheel = build_wheel(tmp_path / "wheels")
    python = fresh_env(tmp_path / "venv")
    _run([str(python), "-m", "pip", "install", "-q", "--no-deps", "--no-index", str(wheel)], cwd=tmp_path)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    where = _run([str(python), "-c", "import grader, grader.courses as c; print(grader.__file__); "
                                     "print(c.builtin().root)"], cwd=elsewhere).stdout.split()
    assert all(p.startswith(str(tmp_path / "venv")) for p in where), where  # not the checkout
    grader = tmp_path / "venv" / "bin" / "grader"
    listed = _run([str(grader), "list", "--lang", "en"], cwd=elsewhere).stdout
    for aid in ("tp-cnn-mnist", "tp-diy", "tp-fashion", "tp-gradient", "tp-mnist-dense", "tp-tenseurs",
                "tp-transfer", "tp1-autoencoder", "tp1-cifar10", "tp1-lstm-vs-cnn"):
        assert aid in listed
    assert "Error" not in listed and "error" not in listed
    shutil.copytree(REPO / "examples" / "tp-tenseurs", elsewhere / "klass")
    # the installed package holds the built-in references as real files: under Layer 2 the runner,
    # which imports that package, must not read them
    (elsewhere / "klass" / "thief.py").write_text(THIEF)
    _run([str(grader), "run", "klass", "--out", "out"], cwd=elsewhere)
    results = json.loads((elsewhere / "out" / "results.json").read_text())
    scores = {s["student"]: s["score"] for s in results["submissions"]}
    thief = scores.pop("thief")
    assert scores == QUICK_START_SCORES
    layers = next(s for s in results["submissions"] if s["student"] == "alice")["info"]["sandbox_layers"]
    if 2 in layers:
        assert thief == 0.0
    assert (elsewhere / "out" / "summary.html").read_text().count("<") > 10  # templates came with the wheel
