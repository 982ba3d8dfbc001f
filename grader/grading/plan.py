"""What a class run is planned with, before any runner starts: the TP, OUT's guard, limits, budget, data.

`prepare` turns the assignment and the options into the budget plan, the runners' `Limits` and
the checks' `Context` (shared with `grader calibrate`); `serve_subsets` cuts the datasets the
runners may see; `starter` says how runners start (warm forks or cold).
"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Iterable
from dataclasses import fields, replace
from pathlib import Path

from grader import assignments as assignments_mod
from grader import budget as budget_mod
from grader.data import files, lookup, serving
from grader.intake.record import Submission
from grader.judge.engine import Context
from grader.model import Message
from grader.options import GradeOptions, UsageError
from grader.runner import session as session_mod
from grader.runner.process import RunnerStarter
from grader.runner.sandbox import SandboxPlan
from grader.runner.session import Limits
from grader.runner.staging import stage_data
from grader.runner.warm.pool import starter_for


def previous_run(out: Path) -> tuple[str, tuple[str, ...]] | None:
    """(assignment id, students) of the results.json already in OUT; None when there is none to read."""
    try:
        doc = json.loads((Path(out) / "results.json").read_text(encoding="utf-8"))
        return str(doc["assignment"]), tuple(str(s["student"]) for s in doc.get("submissions") or ())
    except (OSError, ValueError, KeyError, TypeError):
        return None


def guard_out(out: Path, assignment_id: str, students: Iterable[str], lang: str = "fr") -> None:
    """Refuse to grade another TP, or another class (no student in common), into an OUT that holds a
    run: its results.json and reports would be replaced without a word. `--force` skips this."""
    prev = previous_run(out)
    if prev is None:
        return
    old_id, old_students = prev
    if old_id != assignment_id:
        raise UsageError(Message(
            f"« {out} » contient déjà la correction du TP « {old_id} » ; corrigez « {assignment_id} » dans un "
            "autre dossier (--out), ou ajoutez --force pour la remplacer",
            f"{out} already holds the results of assignment {old_id!r}; grade {assignment_id!r} into another "
            "folder (--out), or add --force to replace them").get(lang))
    if old_students and not set(old_students) & set(students):
        raise UsageError(Message(
            f"« {out} » contient déjà la correction d'une autre classe ({len(old_students)} élève(s), aucun "
            "en commun avec celle-ci) ; choisissez un autre dossier (--out), ou ajoutez --force pour la remplacer",
            f"{out} already holds another class's results ({len(old_students)} student(s), none in common with "
            "this one); pick another folder (--out), or add --force to replace them").get(lang))


def pick_assignment(subs: list[Submission], requested: str | None, lang: str = "fr") -> str:
    if requested:
        return requested
    hints = Counter(s.assignment_hint for s in subs if s.assignment_hint)
    if not hints:
        raise UsageError(Message("impossible de savoir quel TP corriger : aucun notebook ne l'indique dans ses "
                                 "métadonnées ; précisez --assignment ID",
                                 "cannot tell the assignment: no notebook carries it in its metadata; "
                                 "pass --assignment ID").get(lang))
    return hints.most_common(1)[0][0]


def limits_for(assignment: assignments_mod.Assignment, overrides: dict | None = None) -> Limits:
    known = {f.name for f in fields(Limits)}
    values = {k: v for k, v in {**assignment.limits, **(overrides or {})}.items() if k in known}
    return Limits(**values)


def prepare(a: assignments_mod.Assignment, *, profile: str | None = None, budget: dict | None = None,
            limits: dict | None = None, lang: str = "fr") -> tuple[budget_mod.Plan, Limits, Context]:
    """The run's budget plan, the runners' limits and the checks' context (shared with `grader calibrate`).

    The assignment's datasets must be on this machine (downloaded if there is network); the
    runners' `load_data()` serves them, cut to the budget's sizes. Those served as synthetic stand-ins
    are listed in the context's `synthetic_datasets` option, so results and reports say so.
    """
    try:
        plan = budget_mod.plan(a, profile=profile, overrides=budget)
        if plan.datasets:
            from grader.data.importing import ensure  # network code, only when a TP has datasets

            for name in plan.datasets:
                ensure(name)
    except lookup.DatasetUnavailable as e:
        raise UsageError(e.message.get(lang)) from e
    except ValueError as e:
        raise UsageError(str(e)) from e
    served = serving.serve(plan.datasets, train=plan.training.get("serve_train"),
                            test=plan.training.get("serve_test"))
    merged = {**plan.limits, **(limits or {})}
    merged["origins"] = {k: v for k, v in dict(plan.limits.get("origins", {})).items() if k not in (limits or {})}
    run_limits = limits_for(a, {**merged, "budget": plan.runner_budget(), "datasets": served})
    synthetic = [name for name in plan.datasets if served.get(name, {}).get("synthetic")]
    options = {**a.limits, "budget": plan.options(), "leaderboard": dict(a.leaderboard),
               **({"synthetic_datasets": synthetic} if synthetic else {})}
    ctx = Context(a.id, salt=os.environ.get("GRADER_SALT", ""), options=options)
    return plan, run_limits, ctx


def serve_subsets(limits: Limits, folder: Path, uid: int | None = None) -> Limits:
    """Cut budget subsets here, in the grader: the runner then sees only what it may train and test
    on (with sandbox Layer 2, the full copies holding the judge's held-out images stay invisible).
    CIFAR-10 becomes one `cifar10.npz` in Keras' layout, read by the runner's own `load_data`.
    A copy served whole that a dropped `uid` cannot read (under a 0700 home) is linked in `folder`."""
    os.chmod(folder, 0o755)  # readable by a runner dropped to its own uid
    served = {}
    for name, entry in limits.datasets.items():
        entry = dict(entry)
        if "train" in entry or "test" in entry:
            path = files.subset_files(name, Path(entry["path"]), folder / name,
                                         train=entry.get("train"), test=entry.get("test"))
            entry.update(path=str(path), cut=True)
        elif uid is not None:
            entry["path"] = stage_data(str(entry["path"]), uid, folder)
        served[name] = entry
    return replace(limits, datasets=served)


def starter(opts: GradeOptions, box: SandboxPlan, slots: int) -> tuple[bool, RunnerStarter | None]:
    """(warm?, the runners' starter): `--no-warm` or GRADER_WARM=0 cold; a starter set by `use_starter`
    (tests) when none was asked; else a warm pool shared by this process, one server per worker."""
    if opts.warm is None and session_mod.default_starter is not None:
        return False, None  # the session's default applies
    warm = opts.warm if opts.warm is not None else os.environ.get("GRADER_WARM", "1") != "0"
    return warm, starter_for(box, warm, slots=slots)


def gpu_ids(hw: budget_mod.Hardware) -> tuple[str, ...]:
    """The GPUs runners may be given, one each: those CUDA_VISIBLE_DEVICES leaves us, else all."""
    visible = [v.strip() for v in os.environ.get("CUDA_VISIBLE_DEVICES", "").split(",") if v.strip()]
    return tuple(visible) if visible and visible != ["-1"] else tuple(str(i) for i in range(len(hw.gpus)))
