"""The self-check cells of a student notebook: what they hold, where they go, how intake knows them.

A generated student notebook carries an init cell before its first code cell and, after the last
code cell of each autograded question, a `check("q1")` cell (then `check_all()` at the end): the
student runs the question's public checks in their own kernel (`grader.selfcheck`). These cells must
never run under the grader, so intake drops them, and it recognises them by what they are, never by
a tag or a metadata field a student could also put on an answer cell:
- the init cell is the generated text itself, compared as Python (`ast`, so comments and layout do
  not matter) for any TP id; the only freedom is `init`'s documented keywords (`bundle=`, `lang=`,
  string literals), so a student who points it at their bundle or asks for English still has it
  dropped. Its `try/from grader.selfcheck import` shape cannot be an answer to anything;
- a check cell is a cell holding only `check("<id>")` (or `check_all()`), with a string literal,
  optionally `lang="en"`.
Neither can hold a student's code, so dropping them never changes what is graded.

Which cells belong to which question is read from the reference: a code cell's own header tag
(`# %% question=q1`), else, when the TP's question ids are known (its TOML), the nearest heading
before it that names one (`## Q1 — ...`, `## Q6 (bonus) ...`: its first word, or the word after
"Question"/"Exercice"), up to the next heading of the same or a higher level. No question found:
no self-check cell at all. Plain text and JSON only: intake imports this module.
"""

from __future__ import annotations

import ast
import hashlib
import re
import textwrap
from collections.abc import Iterable, Sequence

#: What the init cell imports from `grader.selfcheck`: the student's whole API.
API = ("check", "check_all", "init")
#: `init` keywords a student may set without the cell stopping to be the generated one.
INIT_KEYWORDS = frozenset({"bundle", "lang"})
#: A question id as the check cells and the init cell may name it (the TOML's ids are like this).
_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,99}")
#: The header tag of a reference code cell that says which question it answers: `# %% question=q1`.
QUESTION_TAG = re.compile(r"\bquestion\s*=\s*[\"']?([A-Za-z0-9_.-]+)")
_HEADING = re.compile(r"^\s{0,3}(#{1,6})\s+(.*)$")
_LEAD_WORDS = ("question", "exercice", "exercise", "partie", "part")

INIT_TEMPLATE = '''\
# Auto-vérification : exécutez cette cellule, puis chaque cellule check("…") après une question.
# Elle tourne dans votre noyau et vous renseigne seulement : la note est calculée ailleurs.
# Self-check: run this cell, then each check("…") cell after a question. It runs in your own
# kernel and only tells you: the grade is computed elsewhere. (init(..., lang="en"): English.)
try:
    from grader.selfcheck import check, check_all, init
except ImportError:
    print("Auto-vérification indisponible : installez le wheel élève (voir LISEZMOI.md). / "
          "Self-check unavailable: install the student wheel (see LISEZMOI.md).")
else:
    init({assignment})
'''


def init_cell(assignment_id: str) -> str:
    """The init cell's source for TP `assignment_id`."""
    return INIT_TEMPLATE.format(assignment=_literal(assignment_id))


def check_cell(question: str) -> str:
    """The cell that runs question `question`'s public checks."""
    return f"check({_literal(question)})"


CHECK_ALL_CELL = "check_all()"


def _literal(value: str) -> str:
    if not _ID.fullmatch(value):
        raise ValueError(f"not an id a self-check cell can name: {value!r}")
    return f'"{value}"'


def cell_id(assignment_id: str, what: str) -> str:
    """A self-check cell's id: from the TP and what it checks (`init`, a question, `all`), never from its
    position, so adding these cells moves no other cell's id."""
    return "selfcheck-" + hashlib.sha1(f"{assignment_id}:selfcheck:{what}".encode()).hexdigest()[:12]


# -- recognising them ------------------------------------------------------------------------------
def _parse(source: str) -> list[ast.stmt] | None:
    """The cell as IPython runs it: line ends normalised, a common indentation removed."""
    try:
        return ast.parse(textwrap.dedent(source.replace("\r\n", "\n")).strip("\n")).body
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


def _call(node: ast.stmt, names: Iterable[str]) -> tuple[str, ast.Call] | None:
    """(name, call) of a statement that is only a call of one of `names`."""
    if isinstance(node, ast.Expr) and isinstance(node.value, ast.Call) and isinstance(node.value.func, ast.Name) \
            and node.value.func.id in names:
        return node.value.func.id, node.value
    return None


def _text(node: ast.expr) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _is_check_call(body: list[ast.stmt]) -> bool:
    """`check("<id>")` or `check_all()` alone (`lang=` a string literal, at most)."""
    found = _call(body[0], ("check", "check_all")) if len(body) == 1 else None
    if found is None:
        return False
    name, call = found
    if any(k.arg != "lang" or _text(k.value) is None for k in call.keywords):
        return False
    if name == "check_all":
        return not call.args
    return len(call.args) == 1 and _ID.fullmatch(_text(call.args[0]) or "") is not None


def _init_id(body: list[ast.stmt]) -> str | None:
    """The TP id of the cell's one `init("<id>", ...)` call, when its keywords are the allowed ones."""
    calls = [n for n in ast.walk(ast.Module(body=body, type_ignores=[])) if isinstance(n, ast.Call)
             and isinstance(n.func, ast.Name) and n.func.id == "init"]
    if len(calls) != 1 or len(calls[0].args) != 1 or not _ID.fullmatch(_text(calls[0].args[0]) or ""):
        return None
    if any(k.arg not in INIT_KEYWORDS or _text(k.value) is None for k in calls[0].keywords):
        return None
    return _text(calls[0].args[0])


def _shape(body: list[ast.stmt]) -> str:
    """The cell as Python, `init`'s allowed keywords left out (`body`, freshly parsed, is changed):
    what is compared with the template."""
    module = ast.Module(body=body, type_ignores=[])
    for node in ast.walk(module):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "init":
            node.keywords = []
    return ast.dump(module)


def is_otter_cell(source: str) -> bool:
    """Whether a code cell is one of otter's own: its init cell (`import otter`, `grader =
    otter.Notebook(...)`), `grader.check("q1")`, `grader.check_all()`, `grader.export(...)`. A
    notebook handed out by otter keeps them; here they could only fail (no otter, no `grader` object),
    as noise in the student's report. Every statement must be one of those: nothing else is dropped."""
    if not isinstance(source, str) or "otter" not in source and "grader." not in source or len(source) > 2000:
        return False
    body = _parse(source)
    if not body:
        return False
    notebooks = {"grader"}
    for node in body:
        if isinstance(node, ast.Import) and [a.name for a in node.names] == ["otter"] and not node.names[0].asname:
            continue
        if (isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name)
                and isinstance(node.value, ast.Call) and ast.unparse(node.value.func) == "otter.Notebook"):
            notebooks.add(node.targets[0].id)
            continue
        if (isinstance(node, ast.Expr) and isinstance(node.value, ast.Call)
                and isinstance(node.value.func, ast.Attribute) and isinstance(node.value.func.value, ast.Name)
                and node.value.func.value.id in notebooks
                and node.value.func.attr in ("check", "check_all", "export")
                and all(isinstance(a, ast.Constant) for a in node.value.args)
                and all(isinstance(k.value, ast.Constant) for k in node.value.keywords)):
            continue
        return False
    return True


def is_selfcheck_cell(source: str) -> bool:
    """Whether a code cell is one of the generated self-check cells, or otter's own (`is_otter_cell`):
    intake drops those."""
    if is_otter_cell(source):
        return True
    if not isinstance(source, str) or "check" not in source or len(source) > 4 * len(INIT_TEMPLATE):
        return False  # every self-check cell names `check` (`check_all`, `grader.selfcheck`): most cells end here
    body = _parse(source)
    if not body:
        return False
    if _is_check_call(body):
        return True
    aid = _init_id(body)
    if aid is None:
        return False
    template = _parse(init_cell(aid))
    assert template is not None
    return _shape(body) == _shape(template)


# -- placing them -----------------------------------------------------------------------------------
def _heading(markdown: str) -> tuple[int, str] | None:
    """(level, text) of a text cell's first line when it is a heading."""
    first = next((s for s in markdown.split("\n") if s.strip()), "")
    m = _HEADING.match(first)
    return (len(m.group(1)), m.group(2).strip()) if m else None


def _named(heading: str, questions: Sequence[str]) -> str | None:
    """The question a heading names: its first word (or the word after "Question", "Exercice"...)."""
    words = [w.strip(".:;,()[]—–-*_`") for w in heading.split()]
    words = [w for w in words if w]
    candidates = words[:1] + (words[1:2] if words and words[0].lower() in _LEAD_WORDS else [])
    for word in candidates:
        found = next((q for q in questions if q.lower() == word.lower()), None)
        if found is not None:
            return found
    return None


def question_of_cells(cells: Sequence[tuple[str, str, str]], questions: Sequence[str] | None = None) -> list[str]:
    """Each cell's question ("" for none), from (kind, source, tag) rows, `tag` being the code cell's
    `question=` header tag ("" if none). `questions`: the TP's autograded question ids. None when they
    are not known here: then only tags say it (a heading's "Q1" may not be the TP's id, and a
    `check("q1")` of a question the TP does not have would only confuse the student)."""
    out: list[str] = []
    current, level = "", 0
    for kind, source, tag in cells:
        if kind == "markdown" and (head := _heading(source)) is not None:
            named = _named(head[1], questions) if questions is not None else None
            if named is not None:
                current, level = named, head[0]
            elif current and head[0] <= level:
                current, level = "", 0
        if kind != "code":
            out.append("")
        elif tag:
            out.append(tag if questions is None or tag in questions else "")
        else:
            out.append(current)
    return out


def placements(kinds: Sequence[str], owners: Sequence[str]) -> tuple[int, dict[int, str]]:
    """Where the self-check cells go, given each cell's kind and question: (index of the cell the init
    cell goes before: the first code cell; {index of a question's last code cell: the question}).
    No question found: no self-check cell at all (-1, {})."""
    last: dict[str, int] = {}
    for i, (kind, owner) in enumerate(zip(kinds, owners, strict=True)):
        if kind == "code" and owner:
            last[owner] = i
    if not last:
        return -1, {}
    first = next(i for i, kind in enumerate(kinds) if kind == "code")
    return first, {i: q for q, i in last.items()}
