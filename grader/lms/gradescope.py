"""Gradescope: the autograder zip (`grader gradescope build`) and what it runs (`grader gradescope run`).

The zip holds, at its root, `setup.sh` (run once when Gradescope builds the image: a Python 3.11+
venv in `/autograder/venv`, this grader's wheel with its dependencies, bubblewrap where apt has it,
the assignment's datasets), `run_autograder` (run per submission), `wheels/` (this grader, rebuilt
from the installed package: `grader.lms.wheel`) and `course/` (the assignment's folder and
reference, a course folder named with `--course`, so an instructor's own TP works as a built-in one).

`run` grades `$GRADESCOPE_ROOT/submission/` (default `/autograder`) as one student and writes
`$GRADESCOPE_ROOT/results/results.json` once, atomically; whatever fails on the way, a valid file
with score 0 and the reason is written instead (`grader.lms.gradescope_results.crash_document`).
"""

from __future__ import annotations

import json
import os
import shlex
import sys
import tempfile
import time
import traceback
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from grader import assignments as assignments_mod
from grader import budget as budget_mod
from grader.assignments import CourseLike
from grader.late import Submitted, parse_time
from grader.lms import gradescope_results as report
from grader.lms.single import failure_reason, grade_folder
from grader.lms.wheel import SKIPPED_DIRS, build_wheel, write_member
from grader.model import Message

ROOT_ENV, DEFAULT_ROOT = "GRADESCOPE_ROOT", "/autograder"
COURSE = "course"  # the carried course folder, inside the zip (so /autograder/source/course)

SETUP = """#!/usr/bin/env bash
# Gradescope runs this once, as root, in /autograder/source, when it builds the autograder image.
set -euo pipefail
cd "$(dirname "$0")"
ROOT="${{GRADESCOPE_ROOT:-/autograder}}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q || true
# sandbox Layer 2 (namespaces) where the image allows it; each result records the layers it got
apt-get install -y -q --no-install-recommends bubblewrap || echo "bubblewrap unavailable: sandbox Layer 2 off"
PY=""
for candidate in python3.13 python3.12 python3.11 python3; do
  if command -v "$candidate" >/dev/null 2>&1 && "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
    PY="$(command -v "$candidate")"
    break
  fi
done
if [ -z "$PY" ]; then  # Ubuntu 22.04 ships 3.10: the grader needs 3.11+
  apt-get install -y -q --no-install-recommends python3.11 python3.11-venv
  PY="$(command -v python3.11)"
fi
"$PY" -m venv "$ROOT/venv" || {{
  apt-get install -y -q --no-install-recommends "$(basename "$PY")-venv" || apt-get install -y -q python3-venv
  "$PY" -m venv "$ROOT/venv"
}}
"$ROOT/venv/bin/python" -m pip install -q --upgrade pip
"$ROOT/venv/bin/python" -m pip install -q wheels/{wheel}
{datasets}"$ROOT/venv/bin/python" -m grader list --course {course}
"""

RUN = """#!/usr/bin/env bash
# Gradescope runs this for each submission, as root, from /autograder; it always leaves a results.json.
ROOT="${{GRADESCOPE_ROOT:-/autograder}}"
PY="$ROOT/venv/bin/python"
[ -x "$PY" ] || PY="$(command -v python3)"
"$PY" -m grader gradescope run {id} --course "$ROOT/source/{course}" --lang {lang} "$@"
if [ ! -s "$ROOT/results/results.json" ]; then  # the grader could not even start
  mkdir -p "$ROOT/results"
  printf '%s\\n' {fallback} > "$ROOT/results/results.json"
fi
exit 0
"""


@dataclass(frozen=True)
class Built:
    path: Path
    assignment: str
    wheel: str
    datasets: tuple[str, ...]
    files: tuple[str, ...]


def build(assignment_id: str, out: Path, *, courses: Iterable[CourseLike] = (), lang: str = "fr") -> Built:
    """Write the autograder zip of `assignment_id` to `out`; the assignment is loaded first, so a
    broken one fails here (`AssignmentError`) and not on Gradescope."""
    courses = list(courses)
    located = assignments_mod.locate(assignment_id, courses)
    loaded = assignments_mod.load_folder(located.folder, located=located)
    datasets = tuple(str(d) for d in budget_mod.config(loaded.assignment).get("datasets", ()))
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="grader-gradescope-") as tmp:
        wheel = build_wheel(Path(tmp))
        members: dict[str, tuple[bytes, int]] = {
            "setup.sh": (_setup(wheel.name, datasets).encode(), 0o755),
            "run_autograder": (_run_script(assignment_id, lang).encode(), 0o755),
            f"wheels/{wheel.name}": (wheel.read_bytes(), 0o644),
        }
        for rel, path in _course_files(located.folder, located.reference, assignment_id):
            members[f"{COURSE}/{rel}"] = (path.read_bytes(), 0o644)
        partial = out.with_name(f".{out.name}.tmp")
        with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED) as zf:
            for name, (data, mode) in members.items():
                write_member(zf, name, data, mode)
        os.replace(partial, out)
    return Built(out, assignment_id, wheel.name, datasets, tuple(members))


def _course_files(folder: Path, reference: Path, assignment_id: str) -> list[tuple[str, Path]]:
    """The assignment's folder (checks, TOML, calibration, data files) and its reference."""
    files = [(f"assignments/{assignment_id}/{p.relative_to(folder).as_posix()}", p)
             for p in sorted(folder.rglob("*"))
             if p.is_file() and not SKIPPED_DIRS.intersection(p.relative_to(folder).parts)]
    if reference.is_file():
        files.append((f"reference/{assignment_id}.py", reference))
    return files


def _setup(wheel: str, datasets: tuple[str, ...]) -> str:
    lines = "".join(f'"$ROOT/venv/bin/python" -m grader data import {shlex.quote(d)} || '
                    f'echo "dataset {d}: not imported now, looked up again at grading"\n' for d in datasets)
    return SETUP.format(wheel=shlex.quote(wheel), datasets=lines, course=COURSE)


def _run_script(assignment_id: str, lang: str) -> str:
    fallback = report.crash_document(Message("le correcteur n'a pas pu démarrer (voir la sortie de l'autograder)",
                                             "the grader could not start (see the autograder's output)").get(lang),
                                     lang=lang, assignment_id=assignment_id)
    return RUN.format(id=shlex.quote(assignment_id), course=COURSE, lang=shlex.quote(lang),
                      fallback=shlex.quote(json.dumps(fallback, ensure_ascii=False)))


def submission_time(path: Path) -> str | None:
    """`created_at` of Gradescope's `submission_metadata.json`; None when absent or unreadable."""
    try:
        value = json.loads(Path(path).read_text(encoding="utf-8")).get("created_at")
    except (OSError, ValueError, AttributeError):
        return None
    return str(value) if value else None


def run(assignment_id: str, *, root: Path | str | None = None, courses: Iterable[CourseLike] = (),
        lang: str = "fr", budget: dict | None = None, profile: str | None = None,
        sandbox: str = "auto") -> dict[str, Any]:
    """Grade the submission under `root` and write its results.json; returns the document written."""
    root = Path(root or os.environ.get(ROOT_ENV) or DEFAULT_ROOT)
    started = time.monotonic()
    created_at = submission_time(root / "submission_metadata.json")
    moment = parse_time(created_at)
    try:
        graded = grade_folder(root / "submission", assignment_id, courses=courses, lang=lang, budget=budget,
                              profile=profile, sandbox=sandbox,
                              submitted=Submitted(moment, "gradescope") if moment is not None else None)
        doc = report.document(graded.result, graded.loaded.assignment, graded.loaded.catalogue, lang=lang,
                              seconds=time.monotonic() - started, created_at=created_at)
    except Exception as e:  # noqa: BLE001 - anything at all: the student still gets a valid results file
        traceback.print_exc(file=sys.stderr)  # Gradescope shows the autograder's output to instructors
        doc = report.crash_document(failure_reason(e, lang), lang=lang, seconds=time.monotonic() - started,
                                    created_at=created_at, assignment_id=assignment_id)
    report.write(root / "results" / "results.json", doc)
    return doc
