"""Load and validate an assignment (`assignment.toml` + its package of check modules) from a course."""

from __future__ import annotations

import hashlib
import importlib.util
import json
import sys
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

import grader
from grader import courses as courses_mod
from grader.courses import Course, Located
from grader.judge.registry import Check, Registry
from grader.late import LateConfigError, read_policy
from grader.model import AUTO, MANUAL, Assignment, CheckInfo, Message, Question

CourseLike = Path | str | Course


class AssignmentError(Exception):
    """The assignment's configuration is wrong: an instructor's error, reported before grading; said
    in both languages (`text(lang)`; `str()` is the English, as before)."""

    def __init__(self, message: str | Message):
        self.message = message if isinstance(message, Message) else Message(message, message)
        super().__init__(self.message.en)

    def text(self, lang: str = "fr") -> str:
        return self.message.get(lang)


def _error(fr: str, en: str) -> AssignmentError:
    return AssignmentError(Message(fr, en))


@dataclass(frozen=True)
class LoadedAssignment:
    assignment: Assignment
    checks: tuple[Check, ...]
    located: Located | None = None
    fingerprint: str = ""  # what graded a result: a changed check, TOML or reference regrades it
    module: ModuleType | None = field(default=None, compare=False, repr=False)

    @property
    def catalogue(self) -> tuple[CheckInfo, ...]:
        """The checks as plain records, for the reporters (`grader.model.CheckInfo`)."""
        return tuple(CheckInfo(c.name, c.question, c.weight, c.description, c.public) for c in self.checks)

    @property
    def measures(self) -> dict:
        """The checks module's `MEASURES` (question -> measure(obs, ctx)), used by `grader calibrate`."""
        return dict(getattr(self.module, "MEASURES", {}) or {})


def available(courses: Iterable[CourseLike] = ()) -> list[str]:
    return sorted(loc.id for loc in courses_mod.everything(courses_mod.search_path(courses)))


def locate(assignment_id: str, courses: Iterable[CourseLike] = ()) -> Located:
    search = courses_mod.search_path(courses)
    found = courses_mod.locate(assignment_id, search)
    if found is None:
        known = sorted(loc.id for loc in courses_mod.everything(search))
        raise _error(f"TP inconnu « {assignment_id} » ; disponibles : {', '.join(known) or 'aucun'}"
                     + _missing_hint(search, "fr"),
                     f"unknown assignment {assignment_id!r}; available: {', '.join(known) or 'none'}"
                     + _missing_hint(search, "en"))
    return found


def _missing_hint(search: tuple[Course, ...], lang: str = "en") -> str:
    missing = courses_mod.missing_courses(search)
    if lang == "fr":
        return "".join(f" (« {c.root} » n'a pas de dossier assignments/)" for c in missing)
    return "".join(f" ({c.root} has no assignments/ folder)" for c in missing)


def fingerprint(folder: Path, reference: Path | None) -> str:
    """sha256 of the files that decide a verdict: the TOML, every check module, the reference, and
    the grader's version. Not student.ipynb (regenerated) nor calibration.json (its effect, the
    budget's thresholds, is compared on its own), nor the TOML's [late] table and comments: a late
    penalty is computed when results are read, so a moved due date regrades nobody."""
    h = hashlib.sha256(f"grader {grader.__version__}\0".encode())
    files = [p for p in sorted(folder.rglob("*"))
             if p.is_file() and "__pycache__" not in p.parts and (p.suffix == ".py" or p.name == "assignment.toml")]
    if reference is not None and reference.is_file():
        files.append(reference)
    for p in files:
        name = p.name if p == reference else p.relative_to(folder).as_posix()
        data = _toml_verdict(p) if p.name == "assignment.toml" and p != reference else p.read_bytes()
        h.update(name.encode() + b"\0" + data + b"\0")
    return h.hexdigest()


def _toml_verdict(path: Path) -> bytes:
    """The TOML's content less its [late] table, canonical (an unreadable one: its bytes, so
    `load` then says what is wrong)."""
    raw = path.read_bytes()
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError):
        return raw
    data.pop("late", None)
    return json.dumps(data, sort_keys=True, default=str).encode()


def load(assignment_id: str, courses: Iterable[CourseLike] = (), *, public_only: bool = False) -> LoadedAssignment:
    """The assignment from the first course holding it; `public_only` keeps the checks students may run."""
    located = locate(assignment_id, courses)
    return load_folder(located.folder, located=located, public_only=public_only)


def load_folder(folder: Path, *, located: Located | None = None, public_only: bool = False) -> LoadedAssignment:
    assignment = read_assignment(folder)
    toml_path = folder / "assignment.toml"
    reference = located.reference if located else None
    digest = fingerprint(folder, reference)
    checks_path = folder / "checks.py"
    if not checks_path.is_file():
        raise _error(f"{folder} : pas de checks.py (il doit définir `checks = Registry()`)",
                     f"{folder}: no checks.py (it must define `checks = Registry()`)")
    module, checks = _load_checks(checks_path, assignment.id, digest)
    _validate(assignment, checks, toml_path, public_only=public_only)
    if public_only:  # a self-check's results must never pass for a full grading's in a shared gradebook
        checks = tuple(c for c in checks if c.public)
        digest += ":public"
    return LoadedAssignment(assignment, checks, located, digest, module)


def read_assignment(folder: Path) -> Assignment:
    """The TOML alone (title, questions, limits), without importing the checks: what a reader of
    finished results needs, e.g. the titles in both languages."""
    toml_path = folder / "assignment.toml"
    if not toml_path.is_file():
        raise _error(f"{folder} : pas d'assignment.toml", f"{folder}: no assignment.toml")
    try:
        data = tomllib.loads(toml_path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
        raise _error(f"{toml_path} : {e}", f"{toml_path}: {e}") from e
    try:
        step = float(dict(data.get("scoring", {})).get("step", 0.25))
    except (TypeError, ValueError) as e:
        raise _error(f"{toml_path} : [scoring] step doit être un nombre (0.25, 0.5, 1 ; 0 pour exact)",
                     f"{toml_path}: [scoring] step must be a number (0.25, 0.5, 1; 0 for exact)") from e
    if step < 0:
        raise _error(f"{toml_path} : [scoring] step ne doit pas être négatif",
                     f"{toml_path}: [scoring] step must not be negative")
    questions = []
    for q in data.get("questions", []):
        try:
            kind = str(q.get("kind", AUTO))
            questions.append(Question(str(q["id"]), float(q["points"]), Message(str(q.get("fr", q["id"])),
                                                                                 str(q.get("en", ""))), step, kind))
        except (KeyError, TypeError, ValueError, AttributeError) as e:
            raise _error(f"{toml_path} : question mal écrite {q!r}", f"{toml_path}: bad question {q!r}") from e
        if kind not in (AUTO, MANUAL):
            raise _error(f"{toml_path} : question {q['id']} : kind doit être \"auto\" (vérifications) ou "
                         f"\"manual\" (réponse écrite corrigée à la main), pas {kind!r}",
                         f"{toml_path}: question {q['id']}: kind must be \"auto\" (checks) or "
                         f"\"manual\" (a written answer graded by hand), not {kind!r}")
        if questions[-1].points < 0:
            raise _error(f"{toml_path} : question {q['id']} : points ne doit pas être négatif",
                         f"{toml_path}: question {q['id']}: points must not be negative")
    late = None
    if "late" in data:
        try:
            late = read_policy(data["late"])
        except LateConfigError as e:
            raise _error(f"{toml_path} : {e.text('fr')}", f"{toml_path}: {e.text('en')}") from e
    board = data.get("leaderboard", {})
    if not isinstance(board, dict) or not isinstance(board.get("student_code", False), bool):
        raise _error(f"{toml_path} : [leaderboard] student_code doit valoir true ou false",
                     f"{toml_path}: [leaderboard] student_code must be true or false")
    title = data.get("title", {})
    return Assignment(
        id=str(data.get("id", folder.name)),
        title=Message(str(title.get("fr", folder.name)), str(title.get("en", ""))),
        questions=tuple(questions),
        folder=str(folder),
        limits=dict(data.get("limits", {})),
        late=late,
        leaderboard=dict(board),
    )


def _load_checks(path: Path, assignment_id: str, digest: str) -> tuple[ModuleType, tuple[Check, ...]]:
    """Import `checks.py` as a module of a package rooted at the assignment folder.

    So a TP's checks can be split into sibling modules (`from .gradients import ...`). The package
    name carries the folder and fingerprint: two courses' `demo`, or a check edited since the last
    load, never reuse a stale module.
    """
    tag = hashlib.sha256(f"{path.parent.resolve()}\0{digest}".encode()).hexdigest()[:10]
    package = "grader_assignment_" + "".join(ch if ch.isalnum() else "_" for ch in assignment_id) + "_" + tag
    return import_checks(path, package)


def import_checks(path: Path, package: str, *, keep: bool = True) -> tuple[ModuleType, tuple[Check, ...]]:
    """`path` (a checks.py) imported as `<package>.checks`, its siblings importable relatively; the
    registry's checks. `keep=False` removes the package from `sys.modules` afterwards (a copy
    inspected once, e.g. by `grader release`, must not shadow the one used for grading)."""
    if package not in sys.modules:
        pkg_spec = importlib.util.spec_from_loader(package, loader=None, is_package=True)
        assert pkg_spec is not None
        pkg = importlib.util.module_from_spec(pkg_spec)
        pkg.__path__ = [str(path.parent)]
        sys.modules[package] = pkg

    def forget() -> None:
        for key in [k for k in sys.modules if k == package or k.startswith(package + ".")]:
            del sys.modules[key]

    name = f"{package}.checks"
    try:
        if name in sys.modules:
            module = sys.modules[name]
        else:
            spec = importlib.util.spec_from_file_location(name, path)
            if spec is None or spec.loader is None:
                raise _error(f"{path} : impossible de charger les vérifications", f"{path}: cannot load checks")
            module = importlib.util.module_from_spec(spec)
            sys.modules[name] = module
            try:
                spec.loader.exec_module(module)
            except Exception as e:
                forget()
                raise _error(f"{path} : impossible d'importer les vérifications : {type(e).__name__}: {e}",
                             f"{path}: cannot import the checks: {type(e).__name__}: {e}") from e
        registry = getattr(module, "checks", None)
        if not isinstance(registry, Registry):
            raise _error(f"{path} : doit définir `checks = Registry()`", f"{path}: must define `checks = Registry()`")
        return module, tuple(registry.checks)
    finally:
        if not keep:
            forget()


def _validate(assignment: Assignment, checks: tuple[Check, ...], where: Path, *, public_only: bool = False) -> None:
    ids = [q.id for q in assignment.questions]
    if not ids or len(set(ids)) != len(ids):
        raise _error(f"{where} : les questions doivent être présentes et uniques",
                     f"{where}: questions must be present and unique")
    earlier: dict[str, Check] = {}
    names = {c.name for c in checks}
    manual = {q.id for q in assignment.questions if q.manual}
    for c in checks:
        if c.question not in ids:
            raise _error(f"{where} : la vérification {c.name} porte sur une question inconnue, {c.question}",
                         f"{where}: check {c.name} is for unknown question {c.question}")
        if c.question in manual:
            raise _error(f"{where} : la vérification {c.name} porte sur {c.question}, une question corrigée à la "
                         "main (kind = \"manual\") : elle n'en prend aucune",
                         f"{where}: check {c.name} is for {c.question}, a question graded by hand "
                         "(kind = \"manual\"): it takes no check")
        for need in c.requires:
            if need not in names:
                raise _error(f"{where} : la vérification {c.name} demande une vérification inconnue, {need!r}",
                             f"{where}: check {c.name} requires unknown check {need!r}")
            if need not in earlier:
                raise _error(f"{where} : la vérification {c.name} demande {need!r}, déclarée après elle (les "
                             "vérifications s'exécutent dans l'ordre de déclaration : placez-la avant)",
                             f"{where}: check {c.name} requires {need!r}, which is declared after it "
                             "(checks run in declaration order: move it before)")
            if c.public and not earlier[need].public:
                raise _error(f"{where} : la vérification publique {c.name} demande la vérification cachée "
                             f"{need!r} : les élèves ne pourraient jamais la lancer",
                             f"{where}: public check {c.name} requires hidden check {need!r}: "
                             "students could never run it")
        earlier[c.name] = c
    if public_only:
        return
    for q in ids:
        if q not in manual and not any(c.question == q for c in checks):
            raise _error(f"{where} : la question {q} n'a aucune vérification",
                         f"{where}: question {q} has no check")
