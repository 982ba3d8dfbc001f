"""One class of 20 tp-tenseurs notebooks graded by plain `python`, nbgrader, otter-grader and this grader.

Why: grading speed is only worth claiming against what instructors use today, on the same
notebooks, in the same run, on the same (loaded) machine. Each system's submissions carry the same
student code (bench/speed_class.py: 14 correct in varied styles, 3 wrong shapes, 2 raising, 1
infinite loop); nbgrader and otter get assert-based tests of the same properties as our checks,
hidden parts included. Every expected score is known from construction, so "scores right" is checked,
not assumed. Then a generated class of MNIST-dense notebooks (CPU profile) is graded by ours alone.

Prints per system: whole-class seconds, median seconds per submission, the loop's cost, scores right,
and ratios against nbgrader, otter and plain python (baselines measured in this run).
nbgrader 0.9 and otter-grader 7.0 live in a side virtual environment that the script makes
(bench/.venv-others, reusing this environment's TensorFlow through --system-site-packages).

Usage: python bench/grading_speed.py [--quick] [--only plain,nbgrader,otter,ours,warm,ray]
       [--mnist N | --no-mnist] [--json FILE] [--keep DIR]   (bench/README.md)
"""

from __future__ import annotations

import argparse
import concurrent.futures
import csv
import inspect
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from speed_class import (
    POINTS,
    QUESTIONS,
    TESTS,
    Spec,
    mnist_class,
    our_notebook,
    tenseurs_class,
    write_ours,
)

from grader.grading import grade

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
VENV = HERE / ".venv-others"
OTHERS = ("nbgrader==0.9.*", "otter-grader==7.0.*")
SYSTEMS = ("plain", "nbgrader", "otter", "ours", "warm", "ray")
QUIET_TF = {"TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONWARNINGS": "ignore"}


@dataclass
class Row:
    """One system's run of the class: what the table prints."""

    system: str
    seconds: float | None = None  # whole class, wall clock
    per_submission: dict[str, float] = field(default_factory=dict)
    scores: dict[str, float | None] = field(default_factory=dict)
    note: str = ""
    by_question: dict[str, dict[str, float]] = field(default_factory=dict)  # ours: each student's questions

    @property
    def median(self) -> float | None:
        return statistics.median(self.per_submission.values()) if self.per_submission else None

    def loop(self, specs: list[Spec]) -> float | None:
        name = next((s.name for s in specs if s.kind == "loop"), None)
        return self.per_submission.get(name) if name else None

    def right(self, specs: list[Spec]) -> int | None:
        if not self.scores:
            return None
        return sum(1 for s in specs if self.scores.get(s.name) is not None
                   and abs(float(self.scores[s.name] or 0) - s.total) < 1e-6)


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


# -- plain python ------------------------------------------------------------------------------------
PLAIN_RUNNER = """\
import json, signal, sys, traceback
def alarm(signum, frame):
    raise TimeoutError("cell time-out")
signal.signal(signal.SIGALRM, alarm)
env = {"__name__": "__main__"}
for cell in json.load(open(sys.argv[1])):
    signal.setitimer(signal.ITIMER_REAL, float(sys.argv[2]))
    try:
        exec(compile(cell, "<cell>", "exec"), env)
    except BaseException:
        traceback.print_exc()
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
"""


def run_plain(specs: list[Spec], folder: Path, limit: float, parallel: int) -> Row:
    """Each student's code cells run by `python`, no grading at all, `parallel` at once: cell after cell
    in one process, each under the per-cell limit our grader applies (SIGALRM), going on past a failing
    cell as a grader does."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "run_cells.py").write_text(PLAIN_RUNNER)
    for spec in specs:
        (folder / f"{spec.name}.json").write_text(json.dumps(list(spec.cells)), encoding="utf-8")

    def one(spec: Spec) -> tuple[str, float]:
        t0 = time.monotonic()
        subprocess.run([sys.executable, "run_cells.py", f"{spec.name}.json", str(limit)], cwd=folder,
                       env={**os.environ, **QUIET_TF}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       timeout=limit * len(spec.cells) + 120)
        return spec.name, time.monotonic() - t0

    start = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(parallel) as pool:
        times = dict(pool.map(one, specs))
    return Row(f"plain python, {parallel} at a time", time.monotonic() - start, times,
               note=f"runs the cells only, no grading; {limit:g} s per cell (the loop's)")


# -- the side environment -----------------------------------------------------------------------------
def side_env() -> Path:
    """bench/.venv-others with nbgrader and otter-grader; made once, reused after."""
    py = VENV / "bin" / "python"
    probe = [str(py), "-c", "import nbgrader, otter, tensorflow"]
    if py.exists() and subprocess.run(probe, capture_output=True).returncode == 0:
        return VENV / "bin"
    log(f"making {VENV} (nbgrader, otter-grader; TensorFlow reused from this environment)")
    if not py.exists():
        subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", str(VENV)], check=True)
    # Made from inside a virtualenv, --system-site-packages reaches the base interpreter's packages, not
    # this environment's TensorFlow: a .pth appends this environment's site-packages after the side one's.
    here = sysconfig.get_paths()["purelib"]
    side = subprocess.run([str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          capture_output=True, text=True, check=True).stdout.strip()
    if Path(here).resolve() != Path(side).resolve():
        (Path(side) / "_tp_grader_env.pth").write_text(f"{here}\n", encoding="utf-8")
    subprocess.run([str(py), "-m", "pip", "install", "-q", *OTHERS], check=True)
    subprocess.run(probe, check=True)
    return VENV / "bin"


def _notebook(cells: list[dict]) -> dict:
    return {"cells": cells, "metadata": {"kernelspec": {"display_name": "Python 3", "language": "python",
                                                        "name": "python3"}, "language_info": {"name": "python"}},
            "nbformat": 4, "nbformat_minor": 5}


def _cell(source: str, nbgrader: dict | None = None, cell_id: str = "") -> dict:
    meta = {"nbgrader": {"schema_version": 3, "task": False, **nbgrader}} if nbgrader else {}
    return {"cell_type": "code", "execution_count": None, "id": cell_id or f"c{abs(hash(source)) % 10**10}",
            "metadata": meta, "outputs": [], "source": source}


# -- nbgrader -------------------------------------------------------------------------------------------
def nbgrader_source(spec: Spec) -> dict:
    """The instructor's notebook: one solution cell per student cell, a test cell after each question
    (the tests of TESTS, hidden parts between nbgrader's hidden-test markers), points as ours."""
    cells = [_cell(f"### BEGIN SOLUTION\n{spec.cells[0]}\n### END SOLUTION",
                   {"solution": True, "grade": False, "locked": False, "grade_id": "imports"}, "imports")]
    for q, code in zip(QUESTIONS, spec.cells[1:], strict=True):
        cells.append(_cell(f"### BEGIN SOLUTION\n{code}\n### END SOLUTION",
                           {"solution": True, "grade": False, "locked": False, "grade_id": f"answer_{q}"}, f"a{q}"))
        public, hidden = TESTS[q]
        cells.append(_cell(f"{public}\n### BEGIN HIDDEN TESTS\n{hidden}\n### END HIDDEN TESTS",
                           {"solution": False, "grade": True, "locked": True, "points": POINTS[q],
                            "grade_id": f"test_{q}"}, f"t{q}"))
    return _notebook(cells)


def run_nbgrader(specs: list[Spec], root: Path, limit: float, bin_dir: Path) -> Row:
    """`nbgrader autograde` of the whole class in one call (its per-cell time-out set to our limit);
    per-submission time: the gaps between autograded notebooks' completion times."""
    course = root / "nbgrader"
    (course / "source" / "tp").mkdir(parents=True)
    (course / "nbgrader_config.py").write_text(
        f"c = get_config()\nc.CourseDirectory.root = {str(course)!r}\nc.CourseDirectory.course_id = 'bench'\n")
    (course / "source" / "tp" / "tp.ipynb").write_text(json.dumps(nbgrader_source(specs[0])))
    env = {**os.environ, **QUIET_TF, "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"}  # alembic, kernel
    nbg = str(bin_dir / "nbgrader")
    subprocess.run([nbg, "generate_assignment", "tp", "--force"], cwd=course, env=env, check=True,
                   capture_output=True)
    released = json.loads((course / "release" / "tp" / "tp.ipynb").read_text())
    for spec in specs:
        nb = json.loads(json.dumps(released))
        answers = {"imports": spec.cells[0], **{f"answer_{q}": c for q, c in zip(QUESTIONS, spec.cells[1:],
                                                                                  strict=True)}}
        for cell in nb["cells"]:
            gid = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
            if gid in answers:
                cell["source"] = answers[gid]
        target = course / "submitted" / spec.name / "tp"
        target.mkdir(parents=True)
        (target / "tp.ipynb").write_text(json.dumps(nb))
    start = time.monotonic()
    proc = subprocess.run([nbg, "autograde", "tp", "--force", f"--Execute.timeout={int(limit)}",
                           "--NbGrader.log_datefmt=%s", "--NbGrader.log_format=@%(asctime)s.%(msecs)03d %(message)s"],
                          cwd=course, env=env, capture_output=True, text=True)
    seconds = time.monotonic() - start
    if proc.returncode != 0:
        log(f"nbgrader autograde exited {proc.returncode}: {proc.stderr[-2000:]}")
    starts = []  # (time, student): when nbgrader took up each submission, from its log
    for line in proc.stderr.splitlines():
        m = re.match(r"@(\d+)\.(\d+) Sanitizing .*/submitted/([^/]+)/", line)
        if m:
            starts.append((int(m.group(1)) + int(m.group(2)) / 1000, m.group(3)))
    ends = [t for t, _ in starts[1:]] + [time.time()]
    per = {name: end - t for (t, name), end in zip(starts, ends, strict=True)}
    subprocess.run([nbg, "export", "--to", str(course / "grades.csv")], cwd=course, env=env, capture_output=True)
    scores: dict[str, float | None] = {s.name: None for s in specs}
    if (course / "grades.csv").exists():
        with open(course / "grades.csv", newline="") as f:
            for r in csv.DictReader(f):
                scores[r["student_id"]] = float(r["raw_score"])
    return Row("nbgrader 0.9 autograde", seconds, per, scores,
               note=f"one autograde call; cell time-out {limit:g} s")


# -- otter-grader ----------------------------------------------------------------------------------------
def otter_test(q: str) -> str:
    public, hidden = TESTS[q]
    code = f"{public}\n{hidden}"
    return (f"from otter.test_files import test_case\n\nOK_FORMAT = False\nname = {q!r}\npoints = {POINTS[q]}\n\n\n"
            f"@test_case(points={POINTS[q]}, hidden=False)\ndef test_{q}(env):\n    exec({code!r}, dict(env))\n")


def run_otter(specs: list[Spec], root: Path, limit: float, bin_dir: Path) -> Row:
    """`otter run -a autograder.zip` per submission (otter's own local, Docker-less grading), one after
    another; otter has no per-cell limit, so a submission is killed at our cell limit plus a margin."""
    folder = root / "otter"
    (folder / "tests").mkdir(parents=True)
    for q in QUESTIONS:
        (folder / "tests" / f"{q}.py").write_text(otter_test(q))
    env = {**os.environ, **QUIET_TF, "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"}
    otter = str(bin_dir / "otter")
    subprocess.run([otter, "generate", "--tests-dir", "tests", "--no-requirements", "--no-environment",
                    "-o", "autograder.zip"], cwd=folder, env=env, check=True, capture_output=True)
    kill = limit + 30
    per, scores = {}, {}
    start = time.monotonic()
    for spec in specs:
        sub = folder / "subs" / spec.name
        sub.mkdir(parents=True)
        (sub / f"{spec.name}.ipynb").write_text(our_notebook(spec))
        out = folder / "out" / spec.name
        out.mkdir(parents=True)
        t0 = time.monotonic()
        try:
            subprocess.run([otter, "run", "-a", "autograder.zip", "-o", str(out), "--no-logo",
                            str(sub / f"{spec.name}.ipynb")], cwd=folder, env=env, capture_output=True,
                           timeout=kill)
        except subprocess.TimeoutExpired:
            pass
        per[spec.name] = time.monotonic() - t0
        results = out / "results.json"
        if results.exists():
            data = json.loads(results.read_text())
            scores[spec.name] = data.get("score", sum(t.get("score", 0) for t in data.get("tests", [])))
        else:
            scores[spec.name] = None
    return Row("otter-grader 7.0 run", time.monotonic() - start, per, scores,
               note=f"one otter run per submission; no cell limit: killed at {kill:g} s")


# -- this grader --------------------------------------------------------------------------------------------
def _warm_kw(warm: bool) -> dict | None:
    """`grade()`'s `warm=` said either way (its default is warm), the process's fork servers closed first
    so that the run starts and counts its own, as a fresh `grader run` does; None: no warm runners here."""
    if "warm" not in inspect.signature(grade).parameters:
        return None
    from grader.runner.warm.pool import close_shared

    close_shared()
    return {"warm": warm}


def run_ours(specs: list[Spec], root: Path, workers: int, *, warm: bool = False, ray: bool = False,
             limits: dict | None = None, label: str = "") -> Row:
    """`grade()` on the class as `grader run` does it (a fresh gradebook each row: `force`), cold or warm
    runners, threads or a local Ray cluster; per-submission time is each result's own `seconds`."""
    folder = root / "ours-class"
    if not folder.exists():
        write_ours(specs, folder)
    name = label or f"tp-grader, {'warm' if warm else 'cold'}, {workers} worker{'s' if workers > 1 else ''}"
    kw = _warm_kw(warm)
    if kw is None:
        if warm:
            return Row(name, note="n/a (no warm runners in this build)")
        kw = {}
    cluster = None
    if ray:
        try:
            import ray as ray_mod
            from ray import cluster_utils
        except ImportError:
            return Row(name, note="n/a (Ray not installed: pip install 'tp-grader[ray]')")
        t0 = time.monotonic()
        cluster = cluster_utils.Cluster(initialize_head=True, head_node_args={"num_cpus": 0})
        for _ in range(workers):
            cluster.add_node(num_cpus=1)
        cluster.wait_for_nodes()
        kw.update(executor="ray", address=cluster.address)
        up = time.monotonic() - t0
    out = root / f"out-{name.replace(' ', '').replace(',', '-')}"
    try:
        start = time.monotonic()
        run = grade(folder, assignment="tp-tenseurs", out=out, workers=workers, force=True, limits=limits, **kw)
        seconds = time.monotonic() - start
    finally:
        if cluster is not None:
            if ray_mod.is_initialized():
                ray_mod.shutdown()
            cluster.shutdown()
    per = {r.student: float(r.seconds) for r in run.results}
    scores: dict[str, float | None] = {r.student: float(r.score) for r in run.results}
    by_q = {r.student: {qs.question.id: float(qs.score) for qs in r.questions if not qs.question.manual}
            for r in run.results}  # the written question (pending, graded by hand) is no system's
    row = Row(name, seconds, per, scores, by_question=by_q)
    wrong = [s.name for s in specs if by_q.get(s.name) != s.expected]
    if wrong:
        row.note = f"per question not as expected: {', '.join(wrong)}"
    if ray:
        row.note = (row.note + "; " if row.note else "") + f"local cluster: head + {workers} nodes of 1 CPU (started in {up:.0f} s, not counted)"
    return row


def cell_limit() -> float:
    """The per-cell limit our grader applies to tp-tenseurs on this machine (TOML or calibration)."""
    from grader import assignments as assignments_mod
    from grader.grading import prepare

    _, limits, _ = prepare(assignments_mod.load("tp-tenseurs").assignment)
    return float(limits.cell_timeout)


# -- the table ---------------------------------------------------------------------------------------------
def _fmt(x: float | None, spec: str = "7.1f") -> str:
    return format(x, spec) if x is not None else " " * (int(spec.split(".")[0]) - 3) + "n/a"


def _ratio(base: Row | None, row: Row, attr: Callable[[Row], float | None]) -> str:
    b, r = (attr(base), attr(row)) if base is not None else (None, None)
    return f"{b / r:5.1f}x" if b and r else "   - "


def table(rows: list[Row], specs: list[Spec]) -> str:
    base = {k: next((r for r in rows if r.system.startswith(k) and r.seconds), None)
            for k in ("nbgrader", "otter", "plain python, 1")}
    lines = [f"{'system':34} {'class s':>8} {'median s':>8} {'loop s':>7} {'right':>6}   "
             f"{'vs nbgrader':>12} {'vs otter':>12} {'vs plain':>12}",
             f"{'':34} {'':>8} {'':>8} {'':>7} {'':>6}   {'class/median':>12} {'class/median':>12} "
             f"{'class/median':>12}"]
    for r in rows:
        if r.seconds is None:
            lines.append(f"{r.system:34} {r.note}")
            continue
        right = r.right(specs)
        ratios = "".join(f" {_ratio(base[k], r, lambda x: x.seconds)}/{_ratio(base[k], r, lambda x: x.median)}"
                         for k in base)
        lines.append(f"{r.system:34} {_fmt(r.seconds, '8.1f')} {_fmt(r.median, '8.2f')} {_fmt(r.loop(specs))} "
                     f"{(f'{right}/{len(specs)}' if right is not None else '-'):>6}  {ratios}")
    notes = [f"  {r.system}: {r.note}" for r in rows if r.seconds is not None and r.note]
    return "\n".join(lines + (["", "notes:"] + notes if notes else []))


# -- MNIST-dense -------------------------------------------------------------------------------------------
def run_mnist(n: int, root: Path, workers: int | None, warm: bool) -> dict:
    """A generated MNIST-dense class under the CPU profile, ours only: the scale the issue asks about."""
    folder = root / "mnist-class"
    expected = mnist_class(n, folder)
    kw = _warm_kw(warm) or {}
    start = time.monotonic()
    run = grade(folder, assignment="tp-mnist-dense", out=root / "mnist-out", workers=workers, profile="cpu",
                force=True, **kw)
    seconds = time.monotonic() - start
    per = [float(r.seconds) for r in run.results]

    def as_expected(r) -> bool:  # the mutant's question below full marks, every other one full
        auto = [qs for qs in r.questions if not qs.question.manual]
        return bool(auto) and all((qs.score < qs.question.points) == (qs.question.id == expected[r.student])
                                  for qs in auto)

    right = sum(1 for r in run.results if as_expected(r))
    wrong = sorted(f"{r.student}={r.score:g}" for r in run.results if not as_expected(r))
    return {"n": n, "seconds": round(seconds, 1), "median": round(statistics.median(per), 2),
            "right": right, "wrong": wrong[:10], "workers": run.sizing.en if run.sizing else str(workers),
            "warm": bool(kw.get("warm")), "training": dict(run.plan.training) if run.plan else {}}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--only", default=",".join(SYSTEMS), help=f"comma list of {','.join(SYSTEMS)}")
    p.add_argument("--quick", action="store_true", help="6 submissions (a smoke run)")
    p.add_argument("--cell-limit", type=float, help="per-cell limit for every system (default: ours for "
                   "tp-tenseurs); below the time TensorFlow's import takes, nbgrader's import cell times out")
    p.add_argument("--mnist", type=int, default=200, help="MNIST-dense notebooks to grade (default 200)")
    p.add_argument("--no-mnist", action="store_true")
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--json", type=Path, help="write the rows here")
    p.add_argument("--keep", type=Path, help="work here and keep the files (default: a temporary folder)")
    args = p.parse_args()
    only = {s.strip() for s in args.only.split(",") if s.strip()}
    if unknown := only - set(SYSTEMS):
        p.error(f"unknown systems: {', '.join(sorted(unknown))}")
    shared = REPO.parent / "shared" / "data"
    if "GRADER_DATA_DIR" not in os.environ and shared.is_dir():
        os.environ["GRADER_DATA_DIR"] = str(shared)  # the offline MNIST copy beside the repos, as the tests do
    root = args.keep or Path(tempfile.mkdtemp(prefix="bench-speed-"))
    root.mkdir(parents=True, exist_ok=True)
    specs = tenseurs_class(quick=args.quick)
    limit = args.cell_limit or cell_limit()
    ours_limits = {"cell_timeout": limit} if args.cell_limit else None
    w = args.workers
    load = os.getloadavg()
    log(f"{len(specs)} tp-tenseurs submissions in {root}; cell limit {limit:g} s; {os.cpu_count()} cores, "
        f"load average {load[0]:.1f}")
    rows: list[Row] = []
    steps: list[tuple[str, Callable[[], Row]]] = []
    if "plain" in only:
        steps += [("plain", lambda: run_plain(specs, root / "p1", limit, 1)),
                  ("plain", lambda: run_plain(specs, root / "p2", limit, w))]
    if only & {"nbgrader", "otter"}:
        bin_dir: list[Path] = []

        def others() -> Path:
            if not bin_dir:
                bin_dir.append(side_env())
            return bin_dir[0]

        if "nbgrader" in only:
            steps.append(("nbgrader", lambda: run_nbgrader(specs, root, limit, others())))
        if "otter" in only:
            steps.append(("otter", lambda: run_otter(specs, root, limit, others())))
    if "ours" in only:
        steps += [("ours", lambda: run_ours(specs, root, 1, limits=ours_limits)),
                  ("ours", lambda: run_ours(specs, root, w, limits=ours_limits))]
    if "warm" in only:
        steps += [("warm", lambda: run_ours(specs, root, 1, warm=True, limits=ours_limits)),
                  ("warm", lambda: run_ours(specs, root, w, warm=True, limits=ours_limits))]
    if "ray" in only:
        steps.append(("ray", lambda: run_ours(specs, root, w, ray=True, warm="warm" in only, limits=ours_limits,
                                              label=f"tp-grader, Ray cluster, {'warm' if 'warm' in only else 'cold'}, "
                                                    f"{w} workers")))
    for key, step in steps:
        log(f"running {key} ...")
        try:
            row = step()
        except Exception as e:  # noqa: BLE001 - one system failing must not lose the others' numbers
            row = Row(key, note=f"failed: {type(e).__name__}: {str(e)[:300]}")
        log(f"{row.system}: {row.seconds and round(row.seconds, 1)} s")
        rows.append(row)
    ray_row = next((r for r in rows if "Ray" in r.system and r.seconds), None)
    local_rows = [r for r in rows if r.system in (f"tp-grader, warm, {w} workers", f"tp-grader, cold, {w} workers")
                  and r.seconds]
    print(f"\ntp-tenseurs, {len(specs)} notebooks ({sum(s.kind == 'correct' for s in specs)} correct, "
          f"{sum(s.kind == 'shape' for s in specs)} wrong shapes, {sum(s.kind == 'raises' for s in specs)} raising, "
          f"{sum(s.kind == 'loop' for s in specs)} infinite loop); cell limit {limit:g} s; {os.cpu_count()} cores, "
          f"load average at start {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}\n")
    print(table(rows, specs))
    same = None
    if ray_row and local_rows:
        same = all(ray_row.by_question == r.by_question for r in local_rows)
        print(f"\nRay run's scores identical (per question) to the local {w}-worker run's "
              f"({' and '.join(r.system.split(', ')[1] for r in local_rows)}): {'yes' if same else 'NO'}")
    for r in rows:
        wrong = [f"{s.name}={r.scores.get(s.name)} (expected {s.total:g})" for s in specs
                 if r.scores and (r.scores.get(s.name) is None or abs(float(r.scores[s.name] or 0) - s.total) > 1e-6)]
        if wrong:
            print(f"  {r.system} scored wrong: {'; '.join(wrong)}")
    mnist = None
    if not args.no_mnist and args.mnist > 0 and "ours" in only:
        log(f"grading {args.mnist} MNIST-dense notebooks (CPU profile) ...")
        try:
            mnist = run_mnist(args.mnist, root, None, warm="warm" in only)
            print(f"\nMNIST-dense, {mnist['n']} notebooks, CPU profile ({mnist['training']}), "
                  f"{'warm' if mnist['warm'] else 'cold'} runners, {mnist['workers']}: whole class "
                  f"{mnist['seconds']:.0f} s ({mnist['seconds'] / 60:.1f} min), median {mnist['median']:.1f} s "
                  f"per submission, scores right {mnist['right']}/{mnist['n']}"
                  + (f"; wrong: {', '.join(mnist['wrong'])}" if mnist["wrong"] else ""))
        except Exception as e:  # noqa: BLE001
            print(f"\nMNIST-dense: failed: {type(e).__name__}: {e}")
    print(f"\nload average at end: {' '.join(f'{x:.1f}' for x in os.getloadavg())}; files in {root}")
    if args.json:
        doc = {"submissions": [asdict(s) for s in specs], "cell_limit": limit, "cores": os.cpu_count(),
               "load_start": load, "load_end": os.getloadavg(), "ray_identical": same, "mnist": mnist,
               "rows": [{**asdict(r), "median": r.median, "loop": r.loop(specs), "right": r.right(specs)}
                        for r in rows]}
        args.json.write_text(json.dumps(doc, indent=1))
    if not args.keep:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
