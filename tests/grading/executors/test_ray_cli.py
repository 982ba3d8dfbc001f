"""Ray nodes started the way users start them: `ray start` from a plain shell environment, outside any
grader process (the head, a worker node with its own --temp-dir, a node whose bubblewrap is broken),
then `grader run --executor ray --address` on the Quick start's class. The good nodes grade with the
same sandbox layers and the same scores as a local run; the broken node refuses before taking any
work and grades nothing; a cluster where no node can grade stops the run (exit 2) with each node's
reason, and no student gets a result.

Only what these tests started is stopped: each `ray start` runs in a session of its own, and its
daemons (and the Ray workers its raylet starts) are killed by process group and by their temp-dir
in their command line, never with `ray stop` (which stops every Ray process on the machine,
another test's `ray.cluster_utils` cluster included).
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from conftest import REPO

from grader.runner.sandbox import plan as sandbox_plan

ray = pytest.importorskip("ray")

EXAMPLE = REPO / "examples" / "tp-tenseurs"
BIN = Path(sys.executable).parent


def _layers() -> tuple[int, ...]:
    try:
        return sandbox_plan("auto").layers
    except Exception:  # noqa: BLE001 - no sandbox at all here
        return (0,)


pytestmark = [pytest.mark.skipif(2 not in _layers(), reason="Ray grading needs sandbox layer 2 (bubblewrap)"),
              pytest.mark.slow]  # three `ray start` nodes and three class runs: the slow tier


_HANDED_OUT: set[int] = set()


def _free_port() -> int:
    """A port the kernel hands out (always inside its ephemeral range: see `_worker_port_base`), never
    one handed out before in this session: a port bound and closed comes back from the kernel, and Ray
    refuses to start when two of its components are given the same one (the GCS and the metrics
    exporter were, once)."""
    while True:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if port not in _HANDED_OUT:
            _HANDED_OUT.add(port)
            return port


def _ephemeral_floor() -> int:
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            return int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


_WORKER_BASES: set[int] = set()


def _worker_port_base() -> int:
    """The first of 151 worker ports, below the kernel's ephemeral range, so that no `_free_port` (an
    agent's, the raylet's) can fall among them, and distinct from every other node's range here.
    (A range drawn anywhere once met the runtime-env agent's port: Ray refused to start.)"""
    top = max(11000, _ephemeral_floor() - 200)
    while True:
        base = random.randrange(11000, top, 200)  # above Ray's fixed 8265 and 10001
        if base not in _WORKER_BASES and all(_port_free(p) for p in range(base, base + 151, 25)):
            _WORKER_BASES.add(base)
            return base


def _port_free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def _shell_env(extra_path: Path | None = None) -> dict[str, str]:
    """What an instructor's shell hands `ray start`: PATH with the venv, HOME, a locale; nothing of pytest's
    (no GRADER_* variable, no PYTHONPATH, the default TMPDIR)."""
    path = os.pathsep.join(p for p in (str(extra_path) if extra_path else "", str(BIN), "/usr/local/sbin",
                                       "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin") if p)
    return {"PATH": path, "HOME": os.environ.get("HOME", "/root"), "LANG": "C.UTF-8"}


def _ray_cli() -> list[str]:
    script = BIN / "ray"
    return [str(script)] if script.exists() else [sys.executable, "-m", "ray.scripts.scripts"]


class Node:
    """One `ray start` (head or worker), and what it started: stopped by its process group and temp dir."""

    def __init__(self, temp_dir: Path, args: list[str], env: dict[str, str]):
        self.temp_dir = temp_dir
        base = _worker_port_base()
        ports = ["--node-manager-port", str(_free_port()), "--object-manager-port", str(_free_port()),
                 "--metrics-export-port", str(_free_port()), "--dashboard-agent-listen-port", str(_free_port()),
                 "--dashboard-agent-grpc-port", str(_free_port()), "--runtime-env-agent-port", str(_free_port()),
                 "--min-worker-port", str(base), "--max-worker-port", str(base + 150)]
        proc = subprocess.Popen([*_ray_cli(), "start", *args, *ports, "--node-ip-address=127.0.0.1",
                                 f"--temp-dir={temp_dir}", "--disable-usage-stats"],
                                env=env, cwd=temp_dir, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                start_new_session=True)
        self.pgid = proc.pid  # its daemons keep this process group after `ray start` returns
        out, _ = proc.communicate(timeout=240)
        if proc.returncode != 0:
            self.stop()
            raise RuntimeError(f"ray start {' '.join(args)} failed:\n{out[-3000:]}")

    def pids(self) -> list[int]:
        found = []
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                with open(f"/proc/{entry}/stat") as f:
                    pgid = int(f.read().rsplit(")", 1)[1].split()[2])
                with open(f"/proc/{entry}/cmdline", "rb") as f:
                    cmd = f.read()
            except (OSError, IndexError, ValueError):
                continue
            if pgid == self.pgid or str(self.temp_dir).encode() in cmd:
                found.append(int(entry))
        return found

    def stop(self) -> None:
        for sig, wait in ((signal.SIGTERM, 15.0), (signal.SIGKILL, 10.0)):
            for pid in self.pids():
                with contextlib.suppress(OSError):
                    os.kill(pid, sig)
            deadline = time.monotonic() + wait
            while time.monotonic() < deadline and self.pids():
                time.sleep(0.3)
            if not self.pids():
                break


class Cluster:
    def __init__(self, root: Path):
        self.root, self.nodes = root, []
        self.port = _free_port()
        self.address = f"127.0.0.1:{self.port}"

    def head(self, cpus: int, env: dict[str, str]) -> None:
        self._add(["--head", f"--port={self.port}", f"--num-cpus={cpus}", "--include-dashboard=false",
                   f"--ray-client-server-port={_free_port()}"], env)

    def worker(self, cpus: int, env: dict[str, str]) -> None:
        self._add([f"--address={self.address}", f"--num-cpus={cpus}"], env)

    def _add(self, args: list[str], env: dict[str, str]) -> None:
        folder = Path(tempfile.mkdtemp(prefix=f"rc{len(self.nodes)}-", dir=self.root))  # short: Ray's socket paths
        self.nodes.append(Node(folder, args, env))

    def node_ids(self) -> dict[str, str]:
        """raylet node id -> this node's temp dir (`ray list`-free: read from the raylet's own command line)."""
        out = {}
        for node in self.nodes:
            for pid in node.pids():
                with contextlib.suppress(OSError):
                    cmd = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
                    for arg in cmd:
                        if arg.startswith(b"--node_id="):
                            out[arg.split(b"=", 1)[1].decode()] = str(node.temp_dir)
        return out

    def stop(self) -> None:
        for node in reversed(self.nodes):
            node.stop()
        shutil.rmtree(self.root, ignore_errors=True)


@contextlib.contextmanager
def cluster(*, head_cpus: int, good: int, broken: int, fake_bin: Path):
    c = Cluster(Path(tempfile.mkdtemp(prefix="grader-ray-cli-", dir="/tmp")))
    try:
        c.head(head_cpus, _shell_env())
        for _ in range(good):
            c.worker(1, _shell_env())
        for _ in range(broken):
            c.worker(1, _shell_env(fake_bin))
        yield c
    finally:
        c.stop()


@pytest.fixture
def fake_bin(tmp_path):
    """A bubblewrap that fails as it does where user namespaces are locked down: that node has no Layer 2."""
    folder = tmp_path / "fakebin"
    folder.mkdir()
    tool = folder / "bwrap"
    tool.write_text("#!/bin/sh\necho 'bwrap: setting up uid map: Permission denied' >&2\nexit 1\n")
    tool.chmod(0o755)
    return folder


def grader_run(out: Path, *extra: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "COLUMNS": "200"}
    env.pop("GRADER_WARM", None)
    return subprocess.run([sys.executable, "-m", "grader", "run", str(EXAMPLE), "--out", str(out), *extra],
                          capture_output=True, text=True, env=env, cwd=REPO, timeout=1200)


def _results(out: Path) -> dict:
    data = json.loads((out / "results.json").read_text())
    return {s["student"]: s for s in data["submissions"]}


def _graded(results: dict) -> dict:
    return {name: (s["score"], s["status"], {q: (v["score"], [(c["name"], c["status"]) for c in v["checks"]])
                                             for q, v in s["questions"].items()})
            for name, s in results.items()}


def test_nodes_started_with_ray_start_grade_as_a_local_run(tmp_path, fake_bin):
    local = grader_run(tmp_path / "local")
    assert local.returncode == 0, local.stdout[-3000:] + local.stderr[-3000:]
    with cluster(head_cpus=1, good=1, broken=1, fake_bin=fake_bin) as c:
        ids = c.node_ids()
        broken_dir = str(c.nodes[-1].temp_dir)
        remote = grader_run(tmp_path / "ray", "--executor", "ray", "--address", c.address)
        assert remote.returncode == 0, remote.stdout[-3000:] + remote.stderr[-3000:]
    here, there = _results(tmp_path / "local"), _results(tmp_path / "ray")
    assert _graded(there) == _graded(here)
    assert {k: v["score"] for k, v in here.items()} == {"alice": 20, "bruno": 17, "chloe": 17, "david": 0, "emma": 0}
    layers = {name: s["info"].get("sandbox_layers") for name, s in there.items()}
    assert layers == {name: s["info"].get("sandbox_layers") for name, s in here.items()}  # the nodes' own sandboxes
    assert layers["alice"] == list(_layers())  # (emma's notebook is unreadable: no runner, no layers)
    used = {s["info"].get("ray_node") for s in there.values()} - {None}
    assert len(ids) == 3 and used and used <= set(ids), (used, ids)
    assert all(ids[n] != broken_dir for n in used), (used, ids)  # never on the refusing node
    assert not any("couche" in str(s["errors"]) or "Layer" in str(s["errors"]) for s in there.values())


def test_a_cluster_that_cannot_grade_says_so_before_grading(tmp_path, fake_bin):
    """Only a node without Layer 2 offers CPUs: nothing is graded, nobody gets a 0, the run says why (exit 2)."""
    with cluster(head_cpus=0, good=0, broken=1, fake_bin=fake_bin) as c:
        run = grader_run(tmp_path / "ray", "--executor", "ray", "--address", c.address)
    said = run.stdout + run.stderr
    assert run.returncode == 2, said[-3000:]
    assert "aucun nœud du cluster Ray ne peut corriger" in said and "bubblewrap" in said, said[-3000:]
    assert not (tmp_path / "ray" / "results.json").exists()
