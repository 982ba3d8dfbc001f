"""`grader new ID --course DIR`: a working assignment to start from (two questions, their checks).

Grading its reference gives full marks and its student notebook zero, right after `new`: the
instructor edits something that works rather than a blank page.
"""

from __future__ import annotations

import importlib.resources
import re
from dataclasses import dataclass
from pathlib import Path
from string import Template

from grader.authoring import AuthoringError
from grader.authoring.notebook_io import write_notebook
from grader.notebooks import autograded, notebook_from_reference

ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")


@dataclass(frozen=True)
class Scaffold:
    id: str
    folder: Path
    reference: Path
    notebook: Path


def check_id(assignment_id: str) -> None:
    if not ID_PATTERN.match(assignment_id):
        raise AuthoringError(f"invalid assignment id {assignment_id!r}: lower-case letters, digits, '-' and '_' "
                             "(it names a folder and a Python package)",
                             fr=f"identifiant de TP invalide {assignment_id!r} : minuscules, chiffres, '-' et '_' "
                                "(il nomme un dossier et un paquet Python)")


def _template(name: str, assignment_id: str) -> str:
    text = (importlib.resources.files("grader") / "scaffold" / name).read_text(encoding="utf-8")
    return Template(text).safe_substitute(id=assignment_id)


def new(assignment_id: str, course: Path) -> Scaffold:
    """Write `course/assignments/ID/` (TOML, checks, student notebook) and `course/reference/ID.py`."""
    check_id(assignment_id)
    folder = course / "assignments" / assignment_id
    reference = course / "reference" / f"{assignment_id}.py"
    for existing in (folder, reference):
        if existing.exists():
            raise AuthoringError(f"{existing} already exists: choose another id or remove it",
                                 fr=f"{existing} existe déjà : choisissez un autre identifiant ou supprimez-le")
    folder.mkdir(parents=True)
    reference.parent.mkdir(parents=True, exist_ok=True)
    reference_text = _template("reference.py", assignment_id)
    reference.write_text(reference_text, encoding="utf-8")
    (folder / "assignment.toml").write_text(_template("assignment.toml", assignment_id), encoding="utf-8")
    (folder / "checks.py").write_text(_template("checks.py", assignment_id), encoding="utf-8")
    notebook = write_notebook(notebook_from_reference(reference_text, assignment_id, autograded(folder)),
                              folder / "student.ipynb")  # the TOML's ids: where its self-check cells go
    return Scaffold(assignment_id, folder, reference, notebook)
