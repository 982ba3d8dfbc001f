"""The observer of the student's kernel answers every observation as the grader's runner does.

The same cells run once in a real runner (`RunnerSession`, the judge's `Observer`) and once in a
namespace of this process (`KernelObserver`); every operation a check may use is asked of both,
and the answers (values as plain data, or the failure's status and words) must be the same.
"""

from __future__ import annotations

import importlib.util
import signal
import sys

import numpy as np
import pytest

from grader.judge.observe import Observer
from grader.judge.registry import CheckFailed
from grader.model import Status
from grader.runner.probes import values
from grader.runner.protocol import AsTensor, Opaque
from grader.runner.session import Limits, RunnerSession
from grader.selfcheck.kernel import KernelObserver, KernelSession

CELLS = [
    "import time\nimport numpy as np\nimport tensorflow as tf",
    "t = tf.constant([[1.0, 2.0], [3.0, 4.0]])\nv = tf.Variable([1.0, 2.0])\narr = np.arange(6).reshape(2, 3)",
    "class Thing:\n    def __repr__(self):\n        return '<Thing>'\nthing = Thing()\n"
    "items = {'a': [1, 2.5, 'x'], 'b': (t, None), 'c': thing}\n_private = 1",
    "def kind(x, scale=1):\n    return type(x).__name__\n\n"
    "def double(x):\n    return x * 2\n\n"
    "def broken(x):\n    raise ValueError('<b>bad</b> `tick` ' + str(x))\n\n"
    "def slow():\n    time.sleep(30)\n\n"
    "def uses_gradient(x):\n    with tf.GradientTape() as tape:\n        tape.watch(x)\n        y = x * x\n"
    "    return tape.gradient(y, x)",
]

#: (label, what to ask): each is asked of both observers
ASKS = [
    ("tensor", lambda o: o.value("t")),
    ("tensor kept", lambda o: o.value("t", tensors=True)),
    ("variable kept", lambda o: o.value("v", tensors=True)),
    ("array", lambda o: o.value("arr")),
    ("nested", lambda o: o.value("items")),
    ("opaque", lambda o: o.value("thing")),
    ("missing", lambda o: o.value("nothing")),
    ("private", lambda o: o.value("_private")),
    ("describe", lambda o: o.describe("double")),
    ("has", lambda o: (o.has("t"), o.has("nothing"))),
    ("input as tensor", lambda o: o.call("kind", AsTensor(np.ones(2)), scale=AsTensor(np.ones(1)))),
    ("input as array", lambda o: o.call("kind", np.ones(2))),
    ("input as variable", lambda o: o.call("kind", AsTensor(np.ones(2), variable=True))),
    ("answer kept as tensor", lambda o: o.call("double", AsTensor(np.ones(3)), tensors=True)),
    ("student error", lambda o: o.call("broken", 3)),
    ("not a function", lambda o: o.call("thing")),
    ("timeout", lambda o: o.call("slow", timeout=1)),
    ("spied", lambda o: o.call_spied("uses_gradient", AsTensor(np.ones(2)),
                                     spy=("tensorflow:GradientTape.gradient",))),
    ("run", lambda o: o.run(values.numeric_array, "arr")),
    ("run type", lambda o: o.run(values.type_of, "t")),
    ("probe", lambda o: o.probe("result = ns['arr'].sum() + k", k=10)),
]


def _plain(value):
    """A comparable form of an answer: arrays as (dtype, shape, values), AsTensor and Opaque by content."""
    if isinstance(value, np.ndarray):
        return ("ndarray", str(value.dtype), value.shape, value.tolist())
    if isinstance(value, AsTensor):
        return ("AsTensor", value.kind, _plain(value.array))
    if isinstance(value, Opaque):
        return ("Opaque", value.type_name, value.text)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_plain(v) for v in value)
    return value


def _answer(observer, ask):
    try:
        return "value", _plain(ask(observer))
    except CheckFailed as e:
        return "failed", e.status, e.message.fr, e.message.en


@pytest.fixture(scope="module")
def both():
    runner = RunnerSession(CELLS, None, Limits(cell_timeout=60, call_timeout=20, grace=2))
    records = runner.run_cells()
    assert all(r.status is Status.PASSED for r in records), [(r.index, r.error) for r in records]
    ns: dict = {"__name__": "__main__"}  # as a kernel's user_ns
    for cell in CELLS:
        exec(cell, ns)
    kernel = KernelObserver(KernelSession(ns, call_timeout=20))
    yield Observer(runner), kernel
    kernel.close()
    runner.close()


@pytest.mark.parametrize("label", [label for label, _ in ASKS])
def test_the_kernel_answers_as_the_runner(both, label):
    ask = dict(ASKS)[label]
    judge, kernel = both
    expected = _answer(judge, ask)
    assert _answer(kernel, ask) == expected
    if label == "student error":  # the student's words stay a code span, as under the grader
        assert expected[1] is Status.ERROR and "`ValueError: <b>bad</b> 'tick' 3`" in expected[2]
    if label in ("missing", "private"):
        assert expected[1] is Status.MISSING
    if label == "timeout":
        assert expected[1] is Status.TIMEOUT
    if label == "tensor kept":
        assert expected[1][0] == "AsTensor"


def test_the_clean_room_is_an_empty_namespace(both):
    _, kernel = both
    room = kernel.clean_room()
    assert room is kernel.clean_room() and not room.has("t") and kernel.has("t")
    assert room.probe("result = sorted(k for k in ns if not k.startswith('__'))") == []


def test_the_kernel_keeps_its_own_alarm_handler_and_output(both):
    _, kernel = both

    def mine(signum, frame):
        pass

    before = signal.signal(signal.SIGALRM, mine)
    out = sys.stdout
    try:
        kernel.call("double", 2)
        with pytest.raises(CheckFailed):
            kernel.call("slow", timeout=1)
        assert signal.getsignal(signal.SIGALRM) is mine and sys.stdout is out
    finally:
        signal.signal(signal.SIGALRM, before)


def test_a_tps_own_probe_module_is_used_as_imported(tmp_path):
    """Under the grader its source is shipped to the runner; here it is this process's module, kept as
    it is (rebuilt under the same name, the checks' references to it would no longer be its functions)."""
    path = tmp_path / "probes.py"
    path.write_text("def twice(ns, name):\n    return ns[name] * 2\n", encoding="utf-8")
    spec = importlib.util.spec_from_file_location("grader_selfcheck_test_probes", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    try:
        obs = KernelObserver(KernelSession({"x": 21}))
        try:
            assert obs.run(module.twice, "x") == 42 and obs.run(module.twice, "x") == 42
            assert sys.modules[spec.name] is module
        finally:
            obs.close()
    finally:
        del sys.modules[spec.name]


KERAS_SCRIPT = r"""
import json, sys, tempfile
from pathlib import Path
from grader.assignments import load
from grader.authoring.release import release
from grader.grading import prepare
from grader.notebooks import split_cells, student_notebook
from grader.runner import patches
from grader.selfcheck import api
from grader.selfcheck.check_cells import is_selfcheck_cell

tp, reference = sys.argv[1], Path(sys.argv[2]).read_text(encoding="utf-8")
out = Path(tempfile.mkdtemp())
release(Path(sys.argv[3]) / tp, out, student_kit=False)
_, limits, _ = prepare(load(tp).assignment)  # the grader's budget and dataset copy: a short fit, offline
patches.install({"budget": limits.budget, "datasets": limits.datasets}, Path(tempfile.mkdtemp()))
stub_cells = ["".join(c["source"]) for c in student_notebook(tp)["cells"] if c["cell_type"] == "code"]
answers = {}
for name, cells in (("stub", stub_cells), ("reference", [s for k, s in split_cells(reference) if k == "code"])):
    ns = {"__name__": "__main__"}
    for source in cells:
        if not is_selfcheck_cell(source):
            try:
                exec(source, ns)
            except Exception:
                pass
    api.init(tp, bundle=out)
    answers[name] = [(r.name, r.status.value) for r in api.run(None, namespace=ns).results]
print("ANSWERS" + json.dumps(answers))
"""


@pytest.mark.slow
def test_a_keras_tps_public_checks_in_the_kernel_as_under_the_grader(tmp_path):
    """Model descriptions, compile settings, `fit` histories: tp-mnist-dense's public checks asked in
    one process (a subprocess: the grader's `fit` cap is installed there, never in this test process)
    give the statuses `grader check` gives, on the stub and on the reference."""
    import json
    import subprocess

    from conftest import REPO, write_class

    from grader.grading import grade
    from grader.notebooks import render, student_notebook

    tp = "tp-mnist-dense"
    r = subprocess.run([sys.executable, "-c", KERAS_SCRIPT, tp, str(REPO / "reference" / f"{tp}.py"),
                        str(REPO / "assignments")], capture_output=True, text=True, timeout=600, cwd=tmp_path)
    assert r.returncode == 0, r.stderr[-3000:]
    in_kernel = {k: [tuple(x) for x in v] for k, v in json.loads(r.stdout.split("ANSWERS", 1)[1]).items()}
    folder = write_class(tmp_path / "class", {"stub.ipynb": render(student_notebook(tp)),
                                              "reference.py": (REPO / "reference" / f"{tp}.py").read_text()})
    run = grade(folder, assignment=tp, out=tmp_path / "out", public_only=True, workers=1)
    graded = {res.student: [(c.name, c.status.value) for q in res.questions for c in q.checks] for res in run.results}
    order = [n for n, _ in in_kernel["reference"]]
    for who in ("stub", "reference"):
        assert sorted(graded[who]) == sorted(in_kernel[who]), who
    assert len(order) == 13 and {s for _, s in in_kernel["reference"]} == {"passed"}
    assert {s for _, s in in_kernel["stub"]} - {"passed"} and "grader-error" not in {s for _, s in in_kernel["stub"]}


def test_interrupting_the_kernel_stops_the_self_check():
    """Under the grader a KeyboardInterrupt is the student's code's error; in the kernel it is the
    student pressing stop: the whole self-check stops, not just the current observation."""
    import os
    import threading

    ns = {"__name__": "__main__"}
    exec("import time\ndef slow():\n    time.sleep(20)", ns)
    obs = KernelObserver(KernelSession(ns))
    timer = threading.Timer(0.5, lambda: os.kill(os.getpid(), signal.SIGINT))
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            obs.call("slow")
    finally:
        timer.cancel()
        obs.close()
