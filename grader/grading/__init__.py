"""The grading wing: a class run as ordered steps, and one submission's pipeline.

- `run`: `grade(paths, opts)` = intake -> plan -> what to grade -> executor -> reporters;
  `grade_one(path, opts, student=...)`;
- `plan`: the TP, OUT's guard, limits, budget, served datasets, how runners start;
- `submission`: `grade_submission()`, the one per-submission pipeline every executor calls;
- `executors/`: threads here, Ray on a cluster;
- `handed_in`: what the gradebook keeps besides checks (times, written answers, the notebook);
- `interrupt`, `outdir`: Ctrl-C and a full disk stop a run cleanly; one run per OUT.

The library's entry points are re-exported here (`from grader.grading import grade`).
"""

from grader.grading.plan import prepare
from grader.grading.run import GradingRun, Hooks, RunHeader, grade, grade_one
from grader.options import GradeOptions, UsageError

__all__ = ["GradeOptions", "GradingRun", "Hooks", "RunHeader", "UsageError", "grade", "grade_one", "prepare"]
