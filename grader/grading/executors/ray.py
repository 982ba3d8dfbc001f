"""Ray: each submission is a task on some node of a cluster, graded there through `grade_submission()`.

What crosses to the node is plain data: the submission (its cells, its working folder as a tar),
the assignment's id, course folders and fingerprint (the node loads the same checks, or refuses),
and the options; what comes back is the `Graded` record, written into the one gradebook on the
head.

Before any submission is sent, every node that offers CPUs is asked, by a task pinned to it,
whether it can grade (`node_refusal`): the sandbox layers (`--sandbox require`), the same
assignment. Submissions then go only to the nodes that said yes, each kept busy up to its CPUs.
When no node can, the run stops before grading anything and says why, node by node (exit 2):
a node's sandbox is never a student's 0. A node that refuses later (each Ray worker process probes
its own sandbox) hands its submission back untouched and takes no more; a node lost mid-task has
its submission sent to another node, up to `retries` times; a submission that still cannot finish
is *lost*: the head leaves it unfinished, so the next `grader run` regrades it.

Student code on a node must not reach Ray's own ports on that node's loopback (Ray's RPC has no
authentication): a uid of its own (Layer 1) does not stop a TCP connect, a network namespace
(Layer 2, bubblewrap) does. A node without Layer 2 therefore refuses, with an error that says so,
rather than grade there. Uids are leased across processes (`grader.runner.sandbox.UIDS`), so the
node's several Ray workers never give two live students the same uid.
"""

from __future__ import annotations

import collections
import io
import os
import shutil
import socket
import tarfile
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from grader.assignments import LoadedAssignment
from grader.grading.executors.work import OnCheck, OnGraded, Work
from grader.grading.submission import LOST, Graded, GradingOptions, grade_submission
from grader.model import Message, as_message
from grader.options import UsageError
from grader.runner.sandbox import SandboxUnavailable

CHECK_SECONDS = 900.0  # a node's first sandbox probe on a loaded machine (two probes, retried)


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


class NodesRefused(SandboxUnavailable, UsageError):
    """No node of the cluster can grade this run: said before anything is graded (exit 2)."""


def _pack(folder: Path | None) -> bytes | None:
    if folder is None:
        return None
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        tar.add(folder, arcname=".")
    return buf.getvalue()


def _refused(why: Message, work: Work) -> Graded:
    """Not graded here, and nobody's fault: the head sends it to another node (never an `error` for the student)."""
    return Graded(LOST, (why,), (), (), 0.0, {"kind": work.sub.kind, "attempt": work.attempt,
                                             "ray_refused": _node_id() or "?"})


def node_refusal(assignment: str, courses: tuple[str, ...], fingerprint: str, public_only: bool):
    """On a node: (why it cannot grade this run or None, its sandbox plan, the loaded assignment)."""
    from grader import assignments as assignments_mod
    from grader.runner.sandbox import plan as sandbox_plan

    try:
        box = sandbox_plan("require")
    except SandboxUnavailable as e:
        return e.message, None, None
    except Exception as e:  # noqa: BLE001 - whatever stops the probe is this node's, said as such
        return Message(f"sonde du bac à sable impossible : {type(e).__name__}: {e}",
                       f"sandbox probe failed: {type(e).__name__}: {e}"), None, None
    if 2 not in box.layers:
        return Message(
            "la couche 2 du bac à sable (bubblewrap, sans réseau) est requise, pour que le code de l'élève ne "
            "puisse pas joindre les ports de Ray sur ce nœud",
            "sandbox Layer 2 (bubblewrap, no network) is required, so that student code cannot reach Ray's "
            "ports on this node"), box, None
    try:
        loaded = assignments_mod.load(assignment, [Path(c) for c in courses], public_only=public_only)
    except Exception as e:  # noqa: BLE001 - a course folder missing on this node
        return Message(f"ce nœud ne peut pas charger le TP « {assignment} » : {e}",
                       f"this node cannot load assignment '{assignment}': {e}"), box, None
    if loaded.fingerprint != fingerprint:
        return Message(f"ce nœud n'a pas la même version du TP « {assignment} » que la machine principale",
                       f"this node does not hold the same version of assignment '{assignment}' as the head"), box, None
    return None, box, loaded


def check_node(assignment: str, courses: tuple[str, ...], fingerprint: str, public_only: bool) -> dict:
    """Pinned to one node before the run: can it grade? (the answer, and its layers)."""
    why, box, _ = node_refusal(assignment, courses, fingerprint, public_only)
    return {"node": _node_id(), "host": socket.gethostname(), "refused": why,
            "layers": list(box.layers) if box is not None else []}


def run_job(job: _Job) -> Graded:
    """On the node: load the same checks, probe this node's sandbox, grade."""
    why, box, loaded = node_refusal(job.assignment, job.courses, job.fingerprint, job.public_only)
    if why is not None:
        return _refused(why, job.work)
    folder = Path(tempfile.mkdtemp(prefix="grader-ray-"))
    try:
        sub = job.work.sub
        if job.workdir_tar is not None:
            with tarfile.open(fileobj=io.BytesIO(job.workdir_tar), mode="r:gz") as tar:
                tar.extractall(folder / "work", filter="data")
            sub = replace(sub, workdir=folder / "work")
        from grader.runner.warm.pool import starter_for

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


def _label(node: str, where: dict[str, str]) -> str:
    return f"{node[:8]} ({where[node]})" if where.get(node) else node[:8]


@dataclass
class RayExecutor:
    workers: int = 1
    address: str | None = None  # None: a local Ray started here for this run, `workers` CPUs
    name: str = "ray"
    retries: int = 2
    warm: bool = False  # each Ray worker process keeps its own fork server
    refused: dict[str, Message] = field(default_factory=dict)  # node id -> why it graded nothing (this run)
    accepted: dict[str, int] = field(default_factory=dict)  # node id -> submissions at once

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

    @property
    def notices(self) -> list[Message]:
        """Nodes that graded nothing in this run, and why (for the run's console notices)."""
        return [Message(f"nœud Ray {node[:8]} écarté : {why.fr}", f"Ray node {node[:8]} left out: {why.en}")
                for node, why in self.refused.items()]

    def _check_nodes(self, ray, meta: tuple, gpus: float) -> dict[str, str]:
        """Ask every node with CPUs whether it can grade; fill `accepted` and `refused`; their addresses."""
        from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

        where, slots = {}, {}
        for n in ray.nodes():
            cpus = int(n.get("Resources", {}).get("CPU", 0))
            if gpus:
                cpus = min(cpus, int(n.get("Resources", {}).get("GPU", 0) / gpus))
            if n.get("Alive") and cpus >= 1:
                slots[n["NodeID"]], where[n["NodeID"]] = cpus, n.get("NodeManagerAddress", "")
        check = ray.remote(check_node)
        refs = {check.options(num_cpus=1, max_retries=1, scheduling_strategy=NodeAffinitySchedulingStrategy(
            node, soft=False)).remote(*meta): node for node in slots}
        ready, late = ray.wait(list(refs), num_returns=len(refs), timeout=CHECK_SECONDS) if refs else ([], [])
        for ref in ready:
            node = refs[ref]
            try:
                answer = ray.get(ref)
            except Exception as e:  # noqa: BLE001 - the node died, or its worker could not start
                self.refused[node] = Message(f"vérification impossible : {type(e).__name__}: {e}"[:800],
                                             f"could not be checked: {type(e).__name__}: {e}"[:800])
                continue
            if answer["refused"] is not None:
                self.refused[node] = answer["refused"]
            else:
                self.accepted[node] = slots[node]
        for ref in late:
            ray.cancel(ref, force=True)
            self.refused[refs[ref]] = Message(f"aucune réponse en {CHECK_SECONDS:.0f} s",
                                              f"no answer in {CHECK_SECONDS:.0f} s")
        return where

    def _grade(self, ray, loaded: LoadedAssignment, opts: GradingOptions, work: Sequence[Work],
               on_graded: OnGraded) -> None:
        from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

        located = loaded.located
        courses = (str(located.course.root),) if located is not None and not located.course.builtin else ()
        gpus = float(os.environ.get("GRADER_RAY_GPUS_PER_TASK", "0") or 0)
        meta = (loaded.assignment.id, courses, loaded.fingerprint, bool(opts.public_only))
        self.refused, self.accepted = {}, {}
        where = self._check_nodes(ray, meta, gpus) if work else {}
        if work and not self.accepted:
            said = "; ".join(f"{_label(n, where)} : {why.fr}" for n, why in self.refused.items()) or "aucun nœud avec des CPU"
            told = "; ".join(f"{_label(n, where)}: {why.en}" for n, why in self.refused.items()) or "no node with CPUs"
            raise NodesRefused(Message(
                f"aucun nœud du cluster Ray ne peut corriger (rien n'a été corrigé) : {said}",
                f"no node of the Ray cluster can grade (nothing was graded): {told}"))
        task = ray.remote(run_job)
        queue = collections.deque((item, 0) for item in work)  # (work, nodes it was lost on)
        running: dict = {}  # ref -> (work, node, losses)
        load = dict.fromkeys(self.accepted, 0)

        def submit(item: Work, node: str, losses: int) -> None:
            job = _Job(loaded.assignment.id, courses, loaded.fingerprint, bool(opts.public_only),
                       replace(opts, starter=None), replace(item, sub=replace(item.sub, workdir=None)),
                       _pack(item.sub.workdir), self.warm)
            ref = task.options(max_retries=self.retries, retry_exceptions=False, num_cpus=1, num_gpus=gpus,
                               scheduling_strategy=NodeAffinitySchedulingStrategy(node, soft=False)).remote(job)
            running[ref] = (item, node, losses)
            load[node] += 1

        while queue or running:
            while queue and (free := [n for n in self.accepted if load[n] < self.accepted[n]]):
                item, losses = queue.popleft()
                submit(item, min(free, key=lambda n: load[n] / self.accepted[n]), losses)
            if not running:
                break  # every node refused along the way: what is left is lost, regraded next run
            [ref], _ = ray.wait(list(running), num_returns=1)
            item, node, losses = running.pop(ref)
            load[node] -= 1
            try:
                graded = ray.get(ref)
            except Exception as e:  # noqa: BLE001 - the node lost past Ray's retries, a worker killed
                if not self._alive(ray, node):
                    self.accepted.pop(node, None)
                    self.refused[node] = Message("nœud perdu pendant la correction", "node lost while grading")
                if losses < self.retries and self.accepted:
                    queue.append((item, losses + 1))
                else:
                    on_graded(item, Graded(LOST, (f"{type(e).__name__}: {e}"[:1500],), (), (), 0.0, {}))
                continue
            if graded.status == LOST and graded.info.get("ray_refused"):
                self.accepted.pop(node, None)  # its sandbox failed since it was checked: it takes no more
                self.refused[node] = as_message(graded.errors[0]) if graded.errors else Message("?", "?")
                queue.appendleft((item, losses))
                continue
            on_graded(item, graded)
        for item, _ in queue:
            why = "; ".join(f"{_label(n, where)}: {w.en}" for n, w in self.refused.items())
            on_graded(item, Graded(LOST, (f"no Ray node left to grade it: {why}"[:1500],), (), (), 0.0, {}))

    @staticmethod
    def _alive(ray, node: str) -> bool:
        try:
            return any(n["NodeID"] == node and n.get("Alive") for n in ray.nodes())
        except Exception:  # noqa: BLE001 - the cluster itself is gone
            return False
