"""PrairieLearn's external-grading `results.json` for one submission, as pure documents.

`score` is the grader's total (after any late penalty, said in `message`) over the TP's points, in [0, 1]; `tests[]` are the checks
(`grader.reports.rows`: `points` a passed check's share of its question, `max_points` that share),
each with its message in the course language, the student's traceback as `output`, and the
judge's pictures as `images[]` (PNG data URLs). A hidden check (not `public`) says passed or failed
and nothing else: PrairieLearn shows results at once, and its message could hold an expected value. PrairieLearn takes at most 1 MB: pictures are
dropped first, biggest first, and `message` says how many; then long outputs are cut. An
unreadable submission (a corrupt notebook, no notebook at all) or a grading that could not happen
is `gradable: false` with `format_errors`: PrairieLearn then neither awards nor costs an attempt.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from grader.model import Assignment, CheckInfo, Message, SubmissionResult, after_penalty
from grader.reports.document import (
    BY_HAND,
    atomic_write,
    auto_scores,
    fmt_number,
    runner_text,
    text,
)
from grader.reports.html import clean_text, data_uri
from grader.reports.markup import to_plain
from grader.reports.rows import rows

MAX_BYTES = 1_000_000  # PrairieLearn's limit on results.json
MAX_OUTPUT = 4000  # characters of a traceback shown under one test, before any size cut
#: what a hidden check says to the student: never its message (expected values, hidden inputs), its
#: output or its pictures (a grid of hidden images with their labels)
HIDDEN_VERDICT = {True: Message("Vérification cachée : réussie.", "Hidden check: passed."),
                  False: Message("Vérification cachée : échouée (le détail n'est pas montré).",
                                 "Hidden check: failed (the details are not shown).")}


def encode(doc: dict[str, Any]) -> bytes:
    return json.dumps(doc, ensure_ascii=False, allow_nan=False).encode("utf-8")


def write(path: Path, doc: dict[str, Any]) -> None:
    atomic_write(Path(path), encode(doc) + b"\n")


def document(result: SubmissionResult, assignment: Assignment, checks: Iterable[CheckInfo] = (), *,
             lang: str = "fr", max_bytes: int = MAX_BYTES) -> dict[str, Any]:
    """The results of one submission; `ungradable` when it could not be read or run at all."""
    if result.status != "graded":
        return ungradable([runner_text(e, lang) for e in result.errors]
                          or [Message("Copie illisible.", "Unreadable submission.").get(lang)],
                          lang=lang)
    scores = auto_scores(result, assignment)  # written answers are graded by hand, not here
    points, most = sum(qs.score for qs in scores), float(assignment.auto_max)
    total = after_penalty(points, result.penalty)  # the grade: after any late penalty
    dec = "," if lang == "fr" else "."
    head = Message(f"{text(assignment.title, 'fr')} — note : {fmt_number(total, ',')}/{fmt_number(most, ',')}",
                   f"{text(assignment.title, 'en')} — score: {fmt_number(total)}/{fmt_number(most)}").get(lang)
    if result.penalty is not None and result.penalty.percent > 0:
        head += "\n" + text(result.penalty.reason, lang)
    tests = []
    for row in rows(result, assignment, checks):
        res = row.result
        if not row.public:  # shown at once (PrairieLearn has no publication): passed or not, nothing it compared
            tests.append({"name": to_plain(text(row.title, lang)),
                          "description": to_plain(f"{row.number} · {row.question.question.id} — "
                                                  f"{text(row.question.question.title, lang)}"),
                          "points": row.points, "max_points": row.max_points,
                          "message": HIDDEN_VERDICT[row.passed].get(lang), "output": "", "images": []})
            continue
        tests.append({
            "name": to_plain(text(row.title, lang)),  # PrairieLearn shows these as plain text: no markers
            "description": to_plain(f"{row.number} · {row.question.question.id} — "
                                    f"{text(row.question.question.title, lang)}"),
            "points": row.points,
            "max_points": row.max_points,
            "message": to_plain(text(row.message, lang)),
            "output": clean_text(runner_text(res.details, lang), MAX_OUTPUT, lang) if res is not None else "",
            "images": [{"label": to_plain(text(p.title, lang)), "url": uri} for p in (res.pictures if res else ())
                       if p.is_png and (uri := data_uri(p.png_for(lang)))],
        })
    lines = [f"{qs.question.id} : {fmt_number(qs.score, dec)}/{fmt_number(qs.question.points, dec)}"
             for qs in scores]
    if by_hand := [q for q in assignment.questions if q.manual]:
        lines.append(BY_HAND.get(lang) + ", ".join(f"{q.id} ({fmt_number(q.points, dec)} pt)" for q in by_hand))
    notes = (to_plain(runner_text(e, lang)) if isinstance(e, Message) else runner_text(e, lang) for e in result.errors)
    output = "\n".join([*lines, *(clean_text(note, MAX_OUTPUT, lang) for note in notes)])  # our words: no markers
    doc = {"gradable": True, "score": round(min(max(total / most, 0.0), 1.0), 6) if most else 0.0,
           "message": head, "output": output, "tests": tests}
    return fit(doc, lang=lang, max_bytes=max_bytes)


def ungradable(reasons: list[str], *, lang: str = "fr") -> dict[str, Any]:
    """Not graded: no points awarded or lost; the reasons are what the student must fix (or tell)."""
    errors = [to_plain(clean_text(r, MAX_OUTPUT, lang)) for r in reasons]
    intro = Message("La copie n'a pas pu être corrigée : ", "The submission could not be graded: ").get(lang)
    return {"gradable": False, "message": intro + " ".join(e.splitlines()[0] if e else "" for e in errors[:1]),
            "format_errors": errors, "tests": []}


def fit(doc: dict[str, Any], *, lang: str = "fr", max_bytes: int = MAX_BYTES) -> dict[str, Any]:
    """`doc` within `max_bytes`: the biggest pictures go first (said in `message`), then outputs are cut."""
    if len(encode(doc)) <= max_bytes:
        return doc
    head = doc["message"]
    images = sorted(((len(img["url"]), ti, ii) for ti, t in enumerate(doc["tests"])
                     for ii, img in enumerate(t.get("images", ()))), reverse=True)
    dropped: set[tuple[int, int]] = set()
    for _, ti, ii in images:
        dropped.add((ti, ii))
        trimmed = _without(doc, dropped, head, lang, max_bytes)
        if len(encode(trimmed)) <= max_bytes:
            return trimmed
    trimmed = _without(doc, dropped, head, lang, max_bytes)
    for limit in (2000, 500, 100, 0):  # still too big without any picture: outputs, then messages, are cut
        for item in (trimmed, *trimmed["tests"]):
            item["output"] = _cut(item.get("output", ""), limit, lang)
        if len(encode(trimmed)) <= max_bytes:
            return trimmed
    for t in trimmed["tests"]:
        t["message"] = _cut(t["message"], 300, lang)
    if len(encode(trimmed)) <= max_bytes:
        return trimmed
    return {k: trimmed[k] for k in ("gradable", "score", "message")}


def _without(doc: dict[str, Any], dropped: set[tuple[int, int]], head: str, lang: str,
             max_bytes: int) -> dict[str, Any]:
    tests = [{**t, "images": [img for ii, img in enumerate(t.get("images", ())) if (ti, ii) not in dropped]}
             for ti, t in enumerate(doc["tests"])]
    size = (Message(f"{fmt_number(max_bytes / 1e6, ',')} Mo", f"{fmt_number(max_bytes / 1e6)} MB")
            if max_bytes >= 1e6 else Message(f"{fmt_number(max_bytes / 1e3, ',')} ko",
                                             f"{fmt_number(max_bytes / 1e3)} kB"))
    note = Message(f"{len(dropped)} image(s) omise(s) : le résultat doit rester sous {size.fr}.",
                   f"{len(dropped)} picture(s) left out: the results must stay under {size.en}.").get(lang)
    return {**doc, "message": f"{head}\n{note}" if dropped else head, "tests": tests}


def _cut(value: str, limit: int, lang: str) -> str:
    if len(value) <= limit:
        return value
    return value[:limit] + Message("… (tronqué)", "… (truncated)").get(lang)
