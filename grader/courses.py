"""Where assignments come from: `--course` folders, then `GRADER_COURSE`, then the built-in course.

A course folder has the repository's layout: `DIR/assignments/<id>/` (assignment.toml, check
modules, student.ipynb, calibration.json) and `DIR/reference/<id>.py`. The built-in course ships
inside the package (`grader/resources`, found through `importlib.resources`), so an installed
wheel works from any directory and nothing is looked up above the package.
"""

from __future__ import annotations

import importlib.resources
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from grader.model import Message

ENV = "GRADER_COURSE"


def _resources() -> Path:
    root = importlib.resources.files("grader.resources")
    path = Path(str(root))
    if not path.is_dir():  # a zipped install: not supported, said plainly rather than "no assignments"
        raise RuntimeError(f"grader's resources are not a folder on disk ({root}); install the wheel unzipped")
    return path


def templates() -> Path:
    """The jinja2 templates of reports (package data)."""
    return _resources() / "templates"


@dataclass(frozen=True)
class Course:
    root: Path
    builtin: bool = False

    @property
    def assignments(self) -> Path:
        return self.root / "assignments"

    @property
    def reference(self) -> Path:
        return self.root / "reference"

    def label(self) -> Message:
        if self.builtin:
            return Message("intégré", "built-in")
        return Message(str(self.root), str(self.root))

    def ids(self) -> list[str]:
        """Folders holding an assignment.toml; the others (a stray `notes/`) are not assignments."""
        folder = self.assignments
        if not folder.is_dir():
            return []
        return sorted(p.name for p in folder.iterdir() if (p / "assignment.toml").is_file())


def builtin() -> Course:
    return Course(_resources(), builtin=True)


def search_path(extra: Iterable[Path | str | Course] = ()) -> tuple[Course, ...]:
    """`extra` (the `--course` options), then `GRADER_COURSE` (an os.pathsep list), then the built-in."""
    found: list[Course] = []
    env = [p for p in os.environ.get(ENV, "").split(os.pathsep) if p.strip()]
    for item in (*extra, *env):
        course = item if isinstance(item, Course) else Course(Path(item).expanduser().resolve())
        found.append(course)
    found.append(builtin())
    unique: list[Course] = []
    for c in found:
        if all(c.root.resolve() != u.root.resolve() for u in unique):
            unique.append(c)
    return tuple(unique)


def missing_courses(courses: Iterable[Course]) -> list[Course]:
    """Named course folders that hold no `assignments/` folder: almost always a typo."""
    return [c for c in courses if not c.builtin and not c.assignments.is_dir()]


@dataclass(frozen=True)
class Located:
    id: str
    course: Course

    @property
    def folder(self) -> Path:
        return self.course.assignments / self.id

    @property
    def reference(self) -> Path:
        return self.course.reference / f"{self.id}.py"


def locate(assignment_id: str, courses: Iterable[Course]) -> Located | None:
    """The first course that holds `assignment_id` (a course folder can shadow a built-in TP)."""
    for course in courses:
        if (course.assignments / assignment_id / "assignment.toml").is_file():
            return Located(assignment_id, course)
    return None


def everything(courses: Iterable[Course]) -> list[Located]:
    """Every assignment, once, from the first course that holds it, in search order then by id."""
    seen: set[str] = set()
    out: list[Located] = []
    for course in courses:
        for aid in course.ids():
            if aid not in seen:
                seen.add(aid)
                out.append(Located(aid, course))
    return out
