"""Gradescope's `results.json` for one submission (its autograder specification), as pure documents.

- `score` is the grader's total (each question on its grid), in points, so the Gradescope
  assignment is set to the TP's points (20 for most); `tests[]` are the checks (`grader.reports.rows`):
  `number` "2.1" is question 2's first check, `max_score` its share of the question's points, a
  passed check earns all of it. The tests may add up to a little more than `score` (each question
  is rounded down to its grid); the top-level `output` says so when they do.
- Public checks (`public=True`, the ones `grader check` runs) are `visible`; hidden ones
  `after_published`, so a student sees them once the grades are published. The top-level `output`
  is always visible: when a check is hidden it shows neither the total nor the score of a question
  holding a hidden check (each resubmission would tell whether the hidden checks pass), only that
  they come with publication.
- Held-out measures (accuracy of a trained model) become `leaderboard` entries.
- `extra_data` keeps the submission time from `submission_metadata.json` (`created_at`), which
  the `[late]` policy judges: `score` is after the penalty, the `output` says why, and `extra_data`
  keeps `score_before_penalty` and `late`.
- Outputs are HTML (`html`), everything escaped but the little markup of our own messages
  (`grader.reports.markup.to_html`: `code`, **bold**): a student's text (an error message, a value's
  repr, a note) can never be a link, an image or a fake bold grade there; a student's traceback is a
  `<pre>` block. Test names (the checks' descriptions) are plain `text`.

`crash_document` is what is written when grading could not happen at all: a valid file, score 0,
and the reason, so Gradescope never shows "the autograder failed to produce any output".
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from markupsafe import escape

import grader
from grader.model import Assignment, CheckInfo, Message, SubmissionResult, after_penalty
from grader.reports.document import (
    BY_HAND,
    atomic_write,
    auto_scores,
    fmt_number,
    runner_text,
    text,
)
from grader.reports.html import STATUS_LABELS, clean_text
from grader.reports.markup import to_html, to_plain
from grader.reports.rows import Row, rounding_gap, rows

VISIBLE, HIDDEN = "visible", "after_published"
FORMAT = "html"
MAX_DETAILS = 4000  # characters of a student's traceback under one test
MAX_NOTE = 1500  # characters of one remark (a runner note, an intake warning) in the top-level output


def write(path: Path, doc: dict[str, Any]) -> None:
    """Atomically: Gradescope reads the file once, after `run_autograder` ends."""
    atomic_write(Path(path), json.dumps(doc, ensure_ascii=False, indent=2, allow_nan=False) + "\n")


def document(result: SubmissionResult, assignment: Assignment, checks: Iterable[CheckInfo] = (), *,
             lang: str = "fr", seconds: float = 0.0, created_at: str | None = None) -> dict[str, Any]:
    """The whole results.json of one graded submission."""
    table = rows(result, assignment, checks)
    points = round(sum(qs.score for qs in auto_scores(result, assignment)), 4)  # written answers: by hand
    score = after_penalty(points, result.penalty)
    late = {"score_before_penalty": points, "late": result.penalty.as_dict()} if result.penalty else {}
    doc: dict[str, Any] = {
        "score": score,
        "execution_time": int(round(seconds)),
        "output": _summary(result, assignment, table, score, lang, created_at),
        "output_format": FORMAT,
        "test_output_format": FORMAT,
        "test_name_format": "text",
        "tests": [_test(r, lang) for r in table],
        "extra_data": _extra(assignment.id, lang, created_at, status=result.status,
                             max_score=float(assignment.auto_max),
                             sandbox_layers=list(result.info.get("sandbox_layers") or []), **late),
    }
    if board := leaderboard(table, lang):
        doc["leaderboard"] = board
    return doc


def crash_document(reason: str, *, lang: str = "fr", seconds: float = 0.0, created_at: str | None = None,
                   assignment_id: str = "") -> dict[str, Any]:
    """Score 0 and why: the submission could not be graded (not the student's verdict)."""
    intro = Message("**La correction automatique n'a pas pu avoir lieu.** La note provisoire est 0 ; "
                    "prévenez votre enseignant·e, qui peut relancer la correction.",
                    "**Automatic grading could not take place.** The provisional score is 0; "
                    "tell your instructor, who can run the grading again.").get(lang)
    output = _para(intro) + _pre(clean_text(reason, MAX_DETAILS, lang))
    if created_at:
        output += _para(_submitted(created_at, lang))
    return {"score": 0.0, "execution_time": int(round(seconds)), "output": output, "output_format": FORMAT,
            "tests": [], "extra_data": _extra(assignment_id, lang, created_at, status="crash")}


def leaderboard(table: list[Row], lang: str) -> list[dict[str, Any]]:
    """One entry per measure (first one of each name), higher first unless lower is better."""
    out: dict[str, dict[str, Any]] = {}
    for row in table:
        for m in row.result.measures if row.result is not None else ():
            if not m.ranked:  # measured through the student's own code: not a rank (grader.judge.trusted_predict)
                continue
            name = text(m.label, lang)
            out.setdefault(name, {"name": name, "value": m.value, "order": "desc" if m.higher_is_better else "asc"})
    return list(out.values())


def _test(row: Row, lang: str) -> dict[str, Any]:
    body = text(row.message, lang)
    if body == text(row.title, lang):  # a pass with nothing to add: not the name twice
        body = STATUS_LABELS.get(lang, STATUS_LABELS["fr"])[row.status] + "."
    body = _para(body)
    if row.result is not None and row.result.details:
        body += _pre(clean_text(runner_text(row.result.details, lang), MAX_DETAILS, lang))
    return {
        "name": to_plain(text(row.title, lang)),
        "number": row.number,
        "score": row.points,
        "max_score": row.max_points,
        "status": "passed" if row.passed else "failed",
        "output": body,
        "visibility": VISIBLE if row.public else HIDDEN,
        "tags": [row.question.question.id],
        "extra_data": {"check": row.name, "question": row.question.question.id, "status": row.status},
    }


def _summary(result: SubmissionResult, assignment: Assignment, table: list[Row], score: float, lang: str,
             created_at: str | None) -> str:
    """The always-visible part: with a hidden check, no total and no score of a question holding one."""
    dec, colon = ("," if lang == "fr" else "."), (" :" if lang == "fr" else ":")
    title, word = text(assignment.title, lang), Message("note", "score").get(lang)
    hidden = sum(1 for r in table if not r.public)
    secret = {r.question.question.id for r in table if not r.public}
    later = Message("à la publication des notes", "when grades are published").get(lang)
    shown = later if hidden else f"{fmt_number(score, dec)}/{fmt_number(assignment.auto_max, dec)}"
    parts = [_para(f"**{title}** — {word}{colon} {shown}")]
    if result.penalty is not None and not hidden:
        before = Message(f" (avant pénalité de retard : {fmt_number(sum(qs.score for qs in auto_scores(result, assignment)), dec)})",
                         f" (before the late penalty: {fmt_number(sum(qs.score for qs in auto_scores(result, assignment)), dec)})") \
            if result.penalty.percent > 0 else Message("", "")
        parts[0] = _para(f"**{title}** — {word}{colon} {shown}{before.get(lang)}") + _para(text(result.penalty.reason, lang))
    elif result.penalty is not None:
        parts.append(_para(text(result.penalty.reason, lang)))
    parts.append(_list(f"{qs.question.id} — {text(qs.question.title, lang)}{colon} "
                       + (later if qs.question.id in secret else
                          f"{fmt_number(qs.score, dec)}/{fmt_number(qs.question.points, dec)}")
                       for qs in auto_scores(result, assignment)))
    if by_hand := [q for q in assignment.questions if q.manual]:
        parts.append(_para(BY_HAND.get(lang) + ", ".join(f"{q.id} ({fmt_number(q.points, dec)} pt)" for q in by_hand)))
    if not hidden and (gap := rounding_gap(result, assignment, table)) > 0:
        step = fmt_number(min((q.step for q in assignment.questions if q.step > 0), default=0.25), dec)
        parts.append(_para(Message(f"Chaque question est notée au prorata de ses vérifications réussies, puis arrondie "
                                   f"vers le bas au pas de {step} point : les tests totalisent {fmt_number(gap, dec)} "
                                   "point(s) de plus que la note.",
                                   f"Each question scores pro rata its passed checks, rounded down to a step of {step} "
                                   f"point: the tests add up to {fmt_number(gap)} point(s) more than the score.").get(lang)))
    if hidden:
        parts.append(_para(Message(f"{hidden} vérification(s) cachée(s) : visibles, avec la note complète, à la "
                                   "publication des notes.",
                                   f"{hidden} hidden check(s): shown, with the full score, when grades are "
                                   "published.").get(lang)))
    notes = [clean_text(runner_text(e, lang), MAX_NOTE, lang) for e in result.errors]
    labels = STATUS_LABELS.get(lang, STATUS_LABELS["fr"])
    for cell in result.cells:
        if str(cell.status) != "passed":
            last = clean_text(runner_text(cell.error, lang), MAX_NOTE, lang).strip().splitlines()[-1:] or [""]
            notes.append(f"{Message('cellule', 'cell').get(lang)} [{cell.index + 1}]{colon} "
                         f"{labels.get(str(cell.status), str(cell.status))}"
                         + (f" — {last[0]}" if last[0] else ""))
    if notes:  # the student's own words among them: verbatim, never markup
        parts.append(_para(Message("Remarques :", "Notes:").get(lang))
                     + "<ul>" + "".join(f"<li><pre>{escape(n)}</pre></li>" for n in notes) + "</ul>")
    if created_at:
        parts.append(_para(_submitted(created_at, lang)))
    return "".join(parts)


def _submitted(created_at: str, lang: str) -> str:
    return Message(f"Soumis le {created_at}.", f"Submitted at {created_at}.").get(lang)


def _para(value: str) -> str:
    """One paragraph of our own words: escaped, `code` and **bold** as HTML (grader.reports.markup)."""
    return f"<p>{to_html(value)}</p>"


def _list(items) -> str:
    return "<ul>" + "".join(f"<li>{to_html(i)}</li>" for i in items) + "</ul>"


def _pre(value: str) -> str:
    """A student's text (a traceback, an output) exactly as it is: escaped in a <pre> block."""
    return f"<pre>{escape(value)}</pre>"


def _extra(assignment_id: str, lang: str, created_at: str | None, **more: Any) -> dict[str, Any]:
    return {"assignment": assignment_id, "lang": lang, "created_at": created_at,
            "grader_version": grader.__version__, **more}
