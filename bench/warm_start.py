"""Cold vs warm runner per submission: five tp-tenseurs notebooks, each run in a fresh session.

"start" is the time until the runner answers its first request; "cells" until every cell ran
(a cold runner pays `import tensorflow` in the student's first cell, a warm one had it done by
its fork server). The fork server's own start (once per worker slot) is printed apart.
Usage: PYTHONPATH=. python bench/warm_start.py [--cell-timeout 5]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from grader.intake.discovery import cleanup, discover
from grader.notebooks import reference_path
from grader.runner.sandbox import plan
from grader.runner.session import Limits, RunnerSession
from grader.runner.warm.pool import WarmPool

EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "tp-tenseurs"


def one(sub, limits: Limits, box, starter) -> tuple[float, float, bool]:
    t0 = time.perf_counter()
    with RunnerSession(list(sub.cells), sub.workdir, limits, box, starter=starter) as session:
        session._ensure_runner()
        started = time.perf_counter() - t0
        session.run_cells()
        warm = bool(getattr(session.runner, "warm", False))
    return started, time.perf_counter() - t0, warm


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--cell-timeout", type=float, default=5.0, help="bounds the looping notebook")
    args = p.parse_args()
    box = plan("auto")
    limits = Limits(cell_timeout=args.cell_timeout, grace=3, wall_timeout=300)
    folder = Path(tempfile.mkdtemp(prefix="warm-bench-"))
    for nb in sorted(EXAMPLES.glob("*.ipynb")):
        shutil.copy(nb, folder / nb.name)
    shutil.copy(reference_path("tp-tenseurs"), folder / "reference.py")  # the fifth, beside the corrupt one
    subs = [s for s in discover(folder) if not s.error][:5]
    t0 = time.perf_counter()
    pool = WarmPool(box, slots=1)
    pool.server().ready.wait(300)
    server_s = time.perf_counter() - t0
    rows = []
    try:
        for sub in subs:
            cold = one(sub, limits, box, None)
            warm = one(sub, limits, box, pool.starter())
            rows.append((sub.student, cold, warm))
    finally:
        pool.close()
        cleanup(subs)
        shutil.rmtree(folder, ignore_errors=True)
    print(f"sandbox: {box.describe('en')}; fork server ready in {server_s:.1f} s (once per worker slot)")
    print(f"{'submission':<12} {'cold start':>10} {'warm start':>10} {'cold cells':>10} {'warm cells':>10} {'ratio':>6}")
    for name, (cs, ct, _), (ws, wt, w) in rows:
        print(f"{name:<12} {cs:>9.2f}s {ws:>9.2f}s {ct:>9.2f}s {wt:>9.2f}s {ct / wt:>5.1f}x" + ("" if w else " (cold!)"))
    cold_med = statistics.median(r[1][1] for r in rows)
    warm_med = statistics.median(r[2][1] for r in rows)
    print(f"{'median':<12} {'':>10} {'':>10} {cold_med:>9.2f}s {warm_med:>9.2f}s {cold_med / warm_med:>5.1f}x")


if __name__ == "__main__":
    main()
