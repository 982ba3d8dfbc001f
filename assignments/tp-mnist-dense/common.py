"""Shared by tp-mnist-dense's checks: the registry, fixed figures."""

from __future__ import annotations

from grader.checks import Registry

checks = Registry()

N_PARAMS = 101_770
FULL = {"train": 60_000, "test": 10_000}
DEFAULT_THRESHOLD = 0.85
