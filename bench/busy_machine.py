"""Verdicts on a busy machine: the same class graded on a quiet machine, then beside N busy loops.

Limits that charged the machine's load to students made correct work time out on a shared server.
This bench grades one class three times under the *same tight limits*: first quietly with generous
limits (to measure the reference's cells and submissions), then quietly and beside `--busy` CPU
burners with cell and submission limits set to `--factor` times what the quiet run measured. A
loaded run is several times slower by the clock; every verdict must still be the quiet one's (the
looping student included, stopped at its charged limit). Prints a row per student and the ratio of
the loaded run's wall time to the quiet one's.

Usage: python bench/busy_machine.py [--assignment tp-tenseurs|tp-mnist-dense|tp1-cifar10] [--busy 6]
       [--factor 2] [--workers 2]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from grader.grading import grade
from grader.notebooks import reference_path, render, student_notebook

HERE = Path(__file__).resolve().parent
#: the small budgets the tests grade these TPs under (seconds per submission, not the course's minutes)
BUDGETS = {
    "tp-tenseurs": None,
    "tp-mnist-dense": {"epochs": 1, "train_size": 2000, "serve_train": 4000, "serve_test": 1000, "holdout": 1000,
                       "thresholds": {"q5": 0.6}},
    "tp1-cifar10": {"epochs": 1, "train_size": 256, "max_batch_size": 64, "serve_train": 512, "serve_test": 256,
                    "holdout": 256, "thresholds": {"q4": 0.0}},
}


def build(folder: Path, assignment: str) -> None:
    """The reference, the tests' correct variants of it, and a student whose last cell loops forever."""
    folder.mkdir(parents=True)
    ref = reference_path(assignment).read_text(encoding="utf-8")
    (folder / "reference.py").write_text(ref)
    for variant in sorted((HERE.parent / "tests" / "submissions" / assignment).glob("variant_*.py")):
        if variant.stem == "variant_sequential_add":  # a last cell under the stubs, as the tests hand it in
            nb = student_notebook(assignment)
            nb["cells"].append({"cell_type": "code", "execution_count": None, "id": "x", "metadata": {},
                                "outputs": [], "source": variant.read_text()})
            (folder / f"{variant.stem}.ipynb").write_text(render(nb))
        else:
            (folder / variant.name).write_text(variant.read_text())
    (folder / "loop.py").write_text(ref + "\n\n# %%\nwhile True:\n    pass\n")


def run(folder: Path, out: Path, assignment: str, workers: int, limits: dict | None):
    started = time.monotonic()
    result = grade(folder, assignment=assignment, out=out, workers=workers, profile="cpu",
                   budget=BUDGETS[assignment], limits=limits, force=True)
    return {r.student: r for r in result.results}, time.monotonic() - started


def burners(n: int) -> list[subprocess.Popen]:
    # each in its own session, as other users' jobs are (with autogroup scheduling a session shares one slice)
    return [subprocess.Popen([sys.executable, "-c", "while True:\n    pass"], start_new_session=True) for _ in range(n)]


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--assignment", default="tp-tenseurs", choices=sorted(BUDGETS))
    p.add_argument("--busy", type=int, default=6, help="CPU burners beside the loaded run")
    p.add_argument("--factor", type=float, default=2.0, help="limits = factor x what the quiet run measured")
    p.add_argument("--workers", type=int, default=2)
    args = p.parse_args()
    root = Path(tempfile.mkdtemp(prefix="bench-busy-"))
    build(root / "class", args.assignment)

    measured, _ = run(root / "class", root / "out-measure", args.assignment, args.workers, None)
    work = [r for s, r in measured.items() if s != "loop"]
    slowest_cell = max(c.seconds for r in work for c in r.cells)
    slowest_sub = max(r.seconds for r in work)
    limits = {"cell_timeout": max(1.0, round(args.factor * slowest_cell, 1)),
              "wall_timeout": max(5.0, round(args.factor * slowest_sub, 1)), "grace": 3}
    print(f"{args.assignment}: slowest cell {slowest_cell:.1f} s, slowest submission {slowest_sub:.1f} s "
          f"(quiet) -> limits {limits}", flush=True)

    quiet, quiet_s = run(root / "class", root / "out-quiet", args.assignment, args.workers, limits)
    procs = burners(args.busy)
    try:
        time.sleep(1)
        load_before = os.getloadavg()[0]
        loaded, loaded_s = run(root / "class", root / "out-loaded", args.assignment, args.workers, limits)
        load_after = os.getloadavg()[0]
    finally:
        for proc in procs:
            proc.kill()
            proc.wait()

    print("\n| student | quiet score | loaded score | quiet s | loaded s | slowest cell, loaded (s by the clock) "
          "| same verdict |")
    print("|---|---|---|---|---|---|---|")
    same = 0
    for student in sorted(quiet):
        q, b = quiet[student], loaded[student]
        ok = q.score == b.score and [qs.score for qs in q.questions] == [qs.score for qs in b.questions]
        same += ok
        slowest = max((c.seconds for c in b.cells if str(c.status) == "passed"), default=0.0)
        print(f"| {student} | {q.score:g} | {b.score:g} | {q.seconds:.1f} | {b.seconds:.1f} | {slowest:.1f} "
              f"(limit {limits['cell_timeout']:g}) | {'yes' if ok else 'NO'} |")
    print(f"\nclass: quiet {quiet_s:.1f} s, beside {args.busy} busy loops {loaded_s:.1f} s "
          f"(x{loaded_s / quiet_s:.2f} by the clock; load average {load_before:.1f} -> {load_after:.1f} on "
          f"{os.cpu_count()} cores); verdicts the same: {same}/{len(quiet)}")


if __name__ == "__main__":
    main()
