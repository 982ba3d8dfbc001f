"""Overhead of each sandbox layer per submission: start a runner, run one small cell, observe, stop.

Prints the median over N runs per configuration and its ratio to Layer 0 alone (the baseline,
measured in the same run). Usage: python bench/sandbox_overhead.py [-n 10]
"""

from __future__ import annotations

import argparse
import statistics
import time

from grader.runner.sandbox import RUNNER_UID, SandboxPlan, plan
from grader.runner.session import Limits, RunnerSession

CELLS = ["import numpy as np\nx = np.arange(10).sum()"]


def one(box: SandboxPlan) -> float:
    start = time.perf_counter()
    with RunnerSession(CELLS, None, Limits(cell_timeout=30), box) as session:
        session.run_cells()
        assert session.observe("get", name="x")[0] == 45
    return (time.perf_counter() - start) * 1000


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("-n", type=int, default=10)
    args = p.parse_args()
    auto = plan("auto")
    configs = {"layer 0 (baseline)": SandboxPlan((0,))}
    if 1 in auto.layers:
        configs["layers 0+1"] = SandboxPlan((0, 1), uid=RUNNER_UID, seccomp=True, runtime=auto.runtime)
    if 2 in auto.layers:
        configs["layers 0+2"] = SandboxPlan((0, 2), bwrap=auto.bwrap)
    if {1, 2} <= set(auto.layers):
        configs["layers 0+1+2"] = SandboxPlan((0, 1, 2), uid=RUNNER_UID, seccomp=True, bwrap=auto.bwrap,
                                              runtime=auto.runtime)
    t0 = time.perf_counter()
    plan.cache_clear()
    plan("auto")
    probe_ms = (time.perf_counter() - t0) * 1000
    print(f"{'configuration':22} {'median ms':>10} {'min ms':>8} {'ratio':>6}")
    base = None
    for name, box in configs.items():
        one(box)  # warm the page cache
        times = [one(box) for _ in range(args.n)]
        med = statistics.median(times)
        base = base or med
        print(f"{name:22} {med:10.1f} {min(times):8.1f} {med / base:6.2f}")
    print(f"\nprobe of the layers (once per run): {probe_ms:.0f} ms; not shown: {'; '.join(r.en for r in auto.reasons) or 'none'}")


if __name__ == "__main__":
    main()
