"""results.json: the machine-readable record other tools (LMS exporters, dashboards) read.

The shape is a contract: `{"assignment", "submissions": [{"student", "status", "score",
"max_score", "errors", "questions": {qid: {"score", "max_score", "checks": [...]}}}]}`.
Extra keys may be added; none of these may be renamed or dropped. `score` is the grade, after
any late penalty; with a `[late]` policy each submission also has `score_before_penalty` and
`late` (`seconds`, `penalty_percent`, `reason` in both languages, `submitted_at`, `source`), and
the document the policy itself (`late`).
`score` counts the written answers graded so far (`auto_score` + `manual_score`), `pending_points`
those still to grade by hand; a question scored by hand carries `manual` (score, comment), an
overridden one `auto_score`.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

from grader.model import (
    Assignment,
    CellRecord,
    CheckResult,
    LatePolicy,
    Message,
    QuestionScore,
    SubmissionResult,
    after_penalty,
    totals,
)
from grader.reports.document import (
    aligned_scores,
    atomic_write,
    max_total,
    runner_text,
    text,
    total,
)


def write_results_json(
    results: list[SubmissionResult], assignment: Assignment, path: Path, lang: str = "fr"
) -> None:
    """Write every submission, with every question of the assignment, messages in `lang`."""
    doc = results_document(results, assignment, lang)
    atomic_write(Path(path), json.dumps(doc, ensure_ascii=False, indent=2, allow_nan=False) + "\n")


def results_document(
    results: list[SubmissionResult], assignment: Assignment, lang: str = "fr"
) -> dict[str, Any]:
    """The plain-data document, separate from writing so tests and other reporters can reuse it."""
    doc = {
        "assignment": assignment.id,
        "title": text(assignment.title, lang),
        "lang": lang,
        "max_score": float(assignment.max_score),
        "submissions": [
            submission_record(r, assignment, lang) for r in sorted(results, key=lambda r: r.student)
        ],
    }
    if assignment.late is not None:
        doc["late"] = policy_record(assignment.late)
    return doc


def policy_record(policy: LatePolicy) -> dict:
    """The `[late]` policy the penalties were computed with."""
    return {"due": policy.due.isoformat(), "timezone": policy.timezone or None, "policy": policy.policy,
            "percent": policy.percent, "limit_seconds": policy.limit, "grace_seconds": policy.grace}


def submission_record(result: SubmissionResult, assignment: Assignment, lang: str) -> dict:
    scores = aligned_scores(result, assignment)
    points = total(scores)
    late = {"score_before_penalty": points, "late": result.penalty.as_dict()} if result.penalty else {}
    sums = totals(scores)
    return {
        "student": result.student,
        "status": result.status,
        "score": after_penalty(points, result.penalty),
        **late,
        "max_score": max_total(scores),
        "auto_score": sums.auto,
        "manual_score": sums.manual,
        "pending_points": sums.pending,
        "errors": [runner_text(e, lang) for e in result.errors],
        "questions": {qs.question.id: _question(qs, lang) for qs in scores},
        "seconds": round(float(result.seconds), 3),
        "sha256": result.sha256,
        "cells": [_cell(c, lang) for c in result.cells],
        "figures": len(result.figures),
        "info": _plain(result.info),
    }


def _question(qs: QuestionScore, lang: str) -> dict:
    out = {
        "title": text(qs.question.title, lang),
        "score": float(qs.score),
        "max_score": float(qs.question.points),
        "kind": qs.question.kind,
        "checks": [_check(c, lang) for c in qs.checks],
    }
    if qs.question.manual:
        out["pending"] = qs.pending
    if qs.manual is not None:
        out["manual"] = {"score": float(qs.manual.score), "comment": qs.manual.comment,
                         "grader": qs.manual.grader, "at": round(float(qs.manual.at), 3)}
    if qs.overridden and qs.auto is not None:
        out["auto_score"] = float(qs.auto)
    return out


def _check(check: CheckResult, lang: str) -> dict:
    return {
        "name": check.name,
        "status": str(check.status),
        "message": text(check.message, lang),
        "weight": float(check.weight),
        "details": runner_text(check.details, lang),
        "seconds": round(float(check.seconds), 3),
        "pictures": [text(p.title, lang) for p in getattr(check, "pictures", ()) or ()],  # titles only
        "measures": [{"name": text(m.label, lang), "value": m.value, "higher_is_better": m.higher_is_better,
                      "ranked": m.ranked} for m in getattr(check, "measures", ()) or ()],
    }


def _cell(cell: CellRecord, lang: str) -> dict:
    return {
        "index": cell.index,
        "status": str(cell.status),
        "seconds": round(float(cell.seconds), 3),
        "error": runner_text(cell.error, lang),
        "notes": [text(n, lang) for n in cell.notes],
    }


def _plain(value: Any) -> Any:
    """JSON-safe copy of free-form `info`: NaN/inf become null, unknown objects their str()."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_plain(v) for v in value]
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if value is None or isinstance(value, str | int | bool):
        return value
    if hasattr(value, "item"):  # numpy scalars
        try:
            return _plain(value.item())
        except (TypeError, ValueError):
            pass
    return str(value)


def read_results(out: Path, error: Callable[[Message], Exception]) -> dict:
    """A grading run's results.json, or `error` saying why there is none to read (LMS exports, manual grading)."""
    try:
        doc = json.loads((Path(out) / "results.json").read_text(encoding="utf-8"))
        if not isinstance(doc, dict) or not isinstance(doc.get("submissions"), list):
            raise ValueError("no submissions list")
        return doc
    except FileNotFoundError:
        raise error(Message(f"« {out} » n'est pas le dossier d'une correction : pas de results.json",
                            f"{out} is not a grading run's folder: no results.json")) from None
    except (OSError, ValueError) as e:
        raise error(Message(f"results.json illisible dans « {out} » : {e}",
                            f"unreadable results.json in {out}: {e}")) from None
