"""Shared by tp-cnn-mnist's checks: the registry, fixed figures, the budget the run was given."""

from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import Any

from grader.judge.checks import Registry

checks = Registry()

N_PARAMS = 130_890
FULL = {"train": 60_000, "test": 10_000}
DEFAULT_THRESHOLD = 0.85


def training_budget(ctx) -> dict:
    """The run's training budget (`grader.budget.Plan.options()["training"]`)."""
    return dict(ctx.option("budget", {}).get("training", {}))


def budget_words(ctx) -> str:
    return f"budget {str(ctx.option('budget', {}).get('profile', 'cpu')).upper()}"


_OBSERVED: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def once(obs, key: tuple, compute: Callable[[], Any]) -> Any:
    """`compute()` once per submission (per Observer): several checks read the same probe's plain data."""
    store = _OBSERVED.setdefault(obs, {})
    if key not in store:
        store[key] = compute()
    return store[key]
