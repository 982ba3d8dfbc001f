"""How the Ray executor spreads a class over nodes, with a stand-in for Ray (no cluster): a node that
cannot grade is asked first and gets no submission; one that refuses later hands its submission back
to another node; a node lost mid-task costs a retry elsewhere; with no node able to grade, the run
stops before grading anything and says why per node, in French and English. A refusal is never a
student's `error`."""

from __future__ import annotations

import pytest
from conftest import reference_text, write_class

from grader import assignments
from grader.grading.executors import ray as ray_exec
from grader.grading.executors.work import Work
from grader.grading.submission import LOST, Graded, GradingOptions
from grader.intake.discovery import cleanup, discover
from grader.judge.engine import Context
from grader.model import Message
from grader.options import UsageError
from grader.runner.session import Limits

pytest.importorskip("ray")

GOOD, LATE, BAD = "a" * 56, "b" * 56, "c" * 56  # node ids: 28 bytes in hex
LAYER2 = Message("la couche 2 du bac à sable (bubblewrap, sans réseau) est requise",
                 "sandbox Layer 2 (bubblewrap, no network) is required")


class _Ref:
    def __init__(self, value=None, error: Exception | None = None):
        self.value, self.error = value, error


class _Remote:
    def __init__(self, fake: FakeRay, fn, node: str | None = None):
        self.fake, self.fn, self.node = fake, fn, node

    def options(self, **kw) -> _Remote:
        return _Remote(self.fake, self.fn, kw["scheduling_strategy"].node_id)

    def remote(self, *args) -> _Ref:
        self.fake.calls.append((self.fn.__name__, self.node))
        self.fake.here = self.node
        try:
            return _Ref(self.fn(*args))
        except Exception as e:  # noqa: BLE001 - what ray.get raises
            return _Ref(error=e)


class FakeRay:
    def __init__(self, nodes: dict[str, int]):
        self.alive = dict.fromkeys(nodes, True)
        self.cpus = nodes
        self.calls: list[tuple[str, str]] = []
        self.here = ""

    def nodes(self) -> list[dict]:
        return [{"NodeID": n, "Alive": self.alive[n], "Resources": {"CPU": c}, "NodeManagerAddress": "10.0.0.1"}
                for n, c in self.cpus.items()]

    def remote(self, fn) -> _Remote:
        return _Remote(self, fn)

    def wait(self, refs, num_returns=1, timeout=None):
        return refs[:num_returns], refs[num_returns:]

    def get(self, ref: _Ref):
        if ref.error is not None:
            raise ref.error
        return ref.value

    def cancel(self, ref, force=False) -> None:
        pass


@pytest.fixture
def setup(tmp_path, monkeypatch):
    ref = reference_text("tp-tenseurs")
    subs = discover(write_class(tmp_path / "class", {f"s{i}.py": ref for i in range(4)}))
    loaded = assignments.load("tp-tenseurs")
    opts = GradingOptions(Limits(), Context("tp-tenseurs"))
    yield loaded, opts, [Work(s) for s in subs], monkeypatch
    cleanup(subs)


def _run(fake: FakeRay, setup, refuse_check: set[str], refuse_job: set[str] = frozenset(), lose: set[str] = frozenset()):
    loaded, opts, work, monkeypatch = setup

    def check_node(*meta):
        return {"node": fake.here, "host": "h", "refused": LAYER2 if fake.here in refuse_check else None, "layers": []}

    def run_job(job):
        if fake.here in lose:
            fake.alive[fake.here] = False
            raise RuntimeError("NodeDiedError: the node running this task died")
        if fake.here in refuse_job:
            return Graded(LOST, (LAYER2,), (), (), 0.0, {"ray_refused": fake.here})
        return Graded("graded", (), (), (), 1.0, {"ray_node": fake.here})

    monkeypatch.setattr(ray_exec, "check_node", check_node)
    monkeypatch.setattr(ray_exec, "run_job", run_job)
    executor = ray_exec.RayExecutor(retries=2)
    got: dict[str, Graded] = {}
    executor._grade(fake, loaded, opts, work, lambda item, graded: got.__setitem__(item.sub.student, graded))
    return executor, got


def test_a_node_that_cannot_grade_is_asked_first_and_given_nothing(setup):
    fake = FakeRay({GOOD: 2, BAD: 4, "d" * 56: 0})  # the last offers no CPU (a head started with --num-cpus=0)
    executor, got = _run(fake, setup, refuse_check={BAD})
    assert {g.status for g in got.values()} == {"graded"} and len(got) == 4
    assert {g.info["ray_node"] for g in got.values()} == {GOOD}
    assert ("check_node", "d" * 56) not in fake.calls and ("run_job", BAD) not in fake.calls
    assert executor.refused == {BAD: LAYER2} and executor.accepted == {GOOD: 2}
    assert "bubblewrap" in executor.notices[0].fr and "bubblewrap" in executor.notices[0].en


def test_a_node_refusing_later_hands_its_submission_to_another(setup):
    fake = FakeRay({LATE: 1, GOOD: 1})
    executor, got = _run(fake, setup, refuse_check=set(), refuse_job={LATE})
    assert len(got) == 4 and all(g.status == "graded" and g.info["ray_node"] == GOOD for g in got.values())
    assert LATE in executor.refused and LATE not in executor.accepted


def test_a_lost_node_costs_a_retry_elsewhere_not_a_result(setup):
    fake = FakeRay({LATE: 1, GOOD: 1})
    _, got = _run(fake, setup, refuse_check=set(), lose={LATE})
    assert len(got) == 4 and all(g.status == "graded" for g in got.values())


def test_no_node_able_to_grade_stops_the_run_before_any_grading(setup):
    fake = FakeRay({BAD: 2})
    with pytest.raises(ray_exec.NodesRefused) as caught:
        _run(fake, setup, refuse_check={BAD})
    assert isinstance(caught.value, UsageError)  # `grader run` exits 2 and prints it
    assert "aucun nœud du cluster Ray ne peut corriger" in caught.value.message.fr and "bubblewrap" in str(caught.value)
    assert "no node of the Ray cluster can grade" in caught.value.message.en
    assert not any(name == "run_job" for name, _ in fake.calls)


def test_when_every_node_refuses_along_the_way_the_rest_is_lost_not_an_error(setup):
    fake = FakeRay({LATE: 1})
    _, got = _run(fake, setup, refuse_check=set(), refuse_job={LATE})
    assert len(got) == 4 and {g.status for g in got.values()} == {LOST}  # left to the next run
