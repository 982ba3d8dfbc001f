"""A real local Ray cluster on 127.0.0.1 (a head and two worker nodes, started and stopped here)
grades a tp-tenseurs class through the same seam as threads: same scores, same statuses, same
messages, one gradebook on the head; a task lost past its retries leaves the submission to be
regraded by the next run, never a result made up."""

from __future__ import annotations

import json

import pytest
from conftest import mutate, reference_text, write_class

from grader.grading import grade
from grader.grading.executors.ray import RayExecutor
from grader.grading.executors.work import Work
from grader.grading.submission import LOST, Graded
from grader.runner.sandbox import plan as sandbox_plan

ray = pytest.importorskip("ray")
cluster_utils = pytest.importorskip("ray.cluster_utils")

REF = reference_text("tp-tenseurs")
LIMITS = {"cell_timeout": 90, "grace": 3, "wall_timeout": 300}


def _layer2() -> bool:
    try:
        return 2 in sandbox_plan("auto").layers
    except Exception:  # noqa: BLE001 - no sandbox at all here
        return False


pytestmark = [pytest.mark.skipif(not _layer2(), reason="Ray grading requires sandbox Layer 2 (bubblewrap)"),
              pytest.mark.slow]  # a 3-node cluster started and a class graded on it: the slow tier


@pytest.fixture(scope="module")
def cluster():
    c = cluster_utils.Cluster(initialize_head=True, head_node_args={"num_cpus": 0})  # the head grades nothing
    for _ in range(2):
        c.add_node(num_cpus=1)
    c.wait_for_nodes()
    yield c
    if ray.is_initialized():
        ray.shutdown()
    c.shutdown()


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return write_class(tmp_path_factory.mktemp("ray") / "class", {
        "reference.py": REF,
        "mutant_q3.py": mutate(REF, "first_five = batch[:5]", "first_five = batch[-5:]"),
        "raises.py": REF.replace("def tensor_stats(t):", "def tensor_stats(t):\n    raise RuntimeError('non')\n"),
        "empty.ipynb": "",
    })


def _summary(out) -> dict:
    data = json.loads((out / "results.json").read_text())
    return {s["student"]: (s["score"], s["status"], {q: (v["score"], [(c["name"], c["status"], c["message"])
                                                                      for c in v["checks"]])
                                                      for q, v in s["questions"].items()})
            for s in data["submissions"]}


def test_a_ray_cluster_grades_as_threads_do(cluster, folder, tmp_path):
    local = grade(folder, assignment="tp-tenseurs", out=tmp_path / "local", workers=2, limits=LIMITS)
    remote = grade(folder, assignment="tp-tenseurs", out=tmp_path / "ray", workers=2, limits=LIMITS,
                   executor="ray", address=cluster.address)
    assert sorted(remote.regraded) == sorted(local.regraded) == ["empty", "mutant_q3", "raises", "reference"]
    assert _summary(remote.out) == _summary(local.out)
    scores = {r.student: r.score for r in remote.results}
    assert scores["reference"] == 20 and scores["mutant_q3"] < 20 and scores["empty"] == 0
    head = cluster.head_node.node_id
    workers = {node.node_id for node in cluster.worker_nodes}
    used = {r.info.get("ray_node") for r in remote.results if r.student != "empty"}  # empty: nothing to run
    assert used and used <= workers and head not in used  # graded on the worker nodes, not on the head
    again = grade(folder, assignment="tp-tenseurs", out=tmp_path / "ray", workers=2, limits=LIMITS,
                  executor="ray", address=cluster.address)
    assert again.regraded == ()  # resume works as locally: the one gradebook on the head


def test_a_lost_task_is_left_to_the_next_run(folder, tmp_path, monkeypatch):
    """Past its retries a task's outcome is `lost`: the head stores nothing final for it, and the
    next run grades it (here the second run uses threads)."""
    def lose(self, ray_mod, loaded, opts, work, on_graded):
        for item in work:
            on_graded(item, Graded(LOST, ("NodeDiedError: node lost",), (), (), 0.0, {}))

    monkeypatch.setattr(RayExecutor, "grade", lambda self, loaded, opts, work, *, on_check, on_graded:
                        lose(self, None, loaded, opts, work, on_graded))
    one = write_class(tmp_path / "one", {"reference.py": REF})
    first = grade(one, assignment="tp-tenseurs", out=tmp_path / "out", executor="ray", limits=LIMITS)
    assert first.lost == ("reference",)
    assert any("reference" in n for n in first.notices("en"))
    [result] = first.results
    assert result.score == 0 and any("interrupted" in str(getattr(e, "en", e)) for e in result.errors)
    monkeypatch.undo()
    second = grade(one, assignment="tp-tenseurs", out=tmp_path / "out", limits=LIMITS)
    assert second.regraded == ("reference",) and second.results[0].score == 20


def test_work_items_cross_to_a_task_as_plain_data(folder):
    import pickle

    from grader.intake.discovery import cleanup, discover

    subs = discover(folder)
    try:
        [sub] = [s for s in subs if s.student == "reference"]
        assert pickle.loads(pickle.dumps(Work(sub))).sub.cells == sub.cells
    finally:
        cleanup(subs)
