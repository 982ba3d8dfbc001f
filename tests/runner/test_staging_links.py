"""Mirrors that link into each other stay consistent: a venv mirror reused after the interpreter's mirror
was made again must never point at the old one, which Layer 2 does not bind.

That is how a Ray node refused Layer 2 with "setpriv: failed to execute <venv mirror>/bin/python3: No
such file or directory" while the same class graded locally: the venv's mirror (named by the venv
alone) was reused, its `bin/python3` still pointing at an interpreter mirror of an older key, present
on the host (so Layer 1 alone worked) but not among the folders bwrap binds.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

import pytest

from grader.runner import staging
from grader.runner.sandbox import RUNNER_UID, SandboxPlan, probe


def test_a_mirror_is_named_by_the_mirrors_it_links_into():
    base, venv = "/opt/py/3.11", "/srv/venv"
    one = staging._linked_keys({base: "b1", venv: "v1"})
    two = staging._linked_keys({base: "b2", venv: "v1"})
    assert one[venv] != two[venv]  # the interpreter changed: the venv's mirror is made again
    assert one[base] != two[base]
    assert staging._linked_keys({base: "b1", venv: "v1"}) == one  # and reused while nothing changes
    assert staging._linked_keys({venv: "v1"})[venv] != one[venv]


def test_escapes_follows_links_hop_by_hop(tmp_path):
    inside, other = tmp_path / "mirror-new", tmp_path / "mirror-old"
    for tree in (inside, other):
        (tree / "bin").mkdir(parents=True)
        (tree / "bin" / "python3.11").write_text("")
    venv = tmp_path / "venv-mirror" / "bin"
    venv.mkdir(parents=True)
    os.symlink(other / "bin" / "python3.11", venv / "stale")
    os.symlink(inside / "bin" / "python3.11", venv / "fresh")
    os.symlink("python3.11", inside / "bin" / "python3")
    os.symlink(inside / "bin" / "python3", venv / "chain")
    os.symlink(tmp_path / "gone" / "python", venv / "dangling")
    roots = (str(inside), str(tmp_path / "venv-mirror"))
    assert staging.escapes(str(venv / "stale"), roots) == str(other / "bin" / "python3.11")
    assert staging.escapes(str(venv / "fresh"), roots) is None
    assert staging.escapes(str(venv / "chain"), roots) is None
    assert staging.escapes(str(venv / "dangling"), roots) == str(tmp_path / "gone" / "python")
    assert staging.escapes("/usr/bin/env", roots) is None  # the system folders are bound too


NEEDS = pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("bwrap") or not shutil.which("setpriv"),
                           reason="needs sandbox layer 2 (root, bubblewrap, setpriv)")


@NEEDS
@pytest.mark.slow  # the interpreter and the venv mirrored three times (hard links, ~10 s each here)
def test_a_changed_interpreter_never_leaves_the_venv_mirror_pointing_at_the_old_one(monkeypatch):
    if staging._runtime_for(RUNNER_UID)[0] == staging.host_runtime():
        pytest.skip("this install needs no mirror for the runner uid: nothing to keep consistent")
    stage = Path(tempfile.mkdtemp(prefix="grader-links-", dir="/var/tmp"))
    stage.chmod(0o755)
    monkeypatch.setenv("GRADER_STAGE_DIR", str(stage))
    base = os.path.abspath(sys.base_prefix)
    real_key = staging._tree_key
    version = ["one"]
    monkeypatch.setattr(staging, "_tree_key", lambda src: (real_key(src) + version[0]) if str(src) == base
                        else real_key(src))
    try:
        first = staging.runtime_for.__wrapped__(RUNNER_UID)
        version[0] = "two"  # something installed into the interpreter since: its mirror is made again
        second = staging.runtime_for.__wrapped__(RUNNER_UID)
        assert second.python != first.python  # the venv's mirror too, since it links into the interpreter's
        assert staging.escapes(second.python, second.roots) is None
        bwrap = shutil.which("bwrap")
        assert probe(SandboxPlan((0, 1, 2), uid=RUNNER_UID, seccomp=True, bwrap=bwrap, runtime=second)) is None
        # what naming a mirror by its own tree alone gave: the reused venv mirror, the new interpreter bound
        stale = staging.Runtime(first.python, second.pythonpath,
                                tuple(r for r in second.roots if not r.startswith(str(Path(second.python).parents[1])))
                                + (str(Path(first.python).parents[1]),), second.library_path)
        failure = probe(SandboxPlan((0, 1, 2), uid=RUNNER_UID, seccomp=True, bwrap=bwrap, runtime=stale))
        assert failure is not None and "No such file or directory" in failure.en, failure
        # a mirror broken since it was made (a temp cleaner took the interpreter) is made again, once
        python = Path(os.path.realpath(second.python))
        python.unlink()
        third = staging.runtime_for.__wrapped__(RUNNER_UID)
        assert os.path.exists(third.python) and staging.escapes(third.python, third.roots) is None
    finally:
        shutil.rmtree(stage, ignore_errors=True)
