"""Adversarial corpus: real submissions attacking the grader, each with the outcome it must get.

Every case is the tp-tenseurs reference plus one hostile cell (or a hostile variant), graded in
one run with `--sandbox auto`. A case that only a privileged layer can stop runs where that
layer is active (CI runs as root with bubblewrap: all of them) and is skipped elsewhere.
More cases (sys.exit, os._exit with fake results, output flood, daemon, segfault, numpy
monkeypatching, corrupt files) live in test_tp_tenseurs.py.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import threading
from pathlib import Path

import pytest
from conftest import REPO, by_student, question_scores, reference_text, with_cell, write_class

from grader.grading import grade
from grader.model import Status
from grader.notebooks import render, student_notebook
from grader.reports.document import text
from grader.runner.process import cold_starter
from grader.runner.sandbox import NPROC, plan
from grader.runner.warm.pool import WarmPool, use_starter, warm_unavailable

REF = reference_text("tp-tenseurs")
PLAN = plan("auto")
SALT = "s3cr3t-salt-for-tests"


def _listener() -> tuple[socket.socket, int]:
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    threading.Thread(target=lambda: [server.accept() for _ in range(8)], daemon=True).start()
    return server, server.getsockname()[1]


# name -> (layers that can stop it (any of), hostile cell, expected score)
def cases(port: int, paths: dict[str, Path]) -> dict[str, tuple[set[int], str, float]]:
    leak = "print('LEAKED', {what!r})"
    return {
        "net_connect": ({1, 2}, f"import socket\ntry:\n    socket.create_connection(('127.0.0.1', {port}), timeout=3)\n"
                                f"    {leak.format(what='net')}\nexcept OSError as e:\n    print('blocked', e)", 20),
        "read_reference": ({2}, f"try:\n    text = open({str(REPO / 'reference/tp-tenseurs.py')!r}).read()\n"
                                f"    {leak.format(what='reference')}\nexcept OSError as e:\n    print('blocked', e)", 20),
        # the built-in course ships inside the grader package, which the runner imports
        "read_packaged_reference": ({2}, "try:\n    import grader, pathlib\n    text = (pathlib.Path(grader.__file__)"
                                         ".parent / 'resources' / 'reference' / 'tp-tenseurs.py').read_text()\n"
                                         f"    {leak.format(what='reference')}\nexcept OSError as e:\n"
                                         "    print('blocked', e)", 20),
        "read_gradebook": ({1, 2}, f"try:\n    open({str(paths['out'] / 'gradebook.sqlite')!r}, 'rb').read(100)\n"
                                   f"    {leak.format(what='gradebook')}\nexcept OSError as e:\n    print('blocked', e)", 20),
        "proc_environ": ({1, 2}, "import os\nfound = []\nfor pid in filter(str.isdigit, os.listdir('/proc')):\n"
                                 "    try:\n        if b'SALT' in open(f'/proc/{pid}/environ', 'rb').read():\n"
                                 "            found.append(pid)\n    except OSError:\n        pass\n"
                                 f"if found:\n    {leak.format(what='environ')}", 20),
        "kill_grader": ({1, 2}, "import os, signal\nfor pid in filter(str.isdigit, os.listdir('/proc')):\n"
                                "    try:\n        cmd = open(f'/proc/{pid}/cmdline', 'rb').read()\n"
                                "        if (b'pytest' in cmd or b'grader' in cmd) and int(pid) != os.getpid():\n"
                                "            os.kill(int(pid), signal.SIGKILL)\n    except OSError:\n        pass", 20),
        "kill_everything": ({1}, "import os, signal\ntry:\n    os.kill(-1, signal.SIGKILL)\nexcept OSError as e:\n"
                                 "    print('blocked', e)", 20),
        "vandalise_others": ({1, 2}, f"import os\nfor p in os.listdir({str(paths['class'])!r}):\n    try:\n"
                                     f"        open(os.path.join({str(paths['class'])!r}, p), 'w').write('x = 1')\n"
                                     f"        {leak.format(what='vandal')}\n    except OSError:\n        pass", 20),
        "fork_bomb": ({1}, "import os, time\nn = 0\ntry:\n    for _ in range(20000):\n        if os.fork() == 0:\n"
                           "            time.sleep(2)\n            os._exit(0)\n        n += 1\n"
                           f"    {leak.format(what='fork')}\nexcept OSError as e:\n    print('stopped after', n, e)\n"
                           "time.sleep(3)", 20),
        "memory_bomb": ({0}, "import numpy as np\nchunks = []\nwhile True:\n    chunks.append(np.ones(10**8))", 20),
        "disk_filling": ({0}, "import os\nfor i in range(50):\n    with open(f'fill{i}.bin', 'wb') as f:\n"
                              "        f.write(os.urandom(50 * 2**20))", 20),
        "big_file": ({0}, "with open('big.bin', 'wb') as f:\n    for _ in range(40):\n"
                          "        f.write(b'0' * (32 * 2**20))", 20),
        "deep_recursion": ({0}, "import sys\nsys.setrecursionlimit(10**7)\ndef f(n):\n    return f(n + 1)\nf(0)", 20),
        "sleep_and_input": ({0}, "try:\n    input('? ')\nexcept EOFError:\n    print('stdin is empty')\n"
                                 "import time\ntime.sleep(1000)", 20),
        "pickle_bomb_answer": ({0}, f"class Evil:\n    def __reduce__(self):\n"
                                    f"        return (open, ({str(paths['marker'])!r}, 'w'))\n"
                                    "def tensor_stats(t):\n    return Evil()", 17),
        "gc_hunting": ({0}, "import gc, numpy as np\ndef tensor_stats(t):\n"
                            "    arrays = [o for o in gc.get_objects() if isinstance(o, np.ndarray) and o.size == 4]\n"
                            "    return tuple(arrays[-1]) if arrays else (0, 0, 0, 0)", 17),
        "hard_coded_answers": ({0}, "def tensor_stats(t):\n    return (-2.1, 2.3, 0.01, 1.02)", 17),
        # behaving differently once graded can only cost the student: verdicts come from what runs here
        "detect_grader": ({0}, "import os, sys\ngraded = any('grader' in m for m in sys.modules) or 'MPLBACKEND' in os.environ\n"
                               "if graded:\n    def tensor_stats(t):\n        return (0.0, 0.0, 0.0, 0.0)", 17),
        "unittest_patched": ({0}, "import unittest\nunittest.TestCase.assertEqual = lambda *a, **k: None\n"
                                  "unittest.TestCase.assertTrue = lambda *a, **k: None\n"
                                  "def tensor_stats(t):\n    return (1, 2, 3, 4)", 17),
        # what the grader reads back from the runner (grader.runner.exchange, grader.runner.protocol)
        "fifo_figure": ({0}, "import os, pathlib\nex = pathlib.Path(os.environ['MPLCONFIGDIR']).parent\n"
                             "for i in range(3):\n    os.mkfifo(ex / f'fig-{i:03d}.png')\n"
                             "os.mkfifo(ex / 'out-99-1.npy')", 20),
        "exchange_swap": ({0}, "import os, pathlib\nex = pathlib.Path(os.environ['MPLCONFIGDIR']).parent\n"
                               "os.rename(ex, ex.with_name('elsewhere'))\n"
                               f"os.symlink({str(paths['marker'].parent / 'victim')!r}, ex)", 20),
        "huge_reply": ({0}, "import numpy as np, grader.runner.protocol as wire\n_encode = wire.Encoder.encode\n"
                            "class Big:\n    pass\n"
                            "def encode(self, obj, depth=0):\n    if isinstance(obj, Big):\n"
                            "        ref = self._array(np.zeros(32 * 1024))\n"
                            "        return {'list': [ref] * 400_000}\n    return _encode(self, obj, depth)\n"
                            "wire.Encoder.encode = encode\ndef tensor_stats(t):\n    return Big()", 17),
        "html_injection": ({0}, "print('<script>document.title=\"PWNED\"</script>\\x1b[31mrouge\\x1b[0m')\n"
                                "raise ValueError('<img src=x onerror=alert(1)>')", 20),
    }


def _layers_stop(needs: set[int], active=PLAN.layers) -> bool:
    """Whether one of the `active` layers stops a case that any of `needs` contains."""
    return bool(needs & set(active))


def contained(table: dict[str, tuple[set[int], str, float]], layers) -> dict[str, tuple[set[int], str, float]]:
    """The cases that one of the active layers stops: only these are ever written, let alone run."""
    return {name: case for name, case in table.items() if _layers_stop(case[0], layers)}


def _marked(cell: str, marker_dir: Path | None, name: str) -> str:
    """The hostile cell, first leaving a marker file that proves its code ran (when asked to)."""
    if marker_dir is None:
        return cell
    return f"open({str(marker_dir / name)!r}, 'w').close()\n{cell}"


def write_attacks(folder: Path, table: dict[str, tuple[set[int], str, float]], layers,
                  marker_dir: Path | None = None) -> list[str]:
    """The class of hostile submissions for `layers`: cases no active layer stops are left out."""
    chosen = contained(table, layers)
    write_class(folder, {f"{name}.py": with_cell(REF, _marked(cell, marker_dir, name))
                         for name, (_, cell, _) in chosen.items()})
    return sorted(chosen)


@pytest.fixture(scope="module", params=[pytest.param("cold", marks=pytest.mark.slow), "warm"])
def attack(tmp_path_factory, request):
    """The corpus graded once on cold runners, once on warm ones (forked from a fork server).

    Warm is what `grader run` uses and runs by default; cold (the fallback and `--no-warm`), whose
    every runner imports TensorFlow again, is the slow tier `.ci/run` runs (`-m slow`)."""
    if request.param == "warm" and (why := warm_unavailable(PLAN)) is not None:
        pytest.skip(f"warm runners unavailable: {why.en}")
    pool = WarmPool(PLAN, slots=2) if request.param == "warm" else None
    try:
        with use_starter(pool.starter() if pool else cold_starter):
            yield _attack(tmp_path_factory)
        if pool is not None:
            assert pool.reason is None and pool.started >= len(contained(cases(0, {"class": Path("c"), "out": Path(
                "o"), "marker": Path("m")}), PLAN.layers)), (pool.reason, pool.started)
    finally:
        if pool is not None:
            pool.close()


def _attack(tmp_path_factory):
    root = tmp_path_factory.mktemp("adversarial")
    server, port = _listener()
    paths = {"class": root / "class", "out": root / "out", "marker": root / "pickled-by-judge"}
    table = cases(port, paths)
    write_attacks(paths["class"], table, PLAN.layers)
    entries: dict[str, str] = {}
    stub = json.loads(render(student_notebook("tp-tenseurs")))
    stub["metadata"]["grader"]["assignment"] = "tp-gradient"  # tampered metadata
    code = [c for c in stub["cells"] if c["cell_type"] == "code" and not c["id"].startswith("selfcheck-")]
    for cell, src in zip(code, [s for s in REF.split("# %%")[1:] if not s.startswith(" [markdown]")], strict=False):
        cell["source"] = "\n".join(x for x in src.splitlines() if "SOLUTION" not in x and "STUB:" not in x)
    entries["metadata_tampering.ipynb"] = json.dumps(stub)
    entries["legit_tmp_and_shm.py"] = with_cell(REF, "import multiprocessing, tempfile\n"
                                                  "with tempfile.NamedTemporaryFile(dir='/tmp') as f:\n"
                                                  "    f.write(b'x')\n    print('TMP OK')\n"
                                                  "multiprocessing.Lock()\nprint('LOCK OK')")
    write_class(paths["class"], entries)
    if 2 in PLAN.layers:  # a folder submission pointing at secrets: only Layer 2 hides the reference
        folder = paths["class"] / "symlinks"
        folder.mkdir()
        (folder / "main.py").write_text(with_cell(REF, "for p in ('shadow', 'ref'):\n    try:\n        open(p).read()\n"
                                                       "        print('LEAKED', p)\n    except OSError as e:\n"
                                                       "        print('blocked', p, e)"))
        os.symlink("/etc/shadow", folder / "shadow")
        os.symlink(REPO / "reference" / "tp-tenseurs.py", folder / "ref")
    before = {p.name: p.read_bytes() for p in paths["class"].glob("*.py")}
    victim = root / "victim"  # where `exchange_swap` points its exchange folder: the grader must not touch it
    victim.mkdir()
    for name in ("in-3-1.npy", "out-5-1.npy", "fig-001.png"):
        (victim / name).write_bytes(b"precious " + name.encode())
    os.environ["GRADER_SALT"] = SALT
    try:
        run = grade(paths["class"], assignment="tp-tenseurs", out=paths["out"], workers=2, sandbox="auto",
                    limits={"cell_timeout": 20, "grace": 3, "memory_bytes": 3 << 30, "disk_bytes": 400 << 20,
                            "file_bytes": 200 << 20,
                            "wall_timeout": 300})
    finally:
        os.environ.pop("GRADER_SALT", None)
        server.close()
    return run, table, paths, before


@pytest.mark.parametrize("name", sorted(cases(0, {"class": Path("c"), "out": Path("o"), "marker": Path("m")})))
def test_attack_is_contained(attack, name):
    run, table, paths, _ = attack
    layers, _, expected = table[name]
    if not _layers_stop(layers):
        pytest.skip(f"not run (its code never executed): needs sandbox layer {sorted(layers)}; "
                    f"active here: {PLAN.layers}")
    r = by_student(run)[name]
    outputs = "\n".join(c.output for c in r.cells)
    assert "LEAKED" not in outputs, outputs[-2000:]
    assert r.status == "graded"
    assert r.score == expected, question_scores(r)
    assert r.info.get("sandbox_layers") == list(PLAN.layers)


def test_sandbox_keeps_what_legit_code_needs(attack):
    """Not an attack: /tmp, /dev/shm locks (multiprocessing, tf.data's thread pools) work under every layer."""
    r = by_student(attack[0])["legit_tmp_and_shm"]
    outputs = "\n".join(c.output for c in r.cells)
    assert "TMP OK" in outputs and "LOCK OK" in outputs, outputs[-2000:]
    assert r.score == 20


def test_resource_attacks_get_their_own_status(attack):
    run, _, _, _ = attack
    results = by_student(run)
    assert results["memory_bomb"].cells[-1].status is Status.MEMORY
    assert results["disk_filling"].cells[-1].status is Status.OUTPUT_LIMIT
    assert "File too large" in results["big_file"].cells[-1].error
    # a segfault, a RecursionError, the memory cap or the time-out, depending on how fast frames pile up
    assert results["deep_recursion"].cells[-1].status in (Status.CRASH, Status.ERROR, Status.MEMORY, Status.TIMEOUT)
    assert results["sleep_and_input"].cells[-1].status is Status.TIMEOUT
    assert "stdin is empty" in results["sleep_and_input"].cells[-1].output


def test_what_the_runner_hands_back_is_read_as_hostile_data(attack):
    """A FIFO named like a figure or an array, an exchange folder swapped for a link to a host folder,
    a reply that references one array 400 000 times: each costs at most that student's check."""
    run, _, paths, _ = attack
    results = by_student(run)
    assert results["fifo_figure"].score == 20 and results["exchange_swap"].score == 20
    victim = paths["marker"].parent / "victim"
    assert {p.name: p.read_bytes() for p in victim.iterdir()} == {
        name: b"precious " + name.encode() for name in ("in-3-1.npy", "out-5-1.npy", "fig-001.png")}
    huge = [c for q in results["huge_reply"].questions for c in q.checks if c.status is not Status.PASSED]
    assert huge and all(c.status is Status.OUTPUT_LIMIT for c in huge), [(c.name, c.status) for c in huge]
    assert any("trop volumineuse" in text(c.message, "fr") for c in huge)


def test_injected_html_is_escaped_in_the_report(attack):
    run, _, paths, _ = attack
    html = (paths["out"] / "reports" / "html_injection.html").read_text()
    assert "<script>document.title" not in html and "<img src=x" not in html
    assert "&lt;script&gt;" in html and "&lt;img src=x" in html
    assert "\x1b[" not in html


def test_judge_never_unpickles_an_answer(attack):
    _, _, paths, _ = attack
    assert not paths["marker"].exists()


def test_other_submissions_are_untouched(attack):
    _, _, paths, before = attack
    if not _layers_stop({1, 2}):
        pytest.skip("needs sandbox layer 1 or 2")
    assert {p.name: p.read_bytes() for p in paths["class"].glob("*.py")} == before


def test_symlinked_secrets_stay_secret(attack):
    run, _, _, _ = attack
    if 2 not in PLAN.layers:
        pytest.skip("needs sandbox layer 2")
    r = by_student(run)["symlinks"]
    assert r.score == 20 and "LEAKED" not in r.cells[-1].output and "blocked" in r.cells[-1].output


def test_metadata_tampering_changes_nothing(attack):
    run, _, _, _ = attack
    r = by_student(run)["metadata_tampering"]
    assert r.score == 20 and any("tp-gradient" in text(e, "fr") for e in r.errors)


def test_the_run_survived_and_reported_everyone(attack):
    run, table, paths, _ = attack
    data = json.loads((paths["out"] / "results.json").read_text())
    # the contained attacks, plus metadata_tampering, legit_tmp_and_shm and (Layer 2) the symlinks folder
    assert len(data["submissions"]) == len(contained(table, PLAN.layers)) + 2 + (2 in PLAN.layers)
    assert {s["student"] for s in data["submissions"]} >= set(contained(table, PLAN.layers))


def test_uncontained_attacks_never_run(tmp_path):
    """With Layers 1 and 2 forced off, the attacks only they stop are never written, so never run:
    a process of the test's own survives and their marker files do not exist (a contained case's
    marker does: the markers work)."""
    canary = subprocess.Popen(["sleep", "600"], start_new_session=True)
    try:
        markers = tmp_path / "markers"
        markers.mkdir()
        table = {name: case for name, case in cases(0, {"class": tmp_path / "c", "out": tmp_path / "o",
                                                         "marker": tmp_path / "m"}).items()
                 if name in ("kill_everything", "kill_grader", "fork_bomb", "hard_coded_answers")}
        written = write_attacks(tmp_path / "class", table, (0,), markers)
        assert written == ["hard_coded_answers"]
        with use_starter(cold_starter):  # a cold runner at Layer 0 sees the host's files (a warm child, as root,
            run = grade(tmp_path / "class", assignment="tp-tenseurs", out=tmp_path / "out", sandbox="off",
                        limits={"cell_timeout": 20, "wall_timeout": 120})  # its own mount namespace)
        assert [r.student for r in run.results] == ["hard_coded_answers"]
        assert sorted(p.name for p in markers.iterdir()) == ["hard_coded_answers"]
        assert canary.poll() is None, "a process outside the grading tree was killed"
    finally:
        canary.kill()
        canary.wait()


FORK_BOMB = ("import os, time\nborn = 0\ntry:\n    while True:\n        pid = os.fork()\n        if pid == 0:\n"
             "            try:\n                os.fork()\n            except OSError:\n                pass\n"
             "            time.sleep(4)\n            os._exit(0)\n        born += 1\nexcept OSError as e:\n"
             "    print('stopped after', born, type(e).__name__)\ntime.sleep(4)")


@pytest.mark.skipif(1 not in PLAN.layers, reason="not run (its code never executed): a fork bomb needs "
                                                  f"sandbox layer 1; active here: {PLAN.layers}")
def test_fork_bomb_leaves_the_other_student_alone(tmp_path):
    """Two workers, one fork bomb: each runner uid has its own RLIMIT_NPROC, so the other student's
    result is the one it gets beside a calm neighbour, and its time is of the same order."""
    limits = {"cell_timeout": 30, "wall_timeout": 240}
    calm = write_class(tmp_path / "calm", {"calm.py": REF, "neighbour.py": with_cell(REF, "import time\ntime.sleep(4)")})
    bomb = write_class(tmp_path / "bomb", {"calm.py": REF, "zbomb.py": with_cell(REF, FORK_BOMB)})
    base = by_student(grade(calm, assignment="tp-tenseurs", out=tmp_path / "o1", workers=2, limits=limits))
    hit = by_student(grade(bomb, assignment="tp-tenseurs", out=tmp_path / "o2", workers=2, limits=limits))
    bombed = hit["zbomb"].cells[-1]
    assert "stopped after" in bombed.output, bombed.output[-1000:]
    born = int(bombed.output.split("stopped after")[1].split()[0])
    assert born < NPROC, born
    assert hit["zbomb"].score == 20
    assert question_scores(hit["calm"]) == question_scores(base["calm"])
    assert [(c.status, c.error) for c in hit["calm"].cells] == [(c.status, c.error) for c in base["calm"].cells]
    assert hit["calm"].seconds < 2 * base["calm"].seconds + 10, (hit["calm"].seconds, base["calm"].seconds)
