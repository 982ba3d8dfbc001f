"""Written answers (questions of kind `manual`) found in a student's notebook, for grading by hand.

A generated student notebook marks each answer cell in its metadata (`{"grader": {"answer": "w1"}}`)
and gives it an id derived from the TP and the question (`answer_cell_id`), never from its position:
a question added to a TP later gives no earlier cell an answer's id. Students move, edit, split or
convert cells (markdown to code and back), and some tools drop the metadata, so an answer is looked
for by that mark first, then by that id, then as the cell right after the question's own text. The
last two never take a cell that belongs to another question: one marked for it, one holding another
question's text, a code cell that defines one of the names the reference's other cells define
(`flat`, `relu`...). What cannot be found is "no answer", never an error, and the reason is kept
(`Answer.found` = `none:` + the reason, read back by `no_answer_reason`) for whoever grades by hand.
Plain JSON and text only: this runs at intake, where nbformat is not wanted (its import costs seconds).
"""

from __future__ import annotations

import ast
import hashlib
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from grader.intake import percent
from grader.model import Message

#: What a generated answer cell holds until the student writes in it.
PLACEHOLDER = "*Votre réponse ici.*"
#: A percent-format header that marks an answer cell: `# %% [markdown] answer=w1`.
ANSWER_TAG = re.compile(r"\banswer\s*=\s*[\"']?([A-Za-z0-9_.-]+)")

#: How an answer was found: by its cell's mark, by the cell's id, after the question's text; or not.
METADATA, CELL_ID, HEADING, NOT_FOUND = "metadata", "id", "heading", ""
#: `Answer.found` of no answer with its reason: `none:` + the reason as JSON {"fr", "en"}.
NONE_PREFIX = "none:"


def answer_cell_id(assignment_id: str, question: str) -> str:
    """The id of question `question`'s answer cell in the TP's student notebook: from the TP and the
    question, never from the cell's position (a question added later gives no old cell this id)."""
    return "answer-" + hashlib.sha1(f"{assignment_id}:answer:{question}".encode()).hexdigest()[:12]


@dataclass(frozen=True)
class NotebookCell:
    """A cell as intake keeps it for answers: its type, text, id and answer mark (if any)."""

    kind: str  # "code" | "markdown" | "raw"
    source: str
    id: str = ""
    answer: str = ""  # the question id of `metadata.grader.answer`


@dataclass(frozen=True)
class AnswerCell:
    """Where the student notebook puts a written answer: the cell's id and the text just before it."""

    question: str
    cell_id: str
    heading: str  # first line of the question's cell, right before the answer cell
    expected: str = ""  # the reference's model answer, shown to whoever grades
    prompt: str = ""  # the question's whole text (the cell before the answer cell)
    #: (name, question) of every name the reference's other code cells define: a cell defining one
    #: of them belongs to that question, never to this one's answer
    others: tuple[tuple[str, str], ...] = ()
    #: first lines (compared as `_words`) of the TP's own text cells: the question texts, not answers
    texts: tuple[str, ...] = ()


@dataclass(frozen=True)
class Answer:
    question: str
    text: str  # "" when there is no answer (not found, or the placeholder left as it was)
    cell_type: str = ""
    found: str = NOT_FOUND  # METADATA, CELL_ID, HEADING; or NOT_FOUND / `none:` + why (no_answer_reason)

    @property
    def reason(self) -> Message | None:
        """Why there is no answer (None when one was found, or no reason was kept)."""
        return no_answer_reason(self.found)


def no_answer_reason(found: str) -> Message | None:
    """The reason kept with "no answer" in `Answer.found` (also as stored in the gradebook)."""
    if not isinstance(found, str) or not found.startswith(NONE_PREFIX):
        return None
    try:
        doc = json.loads(found[len(NONE_PREFIX):])
        return Message(str(doc["fr"]), str(doc["en"]))
    except (ValueError, KeyError, TypeError):
        return None


def _no_answer(q: str, why: Message) -> Answer:
    return Answer(q, "", "", NONE_PREFIX + json.dumps({"fr": why.fr, "en": why.en}, ensure_ascii=False))


def _source(value: object) -> str:
    if isinstance(value, str):
        return value.replace("\r\n", "\n")
    if isinstance(value, list):
        return "".join(s for s in value if isinstance(s, str)).replace("\r\n", "\n")
    return ""


def answer_mark(metadata: object) -> str:
    """The question id of a cell's `{"grader": {"answer": ID}}` metadata, or ""."""
    grader = metadata.get("grader") if isinstance(metadata, dict) else None
    value = grader.get("answer") if isinstance(grader, dict) else None
    return value.strip() if isinstance(value, str) else ""


def cells_of_notebook(raw: object, key: str = "source") -> tuple[NotebookCell, ...]:
    """Every cell of a notebook's `cells` list (JSON as loaded); malformed cells are left out."""
    if not isinstance(raw, list):
        return ()
    out = []
    for cell in raw:
        if not isinstance(cell, dict):
            continue
        kind = cell.get("cell_type")
        cid = cell.get("id")
        out.append(NotebookCell(kind if isinstance(kind, str) else "", _source(cell.get(key)),
                                cid if isinstance(cid, str) else "", answer_mark(cell.get("metadata"))))
    return tuple(out)


def cells_of_module(text: str) -> tuple[NotebookCell, ...]:
    """The cells of a percent-format module (`# %%`, `# %% [markdown] answer=w1`); text cells lose their
    leading `# `, as jupytext reads them. A cell with nothing in it is left out, unless it is tagged."""
    cells = []
    for cell in percent.split(text):
        found = ANSWER_TAG.search(cell.header)
        tag, body = (found.group(1) if found else ""), cell.text
        if body.strip() or tag:
            cells.append(NotebookCell(cell.kind, body.strip("\n"), "", tag))
    return tuple(cells)


def _words(text: str) -> str:
    """The text without comment marks, markdown emphasis and extra blanks: to compare, not to show."""
    lines = (re.sub(r"^\s*#+\s?", "", s) for s in text.split("\n"))
    return " ".join(" ".join(lines).replace("*", " ").replace("_", " ").split()).lower()


def is_placeholder(text: str) -> bool:
    return _words(text) in ("", _words(PLACEHOLDER))


def _first_line(text: str) -> str:
    return next((_words(s) for s in text.split("\n") if _words(s)), "")


def defined_names(source: str) -> set[str]:
    """The top-level names a code cell defines (assignments, `def`, `class`; not imports): what
    ties a cell to the question that asks for them. A cell that does not parse is read line by line."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        found = re.findall(r"^(?:def|class)\s+([A-Za-z_]\w*)|^([A-Za-z_]\w*)\s*(?::[^=]*)?[+\-*/]?=(?!=)",
                           source, re.MULTILINE)
        return {a or b for a, b in found}
    names: set[str] = set()

    def targets(node: ast.AST) -> None:
        if isinstance(node, ast.Name):
            names.add(node.id)
        elif isinstance(node, (ast.Tuple, ast.List)):
            for e in node.elts:
                targets(e)
        elif isinstance(node, ast.Starred):
            targets(node.value)

    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            for t in node.targets:
                targets(t)
        elif isinstance(node, (ast.AugAssign, ast.AnnAssign)):
            targets(node.target)
    return names


def find_answers(cells: Sequence[NotebookCell], questions: Iterable[str],
                 specs: Iterable[AnswerCell] = ()) -> tuple[Answer, ...]:
    """Each question's answer: the text of the cells marked for it (several: joined), else of the
    cell with the generated answer cell's id, else of the cell after the question's text; the last
    two only when the cell belongs to no other question. Else "no answer", with the reason."""
    by_q: dict[str, AnswerCell] = {}
    for s in specs:  # a question's first answer cell holds its id
        by_q.setdefault(s.question, s)
    out = []
    for q in questions:
        spec = by_q.get(q)
        answer = _by_mark(cells, q)
        if answer is None:
            answer, why_id = _by_id(cells, q, spec)
            if answer is None:
                answer, why_heading = _by_heading(cells, q, spec)
                answer = answer or _no_answer(q, why_id or why_heading or _NOWHERE)
        out.append(answer)
    return tuple(out)


def _answer(q: str, found: Sequence[NotebookCell], how: str) -> Answer:
    texts = [c.source.strip() for c in found if not is_placeholder(c.source)]
    kind = found[0].kind if found else ""
    return Answer(q, "\n\n".join(texts), kind, how)


def _by_mark(cells: Sequence[NotebookCell], q: str) -> Answer | None:
    found = [c for c in cells if c.answer == q]
    return _answer(q, found, METADATA) if found else None


def _belongs_elsewhere(cell: NotebookCell, q: str, spec: AnswerCell, where: Message) -> Message | None:
    """Why `cell` is another question's and not `q`'s answer; None when nothing says so."""
    if cell.answer and cell.answer != q:
        return Message(f"{where.fr} est marquée pour la question {cell.answer} : elle n'est pas prise comme "
                       f"réponse à {q}.",
                       f"{where.en} is marked for question {cell.answer}: it is not taken as {q}'s answer.")
    if cell.kind == "code":
        owners = dict(spec.others)
        taken = sorted(defined_names(cell.source) & owners.keys())
        if taken:
            names = ", ".join(f"`{n}`" for n in taken)
            whose = "; ".join(dict.fromkeys(owners[n] for n in taken if owners[n]))
            return Message(f"{where.fr} définit {names}" + (f" (« {whose} »)" if whose else "")
                           + f", le code d'une autre question : elle n'est pas prise comme réponse à {q}.",
                           f"{where.en} defines {names}" + (f" ('{whose}')" if whose else "")
                           + f", another question's code: it is not taken as {q}'s answer.")
    first = _first_line(cell.source)
    if first and first in spec.texts:
        return Message(f"{where.fr} est un énoncé du TP (« {cell.source.strip().splitlines()[0][:80]} ») : "
                       f"la cellule de réponse à {q} a été supprimée ?",
                       f"{where.en} is a text of the TP ('{cell.source.strip().splitlines()[0][:80]}'): "
                       f"was {q}'s answer cell deleted?")
    return None


_NOWHERE = Message("Aucune cellule ne correspond.", "No cell of the notebook matches.")
_BY_ID = Message("La cellule qui porte l'identifiant de la cellule de réponse",
                 "The cell that carries the identifier of the answer cell")
_AFTER = Message("La cellule qui suit l'énoncé de la question", "The cell after the question's text")


def _by_id(cells: Sequence[NotebookCell], q: str,
           spec: AnswerCell | None) -> tuple[Answer | None, Message | None]:
    if spec is None or not spec.cell_id:
        return None, None
    found = [c for c in cells if c.id == spec.cell_id]
    for c in found:
        if why := _belongs_elsewhere(c, q, spec, _BY_ID):
            return None, why
    return (_answer(q, found, CELL_ID) if found else None), None


def _by_heading(cells: Sequence[NotebookCell], q: str,
                spec: AnswerCell | None) -> tuple[Answer | None, Message | None]:
    if spec is None or not (heading := _words(spec.heading)):
        return None, Message(f"Aucune cellule n'est marquée pour la question {q} et le TP ne dit pas où est "
                             "sa réponse.",
                             f"No cell is marked for question {q} and the assignment does not say where its "
                             "answer is.")
    for i, cell in enumerate(cells):
        if _first_line(cell.source) != heading:
            continue
        if i + 1 == len(cells):
            return None, Message(f"L'énoncé de la question {q} est la dernière cellule du notebook : aucune "
                                 "réponse après lui.",
                                 f"Question {q}'s text is the notebook's last cell: no answer after it.")
        if why := _belongs_elsewhere(cells[i + 1], q, spec, _AFTER):
            return None, why
        return _answer(q, [cells[i + 1]], HEADING), None
    return None, Message(f"Aucune cellule n'est marquée pour la question {q}, aucune ne porte l'identifiant de "
                         "sa cellule de réponse, et son énoncé n'est pas dans le notebook (un notebook "
                         "distribué avant l'ajout de cette question ?).",
                         f"No cell is marked for question {q}, none has its answer cell's id, and its text is "
                         "not in the notebook (a notebook handed out before this question was added?).")


def answer_cells(cells: Sequence[tuple[str, str, str, str]]) -> tuple[AnswerCell, ...]:
    """The answer cells of a generated notebook, from its (kind, source, id, answer) rows in order,
    each with the first line of the cell before it; `source` of an answer row is the model answer.
    Each also knows what belongs to the other questions: the names the other code cells define
    (with the first line of the text before them, the question they answer) and the TP's own texts."""
    owners: dict[str, str] = {}
    texts: set[str] = set()
    before = ""
    for kind, source, _cid, answer in cells:
        if answer:
            continue
        if kind == "code":
            for name in defined_names(source):
                owners.setdefault(name, before)
        elif (first := _first_line(source)):
            texts.add(first)
            before = next((s.strip().lstrip("#").strip() for s in source.split("\n") if s.strip()), "")
    out = []
    for i, (_kind, source, cid, answer) in enumerate(cells):
        if answer:
            prompt = cells[i - 1][1] if i else ""
            heading = next((s for s in prompt.split("\n") if s.strip()), "")
            own = defined_names(source) if _kind == "code" else set()
            out.append(AnswerCell(answer, cid, heading.strip(), source, prompt.strip(),
                                  tuple(sorted((n, q) for n, q in owners.items() if n not in own)),
                                  tuple(sorted(texts))))
    return tuple(out)
