"""`grader calibrate ID`: run the reference under this machine's profile; store its time and scores.

Thresholds then follow what the reference reaches under the same budget on the same hardware
(`grader.budget.derived`: score - margin, factor x time + slack), instead of numbers written
for some other machine. An assignment's `checks.py` says what to measure with a `MEASURES`
dict: question id -> `measure(obs, ctx) -> float` (e.g. held-out accuracy for a trained model).
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterable
from pathlib import Path

from grader import assignments as assignments_mod
from grader import budget as budget_mod
from grader.assignments import CourseLike
from grader.grading.plan import prepare
from grader.grading.submission import GradingOptions, grade_submission
from grader.intake.discovery import cleanup
from grader.intake.discovery import load as load_submission
from grader.model import Message, Status, score_question
from grader.reports.document import text


def calibrate(assignment_id: str, *, profile: str | None = None, courses: Iterable[CourseLike] = (),
              reference: Path | None = None, write: bool = True, lang: str = "fr") -> dict:
    """Grade the reference once, measure it, and store the entry under `<profile> / <machine>`.

    Returns the entry plus `key`, `path` (where it was written) and `problems` (cells or checks
    the reference failed, as Messages: a budget too small for the reference must be fixed, not
    calibrated). `lang` is for a usage error (a dataset missing) only.
    """

    loaded = assignments_mod.load(assignment_id, courses)
    a = loaded.assignment
    # the assignment's own limits, not a previous calibration's: the reference must have room
    plan, limits, ctx = prepare(a, profile=profile, limits=dict(a.limits), lang=lang)
    sub = load_submission(reference or assignments_mod.locate(assignment_id, courses).reference, "reference")
    problems: list[Message] = []
    try:
        start = time.monotonic()
        graded = grade_submission(sub, loaded, GradingOptions(limits, ctx, measure=True))
        seconds = time.monotonic() - start
    finally:
        cleanup([sub])
    results = list(graded.checks)
    problems += [Message(f"cellule [{c.index + 1}] : {c.status.value} {text(c.error, 'fr')[-300:]}",
                         f"cell [{c.index + 1}]: {c.status.value} {text(c.error, 'en')[-300:]}")
                 for c in graded.cells if c.status is not Status.PASSED]
    problems += [Message(text(e, "fr")[-300:], text(e, "en")[-300:]) for e in graded.errors if graded.status == "error"]
    points = sum(score_question(q, [r for r in results if r.question == q.id]).score for q in a.auto_questions)
    problems += [Message(f"{r.question} {r.name} : {r.status.value} — {r.message.fr[:300]}",
                         f"{r.question} {r.name}: {r.status.value} — {r.message.get('en')[:300]}")
                 for r in results if not r.passed]
    problems += [Message(f"{q} : mesure impossible {v}", f"{q}: no measure {v}")
                 for q, v in graded.measures.items() if isinstance(v, str)]
    scores = {q: v for q, v in graded.measures.items() if not isinstance(v, str)}
    entry = {"profile": plan.profile, "machine": plan.machine, "training": dict(plan.training),
             "seconds": round(seconds, 2), "peak_mb": graded.info.get("peak_mb", 0),
             "cell_seconds": round(max((c.seconds for c in graded.cells), default=0.0), 3),
             "call_seconds": graded.info.get("slowest_call", 0.0), "scores": scores, "points": round(points, 4),
             "max_points": a.auto_max, "date": dt.date.today().isoformat(),
             **({"synthetic": sorted(synth)} if (synth := (ctx.options or {}).get("synthetic_datasets")) else {})}
    key = budget_mod.calibration_key(plan.profile, budget_mod.detect())
    path = budget_mod.write_calibration(Path(a.folder), key, entry) if write and not problems else None
    thresholds, time_limits = budget_mod.derived(entry, budget_mod.config(a))
    return {**entry, "key": key, "path": str(path) if path else None, "problems": problems,
            "thresholds": thresholds, "limits": time_limits}
