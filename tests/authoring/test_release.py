"""`grader release`: a student bundle holds the public checks only, leaks nothing, and still works.

Every assignment of the repository is released; its bundle is searched for the reference's
solution lines and the hidden checks' names, imported as a package of its own, and compared check
by check with the assignment. tp-tenseurs' public checks then grade the reference for real.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import re
import sys
import tomllib
from pathlib import Path

import pytest
from conftest import REPO

from grader import __version__
from grader import assignments as assignments_mod
from grader.authoring.release import ReleaseError, release
from grader.judge.registry import Check, Registry

ASSIGNMENTS = sorted(p.name for p in (REPO / "assignments").iterdir() if (p / "assignment.toml").is_file())
#: a solution line shorter than this, once the brackets and commas that tie it to its neighbours are
#: stripped, is an idiom any course text shows (`return model`, `layers.Flatten(),`, `start =
#: time.time()`, the tail `callbacks=callbacks)` of a `fit` call), not evidence of the reference
MIN_SOLUTION_LINE = 20
#: code that draws hidden inputs (the course-salted rng, held-out images) or reads the grader's labels
HIDDEN_MARKERS = (r"\.rng\(", r"grader\.judge\.holdout", r"from grader\.judge import [^\n]*\bholdout\b",
                  r"grader\.judge\.recognise", r"\bdataset_labels\b", r"^MEASURES\b")


@pytest.fixture(scope="module")
def bundles(tmp_path_factory) -> dict:
    """Each assignment released once, into its own course folder."""
    return {aid: release(REPO / "assignments" / aid, tmp_path_factory.mktemp(f"bundle-{aid}")) for aid in ASSIGNMENTS}


def original(assignment_id: str) -> list[Check]:
    return list(assignments_mod.load_folder(REPO / "assignments" / assignment_id).checks)


def notebook_text(path: Path) -> str:
    """Every cell's source and output text of a notebook, decoded from its JSON."""
    nb = json.loads(path.read_text(encoding="utf-8"))
    parts = []
    for cell in nb.get("cells", []):
        parts.append("".join(cell.get("source", "")))
        for out in cell.get("outputs", []):
            parts.append("".join(out.get("text", "")))
    return "\n".join(parts)


def file_text(path: Path) -> str:
    text = path.read_text(encoding="utf-8", errors="replace")
    return text + "\n" + notebook_text(path) if path.suffix == ".ipynb" else text


def solution_lines(assignment_id: str) -> list[str]:
    """Lines strictly between `# BEGIN SOLUTION` and `# END SOLUTION` of the reference, stripped.

    Kept only when they mean something: `MIN_SOLUTION_LINE` characters or more (brackets and commas
    at their ends aside), and not also in the student notebook (a line the student is given, like
    the imports or a `fit` call shown in another cell, gives nothing away wherever else it appears).
    """
    given = notebook_text(REPO / "assignments" / assignment_id / "student.ipynb")
    lines, inside = [], False
    for line in (REPO / "reference" / f"{assignment_id}.py").read_text(encoding="utf-8").splitlines():
        stripped = line.strip()
        if stripped == "# BEGIN SOLUTION":
            inside = True
        elif stripped == "# END SOLUTION":
            inside = False
        elif inside and len(stripped.strip(" ,()[]{}")) >= MIN_SOLUTION_LINE and stripped not in given:
            lines.append(stripped)
    return lines


def load_bundle(folder: Path) -> list[Check]:
    """`folder/checks.py` imported as `grader.assignments` does, under a package name of its own
    (so neither the real assignment nor another bundle in `sys.modules` can answer instead)."""
    package = "test_release_" + hashlib.sha256(str(folder.resolve()).encode()).hexdigest()[:12]
    spec = importlib.util.spec_from_loader(package, loader=None, is_package=True)
    pkg = importlib.util.module_from_spec(spec)
    pkg.__path__ = [str(folder)]
    sys.modules[package] = pkg
    try:
        mod_spec = importlib.util.spec_from_file_location(f"{package}.checks", folder / "checks.py")
        module = importlib.util.module_from_spec(mod_spec)
        sys.modules[f"{package}.checks"] = module
        mod_spec.loader.exec_module(module)
        assert isinstance(module.checks, Registry)
        return list(module.checks.checks)
    finally:
        for key in [k for k in sys.modules if k == package or k.startswith(package + ".")]:
            del sys.modules[key]


def write_assignment(folder: Path, modules: dict[str, str], questions=("q1",)) -> Path:
    folder.mkdir(parents=True)
    toml = f'id = "{folder.name}"\n' + "".join(f'\n[[questions]]\nid = "{q}"\npoints = 1\n' for q in questions)
    (folder / "assignment.toml").write_text(toml, encoding="utf-8")
    (folder / "student.ipynb").write_text(json.dumps({"cells": [], "metadata": {}, "nbformat": 4,
                                                      "nbformat_minor": 5}), encoding="utf-8")
    for name, text in modules.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


# -- task 1: what is marked public ---------------------------------------------------------------
@pytest.mark.parametrize("assignment_id", ASSIGNMENTS)
def test_no_public_check_requires_a_hidden_one(assignment_id):
    checks = {c.name: c for c in original(assignment_id)}
    wrong = [(c.name, r) for c in checks.values() if c.public for r in c.requires if not checks[r].public]
    assert not wrong, f"public checks that a student could never run: {wrong}"


# -- (a) nothing leaks ---------------------------------------------------------------------------
@pytest.mark.parametrize("assignment_id", ASSIGNMENTS)
def test_bundle_holds_no_solution_line_nor_hidden_check_name(bundles, assignment_id):
    result = bundles[assignment_id]
    lines = solution_lines(assignment_id)
    assert lines, "the filter left no solution line to look for: the test would prove nothing"
    hidden = [c.name for c in original(assignment_id) if not c.public]
    assert set(result.hidden_checks) == set(hidden)
    files = sorted(p for p in result.folder.parent.parent.rglob("*") if p.is_file())
    assert files
    for path in files:
        text = file_text(path)
        leaked = [line for line in lines if line in text]
        assert not leaked, f"{path.name} holds solution lines of reference/{assignment_id}.py: {leaked[:3]}"
        named = [n for n in hidden if re.search(rf"\b{re.escape(n)}\b", text)]
        assert not named, f"{path.name} names hidden checks: {named}"
        if path.suffix == ".py":
            markers = [m for m in HIDDEN_MARKERS if re.search(m, text, re.MULTILINE)]
            assert not markers, f"{path.name} ships hidden inputs or labels: {markers}"


# -- (b) the bundle is the public checks, unchanged ------------------------------------------------
@pytest.mark.parametrize("assignment_id", ASSIGNMENTS)
def test_bundle_registers_exactly_the_public_checks_in_order(bundles, assignment_id):
    result = bundles[assignment_id]
    shipped = load_bundle(result.folder)
    public = [c for c in original(assignment_id) if c.public]
    assert [c.name for c in shipped] == [c.name for c in public] == list(result.public_checks)
    for mine, theirs in zip(shipped, public, strict=True):
        assert (mine.question, mine.weight, mine.requires, mine.description, mine.public) == \
            (theirs.question, theirs.weight, theirs.requires, theirs.description, True), mine.name
        assert Path(mine.func.__code__.co_filename).parent == result.folder  # the bundle's code, not the original
    manifest = json.loads((result.folder / "bundle.json").read_text(encoding="utf-8"))
    hidden: dict[str, int] = {}
    for c in original(assignment_id):
        if not c.public:
            hidden[c.question] = hidden.get(c.question, 0) + 1
    assert manifest == {"assignment": assignment_id, "public_checks": list(result.public_checks),
                        "hidden_by_question": hidden, "grader_version": __version__}  # counts, never names


# -- (c) what the bundle is made of ---------------------------------------------------------------
@pytest.mark.parametrize("assignment_id", ASSIGNMENTS)
def test_bundle_files_no_reference_no_calibration_no_thresholds(bundles, assignment_id):
    result = bundles[assignment_id]
    course = result.folder.parent.parent
    kit = {result.wheel, result.instructions}  # the student wheel and LISEZMOI.md: tests/authoring/test_kit.py
    assert {p.relative_to(course).as_posix() for p in kit} == {"LISEZMOI.md", f"wheels/{result.wheel.name}"}
    everything = sorted(p.relative_to(course) for p in course.rglob("*") if p.is_file() and p not in kit)
    assert all(p.parts[:2] == ("assignments", assignment_id) and len(p.parts) == 3 for p in everything), everything
    names = {p.name for p in everything}
    assert {"assignment.toml", "student.ipynb", "bundle.json", "checks.py"} <= names
    assert "calibration.json" not in names
    assert not any(p.stem == assignment_id or "reference" in p.parts for p in everything)
    assert {p.suffix for p in everything} <= {".py", ".toml", ".json", ".ipynb"}  # no data (cifar10's images/)
    assert sorted(result.files) == sorted(course / p for p in everything)
    source = REPO / "assignments" / assignment_id
    assert (result.folder / "student.ipynb").read_bytes() == (source / "student.ipynb").read_bytes()
    for path in result.folder.glob("*.py"):
        assert path.read_text(encoding="utf-8").startswith("# Generated by `grader release`")

    def strip(data):
        if isinstance(data, dict):
            return {k: strip(v) for k, v in data.items() if k not in ("thresholds", "margins")}
        return [strip(v) for v in data] if isinstance(data, list) else data

    shipped = tomllib.loads((result.folder / "assignment.toml").read_text(encoding="utf-8"))
    assert shipped == strip(tomllib.loads((source / "assignment.toml").read_text(encoding="utf-8")))
    assert "thresholds" not in json.dumps(shipped) and "margins" not in json.dumps(shipped)


def test_release_again_replaces_the_bundle(tmp_path):
    out = tmp_path / "course"
    stale = out / "assignments" / "tp-tenseurs" / "old_hidden.py"
    stale.parent.mkdir(parents=True)
    stale.write_text("SECRET = 1\n", encoding="utf-8")
    result = release(REPO / "assignments" / "tp-tenseurs", out)
    assert not stale.exists()
    assert (result.folder / "checks.py").is_file()
    with pytest.raises(ReleaseError, match="overwrite the assignment itself"):
        release(REPO / "assignments" / "tp-tenseurs", REPO)


# -- pruning on a small package -------------------------------------------------------------------
PACKAGE = {
    "checks.py": '"""Entry."""\nfrom __future__ import annotations\n\nfrom . import shapes, secret  # registration\n'
                 "from .common import checks\nfrom .secret import measure\n\nMEASURES = {'q2': measure}\n"
                 "__all__ = ['MEASURES', 'checks']\n",
    "common.py": "from grader.judge.registry import Registry\n\nchecks = Registry()\nSHAPE = (3,)\n"
                 "THRESHOLD_VALUE = 0.93  # hidden\n",
    "helpers.py": "import numpy as np\n\n\ndef width(shape):\n    return int(np.prod(shape))\n\n\n"
                  "def hidden_images(ctx):\n    return ctx.rng('held-out')\n",
    "shapes.py": "from grader.judge.registry import fail\nfrom . import helpers\nfrom .common import SHAPE, "
                 "THRESHOLD_VALUE, checks\n\n\n@checks('q1', public=True)\ndef check_x_shape(obs, ctx):\n"
                 "    if helpers.width(SHAPE) != 3:\n        fail('x')\n\n\n@checks('q1', requires=('check_x_shape',))\n"
                 "def check_x_secret(obs, ctx):\n    return helpers.hidden_images(ctx), THRESHOLD_VALUE\n",
    "secret.py": "from .common import THRESHOLD_VALUE, checks\n\n\ndef measure(obs, ctx):\n"
                 "    return THRESHOLD_VALUE\n\n\n@checks('q2')\ndef check_y_on_held_out(obs, ctx):\n"
                 "    return measure(obs, ctx)\n",
}


def test_pruning_keeps_what_public_checks_use_across_modules(tmp_path):
    folder = write_assignment(tmp_path / "src" / "demo", PACKAGE, questions=("q1", "q2"))
    result = release(folder, tmp_path / "out")
    assert result.public_checks == ("check_x_shape",)
    assert result.modules == ("checks", "common", "helpers", "shapes")  # secret.py: nothing public left
    text = {p.name: p.read_text(encoding="utf-8") for p in result.folder.glob("*.py")}
    everything = "\n".join(text.values())
    for gone in ("THRESHOLD_VALUE", "hidden_images", "check_x_secret", "check_y_on_held_out", "measure",
                 "MEASURES", "secret", "# registration"):
        assert gone not in everything, gone
    assert "from . import shapes\n" in text["checks.py"] and "__all__ = ['checks']" in text["checks.py"]
    assert "def width" in text["helpers.py"] and "import numpy as np" in text["helpers.py"]
    assert "SHAPE = (3,)" in text["common.py"]
    assert [c.name for c in load_bundle(result.folder)] == ["check_x_shape"]


def test_public_check_requiring_a_hidden_one_is_refused(tmp_path):
    folder = write_assignment(tmp_path / "src" / "demo", {"checks.py": (
        "from grader.judge.registry import Registry\n\nchecks = Registry()\n\n\n"
        "@checks('q1')\ndef check_hidden_first(obs, ctx):\n    pass\n\n\n"
        "@checks('q1', public=True, requires=('check_hidden_first',))\ndef check_public_after(obs, ctx):\n"
        "    pass\n")})
    out = tmp_path / "out"
    with pytest.raises(ReleaseError, match=r"check_public_after.*requires.*check_hidden_first"):
        release(folder, out)
    assert not (out / "assignments" / "demo").exists()


def test_kept_code_calling_a_hidden_check_is_refused(tmp_path):
    folder = write_assignment(tmp_path / "src" / "demo", {"checks.py": (
        "from grader.judge.registry import Registry\n\nchecks = Registry()\n\n\n"
        "@checks('q1')\ndef check_hidden(obs, ctx):\n    pass\n\n\n"
        "@checks('q1', public=True)\ndef check_public(obs, ctx):\n    check_hidden(obs, ctx)\n")})
    with pytest.raises(ReleaseError, match="hidden check check_hidden"):
        release(folder, tmp_path / "out")


# -- the bundle grades for real ---------------------------------------------------------------------
def test_tenseurs_public_checks_pass_on_the_reference(tmp_path):
    from grader.grading import prepare
    from grader.intake.discovery import cleanup
    from grader.intake.discovery import load as load_submission
    from grader.judge.engine import run_checks
    from grader.judge.observe import Observer
    from grader.model import Status
    from grader.runner.session import RunnerSession

    result = release(REPO / "assignments" / "tp-tenseurs", tmp_path / "course")
    loaded = assignments_mod.load("tp-tenseurs", courses=[tmp_path / "course"], public_only=True)
    assert Path(loaded.assignment.folder) == result.folder
    assert [c.name for c in loaded.checks] == list(result.public_checks) and loaded.checks
    _, limits, ctx = prepare(loaded.assignment, limits=dict(loaded.assignment.limits))
    sub = load_submission(REPO / "reference" / "tp-tenseurs.py", "reference")
    try:
        with RunnerSession(list(sub.cells), sub.workdir, limits) as session:
            cells = session.run_cells()
            results = run_checks(loaded.checks, Observer(session), ctx, done={}, on_result=lambda r: None)
    finally:
        cleanup([sub])
    assert all(c.status is Status.PASSED for c in cells), [(c.index, c.status, c.error) for c in cells]
    assert [r.name for r in results] == list(result.public_checks)
    assert all(r.status is Status.PASSED for r in results), [(r.name, r.status, r.message.fr) for r in results]
