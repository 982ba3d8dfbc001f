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
import threading
from pathlib import Path

import pytest
from conftest import by_student, question_scores, reference_text, with_cell, write_class

from grader import ROOT
from grader.grading import grade
from grader.model import Status
from grader.notebooks import render, student_notebook
from grader.runner.sandbox import plan

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
        "read_reference": ({2}, f"try:\n    text = open({str(ROOT / 'reference/tp-tenseurs.py')!r}).read()\n"
                                f"    {leak.format(what='reference')}\nexcept OSError as e:\n    print('blocked', e)", 20),
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
        "html_injection": ({0}, "print('<script>document.title=\"PWNED\"</script>\\x1b[31mrouge\\x1b[0m')\n"
                                "raise ValueError('<img src=x onerror=alert(1)>')", 20),
    }


@pytest.fixture(scope="module")
def attack(tmp_path_factory):
    root = tmp_path_factory.mktemp("adversarial")
    server, port = _listener()
    paths = {"class": root / "class", "out": root / "out", "marker": root / "pickled-by-judge"}
    table = cases(port, paths)
    entries: dict[str, str] = {f"{name}.py": with_cell(REF, cell) for name, (_, cell, _) in table.items()}
    stub = json.loads(render(student_notebook("tp-tenseurs")))
    stub["metadata"]["grader"]["assignment"] = "tp-gradient"  # tampered metadata
    code = [c for c in stub["cells"] if c["cell_type"] == "code"]
    for cell, src in zip(code, [s for s in REF.split("# %%")[1:] if not s.startswith(" [markdown]")], strict=False):
        cell["source"] = "\n".join(x for x in src.splitlines() if "SOLUTION" not in x and "STUB:" not in x)
    entries["metadata_tampering.ipynb"] = json.dumps(stub)
    entries["legit_tmp_and_shm.py"] = with_cell(REF, "import multiprocessing, tempfile\n"
                                                  "with tempfile.NamedTemporaryFile(dir='/tmp') as f:\n"
                                                  "    f.write(b'x')\n    print('TMP OK')\n"
                                                  "multiprocessing.Lock()\nprint('LOCK OK')")
    write_class(paths["class"], entries)
    folder = paths["class"] / "symlinks"  # a folder submission pointing at secrets
    folder.mkdir()
    (folder / "main.py").write_text(with_cell(REF, "for p in ('shadow', 'ref'):\n    try:\n        open(p).read()\n"
                                                   "        print('LEAKED', p)\n    except OSError as e:\n"
                                                   "        print('blocked', p, e)"))
    os.symlink("/etc/shadow", folder / "shadow")
    os.symlink(ROOT / "reference" / "tp-tenseurs.py", folder / "ref")
    before = {p.name: p.read_bytes() for p in paths["class"].glob("*.py")}
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


def _layers_stop(layers: set[int]) -> bool:
    return bool(layers & set(PLAN.layers))


@pytest.mark.parametrize("name", sorted(cases(0, {"class": Path("c"), "out": Path("o"), "marker": Path("m")})))
def test_attack_is_contained(attack, name):
    run, table, paths, _ = attack
    layers, _, expected = table[name]
    if not _layers_stop(layers):
        pytest.skip(f"needs sandbox layer {sorted(layers)}; active here: {PLAN.layers}")
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
    assert r.score == 20 and any("tp-gradient" in e for e in r.errors)


def test_the_run_survived_and_reported_everyone(attack):
    run, table, paths, _ = attack
    data = json.loads((paths["out"] / "results.json").read_text())
    # the table's attacks, plus metadata_tampering, the symlinks folder and legit_tmp_and_shm
    assert len(data["submissions"]) == len(table) + 3
