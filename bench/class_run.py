"""Grade a class of 20 tp-tenseurs notebooks (good, wrong, looping, exiting, crashing, tampering, corrupt).

Prints per-submission time and the class wall time with 1 worker (baseline) and with N workers,
and checks that no student process survives. Usage: python bench/class_run.py [--workers 2]
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import tempfile
import time
from pathlib import Path

from grader.grading import grade
from grader.notebooks import reference_path, render, split_cells, student_notebook

EXTRA = {
    "loop": "while True:\n    pass",
    "exit": "import sys\nsys.exit(1)",
    "os_exit": "import os\nprint('20/20')\nos._exit(0)",
    "segfault": "import ctypes\nctypes.string_at(0)",
    "flood": "for _ in range(100000):\n    print('x' * 200)",
    "daemon": "import os\nif os.fork() == 0:\n    os.setsid()\n    os.execvp('sleep', ['sleep', '4242'])",
    "tamper": "import numpy as np\nnp.allclose = lambda *a, **k: True\nnormalized = batch",
    "plot": "import matplotlib.pyplot as plt\nplt.imshow(batch[0])\nplt.show()",
}


def notebook(extra: str | None = None, broken: bool = False) -> str:
    nb = student_notebook("tp-tenseurs")
    ref = [s for k, s in split_cells(reference_path("tp-tenseurs").read_text()) if k == "code"]
    if not broken:
        nb = copy.deepcopy(nb)
        code = [c for c in nb["cells"] if c["cell_type"] == "code"]
        for cell, src in zip(code, ref, strict=True):
            cell["source"] = "\n".join(x for x in src.splitlines() if "SOLUTION" not in x and "STUB:" not in x)
    if extra:
        nb["cells"].append({"cell_type": "code", "id": "x", "metadata": {}, "execution_count": None,
                            "outputs": [], "source": extra})
    return render(nb)


def build(folder: Path) -> None:
    folder.mkdir(parents=True)
    for i in range(6):
        (folder / f"good{i:02d}.ipynb").write_text(notebook())
    for name, cell in EXTRA.items():
        (folder / f"{name}.ipynb").write_text(notebook(cell))
    for i in range(3):
        (folder / f"stub{i}.ipynb").write_text(notebook(broken=True))
    (folder / "corrupt.ipynb").write_text('{"cells": [')
    (folder / "empty.ipynb").write_text("")
    (folder / "binary.ipynb").write_bytes(os.urandom(2048))


def leftovers() -> int:
    n = 0
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            cmd = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            continue
        n += b"sleep\x004242" in cmd or b"grader.runner.worker" in cmd
    return n


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--workers", type=int, default=2)
    args = p.parse_args()
    root = Path(tempfile.mkdtemp(prefix="bench-class-"))
    build(root / "class")
    times = {}
    for workers in (1, args.workers):
        start = time.monotonic()
        run = grade(root / "class", out=root / f"out{workers}", workers=workers,
                    limits={"cell_timeout": 10})
        times[workers] = time.monotonic() - start
    data = json.loads((root / f"out{args.workers}" / "results.json").read_text())
    print(f"{'student':12} {'status':7} {'score':>6} {'seconds':>8}")
    for s in data["submissions"]:
        print(f"{s['student']:12} {s['status']:7} {s['score']:6.1f} {s.get('seconds', 0):8.1f}")
    print(f"\n{len(run.results)} submissions; wall time: 1 worker {times[1]:.1f} s (baseline), "
          f"{args.workers} workers {times[args.workers]:.1f} s; ratio {times[1] / times[args.workers]:.2f}x; "
          f"student processes left: {leftovers()}")


if __name__ == "__main__":
    main()
