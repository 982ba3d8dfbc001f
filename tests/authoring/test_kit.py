"""What a student is told to install or download holds no solution, and self-checks on its own.

`grader release` of two built-in TPs into one folder: everything in it (the student wheel
unpacked, `LISEZMOI.md`, the bundles) is searched for every non-trivial line of the ten
references, every hidden check's name, the threshold and margin tables and calibrations. Then
the student wheel is installed, as `LISEZMOI.md` says, into a fresh venv that does not hold this
checkout, and `grader check` runs the stub notebook from the bundle alone, as do the notebook's own
self-check cells (`grader.selfcheck`, run by a plain Python: the text verdict).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tomllib
import zipfile
from pathlib import Path

import pytest
from conftest import REPO

from grader import assignments as assignments_mod
from grader.authoring import kit
from grader.authoring.release import ReleaseError, release

RELEASED = ("tp-mnist-dense", "tp-tenseurs")
ASSIGNMENTS = sorted(p.name for p in (REPO / "assignments").iterdir() if (p / "assignment.toml").is_file())
#: a reference line shorter than this once the brackets, commas and colons around it are stripped
#: is an idiom (`return out`, `return (`), not evidence of a solution
MIN_LINE = 12


def notebook_text(path: Path) -> str:
    nb = json.loads(path.read_text(encoding="utf-8"))
    parts = []
    for cell in nb.get("cells", []):
        parts.append("".join(cell.get("source", "")))
        for out in cell.get("outputs", []):
            parts.append("".join(out.get("text", "")))
    return "\n".join(parts)


def reference_lines() -> dict[str, list[str]]:
    """Every non-trivial line of every reference: not blank, a comment or an import, not a line a
    student notebook gives (its imports, stubs and instructions), at least `MIN_LINE` long."""
    given = {line.strip() for p in (REPO / "assignments").glob("*/student.ipynb")
             for line in notebook_text(p).splitlines()}
    found = {}
    for ref in sorted((REPO / "reference").glob("*.py")):
        lines = []
        for line in ref.read_text(encoding="utf-8").splitlines():
            s = line.strip()
            if not s or s.startswith("#") or s.startswith(("import ", "from ")) or s in given:
                continue
            if len(s.strip(" ,()[]{}:")) >= MIN_LINE:
                lines.append(s)
        found[ref.stem] = lines
    return found


def hidden_check_names() -> set[str]:
    """Hidden checks of the ten TPs (less a name some TP's public check also has)."""
    hidden, public = set(), set()
    for aid in ASSIGNMENTS:
        for c in assignments_mod.load_folder(REPO / "assignments" / aid).checks:
            (public if c.public else hidden).add(c.name)
    return hidden - public


def secret_numbers() -> list[tuple[str, str, str]]:
    """(TP, key, value) of every threshold, margin and calibrated score of the ten TPs."""
    found = []
    for aid in ASSIGNMENTS:
        folder = REPO / "assignments" / aid

        def walk(data, aid=aid):
            if isinstance(data, dict):
                for k, v in data.items():
                    if k in ("thresholds", "margins") and isinstance(v, dict):
                        found.extend((aid, q, repr(val)) for q, val in v.items())
                    else:
                        walk(v)

        walk(tomllib.loads((folder / "assignment.toml").read_text(encoding="utf-8")))
        calibration = folder / "calibration.json"
        if calibration.is_file():
            for entry in json.loads(calibration.read_text(encoding="utf-8")).values():
                found.extend((aid, q, repr(v)) for q, v in entry.get("scores", {}).items())
    return found


@pytest.fixture(scope="module")
def student(tmp_path_factory) -> dict:
    """The two TPs released into one folder; the student wheel unpacked beside it."""
    out = tmp_path_factory.mktemp("bundle")
    results = [release(REPO / "assignments" / aid, out) for aid in RELEASED]
    assert results[0].wheel == results[1].wheel and results[0].instructions == results[1].instructions
    unpacked = tmp_path_factory.mktemp("wheel")
    with zipfile.ZipFile(results[0].wheel) as zf:
        zf.extractall(unpacked)
    return {"out": out, "wheel": results[0].wheel, "unpacked": unpacked, "results": results}


def everything_given(student) -> dict[Path, str]:
    """Each file a student installs or downloads, as text (the wheel by its unpacked members)."""
    files = [p for p in student["unpacked"].rglob("*") if p.is_file()]
    files += [p for p in student["out"].rglob("*") if p.is_file() and p != student["wheel"]]
    texts = {}
    for p in files:
        text = p.read_text(encoding="utf-8", errors="replace")
        texts[p] = text + "\n" + notebook_text(p) if p.suffix == ".ipynb" else text
    return texts


def test_the_release_folder_is_the_bundles_the_student_wheel_and_the_instructions(student):
    out = student["out"]
    top = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()
                 and p.relative_to(out).parts[0] != "assignments")
    wheel = student["wheel"]
    assert top == ["LISEZMOI.md", f"wheels/{wheel.name}"]
    assert re.fullmatch(r"tp_grader-[\d.]+\+student-py3-none-any\.whl", wheel.name)
    assert sorted(p.name for p in (out / "assignments").iterdir()) == sorted(RELEASED)
    page = (out / "LISEZMOI.md").read_text(encoding="utf-8")
    assert "## Français" in page and "## English" in page
    assert page.count(f'pip install "wheels/{wheel.name}"') == 2  # French and English
    assert "grader check" in page and "--bundle ." in page
    # the notebook's own self-check cells: where they find this folder, how to name it, English
    assert "### Vérifier dans le notebook" in page and "### Check in the notebook" in page
    assert page.count("GRADER_BUNDLE") == 2 and page.count(f'init("{RELEASED[0]}", lang="en")') == 2
    for aid in RELEASED:
        assert f"assignments/{aid}/student.ipynb" in page
    for lang in ("fr", "en"):  # the console's last line after `grader release`
        line = kit.handout(out, wheel, lang)
        assert f"wheels/{wheel.name}" in line and "LISEZMOI.md" in line and f"--bundle {out}" in line
    assert "Pour les élèves" in kit.handout(out, wheel) and "For students" in kit.handout(out, wheel, "en")
    names = [info.filename for info in zipfile.ZipFile(wheel).infolist()]
    assert "grader/cli/__init__.py" in names and "grader/resources/templates/report.html" in names
    assert not [n for n in names if n.startswith(("grader/resources/assignments", "grader/resources/reference"))]


def test_what_a_student_installs_holds_no_reference_line_no_hidden_check_no_threshold(student):
    texts = everything_given(student)
    lines = reference_lines()
    assert sum(map(len, lines.values())) > 200, "too few reference lines to look for: the test would prove nothing"
    for ref, wanted in lines.items():
        for path, text in texts.items():
            leaked = [line for line in wanted if line in text]
            assert not leaked, f"{path} holds lines of reference/{ref}.py: {leaked[:3]}"
    hidden = hidden_check_names()
    assert len(hidden) > 20
    for path, text in texts.items():
        named = sorted(n for n in hidden if re.search(rf"\b{re.escape(n)}\b", text))
        assert not named, f"{path} names hidden checks: {named[:5]}"
    assert not [p for p in texts if p.name in ("calibration.json",) or p.stem in ASSIGNMENTS and p.suffix == ".py"]
    for path in (p for p in texts if p.suffix == ".toml"):
        shipped = json.dumps(tomllib.loads(texts[path]))
        assert "thresholds" not in shipped and "margins" not in shipped, path
    numbers = secret_numbers()
    assert len(numbers) > 20
    for aid, key, value in numbers:
        pattern = re.compile(rf"""["']?\b{re.escape(key)}\b["']?\s*[=:]\s*{re.escape(value)}(?![\d])""")
        for path, text in texts.items():
            assert not pattern.search(text), f"{path} holds {aid}'s {key} = {value}"
            if len(value) >= 6:  # a calibrated score (0.9545): distinctive on its own
                assert value not in text, f"{path} holds {aid}'s {key} score {value}"


def _make_venv(path: Path) -> Path:
    from runner.test_sandbox import make_venv

    return make_venv(path)


def student_venv(root: Path, wheel: Path) -> Path:
    """A fresh venv with this environment's dependencies (TensorFlow...) but not this checkout's
    editable install, then the student wheel installed with pip, as `LISEZMOI.md` says."""
    python = _make_venv(root)
    site = Path(subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                               capture_output=True, text=True, check=True).stdout.strip())
    for leftover in [*site.glob("__editable__*tp_grader*"), *site.glob("tp_grader-*.dist-info"), site / "grader"]:
        if leftover.is_dir() and not leftover.is_symlink():
            shutil.rmtree(leftover)
        elif leftover.exists() or leftover.is_symlink():
            leftover.unlink()
    r = subprocess.run([str(python), "-m", "pip", "install", "-q", "--no-deps", "--no-index", str(wheel)],
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-3000:]
    return python


def test_a_student_self_checks_from_the_student_wheel_and_the_bundle_alone(student, tmp_path):
    python = student_venv(tmp_path / "venv", student["wheel"])
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("GRADER_COURSE", "PYTHONPATH")}
    env["COLUMNS"] = "200"
    probe = subprocess.run([str(python), "-c", "import grader, grader.courses as c; print(grader.__file__); "
                            "print(c.builtin().ids()); print(c.builtin().reference.exists())"],
                           capture_output=True, text=True, cwd=elsewhere, env=env, timeout=300)
    assert probe.returncode == 0, probe.stderr[-2000:]
    where, ids, has_reference = probe.stdout.split()
    assert where.startswith(str(tmp_path / "venv")), where  # the installed student wheel, not the checkout
    assert ids == "[]" and has_reference == "False"  # no built-in course at all
    notebook = elsewhere / "tp-tenseurs.ipynb"
    shutil.copy(student["out"] / "assignments" / "tp-tenseurs" / "student.ipynb", notebook)
    grader = python.parent / "grader"
    r = subprocess.run([str(grader), "check", notebook.name, "--bundle", str(student["out"]), "--lang", "en"],
                       capture_output=True, text=True, cwd=elsewhere, env=env, timeout=900)
    assert r.returncode == 0, (r.stdout[-3000:], r.stderr[-3000:])
    console = " ".join((r.stdout + r.stderr).split())
    assert "tp-tenseurs — self-check (public checks only)" in console, console[-3000:]
    assert "0/4 public checks passed" in console, console[-3000:]  # tp-tenseurs' four public checks
    assert r.stdout.count("│ failed │") == 4, r.stdout[-3000:]  # each listed, failed on the stub
    [report] = (elsewhere / "grader-check" / "reports").glob("*.html")
    html = report.read_text(encoding="utf-8")
    public = student["results"][1].public_checks
    hidden = student["results"][1].hidden_checks
    assert len(public) == 4 and hidden
    assert all(n in html for n in public), public
    assert not [n for n in hidden if n in html or n in console]
    # the notebook's own self-check cells, run by a plain Python (text, not HTML) from the same install
    run_cells = ("import json, sys, grader\nassert grader.__file__.startswith(sys.argv[2]), grader.__file__\n"
                 "for cell in json.load(open(sys.argv[1]))['cells']:\n"
                 "    if cell['cell_type'] == 'code':\n"
                 "        try:\n            exec(''.join(cell['source']), globals())\n"
                 "        except Exception as e:\n            print('cell error:', type(e).__name__)\n")
    r = subprocess.run([str(python), "-c", run_cells, notebook.name, str(tmp_path / "venv")], capture_output=True,
                       text=True, cwd=elsewhere, env={**env, "GRADER_BUNDLE": str(student["out"])}, timeout=600)
    assert r.returncode == 0, r.stderr[-3000:]
    assert "Auto-vérification prête : TP « tp-tenseurs », 4 vérification(s) publique(s)" in r.stdout, r.stdout[-3000:]
    assert r.stdout.count("[Échoué]") == 8 and "0/4 vérifications publiques réussies." in r.stdout  # q1-q4, check_all
    assert not [n for n in hidden if n in r.stdout]


def test_a_lisezmoi_not_written_by_release_is_never_replaced(tmp_path):
    (tmp_path / kit.INSTRUCTIONS).write_text("# Mon cours\n", encoding="utf-8")
    with pytest.raises(ReleaseError, match="LISEZMOI.md"):
        release(REPO / "assignments" / "tp-tenseurs", tmp_path)
    assert (tmp_path / kit.INSTRUCTIONS).read_text(encoding="utf-8") == "# Mon cours\n"
    assert not (tmp_path / "assignments").exists() and not (tmp_path / "wheels").exists()


def test_release_without_the_kit_writes_the_bundle_only(tmp_path):
    made = release(REPO / "assignments" / "tp-tenseurs", tmp_path, student_kit=False)
    assert made.wheel is None and made.instructions is None
    assert sorted(p.name for p in tmp_path.iterdir()) == ["assignments"]


def test_grader_release_says_what_to_give_students_in_the_language_asked(tmp_path, capsys):
    from grader.cli import main

    assert main(["release", "tp-tenseurs", "--out", str(tmp_path), "--lang", "en"]) == 0
    err = " ".join(capsys.readouterr().err.split())
    assert "For students: the whole folder" in err and "+student-py3-none-any.whl" in err, err
    assert main(["release", "tp-tenseurs", "--out", str(tmp_path)]) == 0
    assert "Pour les élèves : tout le dossier" in " ".join(capsys.readouterr().err.split())
    (tmp_path / "LISEZMOI.md").write_text("# Mon cours\n", encoding="utf-8")
    assert main(["release", "tp-tenseurs", "--out", str(tmp_path), "--lang", "en"]) == 2
    assert "was not written by `grader release`" in " ".join(capsys.readouterr().err.split())


def test_no_student_wheel_no_release_and_nothing_written(tmp_path, monkeypatch):
    """Where the grader is not installed (its metadata unknown), the bundle is not written half."""
    import importlib.metadata

    from grader.lms import wheel as wheel_mod

    def missing(name):
        raise importlib.metadata.PackageNotFoundError(name)

    monkeypatch.setattr(wheel_mod.importlib.metadata, "distribution", missing)
    with pytest.raises(ReleaseError, match="student wheel cannot be built") as info:
        release(REPO / "assignments" / "tp-tenseurs", tmp_path / "out")
    assert "wheel élève" in info.value.message.fr
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").rglob("*"))
