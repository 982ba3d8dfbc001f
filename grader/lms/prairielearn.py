"""PrairieLearn's external grader: `grader prairielearn ID`, the entrypoint of the course's image.

PrairieLearn mounts the job under `/grade` (`$PL_GRADE_ROOT` here): the student's files in
`student/`, the question's `data` object in `data/data.json`; it reads `results/results.json`,
which must exist when the entrypoint ends. The files a student uploaded are normally copied to
`student/`; where that folder is empty, the `_files` of `data.json`'s `submitted_answers` (name
and base64 contents, as PrairieLearn's file elements keep them) are graded instead. The results
are written once, atomically; whatever fails, a valid `gradable: false` file says why.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import sys
import tempfile
import traceback
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from grader.assignments import CourseLike
from grader.lms import prairielearn_results as report
from grader.lms.single import failure_reason, grade_folder

ROOT_ENV, DEFAULT_ROOT = "PL_GRADE_ROOT", "/grade"


def read_data(path: Path) -> dict[str, Any]:
    """The question's `data` object; {} when absent or unreadable (nothing in it is required)."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def submitted_files(data: dict[str, Any], dest: Path) -> int:
    """Write `submitted_answers._files` into `dest` (base names only); how many were written."""
    answers = data.get("submitted_answers")
    files = answers.get("_files") if isinstance(answers, dict) else None
    written = 0
    for item in files if isinstance(files, list) else ():
        if not isinstance(item, dict):
            continue
        name = Path(str(item.get("name") or "")).name
        if not name or name in (".", ".."):
            continue
        try:
            content = base64.b64decode(str(item.get("contents") or ""), validate=True)
        except (binascii.Error, ValueError):
            continue
        (dest / name).write_bytes(content)
        written += 1
    return written


def _has_files(folder: Path) -> bool:
    return folder.is_dir() and any(folder.iterdir())


def run(assignment_id: str, *, root: Path | str | None = None, courses: Iterable[CourseLike] = (),
        lang: str = "fr", budget: dict | None = None, profile: str | None = None, sandbox: str = "auto",
        max_bytes: int = report.MAX_BYTES) -> dict[str, Any]:
    """Grade the job under `root` and write its results.json; returns the document written."""
    root = Path(root or os.environ.get(ROOT_ENV) or DEFAULT_ROOT)
    try:
        with tempfile.TemporaryDirectory(prefix="grader-pl-") as tmp:
            student = root / "student"
            if not _has_files(student) and submitted_files(read_data(root / "data" / "data.json"), Path(tmp)):
                student = Path(tmp)
            graded = grade_folder(student, assignment_id, courses=courses, lang=lang, budget=budget,
                                  profile=profile, sandbox=sandbox)
        doc = report.document(graded.result, graded.loaded.assignment, graded.loaded.catalogue, lang=lang,
                              max_bytes=max_bytes)
    except Exception as e:  # noqa: BLE001 - anything at all: PrairieLearn still gets a valid results file
        traceback.print_exc(file=sys.stderr)
        doc = report.ungradable([failure_reason(e, lang)], lang=lang)
    report.write(root / "results" / "results.json", doc)
    return doc
