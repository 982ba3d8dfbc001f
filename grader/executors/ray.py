"""Ray: each submission is a task on some node of a cluster, graded there through `grade_submission()`.

What crosses to the node is plain data: the submission (its cells, its working folder as a tar),
the assignment's id, course folders and fingerprint (the node loads the same checks, or refuses),
and the options; what comes back is the `Graded` record, written into the one gradebook on the
head. A node lost mid-task makes Ray run the task again (`max_retries`); a task that still cannot
finish is *lost*: the head leaves that submission unfinished, so the next `grader run` regrades it.

Student code on a node must not reach Ray's own ports on that node's loopback (Ray's RPC has no
authentication): a uid of its own (Layer 1) does not stop a TCP connect, a network namespace
(Layer 2, bubblewrap) does. A node without Layer 2 therefore refuses every task, with an error that
says so, rather than grade there. Uids are leased across processes (`grader.runner.sandbox.UIDS`),
so the node's several Ray workers never give two live students the same uid.
"""

from __future__ import annotations

import io
import os
import shutil
import tarfile
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from grader.assignments import LoadedAssignment
from grader.executors import OnCheck, OnGraded, Work
from grader.model import Message
from grader.pipeline import LOST, Graded, GradingOptions, grade_submission


@dataclass(frozen=True)
class _Job:
    assignment: str
    courses: tuple[str, ...]
    fingerprint: str
    public_only: bool
    opts: GradingOptions
    work: Work
    workdir_tar: bytes | None
    warm: bool = False


def _pack(folder: Path | None) -> bytes | None:
    if folder is None:
        return None
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        tar.add(folder, arcname=".")
    return buf.getvalue()


def _refused(why: Message, work: Work) -> Graded:
    return Graded("error", (why,), (), (), 0.0, {"kind": work.sub.kind, "attempt": work.attempt})


def run_job(job: _Job) -> Graded:
    """On the node: load the same checks, probe this node's sandbox, grade."""
    from grader import assignments as assignments_mod
    from grader.runner.sandbox import SandboxUnavailable
    from grader.runner.sandbox import plan as sandbox_plan

    try:
        box = sandbox_plan("require")
    except SandboxUnavailable as e:
        return _refused(e.message, job.work)
    if 2 not in box.layers:
        return _refused(Message(
            "Correction répartie refusée sur ce nœud : la couche 2 du bac à sable (bubblewrap, sans réseau) est "
            "requise, pour que le code de l'élève ne puisse pas joindre les ports de Ray sur ce nœud.",
            "Distributed grading refused on this node: sandbox Layer 2 (bubblewrap, no network) is required, so "
            "that student code cannot reach Ray's ports on this node."), job.work)
    loaded = assignments_mod.load(job.assignment, [Path(c) for c in job.courses], public_only=job.public_only)
    if loaded.fingerprint != job.fingerprint:
        return _refused(Message(
            f"Ce nœud n'a pas la même version du TP « {job.assignment} » que la machine principale.",
            f"This node does not hold the same version of assignment '{job.assignment}' as the head."), job.work)
    folder = Path(tempfile.mkdtemp(prefix="grader-ray-"))
    try:
        sub = job.work.sub
        if job.workdir_tar is not None:
            with tarfile.open(fileobj=io.BytesIO(job.workdir_tar), mode="r:gz") as tar:
                tar.extractall(folder / "work", filter="data")
            sub = replace(sub, workdir=folder / "work")
        from grader.runner.warm import starter_for

        opts = replace(job.opts, sandbox=box, starter=starter_for(box, job.warm))
        graded = grade_submission(sub, loaded, opts, attempt=job.work.attempt, done=job.work.done)
        return replace(graded, info={**graded.info, "ray_node": _node_id()})
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _node_id() -> str:
    import ray

    try:
        return str(ray.get_runtime_context().get_node_id())
    except Exception:  # noqa: BLE001 - outside a Ray worker
        return ""


@dataclass
class RayExecutor:
    workers: int = 1
    address: str | None = None  # None: a local Ray started here for this run, `workers` CPUs
    name: str = "ray"
    retries: int = 2
    warm: bool = False  # each Ray worker process keeps its own fork server

    def grade(self, loaded: LoadedAssignment, opts: GradingOptions, work: Sequence[Work], *,
              on_check: OnCheck, on_graded: OnGraded) -> None:
        try:
            import ray
        except ImportError as e:
            raise RuntimeError("the Ray executor needs Ray: pip install 'tp-grader[ray]'") from e
        started = not ray.is_initialized()
        if started:
            if self.address:
                ray.init(address=self.address, log_to_driver=False)
            else:
                ray.init(num_cpus=max(1, self.workers), include_dashboard=False, log_to_driver=False)
        try:
            self._grade(ray, loaded, opts, work, on_graded)
        finally:
            if started:
                ray.shutdown()

    def _grade(self, ray, loaded: LoadedAssignment, opts: GradingOptions, work: Sequence[Work],
               on_graded: OnGraded) -> None:
        located = loaded.located
        courses = (str(located.course.root),) if located is not None and not located.course.builtin else ()
        task = ray.remote(run_job).options(max_retries=self.retries, retry_exceptions=False, num_cpus=1,
                                           num_gpus=float(os.environ.get("GRADER_RAY_GPUS_PER_TASK", "0") or 0))
        refs = {}
        for item in work:
            job = _Job(loaded.assignment.id, courses, loaded.fingerprint, bool(opts.public_only),
                       replace(opts, starter=None), replace(item, sub=replace(item.sub, workdir=None)),
                       _pack(item.sub.workdir), self.warm)
            refs[task.remote(job)] = item
        pending = list(refs)
        while pending:
            ready, pending = ray.wait(pending, num_returns=1)
            for ref in ready:
                item = refs[ref]
                try:
                    graded = ray.get(ref)
                except Exception as e:  # noqa: BLE001 - a node lost past the retries, a worker killed
                    graded = Graded(LOST, (f"{type(e).__name__}: {e}"[:1500],), (), (), 0.0, {})
                on_graded(item, graded)
