"""Shared by tp-cnn-mnist's checks: the registry, fixed figures."""

from __future__ import annotations

from grader.checks import Registry

checks = Registry()

N_PARAMS = 130_890
FULL = {"train": 60_000, "test": 10_000}
DEFAULT_THRESHOLD = 0.85
