"""Pieces shared by the checks of the Keras TPs: the run's training budget and how to word it,
the student's `fit` history, and the per-name entries of a data sample (runner side:
`grader.runner.probes.history`, `grader.runner.probes.sampling`)."""

from __future__ import annotations

import numpy as np

from grader.judge.expect import as_array
from grader.judge.registry import CheckFailed, fail
from grader.model import Message, Status
from grader.runner.budget_caps import cap_words
from grader.runner.probes import history as fit_history
from grader.runner.probes import sampling

#: The hint of integer labels where one-hot rows were expected (shared by the TPs that one-hot them).
ONE_HOT_HINT = Message(" Ce sont des entiers : encodez-les en one-hot avec `keras.utils.to_categorical(y, 10)`.",
                       " These are integers: one-hot encode them with `keras.utils.to_categorical(y, 10)`.")


def training_budget(ctx) -> dict:
    """The run's training budget (`grader.budget.Plan.options()["training"]`)."""
    return dict(ctx.option("budget", {}).get("training", {}))


def budget_words(ctx) -> Message:
    profile = str(ctx.option("budget", {}).get("profile", "cpu")).upper()
    return Message(f"budget {profile}", f"{profile} budget")


def training_words(obs, ctx) -> Message:
    """' ; entraîné 1 époque(s) au lieu de 20, …, budget CPU' from what the runner's `fit` caps recorded."""
    try:
        caps = obs.run(fit_history.caps)
    except CheckFailed:
        caps = []
    fr, en = cap_words(caps[-1] if caps else {})
    if not fr:
        return Message("", "")
    words = budget_words(ctx)
    return Message(f" ; entraîné {', '.join(fr)}, {words.fr}", f"; trained {', '.join(en)}, {words.en}")


def data_entry(data: dict, name: str) -> dict:
    """One name's entry in a data probe's answer: missing and unconvertible names fail here."""
    entry = data.get(name)
    if entry is None:
        raise CheckFailed(Message(f"`{name}` n'est pas défini.", f"`{name}` is not defined."), Status.MISSING)
    if "error" in entry:
        raise fail(f"`{name}` n'est pas convertible en tableau : {entry['error']}",
                   f"`{name}` cannot be turned into an array: {entry['error']}")
    return entry


def data_rows(entry: dict, name: str) -> np.ndarray:
    return as_array(entry["rows"], f"`{name}`")


def expect_unit_range(entry: dict, name: str, *, float32: bool = False) -> None:
    """Sampled pixels as the course prepares them: floats (exactly float32 where the TP says so),
    divided by 255 once: within [0, 1] and reaching white (a second division leaves them under 0.5)."""
    rows = data_rows(entry, name)
    if (entry["dtype"] != "float32") if float32 else (rows.dtype.kind != "f"):
        raise fail(f"`{name}` est de type {entry['dtype']} ; attendu float32, pixels divisés par 255 : "
                   f"`{name} = {name}.astype('float32') / 255.0`.",
                   f"`{name}` has dtype {entry['dtype']}; expected float32 pixels divided by 255: "
                   f"`{name} = {name}.astype('float32') / 255.0`.")
    lo, hi = float(rows.min(initial=0.0)), float(rows.max(initial=0.0))
    if lo < 0 or hi > 1:
        hint, hint_en = ((" Divisez les pixels (0 à 255) par 255.", " Divide the pixels (0-255) by 255.")
                         if hi > 1.5 else ("", ""))
        raise fail(f"`{name}` a des valeurs dans [{lo:.4g}, {hi:.4g}] ; attendu dans [0, 1].{hint}",
                   f"`{name}` has values in [{lo:.4g}, {hi:.4g}]; expected within [0, 1].{hint_en}")
    if hi < 0.5:
        raise fail(f"Les pixels de `{name}` ne dépassent pas {hi:.4g} : divisés deux fois par 255 ? "
                   "Un pixel blanc doit valoir 1.", f"`{name}` pixels never exceed {hi:.4g}: divided by 255 twice? "
                   "A white pixel must be 1.")


def history_of(obs, name: str = "history") -> dict | None:
    """The student's `fit` history as {metric: [floats]} (a History or its `.history` dict), None if absent."""
    try:
        if not obs.has(name):
            return None
        return obs.memo(("history", name), lambda: obs.run(fit_history.metrics, name))
    except CheckFailed:
        return None


def curves(obs, name: str = "history"):
    """Learning curves of the student's history for the report (None when there is nothing to draw)."""
    from grader.judge import pictures

    history = history_of(obs, name)
    return pictures.learning_curves(history) if history else None


def sample(obs, groups, *, k: int = 256, seed: int = 7, head: int = 16) -> dict:
    """Per name: shape, dtype, `k` sampled rows (the same rows within a group, e.g. images and their
    labels) and the first `head` rows (to fit the student's scaling), never the whole array.

    A missing name maps to None, an unconvertible one to {"error"} (see `data_entry`).
    """
    groups = [list(g) for g in groups]
    key = ("sample", tuple(map(tuple, groups)), k, seed, head)
    return obs.memo(key, lambda: obs.run(sampling.sample, groups, seed=seed, k=k, head=head))
