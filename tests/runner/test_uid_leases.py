"""Runner uids are leased across processes: two graders (or a node's Ray workers) never share one."""

from __future__ import annotations

import subprocess
import sys
import time

from grader.runner.sandbox import _Leases


def test_two_pools_on_one_folder_never_hand_out_the_same_uid(tmp_path):
    a, b = _Leases(70000, size=3, folder=tmp_path), _Leases(70000, size=3, folder=tmp_path)
    taken = [a.acquire(), b.acquire(), a.acquire()]
    assert sorted(taken) == [70000, 70001, 70002]
    try:
        b.acquire()
    except RuntimeError as e:
        assert "in use" in str(e)
    else:
        raise AssertionError("a fourth uid out of three")
    a.release(taken[0])
    assert b.acquire() == taken[0]


def test_a_uid_held_by_a_dead_process_is_free_again(tmp_path):
    holder = subprocess.Popen([sys.executable, "-c", (
        "import sys, time; from pathlib import Path; from grader.runner.sandbox import _Leases;"
        f"p = _Leases(70000, size=2, folder=Path({str(tmp_path)!r})); print(p.acquire(), flush=True);"
        "time.sleep(60)")], stdout=subprocess.PIPE, text=True)
    try:
        held = int(holder.stdout.readline())
        mine = _Leases(70000, size=2, folder=tmp_path)
        other = mine.acquire()
        assert other != held
        mine.release(other)
    finally:
        holder.kill()
        holder.wait()
    time.sleep(0.1)
    pool = _Leases(70000, size=2, folder=tmp_path)
    assert {pool.acquire(), pool.acquire()} == {70000, 70001}  # the dead holder's uid came back


def test_a_released_uid_is_the_last_one_taken_again(tmp_path):
    pool = _Leases(70000, size=3, folder=tmp_path)
    first = pool.acquire()
    pool.release(first)
    assert [pool.acquire(), pool.acquire()] == [70001, 70002]
