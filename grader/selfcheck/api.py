"""`init`, `check` and `check_all`: what the self-check cells of a student notebook call.

`init("tp-tenseurs")` finds the TP's bundle (`grader.selfcheck.bundle`), loads its public checks as
`grader check --bundle` does (`grader.assignments.load_folder(..., public_only=True)`: the bundle
holds no other) and says it is ready. `check("q1")` runs question q1's public checks, with the
public checks they require (from any question, as the grader's engine orders them), on the
kernel's namespace through `KernelObserver`, and shows the verdict under the cell; `check_all()`
every question's. The language is French unless `lang="en"` is given (to `init` for the session,
or to one call) or `GRADER_LANG` says English. A problem (no bundle, an unknown question, no
`init` yet) is shown as a message, never as a traceback.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import grader
from grader.assignments import AssignmentError, LoadedAssignment, load_folder
from grader.judge.engine import Context, run_checks
from grader.judge.registry import Check
from grader.languages import LANGS, scan_lang
from grader.model import Assignment, Message
from grader.selfcheck import bundle as bundle_mod
from grader.selfcheck.kernel import (
    DEFAULT_CALL_TIMEOUT,
    KernelObserver,
    KernelSession,
    kernel_namespace,
)
from grader.selfcheck.render import QuestionVerdict, Verdict


@dataclass(frozen=True)
class _Loaded:
    bundle: bundle_mod.Bundle
    checks: LoadedAssignment
    lang: str
    context: Context
    call_timeout: float
    notes: tuple[Message, ...] = ()


#: what `init` loaded, or why it could not (a Message); one TP per kernel
_state: dict[str, _Loaded | Message | None] = {"loaded": None, "problem": None}

NOT_INITIALISED = Message(
    "Auto-vérification : lancez d'abord la cellule d'initialisation, en haut du notebook "
    "(`from grader.selfcheck import ...` puis `init(...)`).",
    "Self-check: first run the init cell at the top of the notebook (`from grader.selfcheck import ...` "
    "then `init(...)`).")


def _language(lang: str | None, default: str | None = None) -> str:
    if lang in LANGS:
        return str(lang)
    if default in LANGS:
        return str(default)
    return scan_lang([])  # GRADER_LANG, read as every command reads it (en_GB.UTF-8 is English)


def _options(a: Assignment) -> dict:
    """What the checks read as `ctx.option(...)`, as `grader.grading.prepare` gives it, less what the
    student's machine has not: no dataset is fetched, no calibration is read (the bundle has none)."""
    options: dict = {**a.limits, "leaderboard": dict(a.leaderboard)}
    try:
        from grader import budget

        options["budget"] = budget.plan(a, use_calibration=False).options()
    except Exception:  # noqa: BLE001 - a TP without [budget], a machine detect() cannot read: no budget
        pass
    return options


def init(assignment: str | None = None, *, bundle: str | os.PathLike | None = None, lang: str | None = None) -> None:
    """Load TP `assignment`'s public checks from its bundle (found as `grader.selfcheck.bundle` says,
    or in the folder `bundle` names) and show that the self-check is ready, or why not."""
    language = _language(lang)
    _state.update(loaded=None, problem=None)
    try:
        found = bundle_mod.find(assignment, bundle)
        loaded = load_folder(found.folder, public_only=True)
    except bundle_mod.BundleNotFound as e:
        _state["problem"] = e.message
        _show(Verdict(language, assignment or "", problem=e.message, both=lang is None))
        return
    except AssignmentError as e:
        problem = Message(f"Auto-vérification : le dossier du TP ne se charge pas : {e.text('fr')}",
                          f"Self-check: the TP's folder cannot be loaded: {e.text('en')}")
        _state["problem"] = problem
        _show(Verdict(language, assignment or "", problem=problem, both=lang is None))
        return
    a = loaded.assignment
    notes = []
    if found.grader_version and found.grader_version != grader.__version__:
        notes.append(Message(f"Ce dossier a été écrit pour le correcteur {found.grader_version} ; celui installé ici est "
                             f"le {grader.__version__} : réinstallez le wheel de ce dossier (LISEZMOI.md).",
                             f"This folder was written for grader {found.grader_version}; the one installed here is "
                             f"{grader.__version__}: reinstall the wheel of this folder (LISEZMOI.md)."))
    timeout = float(a.limits.get("call_timeout") or DEFAULT_CALL_TIMEOUT)
    _state["loaded"] = _Loaded(found, loaded, language, Context(a.id, salt="", options=_options(a)), timeout,
                               tuple(notes))
    n = len(loaded.checks)
    ready = Message(f"Auto-vérification prête : TP « {a.id} », {n} vérification(s) publique(s) "
                    f"(dossier `{found.folder}`). Lancez la cellule `check(...)` qui suit chaque question.",
                    f"Self-check ready: TP '{a.id}', {n} public check(s) (folder `{found.folder}`). Run the "
                    "`check(...)` cell that follows each question.")
    _show(Verdict(language, a.id, ready=ready, notes=tuple(notes)))


def check(question: str, *, lang: str | None = None) -> None:
    """Run question `question`'s public checks on the notebook as it is now; show the verdict."""
    _show(run([question], lang=lang))


def check_all(*, lang: str | None = None) -> None:
    """Run every question's public checks; show the verdict and how many passed."""
    _show(run(None, lang=lang))


def run(questions: Sequence[str] | None = None, *, lang: str | None = None, namespace: dict | None = None) -> Verdict:
    """The verdict of `questions`' public checks (None: every question) on `namespace` (default: the
    kernel's), without showing it: what `check` and `check_all` show."""
    loaded = _state["loaded"]
    if not isinstance(loaded, _Loaded):
        problem = _state["problem"]
        return Verdict(_language(lang), problem=problem if isinstance(problem, Message) else NOT_INITIALISED,
                       both=lang is None)
    language = _language(lang, loaded.lang)
    a = loaded.checks.assignment
    known = {q.id: q for q in a.questions}
    wanted = list(known) if questions is None else [str(q) for q in questions]
    unknown = [q for q in wanted if q not in known]
    if unknown:
        ids = ", ".join(known)
        return Verdict(language, a.id, problem=Message(
            f"Auto-vérification : pas de question « {unknown[0]} » dans le TP « {a.id} » (questions : {ids}).",
            f"Self-check: no question '{unknown[0]}' in TP '{a.id}' (questions: {ids})."))
    checks = _with_requirements(loaded.checks.checks, set(wanted))
    obs = KernelObserver(KernelSession(kernel_namespace() if namespace is None else namespace, loaded.call_timeout))
    try:
        results = run_checks(checks, obs, loaded.context, done={}, on_result=lambda r: None)
    finally:
        obs.close()
    hidden = loaded.bundle.hidden_by_question
    described = {c.name: c.description for c in checks}
    verdicts = []
    for q in wanted:
        own = tuple(r for r in results if r.question == q)
        verdicts.append(QuestionVerdict(known[q], own, None if hidden is None else hidden.get(q, 0),
                                        tuple(described[r.name] for r in own)))
    return Verdict(language, a.id, tuple(verdicts), notes=loaded.notes, summary=questions is None)


def _with_requirements(checks: Iterable[Check], questions: set[str]) -> list[Check]:
    """The questions' checks and every check they require (transitively), in registration order: a
    requirement that fails skips its dependents as under the grader."""
    checks = list(checks)
    by_name = {c.name: c for c in checks}
    needed: set[str] = set()
    todo = [c.name for c in checks if c.question in questions]
    while todo:
        name = todo.pop()
        if name in needed or name not in by_name:
            continue
        needed.add(name)
        todo.extend(by_name[name].requires)
    return [c for c in checks if c.name in needed]


def _show(verdict: Verdict) -> None:
    """Under the cell: rich HTML where a Jupyter front end shows it (text in a terminal IPython),
    plain text in a plain Python."""
    ipython = sys.modules.get("IPython")
    if ipython is not None and ipython.get_ipython() is not None:
        from IPython.display import display

        display(verdict)
    else:
        print(verdict.text())
