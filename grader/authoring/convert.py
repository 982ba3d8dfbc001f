"""`grader assign TEACHER.ipynb --id ID --course DIR`: an instructor's solution notebook, as an assignment.

It writes the course layout `grader run --course DIR` reads: `reference/ID.py` (the solution in
the percent format, a valid submission), `assignments/ID/student.ipynb` (what `grader generate`
makes of that reference), `assignment.toml`, `teacher_checks.py` and `checks.py`.

The instructor's tests are the grading: each nbgrader autograded test cell and each otter test
case becomes a check of its question with its points, public or hidden as in the notebook
(`grader.authoring.starter`), run in the clean room on the student's values as plain data
(`grader.judge.teacher_tests`). What a test reads from the notebook is listed here once, from its
code: a name it does not bind, that the instructor's imports do not bind, and that is no builtin
the notebook leaves alone. A library the notebook imported where students could replace it (a
solution cell) is imported by the test itself. Every test is run on the reference before anything
is written: one that fails there cannot run outside the notebook's kernel, and `assign` refuses it,
naming its cell and why; a test is never silently dropped. Graded written answers (nbgrader's
manually graded cells, otter's `manual: true`) become questions of kind "manual".

Iterating is safe: `teacher_checks.py` is rewritten by every `assign` (refused if edited by hand);
`checks.py`, which imports its registry, and `assignment.toml` are the instructor's once edited (the
first line fingerprints the generated text). A question new in the notebook is appended to an edited
TOML; the files are loaded as `grader run` would before any is written, so a TP that would not load
is refused, never left behind. Solutions never reach the student notebook: a marker or a solution
line found there stops `assign`.
"""

from __future__ import annotations

import ast
import hashlib
import re
import shutil
import tempfile
import tomllib
from dataclasses import dataclass, replace
from pathlib import Path

from grader.authoring import AuthoringError, Said
from grader.authoring.converted_tests import (
    bound_by_target,
    convert_tests,
    given_setup,
    parses,
    passes_on_reference,
    prints,
    promoted_imports,
    python_of,
)
from grader.authoring.notebook_io import write_notebook
from grader.authoring.scaffold import check_id
from grader.authoring.starter import (
    LIMITS,
    Answer,
    ConvertedTest,
    FoundQuestion,
    entry_module,
    expectation,
    question_toml,
    teacher_checks_module,
    toml_text,
)
from grader.authoring.teacher import (
    BEGIN,
    END,
    STUB,
    TeacherNotebook,
    read_teacher,
)
from grader.notebooks import notebook_from_reference, split_cells, strip_solutions
from grader.reports.document import runner_text

__all__ = ["Answer", "AssignResult", "AuthoringError", "FoundQuestion", "assign_notebook"]


@dataclass(frozen=True)
class AssignResult:
    """What `grader assign` wrote (or kept) and found, for the command line to report."""

    assignment: str
    style: str  # the teacher notebook's format: "nbgrader", "otter" or "markers"
    reference: Path
    student: Path
    toml: Path
    checks: Path
    questions: tuple[FoundQuestion, ...]
    kept: tuple[Path, ...] = ()  # hand-edited files left as they were
    warnings: tuple[str, ...] = ()
    generated: Path | None = None  # teacher_checks.py

    @property
    def written(self) -> tuple[Path, ...]:
        files = (self.reference, self.student, self.toml, self.checks, self.generated)
        return tuple(p for p in files if p is not None and p not in self.kept)

    def summary(self) -> tuple[Said, ...]:
        """What each question became: "q1: 2 tests, 1 hidden", "w1: graded by hand"."""
        out = []
        for q in self.questions:
            en, fr = q.summary()
            out.append(Said(en, fr))
        return tuple(out)


# -- the reference -----------------------------------------------------------------------------
def _blocks(lines: list[str]) -> list[tuple[int, int]]:
    starts = [i for i, s in enumerate(lines) if s.strip() == BEGIN]
    ends = [i for i, s in enumerate(lines) if s.strip() == END]
    return list(zip(starts, ends, strict=True))


def _indent_markers(lines: list[str]) -> list[str]:
    """Markers at the indentation of their first code line: `grader generate` writes the block's
    `# VOTRE CODE ICI` and STUB lines at the marker's indentation, which must be the body's."""
    lines = list(lines)
    for b, e in _blocks(lines):
        code = [s for s in lines[b + 1:e] if s.strip() and not s.strip().startswith("#")]
        if code:
            indent = code[0][: len(code[0]) - len(code[0].lstrip())]
            lines[b], lines[e] = indent + BEGIN, indent + END
    return lines


def _fill_empty_bodies(source: str) -> str:
    """`raise NotImplementedError()` as the STUB of a block whose removal would leave an empty body
    (a `def` that was all solution), so the student's cell stays valid Python."""
    lines = _indent_markers(source.split("\n"))
    source = "\n".join(lines)
    if not parses(source) or parses(strip_solutions(source)):
        return source
    blocks = [(b, e) for b, e in _blocks(lines) if not any(s.strip().startswith(STUB) for s in lines[b:e])]

    def only(block: tuple[int, int]) -> str:  # the cell with this block removed, the others kept
        blank = {i for b, e in _blocks(lines) for i in (b, e)} - set(block)
        return strip_solutions("\n".join("" if i in blank else s for i, s in enumerate(lines)))

    stubbed = {b for b, e in blocks if not parses(only((b, e)))}
    for b, _ in blocks:  # blocks that only together leave a body empty
        if parses(strip_solutions(_with_stubs(lines, stubbed))):
            break
        stubbed.add(b)
    return _with_stubs(lines, stubbed)


def _with_stubs(lines: list[str], begins: set[int]) -> str:
    out = []
    for i, s in enumerate(lines):
        out.append(s)
        if i in begins:
            out.append(s[: len(s) - len(s.lstrip())] + f"{STUB} raise NotImplementedError()")
    return "\n".join(out)


_CELL_MARKER = re.compile(r"#\s*%%")  # anything like `grader.intake.percent.MARKER` (a `# %%time` too: escaping it is harmless)


def reference_text(teacher: TeacherNotebook) -> str:
    """The percent-format reference; a teacher's line that looks like a cell marker is escaped."""
    parts = []
    for cell in teacher.cells:
        # a written answer's cell, found by its mark; a solution's cell, its question (self-check cells follow it)
        tag = f" answer={cell.answer}" if cell.answer else f" question={cell.question}" if cell.question else ""
        if cell.kind == "markdown":
            lines = [("#" if not s.strip() else "# " + re.sub(r"^(\s*)%%", r"\1\\%%", s)) for s in
                     cell.source.split("\n")]
            parts.append(f"# %% [markdown]{tag}\n" + "\n".join(lines))
        else:
            lines = [(" " + s if _CELL_MARKER.match(s) else s) for s in cell.source.split("\n")]
            parts.append(f"# %%{tag}\n" + _fill_empty_bodies("\n".join(lines)))
    return "\n\n".join(parts) + "\n"


# -- answers -----------------------------------------------------------------------------------
def answer_names(cell: str) -> list[tuple[str, str]]:
    """(name, kind) bound at top level by the cell's solution blocks: assignments, `def`, `class`
    (a `def` whose body holds a block counts); imports do not, nor `_private` names (unobservable)."""
    lines = cell.split("\n")
    regions = [(b + 1, e + 1) for b, e in _blocks(lines)]
    try:
        tree = ast.parse(python_of(cell))
    except (SyntaxError, ValueError):
        return []

    def touches(node: ast.AST) -> bool:
        return any(node.lineno <= e and b <= node.end_lineno for b, e in regions)

    found: dict[str, str] = {}

    def visit(stmts: list[ast.stmt]) -> None:
        for node in stmts:
            if not touches(node):
                continue
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                found[node.name] = "class" if isinstance(node, ast.ClassDef) else "function"
            elif isinstance(node, ast.Assign | ast.AnnAssign | ast.AugAssign):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                if not isinstance(node, ast.AnnAssign) or node.value is not None:
                    found.update((n, "value") for t in targets for n in bound_by_target(t))
            elif not isinstance(node, ast.Import | ast.ImportFrom):
                for child in ("body", "orelse", "finalbody"):
                    visit(getattr(node, child, []))
                for handler in getattr(node, "handlers", []):
                    visit(handler.body)

    visit(tree.body)
    return [(n, k) for n, k in found.items() if not n.startswith("_")]


def _run_reference(text: str, teacher: TeacherNotebook, names: list[str], where: str,
                   tests: dict[str, list[ConvertedTest]] | None = None, setup: str = "",
                   answers: set[str] = frozenset()) -> tuple[dict[str, dict], dict[str, list[ConvertedTest]], str]:
    """Run the reference once in the grader's runner: the descriptions of `names`, and the tests as
    they will run (libraries they read imported by them; otter's outputs recorded), each passed on it."""
    from grader.intake.discovery import cleanup, load
    from grader.judge.observe import Observer
    from grader.judge.registry import CheckFailed
    from grader.model import Status
    from grader.runner.sandbox import SandboxUnavailable, plan
    from grader.runner.session import Limits, RunnerSession

    tests = tests or {}
    code_origins = [c.origin for c in teacher.cells if c.kind == "code"]
    with tempfile.TemporaryDirectory(prefix="grader-assign-") as tmp:
        path = Path(tmp) / "reference.py"
        path.write_text(text, encoding="utf-8")
        sub = load(path, "reference")
        try:
            box = plan("auto")
        except SandboxUnavailable as e:
            raise AuthoringError(f"cannot run the reference here: {e.message.en} (or pass run_reference=False)",
                                 fr=f"impossible d'exécuter la référence ici : {e.message.fr} (ou passez "
                                    "run_reference=False)") from e
        try:
            with RunnerSession(list(sub.cells), sub.workdir, Limits(**LIMITS), box) as session:
                for rec in session.run_cells():
                    if rec.status is not Status.PASSED:
                        origin = code_origins[rec.index] + 1 if rec.index < len(code_origins) else "?"
                        raise AuthoringError(f"{where}: the reference fails in its code cell {rec.index + 1} "
                                             f"(cell {origin} of the notebook): {rec.status.value}: "
                                             f"{runner_text(rec.error, 'en').strip()[-800:]}",
                                             fr=f"{where} : la référence échoue dans sa cellule de code "
                                                f"{rec.index + 1} (cellule {origin} du notebook) : "
                                                f"{rec.status.value} : "
                                                f"{runner_text(rec.error, 'fr').strip()[-800:]}")
                obs, out = Observer(session), {}
                try:
                    for name in names:
                        try:
                            out[name] = obs.describe(name)
                        except CheckFailed as e:
                            raise AuthoringError(f"{where}: after running the reference, `{name}` cannot be "
                                                 f"observed: {e.message.en}",
                                                 fr=f"{where} : après exécution de la référence, `{name}` ne peut "
                                                    f"pas être observé : {e.message.fr}") from e
                    read = {n for group in tests.values() for t in group for n in t.reads}
                    promoted = promoted_imports(obs, read, answers)
                    extra = "".join(promoted.values())
                    done: dict[str, list[ConvertedTest]] = {}
                    for qid, group in tests.items():
                        for t in group:
                            t = replace(t, setup=extra + t.setup, reads=tuple(n for n in t.reads if n not in promoted))
                            t = replace(t, output=passes_on_reference(obs, t, qid, where))
                            done.setdefault(qid, []).append(t)
                    return out, done, extra + setup
                finally:
                    obs.close()
        finally:
            cleanup([sub])


# -- files -------------------------------------------------------------------------------------
def student_notebook(assignment_id: str, reference: str, questions: list[str] | None = None) -> dict:
    """What `grader generate` makes of the reference, each code cell checked to be valid Python;
    `questions`: the autograded ones (a `check("q1")` cell follows each)."""
    nb = notebook_from_reference(reference, assignment_id, questions)
    for i, cell in enumerate(nb["cells"]):
        if cell["cell_type"] == "code" and not parses(text := "".join(cell["source"])):
            raise AuthoringError(f"student notebook, cell {i + 1}: not valid Python once the solutions are "
                                 f"removed:\n{text}",
                                 fr=f"notebook élève, cellule {i + 1} : du Python invalide une fois les solutions "
                                    f"retirées :\n{text}")
    return nb


_FINGERPRINT = re.compile(r"^# grader-assign sha256:([0-9a-f]{64})\n")


def _fingerprinted(text: str) -> str:
    return f"# grader-assign sha256:{hashlib.sha256(text.encode()).hexdigest()}\n{text}"


def _hand_edited(path: Path) -> bool:
    """An existing file whose text no longer matches the fingerprint `grader assign` gave it."""
    if not path.is_file():
        return False
    text = path.read_text(encoding="utf-8")
    m = _FINGERPRINT.match(text)
    return m is None or hashlib.sha256(text[m.end():].encode()).hexdigest() != m.group(1)


def _leaks(nb: dict, reference: str) -> list[str]:
    """What of the solutions shows in the student notebook: a solution or hidden-test marker, otter's
    `# SOLUTION` line, or a line of a solution block that the given code does not hold too."""
    marker = re.compile(r"#+\s*(begin|end)\s+(solution|hidden\s+tests?|prompt)\b|#\s*solution(\s+no\s+prompt)?\s*$",
                        re.IGNORECASE)
    given, secret = set(), set()
    for kind, source in split_cells(reference):
        if kind != "code":
            continue
        inside = False
        for line in source.split("\n"):
            s = line.strip()
            if s == BEGIN:
                inside = True
            elif s == END:
                inside = False
            elif inside and not s.startswith(STUB) and len(s) >= 8 and not s.startswith("#"):
                secret.add(s)
            elif not inside:
                given.add(s)
    secret -= given
    found = []
    for i, cell in enumerate(nb["cells"]):
        for line in "".join(cell["source"]).split("\n"):
            if (cell["cell_type"] == "code" and marker.search(line)) or line.strip() in secret:
                found.append(f"cell {i + 1}: {line.strip()[:120]}")
    return found


def _toml_with(path: Path, questions: list[FoundQuestion]) -> tuple[str, list[str]]:
    """A hand-edited TOML, with `[[questions]]` tables appended for the questions it lacks."""
    text = path.read_text(encoding="utf-8")
    try:
        have = {str(q.get("id")) for q in tomllib.loads(text).get("questions", []) if isinstance(q, dict)}
    except tomllib.TOMLDecodeError as e:
        raise AuthoringError(f"{path}: not valid TOML ({e}): fix it or remove it to regenerate it",
                             fr=f"{path} : TOML invalide ({e}) : corrigez-le ou supprimez-le pour le régénérer") from e
    missing = [q for q in questions if q.id not in have]
    for q in missing:
        text = text.rstrip("\n") + "\n\n" + "\n".join(question_toml(q)) + "\n"
    return text, [q.id for q in missing]


def assign_notebook(notebook: Path, *, assignment_id: str, course: Path, run_reference: bool = True) -> AssignResult:
    """Turn the instructor's solution notebook into `assignment_id` in the course folder `course`.

    Raises AuthoringError (a usage error) when the notebook cannot be read, its marks are broken,
    its reference or one of its tests fails to run, a solution would reach the student notebook, or
    the TP would not load; nothing is written then.
    """
    check_id(assignment_id)
    notebook, course = Path(notebook), Path(course)
    teacher = read_teacher(notebook)
    text = reference_text(teacher)
    cells = split_cells(text)
    if len(cells) != len(teacher.cells):
        raise AuthoringError(f"{notebook.name}: the reference's cells do not split back as written",
                             fr=f"{notebook.name} : les cellules de la référence ne se redécoupent pas comme écrites")
    for cell, (kind, source) in zip(teacher.cells, cells, strict=True):
        if kind == "code" and not parses(source):
            raise AuthoringError(f"{notebook.name}, cell {cell.origin + 1}: not valid Python:\n{source}",
                                 fr=f"{notebook.name}, cellule {cell.origin + 1} : Python invalide :\n{source}")
    nb = student_notebook(assignment_id, text, [q.id for q in teacher.questions if not q.manual])
    if leaks := _leaks(nb, text):
        raise AuthoringError(f"{notebook.name}: the student notebook would show solutions (refused rather than "
                             "leaked): " + "; ".join(leaks[:5]),
                             fr=f"{notebook.name} : le notebook élève montrerait des solutions (refusé plutôt que "
                                "divulgué) : " + "; ".join(leaks[:5]).replace("cell ", "cellule "))
    warnings = list(teacher.warnings)
    names: dict[str, dict[str, str]] = {q.id: {} for q in teacher.questions}
    for cell, (kind, source) in zip(teacher.cells, cells, strict=True):
        if kind == "code" and cell.question in names:
            names[cell.question].update(answer_names(source))
    found = sorted({n for per in names.values() for n in per})
    setup = given_setup(teacher)
    tests = convert_tests(teacher, setup, notebook.name)
    if run_reference:
        described, tests, setup = _run_reference(text, teacher, found, notebook.name, tests, setup, set(found))
    else:
        described = {}
        for group in tests.values():
            for t in group:
                if t.test.output and prints(t.source):
                    raise AuthoringError(
                        f"{notebook.name}, cell {t.test.origin + 1}: this otter test compares printed output; "
                        "its expected output comes from running the reference (drop --no-run)",
                        fr=f"{notebook.name}, cellule {t.test.origin + 1} : ce test otter compare une sortie "
                           "affichée ; la sortie attendue vient de l'exécution de la référence (retirez --no-run)")
        tests = {q: [replace(t, output="" if t.test.output else None) for t in group] for q, group in tests.items()}
    questions = []
    for q in teacher.questions:
        answers = tuple(Answer(n, *expectation(k, described.get(n))) for n, k in names[q.id].items())
        listed = ", ".join(f"`{a.name}`" for a in answers)
        title = (q.heading or f"Question {q.id}") + (f" ({listed})" if listed else "")
        if q.manual:
            questions.append(FoundQuestion(q.id, q.points, q.heading or f"Question {q.id}", (), manual=True))
            continue
        if not q.tests and not answers:
            warnings.append(Said(f"{q.id}: its solution binds no top-level name and no test grades it: write its "
                                 "check in checks.py",
                                 f"{q.id} : sa solution ne définit aucun nom de premier niveau et aucun test ne la "
                                 "note : écrivez sa vérification dans checks.py"))
        elif not q.tests:
            warnings.append(Said(f"{q.id}: no test of yours grades it: its starter check only asks that "
                                 f"{listed} exist; write checks of their values",
                                 f"{q.id} : aucun de vos tests ne la note : sa vérification de départ demande "
                                 f"seulement que {listed} existe(nt) ; écrivez des vérifications de leurs valeurs"))
        questions.append(FoundQuestion(q.id, q.points, title, answers, tuple(tests.get(q.id, ())), False,
                                       q.all_or_nothing))
    if not any(not q.manual for q in questions) and not any(q.manual for q in questions):
        raise AuthoringError(f"{notebook.name}: no question found",
                             fr=f"{notebook.name} : aucune question trouvée")
    folder = course / "assignments" / assignment_id
    generated = teacher_checks_module(assignment_id, notebook.name, questions, setup, run_reference)
    files: dict[Path, str | dict] = {
        course / "reference" / f"{assignment_id}.py": text,
        folder / "student.ipynb": nb,
        folder / "teacher_checks.py": _fingerprinted(generated),
    }
    if _hand_edited(folder / "teacher_checks.py"):
        raise AuthoringError(f"{folder / 'teacher_checks.py'} was edited by hand, and `assign` rewrites it: move "
                             "your checks to checks.py, remove it, and assign again",
                             fr=f"{folder / 'teacher_checks.py'} a été modifié à la main, et `assign` le réécrit : "
                                "déplacez vos vérifications dans checks.py, supprimez-le, et relancez assign")
    kept = []
    toml_path = folder / "assignment.toml"
    if _hand_edited(toml_path):
        files[toml_path], added = _toml_with(toml_path, questions)
        kept.append(toml_path)
        warnings.append(Said(f"{toml_path.name} was edited by hand: kept" + (
            f", the new question(s) {', '.join(added)} appended" if added else "") + " (remove it to regenerate it)",
            f"{toml_path.name} a été modifié à la main : conservé" + (
                f", nouvelle(s) question(s) {', '.join(added)} ajoutée(s) à la fin" if added else "")
            + " (supprimez-le pour le régénérer)"))
    else:
        files[toml_path] = _fingerprinted(toml_text(assignment_id, teacher.title or assignment_id, questions))
    checks_path = folder / "checks.py"
    if _hand_edited(checks_path):
        kept.append(checks_path)
        warnings.append(Said(f"{checks_path.name} was edited by hand: kept (remove it to regenerate it)",
                             f"{checks_path.name} a été modifié à la main : conservé (supprimez-le pour le "
                             "régénérer)"))
    else:
        files[checks_path] = _fingerprinted(entry_module(assignment_id))
    _loads_or_refuse(folder, files, assignment_id)
    for path, content in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, dict):
            write_notebook(content, path)
        else:
            path.write_text(content, encoding="utf-8")
    return AssignResult(assignment_id, teacher.style, course / "reference" / f"{assignment_id}.py",
                        folder / "student.ipynb", toml_path, checks_path, tuple(questions), tuple(kept),
                        tuple(warnings), folder / "teacher_checks.py")


def _loads_or_refuse(folder: Path, files: dict[Path, str | dict], assignment_id: str) -> None:
    """Load the TP as `grader run` would, from a copy with the new files in place; refuse if it fails."""
    from grader.assignments import AssignmentError, load_folder

    with tempfile.TemporaryDirectory(prefix="grader-assign-check-") as tmp:
        copy = Path(tmp) / "assignments" / assignment_id
        if folder.is_dir():
            shutil.copytree(folder, copy, ignore=shutil.ignore_patterns("__pycache__"))
        copy.mkdir(parents=True, exist_ok=True)
        for path, content in files.items():
            if path.parent == folder and isinstance(content, str):
                (copy / path.name).write_text(content, encoding="utf-8")
        try:
            load_folder(copy)
        except AssignmentError as e:
            raise AuthoringError(f"{folder}: with these files the TP would not load, so nothing was written: "
                                 f"{e.text('en')}",
                                 fr=f"{folder} : avec ces fichiers le TP ne se chargerait pas, rien n'a donc été "
                                    f"écrit : {e.text('fr')}") from e
