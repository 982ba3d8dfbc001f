"""Reference solution of every Keras TP under a profile: score and time here, beside the course figures.

For each TP the reference is graded as a student would be (same budget, runner, checks); its
measures (held-out accuracy, reconstruction MSE) are printed beside the figure in the course
material, which was reached with the full protocol on the course's own hardware. The baseline,
measured in the same run, is the untouched student notebook (stubs only: runner start, imports,
data loading, no training): `ratio` is the reference's time over that fixed cost.

Usage: python bench/reference_results.py [--profile cpu|gpu] [--only tp-cnn-mnist ...]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

from grader import assignments as assignments_mod
from grader.data import catalogue, lookup
from grader.grading import prepare
from grader.grading.submission import GradingOptions, grade_submission
from grader.intake.discovery import cleanup
from grader.intake.discovery import load as load_submission
from grader.model import score_question

#: what the course material reports for the reference, with the full protocol
COURSE = {
    "tp-mnist-dense": "≈ 0.97-0.98 test accuracy (5 epochs)",
    "tp-fashion": "≈ 0.90-0.92 CNN test accuracy",
    "tp-cnn-mnist": "0.992 test accuracy",
    "tp1-cifar10": "0.8579 test accuracy (≤ 30 epochs)",
    "tp1-lstm-vs-cnn": "CNN 0.9896 / LSTM 0.9877",
    "tp1-autoencoder": "val MSE 0.0214 (5 epochs)",
    "tp-transfer": "(structure only offline: no ImageNet weights)",
}


def run_once(assignment_id: str, path: Path, profile: str | None) -> dict:
    """Grade one submission file; its points, measures and wall time (start to last check)."""
    loaded = assignments_mod.load(assignment_id)
    a = loaded.assignment
    plan, limits, ctx = prepare(a, profile=profile, limits=dict(a.limits))
    sub = load_submission(path, path.stem)
    try:
        start = time.monotonic()
        graded = grade_submission(sub, loaded, GradingOptions(limits, ctx, measure=True))
        seconds = time.monotonic() - start
    finally:
        cleanup([sub])
    measures = dict(graded.measures)
    points = sum(score_question(q, [r for r in graded.checks if r.question == q.id]).score for q in a.auto_questions)
    served = [d for d in plan.datasets if d in catalogue.NAMES]
    synthetic = [d for d in served if getattr(lookup.locate(d), "synthetic", False)]
    return {"points": round(points, 2), "max": a.auto_max, "seconds": round(seconds, 1), "measures": measures,
            "profile": plan.profile, "training": dict(plan.training), "synthetic": synthetic}


def _budget(training: dict) -> str:
    keys = (("epochs", "ép."), ("train_size", "ex."), ("max_batch_size", "batch≤"))
    return " ".join(f"{training[k]} {w}" for k, w in keys if training.get(k)) or "protocole complet"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", choices=("cpu", "gpu"), default=None, help="default: detected")
    parser.add_argument("--only", nargs="*", default=None, help="assignment ids (default: every Keras TP)")
    parser.add_argument("--json", type=Path, default=None, help="also write the rows here")
    args = parser.parse_args(argv)
    ids = args.only or [a for a in COURSE if assignments_mod.locate(a).reference.exists()]
    rows = []
    for assignment_id in ids:
        located = assignments_mod.locate(assignment_id)
        ref = run_once(assignment_id, located.reference, args.profile)
        with tempfile.TemporaryDirectory() as tmp:  # the stub notebook, copied: intake may unpack beside it
            stub = Path(tmp) / "stub.ipynb"
            stub.write_bytes((located.folder / "student.ipynb").read_bytes())
            base = run_once(assignment_id, stub, args.profile)
        row = {"tp": assignment_id, **ref, "baseline_seconds": base["seconds"], "baseline_points": base["points"],
               "ratio": round(ref["seconds"] / base["seconds"], 2) if base["seconds"] else None,
               "course": COURSE.get(assignment_id, "")}
        rows.append(row)
        print(json.dumps(row, ensure_ascii=False), file=sys.stderr, flush=True)
    header = ("TP", "profile", "budget", "points", "measures", "s (ref)", "s (stub)", "ratio", "course material")
    table = [header] + [(r["tp"], r["profile"], _budget(r["training"]), f"{r['points']:g}/{r['max']:g}",
                         ", ".join(f"{q} {v}" for q, v in r["measures"].items())
                         + (" [synthetic " + ",".join(r["synthetic"]) + "]" if r["synthetic"] else ""),
                         f"{r['seconds']:.1f}", f"{r['baseline_seconds']:.1f}", f"{r['ratio']}x", r["course"])
                        for r in rows]
    widths = [max(len(str(row[i])) for row in table) for i in range(len(header))]
    for row in table:
        print("  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)))
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
