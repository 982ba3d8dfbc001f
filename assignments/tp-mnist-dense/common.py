"""Shared by tp-mnist-dense's checks: the registry, fixed figures, the budget the run was given."""

from __future__ import annotations

from grader.judge.checks import Registry

checks = Registry()

N_PARAMS = 101_770
FULL = {"train": 60_000, "test": 10_000}
DEFAULT_THRESHOLD = 0.85


def training_budget(ctx) -> dict:
    """The run's training budget (`grader.budget.Plan.options()["training"]`)."""
    return dict(ctx.option("budget", {}).get("training", {}))


def budget_words(ctx) -> str:
    return f"budget {str(ctx.option('budget', {}).get('profile', 'cpu')).upper()}"
