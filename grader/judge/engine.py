"""Runs an assignment's checks against one runner session, one result at a time."""

from __future__ import annotations

import hashlib
import time
import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np

from grader.judge.observe import Observer
from grader.judge.registry import Check, CheckFailed, Feedback
from grader.model import CheckResult, Measure, Message, Picture, Status
from grader.text import plain


@dataclass(frozen=True)
class Context:
    """What a check knows besides the runner: the assignment, its options, a seeded rng per purpose."""

    assignment: str
    salt: str = ""
    options: dict | None = None

    def rng(self, purpose: str) -> np.random.Generator:
        """Hidden inputs are deterministic per course salt, so a regrade gives the same score."""
        digest = hashlib.sha256(f"{self.salt}:{self.assignment}:{purpose}".encode()).digest()
        return np.random.default_rng(int.from_bytes(digest[:8], "little"))

    def option(self, key: str, default):
        return (self.options or {}).get(key, default)


_PASSED = Message("Correct.", "Correct.")


def run_check(check: Check, obs: Observer, ctx: Context) -> CheckResult:
    """One check, one result: a `Message`, a `Feedback` or None on success; `CheckFailed` otherwise."""
    start = time.monotonic()
    pictures: tuple[Picture, ...] = ()
    measures: tuple[Measure, ...] = ()
    try:
        out = check.func(obs, ctx)
        if isinstance(out, Feedback):
            out, pictures, measures = out.message, out.pictures, out.measures
        message = out if isinstance(out, Message) else (check.description if check.description.fr else _PASSED)
        status, details = Status.PASSED, ""
    except CheckFailed as e:
        status, details = e.status, e.details
        message = Message(plain(e.message.fr), plain(e.message.en))  # a quoted student error may be coloured
        pictures, measures = getattr(e, "pictures", ()), getattr(e, "measures", ())
    except Exception:  # noqa: BLE001 - our bug: recorded as such, never the student's fault
        status = Status.GRADER_ERROR
        message = Message("Erreur interne du correcteur (pas de votre fait) : signalez-la à l'enseignant.",
                          "Internal grader error (not your fault): please report it to the instructor.")
        details = traceback.format_exc(limit=6)
    return CheckResult(check.name, check.question, status, message, check.weight, details,
                       round(time.monotonic() - start, 3), pictures, measures)


def run_checks(checks: Iterable[Check], obs: Observer, ctx: Context, *, done: dict[str, CheckResult],
               on_result: Callable[[CheckResult], None]) -> list[CheckResult]:
    """Each result is handed to `on_result` (the gradebook) as soon as it exists; `done` ones are kept."""
    checks = list(checks)
    by_name = {c.name: c for c in checks}
    results: dict[str, CheckResult] = {}
    for check in checks:
        if check.name in done:
            results[check.name] = done[check.name]
            continue
        failed_deps = [results[r] for r in check.requires if r in results and not results[r].passed]
        if failed_deps:
            result = CheckResult(check.name, check.question, Status.SKIPPED,
                                 _skip_message(failed_deps, by_name), check.weight)
        else:
            result = run_check(check, obs, ctx)
        results[check.name] = result
        on_result(result)
    return list(results.values())


def _skip_message(deps: list[CheckResult], by_name: dict[str, Check]) -> Message:
    """Names what the student sees of each prerequisite (its description, its question), never an
    internal check name; a prerequisite that was itself skipped is "not checked", not "failed"."""
    fr, en = [], []
    for dep in deps:
        desc = by_name[dep.name].description if dep.name in by_name else Message("")
        what_fr = plain(desc.fr).rstrip(".") or dep.name
        what_en = plain(desc.en or desc.fr).rstrip(".") or dep.name
        if dep.status is Status.SKIPPED:
            fr.append(f"« {what_fr} » ({dep.question}), non vérifié lui-même")
            en.append(f"'{what_en}' ({dep.question}), itself not checked")
        else:
            fr.append(f"« {what_fr} » ({dep.question}), non réussi")
            en.append(f"'{what_en}' ({dep.question}), not passed")
    return Message("Non vérifié : dépend de " + " ; ".join(fr) + ".",
                   "Not checked: depends on " + "; ".join(en) + ".")
