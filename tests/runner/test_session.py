"""The runner for real (no TensorFlow: fast): cell semantics, limits, replay, observations.

Nothing is preloaded (`preload=()`): these cells need no TensorFlow, and a restart re-imports what
was preloaded; the one test about tensors imports it when its first tensor arrives."""

from __future__ import annotations

import numpy as np
import pytest

from grader.model import Status
from grader.runner.protocol import AsTensor, Opaque
from grader.runner.session import Limits, ObservationError, RunnerSession

FAST = Limits(preload=(), cell_timeout=2, grace=2, wall_timeout=60, call_timeout=5)


def run(cells, limits=FAST):
    session = RunnerSession(cells, None, limits)
    records = session.run_cells()
    return session, records


def test_cells_go_on_past_errors_and_exits():
    cells = ["a = 1", "1/0", "import sys; sys.exit(2)", "raise KeyboardInterrupt", "b = a + 1"]
    s, rec = run(cells)
    with s:
        assert [r.status for r in rec] == [Status.PASSED, Status.ERROR, Status.ERROR, Status.ERROR, Status.PASSED]
        assert "ZeroDivisionError" in rec[1].error and "cellule [2]" in rec[1].error
        assert "site-packages" not in rec[1].error  # trimmed to the student's frames
        assert s.observe("get", name="b")[0] == 2


def test_timeout_interrupts_the_cell_and_keeps_earlier_names():
    s, rec = run(["x = 41", "while True:\n    pass", "y = x + 1"])
    with s:
        assert rec[1].status is Status.TIMEOUT
        assert s.observe("get", name="y")[0] == 42
        assert s.restarts == 0


def test_a_cell_that_kills_its_process_is_skipped_on_replay():
    s, rec = run(["x = 1", "import os\nprint('20/20')\nos._exit(0)", "y = x + 1", "import os\nos.kill(os.getpid(), 9)",
                  "z = y + 1"])
    with s:
        assert rec[1].status is Status.CRASH and rec[3].status is Status.CRASH
        assert "SIGKILL" in rec[3].error.fr and "signal SIGKILL" in rec[3].error.en
        assert s.observe("get", name="z")[0] == 3
        assert s.restarts == 2


def test_shell_escapes_and_installs_are_reported_not_run(tmp_path):
    marker = tmp_path / "ran"
    s, rec = run([f"!touch {marker}\n%pip install numpy\nfiles = !ls", f"%%bash\ntouch {marker}", "%timeit -n1 -r1 1+1"])
    with s:
        assert not marker.exists()
        assert any("!touch" in n.fr for n in rec[0].notes) and any("%pip" in n.en for n in rec[0].notes)
        assert rec[1].status is Status.PASSED and rec[1].notes
        assert rec[2].status is Status.PASSED


def test_stdin_is_empty_and_output_is_capped():
    s, rec = run(["try:\n    input()\nexcept EOFError:\n    got_eof = True", "for _ in range(200000):\n    print('z' * 100)"])
    with s:
        assert s.observe("get", name="got_eof")[0] is True
        assert len(rec[1].output) < 20_000 and "omis" in rec[1].output


def test_figures_are_kept_headless():
    s, rec = run(["import matplotlib.pyplot as plt\nplt.plot([1, 2, 3])\nplt.show()\nplt.figure()\nplt.plot([3, 1])"])
    with s:
        assert rec[0].status is Status.PASSED
    assert len(s.figures) == 2 and all(f.startswith(b"\x89PNG") for f in s.figures)


def test_observations_are_plain_data():
    cells = ["import numpy as np\n"
             "class Liar(np.ndarray):\n    def __eq__(self, o): return True\n"
             "arr = np.arange(6.0).view(Liar)\n"
             "d = {'nd': 'out-1.npy', 'opaque': 1}\n"
             "class Always:\n    def __eq__(self, o): return True\n"
             "obj = Always()\n"
             "def double(v): return v * 2\n"
             "def boom(v): raise ValueError('non')\n"
             "def kind(v): return type(v).__name__"]
    s, _ = run(cells)
    with s:
        arr = s.observe("get", name="arr")[0]
        assert type(arr) is np.ndarray and arr.tolist() == [0, 1, 2, 3, 4, 5]
        assert s.observe("get", name="d")[0] == {"nd": "out-1.npy", "opaque": 1}
        assert isinstance(s.observe("get", name="obj")[0], Opaque)
        assert s.observe("call", name="double", args=(np.ones(3),))[0].tolist() == [2, 2, 2]
        assert s.observe("call", name="kind", args=([1, 2],))[0] == "list"
        with pytest.raises(ObservationError) as e:
            s.observe("call", name="boom", args=(1,))
        assert e.value.status is Status.ERROR and "ValueError" in e.value.message
        with pytest.raises(ObservationError) as e:
            s.observe("get", name="nothing_here")
        assert e.value.status is Status.MISSING


def test_call_that_hangs_times_out_and_the_session_goes_on():
    s, _ = run(["import time\ndef slow():\n    time.sleep(100)\nfast = 7"], Limits(preload=(), call_timeout=1, grace=2))
    with s:
        with pytest.raises(ObservationError) as e:
            s.observe("call", name="slow")
        assert e.value.status is Status.TIMEOUT
        assert s.observe("get", name="fast")[0] == 7


def test_tensor_inputs_need_tensorflow_only_when_asked():
    s, _ = run(["def shape_of(v): return list(v.shape)"])
    with s:
        assert s.observe("call", name="shape_of", args=(np.zeros((2, 3)),))[0] == [2, 3]
    assert AsTensor(np.zeros(2)).kind == "tensor"


def test_as_tensor_by_keyword_arrives_as_a_tensor_in_call_and_probe():
    """Keyword arguments (dict values) are converted like positional ones (list items)."""
    s, _ = run(["def kind(x=None, *, y=None):\n    v = x if y is None else y\n    return type(v).__module__"],
               Limits(preload=(), cell_timeout=30, grace=2, wall_timeout=240, call_timeout=60))  # the first tensor imports TF
    with s:
        positional = s.observe("call", name="kind", args=(AsTensor(np.ones(3)),))[0]
        keyword = s.observe("call", name="kind", kwargs={"y": AsTensor(np.ones(3))})[0]
        variable = s.observe("call", name="kind", kwargs={"x": AsTensor(np.ones(3), variable=True)})[0]
        plain = s.observe("call", name="kind", kwargs={"y": np.ones(3)})[0]
        probed = s.observe("probe", code="result = type(t).__name__ + ',' + type(a).__name__",
                           inputs={"t": AsTensor(np.ones(2)), "a": np.ones(2)})[0]
    assert positional.startswith("tensorflow") and keyword.startswith("tensorflow")
    assert variable.startswith("tensorflow") and plain == "numpy"
    tensor, array = probed.split(",")
    assert tensor != "ndarray" and array == "ndarray"


def test_a_call_that_kills_the_runner_costs_only_that_observation():
    s, _ = run(["import os\nkept = 5\ndef die():\n    os._exit(0)"])
    with s:
        with pytest.raises(ObservationError) as e:
            s.observe("call", name="die")
        assert e.value.status is Status.CRASH
        assert s.observe("get", name="kept")[0] == 5  # a fresh runner, cells replayed
        assert s.restarts == 1


def _processes_with(pattern: bytes) -> list[int]:
    import os

    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                if pattern in f.read():
                    found.append(int(pid))
        except OSError:
            continue
    return found


def test_no_student_process_survives_its_runner():
    cells = ["import os, subprocess\nsubprocess.Popen(['sleep', '7771'])\n"
             "if os.fork() == 0:\n    os.setsid()\n    if os.fork() == 0:\n        os.execvp('sleep', ['sleep', '7772'])\n"
             "    os._exit(0)", "import time\ntime.sleep(0.3)\nalive = True"]
    s, rec = run(cells)
    with s:
        assert s.observe("get", name="alive")[0] is True
        import time

        deadline = time.monotonic() + 10
        while not _processes_with(b"sleep\x007772") and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _processes_with(b"sleep\x007772"), "the daemon should run while its runner does"
    assert _processes_with(b"sleep\x007771") == [] and _processes_with(b"sleep\x007772") == []
    assert _ours(_processes_with(b"grader.runner")) == []


def _ours(pids: list[int]) -> list[int]:
    """Those descending from this test process (other test runs on the machine are not ours), less
    the warm pool's servers, kept for the next run, and their trees."""
    import os

    from grader.runner.warm.pool import server_pids

    def ancestors(pid: int) -> list[int]:
        chain = []
        while pid > 1:
            try:
                with open(f"/proc/{pid}/stat") as f:
                    pid = int(f.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                break
            chain.append(pid)
        return chain

    servers = server_pids()
    return [p for p in pids if os.getpid() in ancestors(p) and p not in servers and not servers & set(ancestors(p))]


def test_cpu_time_is_limited_apart_from_wall_time():
    s, rec = run(["x = 1", "while True:\n    pass"], Limits(preload=(), cell_timeout=30, grace=2, cpu_seconds=2))
    with s:
        assert rec[1].status is Status.TIMEOUT and "CPU" in rec[1].error.fr and "CPU time" in rec[1].error.en
        assert s.observe("get", name="x")[0] == 1


def _module_from(tmp_path, name: str, source: str):
    """A module of a course folder, imported in the judge under a package name outside `grader`."""
    import importlib.util
    import sys

    path = tmp_path / "probes.py"
    path.write_text(source, encoding="utf-8")
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def test_run_calls_runner_modules_by_name_and_ships_course_modules(tmp_path):
    from grader.judge.observe import Observer, runner_target
    from grader.judge.registry import CheckFailed
    from grader.runner.probes import values

    course = _module_from(tmp_path, "grader_assignment_demo_probes", (
        "import os\n"
        "from grader.runner.probes.values import number_map\n\n"
        "def doubled(ns, name, k=1):\n"
        "    return {'value': ns[name] * 2 * k, 'pid': os.getpid(), 'keys': number_map(ns, 'd')['keys']}\n\n"
        "def broken(ns):\n"
        "    return ns['f']()\n"))
    assert runner_target(values.number_map) == ("grader.runner.probes.values", "number_map", None)
    assert "def doubled" in runner_target(course.doubled)[2]  # the runner cannot read the course: shipped
    s, _ = run(["d = {'a': 1, 'b': [1, 2]}\nn = 21\ndef f():\n    raise ValueError('mine')"])
    with s:
        obs = Observer(s)
        assert obs.run(values.number_map, "d") == {"type": "dict", "items": {"a": 1.0, "b": {"size": 2}},
                                                   "keys": ["'a'", "'b'"]}
        first = obs.run(course.doubled, "n", k=2)
        assert first["value"] == 84 and first["keys"] == ["'a'", "'b'"]
        assert obs.run(course.doubled, "n")["pid"] == first["pid"] != __import__("os").getpid()
        with pytest.raises(CheckFailed) as e:
            obs.run(course.broken)
        assert e.value.status is Status.ERROR and "ValueError: mine" in e.value.details
        with pytest.raises(ObservationError) as unknown:  # our bug, never the student's
            s.observe("run", module="grader.runner.probes.values", function="nope")
        assert unknown.value.status is Status.GRADER_ERROR
        with pytest.raises(ObservationError) as outside:
            s.observe("run", module="os", function="getcwd")
        assert outside.value.status is Status.GRADER_ERROR
    with pytest.raises(TypeError):
        runner_target(lambda ns: None)
