"""A notebook or a percent-format module -> the code cells the runner executes, and every cell
(markdown too) where written answers are looked for.

Notebooks are read with plain `json`: importing nbformat costs about 2 s in every process that
would need it. The self-check cells a generated notebook carries (`init(...)`, `check("q1")`:
`grader.selfcheck.check_cells`) are dropped here, recognised by their source: they only tell the
student, in their own kernel, never the grader.
"""

from __future__ import annotations

import io
import json
import tokenize

from grader.intake import percent
from grader.intake.answers import NotebookCell, answer_mark, cells_of_module, cells_of_notebook
from grader.intake.record import UnreadableSubmission
from grader.model import Message
from grader.selfcheck.check_cells import is_selfcheck_cell

NOT_NOTEBOOK = Message("Le fichier n'est pas un notebook Jupyter (.ipynb) valide.",
                       "The file is not a valid Jupyter notebook (.ipynb).")


NOT_MODULE = Message("Le fichier n'est pas un module Python (.py) lisible : contenu binaire.",
                     "The file is not a readable Python module (.py): binary content.")


EMPTY = Message("Fichier vide.", "Empty file.")


def _decode(data: bytes, kind: str) -> str:
    """Bytes -> text, with the error a student can act on (empty, binary, wrong encoding)."""
    if not data.strip():
        raise UnreadableSubmission(EMPTY)
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise UnreadableSubmission(Message("Encodage non pris en charge (UTF-16) : enregistrez le fichier en UTF-8.",
                                           "Unsupported encoding (UTF-16): save the file as UTF-8."))
    if b"\0" in data[:8192]:
        raise UnreadableSubmission(NOT_NOTEBOOK if kind == "ipynb" else NOT_MODULE)
    encoding = "utf-8-sig"
    if kind == "py":  # honour a PEP 263 coding cookie, as Python itself would
        try:
            encoding = tokenize.detect_encoding(io.BytesIO(data).readline)[0]
        except SyntaxError:
            pass
    try:
        text = data.decode(encoding)
    except (UnicodeDecodeError, LookupError) as e:
        pos, pos_en = (f" (octet invalide à la position {e.start})", f" (invalid byte at position {e.start})") \
            if isinstance(e, UnicodeDecodeError) else ("", "")
        raise UnreadableSubmission(Message(f"Encodage non pris en charge : le fichier doit être en UTF-8{pos}.",
                                           f"Unsupported encoding: the file must be UTF-8{pos_en}.")) from None
    if not text.strip():
        raise UnreadableSubmission(EMPTY)
    return text


def _cell_source(value: object) -> str | None:
    if value is None:
        return ""
    if isinstance(value, str):
        return value.replace("\r\n", "\n")
    if isinstance(value, list) and all(isinstance(s, str) for s in value):
        return "".join(value).replace("\r\n", "\n")
    return None


def parse_notebook(text: str) -> tuple[tuple[str, ...], str | None, tuple[Message, ...]]:
    """Code cells, assignment hint and warnings of an nbformat v4 or v3 notebook's JSON text."""
    return _parse_notebook(text)[:3]


def _parse_notebook(text: str) -> tuple[tuple[str, ...], str | None, tuple[Message, ...], tuple[NotebookCell, ...]]:
    try:
        nb = json.loads(text)
    except json.JSONDecodeError as e:
        raise UnreadableSubmission(Message(
            f"Notebook illisible : JSON invalide (ligne {e.lineno}, colonne {e.colno}).",
            f"Unreadable notebook: invalid JSON (line {e.lineno}, column {e.colno}).")) from None
    except RecursionError:
        raise UnreadableSubmission(Message("Notebook illisible : JSON trop profondément imbriqué.",
                                           "Unreadable notebook: JSON nested too deeply.")) from None
    if not isinstance(nb, dict):
        raise UnreadableSubmission(NOT_NOTEBOOK)
    if "cells" in nb:  # v4
        raw, key = nb["cells"], "source"
    elif isinstance(nb.get("worksheets"), list):  # v3: all worksheets, in order, like nbformat
        raw, key = [], "input"
        for ws in nb["worksheets"]:
            if isinstance(ws, dict) and isinstance(ws.get("cells"), list):
                raw.extend(ws["cells"])
    else:
        raw, key = None, ""
    if not isinstance(raw, list):
        raise UnreadableSubmission(NOT_NOTEBOOK)
    cells: list[str] = []
    warnings: list[Message] = []
    for i, cell in enumerate(raw, 1):
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        src = _cell_source(cell.get(key))
        if src is None:
            warnings.append(Message(f"Cellule n° {i} ignorée : son code n'est pas au format attendu.",
                                    f"Cell #{i} ignored: its code is not in the expected format."))
        elif is_selfcheck_cell(src):
            continue  # the student's own self-check: never run by the grader
        elif not (answer_mark(cell.get("metadata")) and not _compiles(src)):
            cells.append(src)  # a written answer turned into a code cell runs only if it is Python
    if not cells:
        warnings.append(Message("Le notebook ne contient aucune cellule de code.",
                                "The notebook holds no code cell."))
    meta = nb.get("metadata") if isinstance(nb.get("metadata"), dict) else {}
    grader = meta.get("grader")
    hint = grader.get("assignment") if isinstance(grader, dict) else None
    hint = (hint.strip() or None) if isinstance(hint, str) else None
    for holder, field_name in (("kernelspec", "language"), ("language_info", "name")):
        lang = meta.get(holder, {}).get(field_name) if isinstance(meta.get(holder), dict) else None
        if isinstance(lang, str) and lang.lower() not in ("python", "python3", "ipython"):
            warnings.append(Message(f"Le notebook déclare le langage « {lang} » ; il est exécuté en Python.",
                                    f"The notebook declares the language '{lang}'; it is run as Python."))
            break
    return tuple(cells), hint, tuple(warnings), _without_selfcheck(cells_of_notebook(raw, key))


def _without_selfcheck(cells: tuple[NotebookCell, ...]) -> tuple[NotebookCell, ...]:
    """The cells written answers are looked for in: a self-check cell is never one, nor the cell
    "after the question's text" in its stead."""
    return tuple(c for c in cells if not (c.kind == "code" and is_selfcheck_cell(c.source)))


def _compiles(src: str) -> bool:
    try:
        compile(src, "<answer>", "exec", dont_inherit=True)
    except (SyntaxError, ValueError):
        return False
    return True


def _trim(lines: tuple[str, ...]) -> str:
    """A cell's code without its blank first and last lines."""
    kept = list(lines)
    while kept and not kept[-1].strip():
        kept.pop()
    while kept and not kept[0].strip():
        kept.pop(0)
    return "\n".join(kept)


def split_cells(text: str) -> tuple[str, ...]:
    """The code cells of a module split on jupytext/VS Code `# %%` markers; no marker means one cell."""
    return tuple(src for cell in percent.split(text)
                 if cell.kind == "code" and (src := _trim(cell.lines)) and not is_selfcheck_cell(src))


def parse_source(data: bytes, kind: str) -> tuple[tuple[str, ...], str | None, tuple[Message, ...], tuple[NotebookCell, ...]]:
    text = _decode(data, kind)
    if kind == "ipynb":
        return _parse_notebook(text)
    cells = split_cells(text)
    return cells, None, () if cells else (Message("Le module ne contient aucune cellule de code.",
                                                   "The module holds no code cell."),), \
        _without_selfcheck(cells_of_module(text))
