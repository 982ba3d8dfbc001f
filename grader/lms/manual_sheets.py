"""Manual-grading sheets: per written question, an HTML page of every student's answer and a CSV to
fill (student, question, score, comment), and each student's notebook rendered as handed in.

Pure documents, like every reporter: `grader.lms.manual` decides what goes in and writes the files.
Everything a student wrote is escaped (jinja2 autoescape); the notebook pages are nbconvert's,
with HTML outputs sanitised and a CSP that forbids every script, so they open safely.
"""

from __future__ import annotations

import io
import re
import tempfile
from dataclasses import dataclass

from markupsafe import escape

from grader.intake.answers import no_answer_reason
from grader.model import Message, Question
from grader.reports.csv import DefusedWriter
from grader.reports.document import fmt_number, text
from grader.reports.html import _env, clean_text

#: The columns of a sheet to fill, per language; `max` is there to read, import ignores it (and reads
#: either language's names: `grader.lms.manual.ALIASES`).
COLUMNS = ("student", "question", "score", "comment", "max")
COLUMNS_FR = ("élève", "question", "note", "commentaire", "max")
CSP = ("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; "
       "img-src data:; font-src data:; base-uri 'none'; form-action 'none'\">")

FOUND = {
    "metadata": Message("cellule de réponse", "answer cell"),
    "id": Message("cellule de réponse (sans sa marque)", "answer cell (its mark lost)"),
    "heading": Message("cellule après l'énoncé (retrouvée par son texte)", "cell after the question (found by its text)"),
}
UI = {
    "fr": {"sheet": "Correction à la main", "points": "points", "expected": "Réponse attendue (référence)",
           "answer": "Réponse", "no_answer": "Pas de réponse.", "notebook": "notebook complet",
           "graded": "Note actuelle", "fill": "Notez dans", "then": "puis importez : ",
           "students": "copie(s)", "answered": "réponse(s)", "found": "trouvée dans", "code": "cellule de code",
           "markdown": "cellule de texte", "nb_title": "Notebook rendu tel que remis", "none": "—"},
    "en": {"sheet": "Hand grading", "points": "points", "expected": "Expected answer (reference)",
           "answer": "Answer", "no_answer": "No answer.", "notebook": "whole notebook",
           "graded": "Current score", "fill": "Fill in", "then": "then import: ",
           "students": "submission(s)", "answered": "answer(s)", "found": "found in", "code": "code cell",
           "markdown": "text cell", "nb_title": "Notebook rendered as handed in", "none": "—"},
}
MAX_ANSWER = 20_000  # characters of one answer shown on a sheet


@dataclass(frozen=True)
class SheetRow:
    """One student on a question's sheet."""

    student: str
    answer: str  # "" : no answer
    found: str = ""  # how intake found it (answers.METADATA, CELL_ID, HEADING)
    cell_type: str = ""
    notebook: str = ""  # link relative to the sheet, "" when none was rendered
    score: float | None = None  # the hand score already imported
    comment: str = ""


def sheet_html(question: Question, rows: list[SheetRow], *, assignment: str, title: Message, expected: str,
               csv_name: str, out_hint: str, prompt: str = "", lang: str = "fr") -> str:
    """The page a grader reads: the question, the reference's answer, then each student's answer."""
    ui = UI.get(lang, UI["fr"])
    views = [{"student": r.student, "answer": clean_text(r.answer, MAX_ANSWER, lang), "notebook": r.notebook,
              "found": (f"{ui['found']} : " if lang == "fr" else f"{ui['found']}: ")
              + text(FOUND[r.found], lang) + (f" ({ui.get(r.cell_type, r.cell_type)})" if r.cell_type else "")
              if r.found in FOUND and r.answer else "",
              "why_none": "" if r.answer else text(no_answer_reason(r.found) or Message(""), lang),
              "markdown": r.cell_type == "markdown",  # shown as the student saw it rendered; code as written
              "score": r.score, "comment": r.comment} for r in rows]
    return _env(lang).get_template("manual.html").render(
        title=text(title, lang), assignment=assignment, q={"id": question.id, "title": text(question.title, lang),
                                                           "points": question.points},
        expected=clean_text(expected, MAX_ANSWER, lang), prompt=clean_text(prompt, MAX_ANSWER, lang), rows=views, mui=ui, csv_name=csv_name,
        answered=sum(1 for r in rows if r.answer), out_hint=out_hint)


def sheet_csv(question: Question, rows: list[SheetRow], lang: str = "fr") -> str:
    """The CSV to fill, one row per student, with what was already imported; `;` and a decimal comma
    in French (what a French spreadsheet reads and writes), `,` and a dot in English; a BOM for Excel."""
    delimiter, decimal = (";", ",") if lang == "fr" else (",", ".")
    buf = io.StringIO()
    writer = DefusedWriter(buf, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(COLUMNS_FR if lang == "fr" else COLUMNS)
    for r in rows:
        writer.writerow([r.student, question.id,
                         "" if r.score is None else fmt_number(r.score, decimal), r.comment,
                         fmt_number(question.points, decimal)])
    return "\ufeff" + buf.getvalue()


def notebook_html(kind: str, entry: str, data: bytes | None, *, student: str, lang: str = "fr") -> str:
    """The student's notebook as handed in (outputs and plots as they saw them), rendered by
    nbconvert; a module becomes a notebook of its cells; what cannot be rendered gets a page saying why."""
    if data is None:
        return unavailable_html(student, Message("Le fichier remis n'a pas été conservé (trop volumineux, ou "
                                                 "illisible à la correction).",
                                                 "The file handed in was not kept (too large, or unreadable "
                                                 "when graded)."), lang)
    try:
        import nbformat
        from nbconvert import HTMLExporter

        source = data.decode("utf-8-sig")
        if kind == "py" or entry.lower().endswith(".py"):
            nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) if k == "code"
                                                 else nbformat.v4.new_markdown_cell(c)
                                                 for k, c in _module_cells(source)])
        else:
            nb = nbformat.reads(source, as_version=4)
        # nothing read from disk: a markdown image link (`![](reference/x.py)`) is not resolved, let alone
        # embedded (the outputs' own pictures are data already, in the notebook); relative paths point
        # into an empty folder
        with tempfile.TemporaryDirectory(prefix="grader-nb-") as empty:
            body, _ = HTMLExporter(sanitize_html=True, embed_images=False).from_notebook_node(
                nb, resources={"metadata": {"path": empty}})
    except Exception as e:  # noqa: BLE001 - a student's file, whatever is wrong in it
        return unavailable_html(student, Message(f"Le notebook n'a pas pu être rendu : {type(e).__name__}: {e}",
                                                 f"The notebook could not be rendered: {type(e).__name__}: {e}"),
                                lang)
    return _with_csp(body, f"{student} — {UI.get(lang, UI['fr'])['nb_title']}")


def _module_cells(source: str) -> list[tuple[str, str]]:
    from grader.intake.answers import cells_of_module

    return [("code" if c.kind == "code" else "markdown", c.source) for c in cells_of_module(source)]


def _with_csp(body: str, title: str) -> str:
    """nbconvert's page, its own scripts (CDN MathJax, require.js) dropped and every script forbidden."""
    body = re.sub(r"<script\b[^>]*\bsrc=[^>]*>\s*</script>", "", body, flags=re.IGNORECASE)
    body = re.sub(r"<title>.*?</title>", f"<title>{escape(title)}</title>", body, count=1, flags=re.DOTALL)
    return re.sub(r"<head>", "<head>" + CSP, body, count=1, flags=re.IGNORECASE)


def unavailable_html(student: str, why: Message, lang: str = "fr") -> str:
    return _env(lang).get_template("manual_unavailable.html").render(student=student, why=text(why, lang),
                                                                     mui=UI.get(lang, UI["fr"]))

