"""An instructor's solution notebook (nbgrader or otter-grader style), read into reference markers.

Both tools mark solutions and tests their own way. `read_teacher` turns either into cells whose
code uses this project's `# BEGIN SOLUTION` / `# END SOLUTION` / `# STUB:` lines
(`grader.notebooks`), each tagged with its question, plus the questions' ids, points and the
instructor's tests (`TeacherTest`: each nbgrader autograded test cell, each otter test case, its
points and whether students see it), which `grader assign` turns into checks run in the clean room
(`grader.judge.teacher_tests`). Graded written answers become questions graded by hand.
A notebook with neither tool's marks but our own `# BEGIN SOLUTION` lines is read too (one
question per solution cell). nbformat is imported lazily (about 2 s), and never by runner code.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field, replace
from pathlib import Path

from grader.authoring import AuthoringError, Said

BEGIN, END, STUB = "# BEGIN SOLUTION", "# END SOLUTION", "# STUB:"
#: What replaces a written (markdown) answer: it is graded by hand, and the reference must not hold it.
ANSWER_HERE = "_Votre réponse ici._ / _Your answer here._"


@dataclass(frozen=True)
class TeacherCell:
    kind: str  # "code" or "markdown"
    source: str  # code in the reference's solution markers
    question: str | None = None  # the question whose solution this cell holds
    origin: int = 0  # index in the instructor's notebook, for messages
    answer: str = ""  # the question graded by hand whose answer this cell is (`answer=ID` in the reference)


@dataclass(frozen=True)
class TeacherTest:
    """One instructor's test: an nbgrader autograded test cell or an otter test case."""

    source: str  # the whole test as it runs when grading (hidden parts included), markers removed
    public: str  # what students see of it: "" when all of it is hidden
    points: float
    hidden: bool  # some of it (nbgrader's hidden-test block) or all of it (otter's `# HIDDEN`) is hidden
    origin: int = 0  # index of its cell in the instructor's notebook
    output: bool = False  # otter: a doctest, its printed output is compared with the reference's
    hint: str = ""  # otter's failure_message


@dataclass(frozen=True)
class TeacherQuestion:
    id: str
    points: float
    heading: str = ""  # the nearest markdown heading: the question's short description
    tests: tuple[TeacherTest, ...] = ()
    has_code: bool = False  # False: no solution code (a written answer, graded by hand)
    manual: bool = False  # graded by hand (nbgrader's manually graded cells, otter's `manual: true`)
    all_or_nothing: bool = False  # otter: the question's points only when every case passes


@dataclass(frozen=True)
class TeacherNotebook:
    style: str  # "nbgrader", "otter" or "markers"
    title: str
    cells: tuple[TeacherCell, ...]
    questions: tuple[TeacherQuestion, ...]
    warnings: tuple[str, ...] = ()


@dataclass
class _Q:
    id: str
    points: float | list | None
    heading: str = ""
    tests: list[TeacherTest] = field(default_factory=list)
    has_code: bool = False
    own_heading: bool = False  # found inside the question, not inherited from before it
    manual: bool = False
    all_or_nothing: bool = False


def _norm(line: str) -> str:
    return re.sub(r"\s+", " ", line.strip().lower())


def _indent(line: str) -> str:
    return line[: len(line) - len(line.lstrip())]


def _heading(text: str) -> str:
    for line in text.splitlines():
        if m := re.match(r"^ {0,3}#{1,6}\s+(.+?)\s*#*\s*$", line):
            return m.group(1)
    return ""


def _check_balanced(source: str, where: str) -> None:
    open_at = None
    for n, line in enumerate(source.split("\n"), 1):
        s = line.strip()
        if s == BEGIN:
            if open_at is not None:
                raise AuthoringError(f"{where}: BEGIN SOLUTION on line {n} inside the one of line {open_at}",
                                     fr=f"{where} : BEGIN SOLUTION ligne {n} à l'intérieur de celui de la ligne "
                                        f"{open_at}")
            open_at = n
        elif s == END:
            if open_at is None:
                raise AuthoringError(f"{where}: END SOLUTION on line {n} without a BEGIN SOLUTION",
                                     fr=f"{where} : END SOLUTION ligne {n} sans BEGIN SOLUTION")
            open_at = None
    if open_at is not None:
        raise AuthoringError(f"{where}: BEGIN SOLUTION on line {open_at} is never closed",
                             fr=f"{where} : BEGIN SOLUTION ligne {open_at} n'est jamais fermé")


def normalise_markers(source: str, where: str, *, whole: bool = False) -> str:
    """nbgrader's `### BEGIN SOLUTION` (any number of `#`, any case) as the reference's marker.

    `whole`: a solution cell without markers is all solution (nbgrader clears such a cell).
    """
    out, found = [], False
    for line in source.split("\n"):
        s = _norm(line)
        if re.fullmatch(r"#+ ?(begin|end) solution", s):
            found = True
            out.append(_indent(line) + (BEGIN if "begin" in s else END))
        else:
            out.append(line)
    text = "\n".join(out).strip("\n")
    if whole and not found and text.strip():
        text = f"{BEGIN}\n{text}\n{END}"
    _check_balanced(text, where)
    return text


def nbgrader_test(source: str, points: float, index: int, where: str) -> TeacherTest:
    """An nbgrader autograded test cell: all of it runs when grading; students see it without its
    `### BEGIN HIDDEN TESTS` ... `### END HIDDEN TESTS` blocks (nbgrader's markers, matched loosely)."""
    whole, public, hidden, inside = [], [], False, False
    for n, line in enumerate(source.split("\n"), 1):
        s = _norm(line)
        if re.fullmatch(r"#+ ?begin hidden tests?", s):
            if inside:
                raise AuthoringError(f"{where}: BEGIN HIDDEN TESTS on line {n} inside another",
                                     fr=f"{where} : BEGIN HIDDEN TESTS ligne {n} à l'intérieur d'un autre")
            inside = hidden = True
        elif re.fullmatch(r"#+ ?end hidden tests?", s):
            if not inside:
                raise AuthoringError(f"{where}: END HIDDEN TESTS on line {n} without a BEGIN",
                                     fr=f"{where} : END HIDDEN TESTS ligne {n} sans BEGIN")
            inside = False
        else:
            whole.append(line)
            if not inside:
                public.append(line)
    if inside:
        raise AuthoringError(f"{where}: BEGIN HIDDEN TESTS is never closed",
                             fr=f"{where} : BEGIN HIDDEN TESTS n'est jamais fermé")
    public_text = "\n".join(public).strip("\n")
    has_public_code = any(s.strip() and not s.strip().startswith("#") for s in public)
    return TeacherTest("\n".join(whole).strip("\n"), public_text if has_public_code else "", points, hidden, index)


_TEST_CONFIG = re.compile(r'^\s*(?:r|u)?("""|\'\'\')\s*#\s*BEGIN TEST CONFIG\s*\n(.*?)\n\s*\1\s*#\s*END TEST CONFIG\s*\n?',
                          re.DOTALL | re.IGNORECASE)


def otter_test(source: str, index: int, where: str) -> tuple[TeacherTest, float | None]:
    """An otter test case: `# HIDDEN` on its first line, or a `BEGIN TEST CONFIG` docstring (hidden,
    points, failure_message); its points are resolved with the question's (`resolve_points`)."""
    config: dict = {}
    text = source.strip("\n")
    if m := _TEST_CONFIG.match(text):
        config = _yamlish(m.group(2).split("\n"))
        text = text[m.end():].strip("\n")
    lines = text.split("\n")
    hidden = bool(config.get("hidden", False))
    if lines and _norm(lines[0]) == "# hidden":
        hidden, lines = True, lines[1:]
    text = "\n".join(lines).strip("\n")
    points = config.get("points")
    if points is not None and (not isinstance(points, int | float) or isinstance(points, bool)):
        raise AuthoringError(f"{where}: a test case's points must be a number, not {points!r}",
                             fr=f"{where} : les points d'un cas de test doivent être un nombre, pas {points!r}")
    hint = str(config.get("failure_message") or "")
    return TeacherTest(text, "" if hidden else text, 0.0, hidden, index, True, hint), points


def resolve_points(total, cases: list[float | None], where: str) -> list[float]:
    """Each case's points as otter 7 resolves them (`TestFile.resolve_test_file_points`): a list gives
    each its own; a total is what the cases without their own points share evenly; no total: those
    cases share 1 point when no case has points of its own, else they are worth 0."""
    if isinstance(total, list):
        if len(total) != len(cases):
            raise AuthoringError(f"{where}: {len(total)} points listed for {len(cases)} test case(s)",
                                 fr=f"{where} : {len(total)} points listés pour {len(cases)} cas de test")
        return [float(p) for p in total]
    given = sum(p for p in cases if p is not None)
    free = sum(1 for p in cases if p is None)
    if total is not None:
        if given > total:
            raise AuthoringError(f"{where}: the test cases' points ({given:g}) exceed the question's ({total:g})",
                                 fr=f"{where} : les points des cas de test ({given:g}) dépassent ceux de la question "
                                    f"({total:g})")
        share = (total - given) / free if free else 0.0
    elif given == 0:
        share = 1 / free if free else 0.0
    else:
        share = 0.0
    return [float(p) if p is not None else share for p in cases]


_OTTER_LINE = re.compile(r"^(?P<indent>\s*)(?P<code>[^#\s].*?)\s*#\s*SOLUTION(?P<np>\s+NO\s+PROMPT)?\s*$")


def _otter_stub(code: str) -> str | None:
    """Otter's student version of `x = 2  # SOLUTION` is `x = ...`; of `return y  # SOLUTION`, `return ...`."""
    try:
        body = ast.parse(code).body
    except SyntaxError:
        return None
    if len(body) != 1:
        return None
    node = body[0]
    if isinstance(node, ast.Assign | ast.AnnAssign) and node.value is not None:
        return code.encode()[: node.value.col_offset].decode().rstrip() + " ..."
    return "return ..." if isinstance(node, ast.Return) else None


def otter_code(source: str, where: str, *, whole: bool = True) -> str:
    """Otter's solution syntax (BEGIN/END SOLUTION and PROMPT regions, `# SOLUTION` lines) as markers.

    A prompt region (what otter shows students) becomes the STUB lines of the solution block next
    to it, so the reference never runs it. A cell with no marks at all is all solution when `whole`
    (inside otter's raw `# BEGIN SOLUTION` cells), else code students are given.
    """
    segs: list[list] = []  # ["code", line] | ["solution", indent, body, stubs] | ["prompt", indent, lines]
    current: list | None = None
    for n, line in enumerate(source.split("\n"), 1):
        s = _norm(line)
        begin = s in ("# begin solution", "# begin solution no prompt", "# begin prompt")
        if begin and current is not None:
            raise AuthoringError(f"{where}: `{line.strip()}` on line {n} inside an open region",
                                 fr=f"{where} : `{line.strip()}` ligne {n} dans une région ouverte")
        if begin:
            current = ["solution", _indent(line), [], []] if "solution" in s else ["prompt", _indent(line), []]
        elif s in ("# end solution", "# end prompt"):
            if current is None or current[0] not in s:
                raise AuthoringError(f"{where}: `{line.strip()}` on line {n} closes nothing",
                                     fr=f"{where} : `{line.strip()}` ligne {n} ne ferme rien")
            segs.append(current)
            current = None
        elif current is not None:
            current[2].append(line)
        elif (m := _OTTER_LINE.match(line)) and s not in ("# begin solution", "# end solution"):
            stub = None if m["np"] else _otter_stub(m["code"])
            segs.append(["solution", m["indent"], [m["indent"] + m["code"]], [stub] if stub else []])
        else:
            segs.append(["code", line])
    if current is not None:
        raise AuthoringError(f"{where}: a {current[0].upper()} region is never closed",
                             fr=f"{where} : une région {current[0].upper()} n'est jamais fermée")
    if not any(seg[0] != "code" for seg in segs):
        return normalise_markers(source, where, whole=whole)
    return _emit(_merge(segs, where))


def _merge(segs: list[list], where: str) -> list[list]:
    """Prompts become STUB-only blocks; a block right after another of the same indent (blank lines
    between) joins it, so a prompt and its solution, or consecutive `# SOLUTION` lines, make one."""
    out: list[list] = []
    for seg in segs:
        if seg[0] == "prompt":
            lines = [s for s in seg[2] if s.strip()]
            if any(len(_indent(s)) > len(_indent(lines[0])) for s in lines):
                raise AuthoringError(f"{where}: a PROMPT region with nested indentation cannot become STUB "
                                     "lines (they keep one indentation); write it on lines of one level",
                                     fr=f"{where} : une région PROMPT à indentation imbriquée ne peut pas devenir des "
                                        "lignes STUB (elles gardent une seule indentation) ; écrivez-la sur des "
                                        "lignes d'un seul niveau")
            seg = ["solution", _indent(lines[0]) if lines else seg[1], [], [s.strip() for s in lines]]
        if seg[0] == "solution":
            j = len(out) - 1
            while j >= 0 and out[j][0] == "code" and not out[j][1].strip():
                j -= 1
            if j >= 0 and out[j][0] == "solution" and out[j][1] == seg[1]:
                del out[j + 1:]
                out[j][2].extend(seg[2])
                out[j][3].extend(seg[3])
                continue
        out.append(seg)
    return out


def _emit(segs: list[list]) -> str:
    lines: list[str] = []
    for seg in segs:
        if seg[0] == "code":
            lines.append(seg[1])
            continue
        indent, body, stubs = seg[1], seg[2], seg[3]
        lines += [indent + BEGIN, *(f"{indent}{STUB} {s}" for s in stubs), *body, indent + END]
    return "\n".join(lines).strip("\n")


def _yamlish(lines: list[str]) -> dict:
    """The few YAML forms otter's question cells use: `key: value`, `[a, b]` and `- item` lists."""
    out: dict = {}
    key = None
    for line in lines:
        if not line.strip() or line.strip().startswith("#"):
            continue
        if (m := re.match(r"^\s*-\s*(.*)$", line)) and key is not None:
            out[key] = ([] if not isinstance(out.get(key), list) else out[key]) + [_scalar(m.group(1))]
        elif m := re.match(r"^\s*([\w-]+)\s*:\s*(.*?)\s*$", line):
            key = m.group(1).lower()
            out[key] = _scalar(m.group(2)) if m.group(2) else []
    return out


def _scalar(text: str):
    text = text.strip().strip("'\"")
    if text.startswith("[") and text.endswith("]"):
        return [_scalar(t) for t in text[1:-1].split(",") if t.strip()]
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return {"true": True, "false": False}.get(text.lower(), text)


def _points(value, where: str) -> float | None:
    if value is None or value == []:
        return None
    items = value if isinstance(value, list) else [value]
    if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in items):
        raise AuthoringError(f"{where}: points must be a number or a list of numbers, not {value!r}",
                             fr=f"{where} : points doit être un nombre ou une liste de nombres, pas {value!r}")
    return float(sum(items))


class _Reader:
    """Accumulates cells and questions in notebook order, whichever style is read."""

    def __init__(self, name: str):
        self.name, self.cells, self.questions = name, [], {}
        self.warnings: list[str] = []
        self.current: _Q | None = None
        self.pending_heading = ""

    def where(self, index: int) -> str:
        return f"{self.name}, cell {index + 1}"

    def open(self, qid: str, points: float | list | None, index: int) -> _Q:
        if qid in self.questions:
            raise AuthoringError(f"{self.where(index)}: question id {qid!r} used twice",
                                 fr=f"{self.where(index)} : identifiant de question {qid!r} utilisé deux fois")
        q = self.questions[qid] = _Q(qid, points, self.pending_heading)
        self.current, self.pending_heading = q, ""
        return q

    def markdown(self, source: str, index: int) -> None:
        if source.strip():
            self.cells.append(TeacherCell("markdown", source.strip("\n"), None, index))
        if heading := _heading(source):  # an open question before its solution (otter) takes it
            if self.current is not None and not self.current.has_code and not self.current.own_heading:
                self.current.heading, self.current.own_heading = heading, True
            else:
                self.pending_heading = heading

    def code(self, source: str, index: int, question: _Q | None = None) -> None:
        if source.strip():
            self.cells.append(TeacherCell("code", source, question.id if question else None, index))
            if question is not None:
                question.has_code = True

    def answer_by_hand(self, kind: str, source: str, index: int, q: _Q) -> None:
        """A graded answer (written, or code graded by hand): the reference keeps the model answer in a
        cell marked `answer=ID`, the student notebook gets an empty answer cell with that mark."""
        q.manual = True
        text = source.strip("\n") or ANSWER_HERE
        if kind == "code":
            text = "\n".join(s for s in text.split("\n") if not re.fullmatch(r"#+ ?(begin|end) solution", _norm(s)))
        self.cells.append(TeacherCell(kind, text, None, index, answer=q.id))


def _nbgrader_id(meta: dict, r: _Reader) -> str:
    return str(meta.get("grade_id") or f"q{len(r.questions) + 1}")


def _nbgrader(r: _Reader, cells: list) -> None:
    for i, cell in enumerate(cells):
        meta = dict(cell.get("metadata", {}).get("nbgrader", {}) or {})
        solution, graded, task = bool(meta.get("solution")), bool(meta.get("grade")), bool(meta.get("task"))
        if task:  # a task graded by hand over several cells: a question, no answer cell of its own
            q = r.open(_nbgrader_id(meta, r), _points(meta.get("points", 0), r.where(i)), i)
            q.manual = True
            r.markdown(cell.source, i)
            r.current = None
        elif cell.cell_type == "markdown" and solution:
            q = r.open(_nbgrader_id(meta, r), _points(meta.get("points", 0), r.where(i)) if graded else 0.0, i)
            r.answer_by_hand("markdown", cell.source, i, q)
            r.current = None
        elif cell.cell_type == "markdown":
            r.markdown(cell.source, i)
        elif cell.cell_type == "code" and solution and graded:  # nbgrader's "manually graded answer"
            q = r.open(_nbgrader_id(meta, r), _points(meta.get("points", 0), r.where(i)), i)
            r.answer_by_hand("code", normalise_markers(cell.source, r.where(i), whole=True), i, q)
            r.current = None
        elif cell.cell_type == "code" and solution:
            q = r.open(_nbgrader_id(meta, r), None, i)
            r.code(normalise_markers(cell.source, r.where(i), whole=True), i, q)
        elif cell.cell_type == "code" and graded:  # an autograded test cell: a check of the current question
            points = _points(meta.get("points", 0), r.where(i)) or 0.0
            if r.current is None or r.current.manual:  # tests before any solution: a question of their own
                r.open(_nbgrader_id(meta, r), None, i)
                r.warnings.append(Said(f"{r.where(i)}: a test cell with no solution cell before it is question "
                                       f"{r.current.id} of its own", f"{r.where(i)} : une cellule de test sans "
                                       f"cellule solution avant elle est une question à part, {r.current.id}"))
            assert r.current is not None
            r.current.tests.append(nbgrader_test(cell.source, points, i, r.where(i)))
        elif cell.cell_type == "code":
            r.code(normalise_markers(cell.source, r.where(i)), i)
    for q in r.questions.values():
        if q.manual:
            q.points = float(q.points or 0.0)
        elif q.tests:  # nbgrader's score: the test cells' points, nothing else
            q.points = float(sum(t.points for t in q.tests))
        else:  # a solution no test grades: the starter check's point, said by `assign`
            q.points = 1.0


def _otter(r: _Reader, cells: list) -> None:
    state = "top"  # top | question | solution | tests
    cases: dict[str, list[float | None]] = {}
    for i, cell in enumerate(cells):
        if cell.cell_type == "raw":
            lines = cell.source.split("\n")
            first = next((_norm(s) for s in lines if s.strip()), "")
            if first == "# begin question":
                config = _yamlish(lines[[_norm(s) for s in lines].index(first) + 1:])
                points = config.get("points")
                if not (points is None or isinstance(points, list) or
                        isinstance(points, int | float) and not isinstance(points, bool)):
                    raise AuthoringError(f"{r.where(i)}: points must be a number or a list of numbers, not {points!r}",
                                         fr=f"{r.where(i)} : points doit être un nombre ou une liste de nombres, pas "
                                            f"{points!r}")
                q = r.open(str(config.get("name") or f"q{len(r.questions) + 1}"), None if points == [] else points, i)
                q.manual = bool(config.get("manual", False))
                q.all_or_nothing = bool(config.get("all_or_nothing", False))
                state = "question"
            elif first in ("# begin solution", "# begin solution no prompt") and r.current:
                state = "solution"
            elif first == "# begin tests" and r.current:
                state = "tests"
            elif first in ("# end solution", "# end tests"):
                state = "question" if r.current else "top"
            elif first == "# end question":
                r.current, state = None, "top"
            continue  # otter's other raw cells (assignment config, prompts) hold no code
        q = r.current
        if cell.cell_type == "markdown" and state == "solution" and q is not None:
            r.answer_by_hand("markdown", cell.source, i, q)
        elif cell.cell_type == "markdown":
            r.markdown(cell.source, i)
        elif cell.cell_type == "code" and state == "tests" and q is not None:
            test, points = otter_test(cell.source, i, r.where(i))
            if test.source.strip():
                q.tests.append(test)
                cases.setdefault(q.id, []).append(points)
        elif cell.cell_type == "code" and state in ("solution", "question") and q is not None:
            # a question's code cell: solution lines (`# SOLUTION`, solution blocks) are taken out wherever
            # they are; inside raw solution cells a cell without marks is all solution
            code = otter_code(cell.source, r.where(i), whole=state == "solution")
            if q.manual:
                r.answer_by_hand("code", code, i, q)
            else:
                r.code(code, i, q if BEGIN in code else None)
        elif cell.cell_type == "code":
            r.code(normalise_markers(cell.source, r.where(i)), i)
    for q in r.questions.values():
        if q.manual:
            q.points = float(sum(q.points) if isinstance(q.points, list) else (q.points or 0.0))
            continue
        if q.tests:
            shares = resolve_points(q.points, cases[q.id], f"{r.name}, question {q.id}")
            q.tests = [replace(t, points=p) for t, p in zip(q.tests, shares, strict=True)]
            q.points = float(sum(shares))
        else:
            q.points = float(sum(q.points) if isinstance(q.points, list) else (1.0 if q.points is None else q.points))


def _markers(r: _Reader, cells: list) -> None:
    for i, cell in enumerate(cells):
        if cell.cell_type == "markdown":
            r.markdown(cell.source, i)
        elif cell.cell_type == "code":
            source = normalise_markers(cell.source, r.where(i))
            q = r.open(f"q{len(r.questions) + 1}", 1.0, i) if BEGIN in source else None
            r.code(source, i, q)


def read_teacher(path: Path) -> TeacherNotebook:
    """Read and validate the instructor's notebook; its outputs are dropped (they play no part)."""
    import nbformat

    try:
        nb = nbformat.read(str(path), as_version=4)
        for cell in nb.cells:
            if cell.cell_type == "code":
                cell.outputs, cell.execution_count = [], None
        nbformat.validate(nb)
    except (OSError, ValueError, nbformat.ValidationError) as e:
        raise AuthoringError(f"{path}: not a readable notebook: {e}", fr=f"{path} : notebook illisible : {e}") from e
    for cell in nb.cells:
        cell.source = cell.source.replace("\r\n", "\n")
    r = _Reader(Path(path).name)
    if any("nbgrader" in c.get("metadata", {}) for c in nb.cells):
        style = "nbgrader"
        _nbgrader(r, nb.cells)
    elif any(c.cell_type == "raw" and _norm(c.source.strip().split("\n")[0]) == "# begin question"
             for c in nb.cells):
        style = "otter"
        _otter(r, nb.cells)
    else:
        style = "markers"
        _markers(r, nb.cells)
    if not r.questions:
        raise AuthoringError(f"{path}: no question found (nbgrader solution cells, otter "
                             "`# BEGIN QUESTION` raw cells, or `# BEGIN SOLUTION` lines)",
                             fr=f"{path} : aucune question trouvée (cellules solution nbgrader, cellules brutes otter "
                                "`# BEGIN QUESTION`, ou lignes `# BEGIN SOLUTION`)")
    questions = tuple(TeacherQuestion(q.id, float(q.points or 0.0), q.heading, tuple(q.tests), q.has_code, q.manual,
                                      q.all_or_nothing)
                      for q in r.questions.values())
    title = next((h for c in r.cells if c.kind == "markdown" and (h := _heading(c.source))), "")
    return TeacherNotebook(style, title, tuple(r.cells), questions, tuple(r.warnings))
