"""Load and validate `assignments/<id>/assignment.toml` and its registry of checks."""

from __future__ import annotations

import importlib.util
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path

from grader import ROOT
from grader.judge.checks import Check, Registry
from grader.model import Assignment, Message, Question

ASSIGNMENTS_DIR = ROOT / "assignments"


class AssignmentError(Exception):
    """The assignment's configuration is wrong: an instructor's error, reported before grading."""


@dataclass(frozen=True)
class LoadedAssignment:
    assignment: Assignment
    checks: tuple[Check, ...]


def available(root: Path = ASSIGNMENTS_DIR) -> list[str]:
    return sorted(p.name for p in root.iterdir() if (p / "assignment.toml").is_file()) if root.is_dir() else []


def load(assignment_id: str, root: Path = ASSIGNMENTS_DIR) -> LoadedAssignment:
    folder = root / assignment_id
    toml_path = folder / "assignment.toml"
    if not toml_path.is_file():
        raise AssignmentError(f"unknown assignment {assignment_id!r}; available: {', '.join(available(root)) or 'none'}")
    try:
        data = tomllib.loads(toml_path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as e:
        raise AssignmentError(f"{toml_path}: {e}") from e
    questions = []
    for q in data.get("questions", []):
        try:
            questions.append(Question(str(q["id"]), float(q["points"]), Message(str(q.get("fr", q["id"])),
                                                                                 str(q.get("en", "")))))
        except (KeyError, TypeError, ValueError) as e:
            raise AssignmentError(f"{toml_path}: bad question {q!r}") from e
    title = data.get("title", {})
    assignment = Assignment(
        id=str(data.get("id", assignment_id)),
        title=Message(str(title.get("fr", assignment_id)), str(title.get("en", ""))),
        questions=tuple(questions),
        folder=str(folder),
        limits=dict(data.get("limits", {})),
    )
    checks = _load_checks(folder / "checks.py", assignment_id)
    _validate(assignment, checks, toml_path)
    return LoadedAssignment(assignment, checks)


def _load_checks(path: Path, assignment_id: str) -> tuple[Check, ...]:
    """Import `checks.py` as a module of a package rooted at the assignment folder.

    So a TP's checks can be split into sibling modules (`from .gradients import ...`).
    """
    package = "grader_assignment_" + assignment_id.replace("-", "_")
    if package not in sys.modules:
        pkg_spec = importlib.util.spec_from_loader(package, loader=None, is_package=True)
        assert pkg_spec is not None
        pkg = importlib.util.module_from_spec(pkg_spec)
        pkg.__path__ = [str(path.parent)]
        sys.modules[package] = pkg
    name = f"{package}.checks"
    if name in sys.modules:
        module = sys.modules[name]
    else:
        spec = importlib.util.spec_from_file_location(name, path)
        if spec is None or spec.loader is None:
            raise AssignmentError(f"{path}: cannot load checks")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        try:
            spec.loader.exec_module(module)
        except BaseException:
            del sys.modules[name]
            raise
    registry = getattr(module, "checks", None)
    if not isinstance(registry, Registry):
        raise AssignmentError(f"{path}: must define `checks = Registry()`")
    return tuple(registry.checks)


def _validate(assignment: Assignment, checks: tuple[Check, ...], where: Path) -> None:
    ids = [q.id for q in assignment.questions]
    if not ids or len(set(ids)) != len(ids):
        raise AssignmentError(f"{where}: questions must be present and unique")
    names = {c.name for c in checks}
    for c in checks:
        if c.question not in ids:
            raise AssignmentError(f"{where}: check {c.name} is for unknown question {c.question}")
        unknown = set(c.requires) - names
        if unknown:
            raise AssignmentError(f"{where}: check {c.name} requires unknown {sorted(unknown)}")
    for q in ids:
        if not any(c.question == q for c in checks):
            raise AssignmentError(f"{where}: question {q} has no check")
