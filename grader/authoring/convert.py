"""`grader assign TEACHER.ipynb --id ID --course DIR`: an instructor's solution notebook, as an assignment.

It writes the course layout `grader run --course DIR` reads: `reference/ID.py` (the solution in
the percent format, a valid submission), `assignments/ID/student.ipynb` (what `grader generate`
makes of that reference), `assignment.toml` and a `checks.py` of structural starter checks, one
per question: each answer exists with the type and shape the reference's run gave it. They
cannot tell a right value from a wrong one (nor a function's stub from its solution): the
instructor's own tests are quoted under each check as what is left to write. Once the instructor
edits the TOML or the checks, `grader assign` leaves that file alone (its first line fingerprints
the generated text), so regenerating from a corrected notebook never loses their work.
"""

from __future__ import annotations

import ast
import hashlib
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

from grader.authoring import AuthoringError, Said
from grader.authoring.notebook_io import write_notebook
from grader.authoring.scaffold import check_id
from grader.authoring.starter import (
    LIMITS,
    Answer,
    FoundQuestion,
    checks_module,
    expectation,
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
from grader.reports import runner_text

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

    @property
    def written(self) -> tuple[Path, ...]:
        return tuple(p for p in (self.reference, self.student, self.toml, self.checks) if p not in self.kept)


_IPYTHON = None


def python_of(cell: str) -> str:
    """A cell as plain Python (magics and `!cmd` as IPython runs them), for `ast`; line numbers kept."""
    global _IPYTHON
    if _IPYTHON is None:
        from IPython.core.inputtransformer2 import TransformerManager
        _IPYTHON = TransformerManager()
    try:
        return _IPYTHON.transform_cell(cell)
    except Exception:  # noqa: BLE001 - whatever IPython cannot transform, ast judges as written
        return cell


def parses(cell: str) -> bool:
    """Whether a cell is valid Python as IPython would run it (a student cell must always be)."""
    try:
        ast.parse(python_of(cell))
    except (SyntaxError, ValueError):
        return False
    return True


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


_CELL_MARKER = re.compile(r"#\s*%%")  # what either percent-format reader could take for a cell marker


def reference_text(teacher: TeacherNotebook) -> str:
    """The percent-format reference; a teacher's line that looks like a cell marker is escaped."""
    parts = []
    for cell in teacher.cells:
        if cell.kind == "markdown":
            lines = [("#" if not s.strip() else "# " + re.sub(r"^(\s*)%%", r"\1\\%%", s)) for s in
                     cell.source.split("\n")]
            parts.append("# %% [markdown]\n" + "\n".join(lines))
        else:
            lines = [(" " + s if _CELL_MARKER.match(s) else s) for s in cell.source.split("\n")]
            parts.append("# %%\n" + _fill_empty_bodies("\n".join(lines)))
    return "\n\n".join(parts) + "\n"


# -- answers -----------------------------------------------------------------------------------
def _bound(target: ast.expr) -> list[str]:
    """The names an assignment target binds: `a, (b, *c)` binds three; `m.attr` and `d[0]` none."""
    if isinstance(target, ast.Name):
        return [target.id]
    if isinstance(target, ast.Starred):
        return _bound(target.value)
    if isinstance(target, ast.Tuple | ast.List):
        return [n for elt in target.elts for n in _bound(elt)]
    return []


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
                    found.update((n, "value") for t in targets for n in _bound(t))
            elif not isinstance(node, ast.Import | ast.ImportFrom):
                for child in ("body", "orelse", "finalbody"):
                    visit(getattr(node, child, []))
                for handler in getattr(node, "handlers", []):
                    visit(handler.body)

    visit(tree.body)
    return [(n, k) for n, k in found.items() if not n.startswith("_")]


def _run_reference(text: str, teacher: TeacherNotebook, names: list[str], where: str) -> dict[str, dict]:
    """Run the reference once in the grader's runner; the descriptions of `names` afterwards."""
    from grader.judge.checks import CheckFailed
    from grader.judge.observe import Observer
    from grader.model import Status
    from grader.runner.sandbox import SandboxUnavailable, plan
    from grader.runner.session import Limits, RunnerSession
    from grader.submissions import cleanup, load

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
                for name in names:
                    try:
                        out[name] = obs.describe(name)
                    except CheckFailed as e:
                        raise AuthoringError(f"{where}: after running the reference, `{name}` cannot be "
                                             f"observed: {e.message.en}",
                                             fr=f"{where} : après exécution de la référence, `{name}` ne peut "
                                                f"pas être observé : {e.message.fr}") from e
                return out
        finally:
            cleanup([sub])


# -- files -------------------------------------------------------------------------------------
def student_notebook(assignment_id: str, reference: str) -> dict:
    """What `grader generate` makes of the reference, each code cell checked to be valid Python."""
    nb = notebook_from_reference(reference, assignment_id)
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


def assign_notebook(notebook: Path, *, assignment_id: str, course: Path, run_reference: bool = True) -> AssignResult:
    """Turn the instructor's solution notebook into `assignment_id` in the course folder `course`.

    Raises AuthoringError (a usage error) when the notebook cannot be read, its marks are broken,
    or its reference fails to run; nothing is written then.
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
    nb = student_notebook(assignment_id, text)
    warnings = list(teacher.warnings)
    names: dict[str, dict[str, str]] = {q.id: {} for q in teacher.questions}
    for cell, (kind, source) in zip(teacher.cells, cells, strict=True):
        if kind == "code" and cell.question in names:
            names[cell.question].update(answer_names(source))
    found = sorted({n for per in names.values() for n in per})
    described = _run_reference(text, teacher, found, notebook.name) if run_reference else {}
    questions = []
    for q in teacher.questions:
        if not q.has_code:
            warnings.append(Said(f"{q.id}: written answers only, graded by hand: left out of assignment.toml",
                                 f"{q.id} : réponses écrites seulement, corrigées à la main : absente "
                                 "d'assignment.toml"))
            continue
        answers = tuple(Answer(n, *expectation(k, described.get(n))) for n, k in names[q.id].items())
        if not answers:
            warnings.append(Said(f"{q.id}: its solution binds no top-level name: write its check in checks.py",
                                 f"{q.id} : sa solution ne définit aucun nom de premier niveau : écrivez sa "
                                 "vérification dans checks.py"))
        listed = ", ".join(f"`{a.name}`" for a in answers)
        title = (q.heading or f"Question {q.id}") + (f" ({listed})" if listed else "")
        questions.append(FoundQuestion(q.id, q.points, title, answers))
    if not questions:
        raise AuthoringError(f"{notebook.name}: no autograded question (only written answers)",
                             fr=f"{notebook.name} : aucune question corrigée automatiquement (seulement des réponses "
                                "écrites)")
    by_id = {q.id: q for q in teacher.questions}
    files = {
        course / "reference" / f"{assignment_id}.py": (text, False),
        course / "assignments" / assignment_id / "student.ipynb": (nb, False),
        course / "assignments" / assignment_id / "assignment.toml":
            (_fingerprinted(toml_text(assignment_id, teacher.title or assignment_id, questions)), True),
        course / "assignments" / assignment_id / "checks.py":
            (_fingerprinted(checks_module(assignment_id, notebook.name, questions, by_id, run_reference)), True),
    }
    kept = []
    for path, (content, protected) in files.items():
        if protected and _hand_edited(path):
            kept.append(path)
            warnings.append(Said(f"{path.name} was edited by hand: left as it is (remove it to regenerate it)",
                                 f"{path.name} a été modifié à la main : laissé tel quel (supprimez-le pour le "
                                 "régénérer)"))
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, dict):
            write_notebook(content, path)
        else:
            path.write_text(content, encoding="utf-8")
    reference, student, toml, checks = files
    return AssignResult(assignment_id, teacher.style, reference, student, toml, checks, tuple(questions),
                        tuple(kept), tuple(warnings))
