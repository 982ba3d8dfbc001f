"""Warm runners: the same results as cold ones, big ops and `fit` finish, nothing leaks from one
child to the next, a dead fork server costs the student nothing."""

from __future__ import annotations

import os
import signal
import threading
import time

import pytest
from conftest import by_student, question_scores, reference_text, write_class

from grader.grading import grade
from grader.model import Message, Status
from grader.runner.sandbox import plan
from grader.runner.session import Limits, RunnerSession
from grader.runner.warm.pool import WarmPool, use_starter, warm_unavailable

PLAN = plan("auto")
WHY = warm_unavailable(PLAN)
pytestmark = pytest.mark.skipif(WHY is not None, reason=WHY.en if WHY else "")
LIMITS = Limits(cell_timeout=120, grace=5, wall_timeout=400, call_timeout=30)


@pytest.fixture(scope="module")
def pool():
    with WarmPool(PLAN, slots=1) as p:
        p.server().ready.wait(300)  # its TensorFlow import done: not competing with the tests' cold runners
        yield p


def session(cells, pool, limits=LIMITS):
    return RunnerSession(cells, None, limits, PLAN, starter=pool.starter() if pool is not None else None)


def _warm(s: RunnerSession) -> bool:
    return bool(getattr(s.runner, "warm", False))


DRAWS = ("import random, numpy as np, tensorflow as tf, keras\n"
         "draws = [random.random(), float(np.random.rand()), float(tf.random.uniform(()))]\n"
         "layer_name = keras.layers.Dense(1).name\n"
         "custom = sorted(keras.saving.get_custom_objects())")


@pytest.mark.parametrize("assignment", ["tp-tenseurs",  # tp-mnist-dense trains a model: the slow tier
                                        pytest.param("tp-mnist-dense", marks=pytest.mark.slow)])
def test_reference_gets_the_same_results_warm_and_cold(tmp_path, pool, assignment):
    folder = write_class(tmp_path / "class", {"ref.py": reference_text(assignment)})
    roomy = {"cell_timeout": 300, "wall_timeout": 1200}  # a loaded machine: TensorFlow's cold import
    cold = by_student(grade(folder, assignment=assignment, out=tmp_path / "cold", limits=roomy, warm=False))["ref"]
    with use_starter(pool.starter()):
        warm = by_student(grade(folder, assignment=assignment, out=tmp_path / "warm", limits=roomy))["ref"]
    assert cold.totals.auto == cold.totals.auto_max, [(c.status, c.error) for c in cold.cells]  # written: pending
    assert question_scores(warm) == question_scores(cold)
    assert warm.score == cold.score == cold.totals.auto_max
    assert [(c.status, c.error) for c in warm.cells] == [(c.status, c.error) for c in cold.cells]
    # a progress bar prints times and whichever batches it reached when it redrew: not comparable
    assert [c.output for c in warm.cells if "/step" not in c.output] == [c.output for c in cold.cells
                                                                         if "/step" not in c.output]
    checks = lambda r: [(c.name, c.status, c.message.fr, c.measures) for q in r.questions for c in q.checks]  # noqa: E731
    assert checks(warm) == checks(cold)


def test_seeds_and_keras_state_match_a_cold_runner(pool):
    """The same first random numbers (Python after TensorFlow's import, numpy, TensorFlow) and a
    fresh Keras (layer names, custom objects) as a cold runner, in every warm child."""
    got = []
    for starter in (None, pool, pool):
        with session([DRAWS], starter) as s:
            assert s.run_cells()[0].status is Status.PASSED
            got.append((s.observe("get", name="draws")[0], s.observe("get", name="layer_name")[0],
                        s.observe("get", name="custom")[0], _warm(s)))
    assert [g[3] for g in got] == [False, True, True]
    assert got[0][:3] == got[1][:3] == got[2][:3]
    assert got[0][1] == "dense" and got[0][2] == []


def test_big_matmul_and_fit_finish_in_a_warm_child(pool):
    cells = ["import numpy as np, tensorflow as tf, keras",
             "x = tf.random.uniform((1500, 1500))\ntotal = float(tf.reduce_sum(x @ x))",
             "model = keras.Sequential([keras.Input((20,)), keras.layers.Dense(32, activation='relu'),"
             " keras.layers.Dense(1)])\nmodel.compile('adam', 'mse')\n"
             "h = model.fit(np.random.rand(512, 20), np.random.rand(512, 1), epochs=2, batch_size=32, verbose=0)\n"
             "losses = [float(v) for v in h.history['loss']]"]
    start = time.monotonic()
    with session(cells, pool, Limits(cell_timeout=90, grace=5, wall_timeout=200)) as s:
        records = s.run_cells()
        assert _warm(s)
        assert [r.status for r in records] == [Status.PASSED] * 3, [(r.status, r.error) for r in records]
        assert s.observe("get", name="total")[0] > 0
        assert len(s.observe("get", name="losses")[0]) == 2
    assert time.monotonic() - start < 180


LEAVE = ("import os, subprocess, ctypes, random, numpy as np, keras\n"
         "secret = 'A-was-here'\n"
         "open('/tmp/a-file', 'w').write(secret)\nopen('/dev/shm/a-shm', 'w').write(secret)\n"
         "sleeper = subprocess.Popen(['sleep', '60', 'A-was-here'])\n"
         "shm_id = ctypes.CDLL(None).shmget(4242, 4096, 0o1666)\n"
         "random.seed(99); np.random.seed(99); random.random(); np.random.rand(100)\n"
         "keras.layers.Dense(1); keras.layers.Dense(1)\n"
         "keras.saving.get_custom_objects()['Mine'] = object")
LOOK = ("import os, ctypes\n"
        "seen = {'global': 'secret' in globals(), 'tmp': sorted(os.listdir('/tmp')),\n"
        "        'shm': sorted(os.listdir('/dev/shm')), 'sysv': ctypes.CDLL(None).shmget(4242, 4096, 0o666) != -1}\n"
        "procs = []\n"
        "for p in filter(str.isdigit, os.listdir('/proc')):\n"
        "    try:\n        procs.append(open(f'/proc/{p}/cmdline', 'rb').read())\n    except OSError:\n        pass\n"
        "seen['process'] = any(b'A-was-here' in c for c in procs)\n"
        "seen['pids'] = sorted(int(p) for p in filter(str.isdigit, os.listdir('/proc')))")


def test_a_student_sees_nothing_of_the_previous_one(pool):
    """A leaves globals, files in /tmp and /dev/shm, a live process, SysV shared memory, a reseeded RNG
    and Keras state; B, forked while A still runs, sees none of it and gets the fresh seeds."""
    with session([LEAVE], pool) as a:
        assert a.run_cells()[0].status is Status.PASSED and _warm(a)
        assert a.observe("get", name="shm_id")[0] != -1
        with session([LOOK, DRAWS], pool) as b:
            assert [r.status for r in b.run_cells()] == [Status.PASSED] * 2 and _warm(b)
            seen = b.observe("get", name="seen")[0]
            draws = b.observe("get", name="draws")[0]
            assert (b.observe("get", name="layer_name")[0], b.observe("get", name="custom")[0]) == ("dense", [])
    assert seen["global"] is False and seen["process"] is False and seen["sysv"] is False, seen
    assert seen["tmp"] == [os.path.basename(os.path.dirname(b.root / "x"))] and seen["shm"] == [], seen
    assert seen["pids"] == [1, 2], seen  # its init and itself
    with session([DRAWS], None) as cold:
        cold.run_cells()
        assert cold.observe("get", name="draws")[0] == draws


def test_a_dead_fork_server_is_replaced_and_the_cell_run_again(pool):
    """The server dies in the middle of a cell: that runner dies with it; the session resumes on a
    new server (replaying the cells), the cell passes, and no restart is counted against the student."""
    cells = ["x = 41", "import time\ntime.sleep(6)\ny = x + 1"]
    with session(cells, pool) as s:
        server = pool.server()
        before = pool.replaced
        killer = threading.Timer(2.0, lambda: os.kill(server.info["pid"], signal.SIGKILL))
        killer.start()
        records = s.run_cells()
        killer.join()
        assert [r.status for r in records] == [Status.PASSED, Status.PASSED], [(r.status, r.error) for r in records]
        assert s.observe("get", name="y")[0] == 42
        assert s.restarts == 0 and s.lost_servers == 1
        assert pool.replaced == before + 1 and _warm(s)


def test_a_student_crash_is_still_the_students(pool):
    with session(["x = 1", "import os\nos.kill(os.getpid(), 9)", "y = x + 1"], pool) as s:
        records = s.run_cells()
        assert [r.status for r in records] == [Status.PASSED, Status.CRASH, Status.PASSED]
        assert "SIGKILL" in records[1].error.en and s.restarts == 1 and s.lost_servers == 0


def test_no_warm_server_means_a_cold_runner():
    with WarmPool(PLAN, slots=1) as broken:
        broken.reason = Message("cassé", "broken")
        with session(["import sys\nv = sys.version_info[0]"], broken) as s:
            assert s.run_cells()[0].status is Status.PASSED
            assert s.observe("get", name="v")[0] == 3 and not _warm(s) and "broken" in s.runner.fallback
