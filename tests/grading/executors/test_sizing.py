"""Workers from cores, memory and GPUs; threads per runner so that N workers share N cores."""

from __future__ import annotations

from grader.budget import Hardware, derived
from grader.grading.executors.sizing import size
from grader.runner.session import thread_environment

GB = 1 << 30


def test_cores_bound_the_workers_when_memory_is_plenty():
    """One more runner than cores: each waits while the grader judges it."""
    s = size(Hardware(8, "cpu"), profile="cpu", memory_limit=4 * GB, available=64 * GB)
    assert (s.workers, s.threads) == (9, 1)
    assert size(Hardware(1, "cpu"), profile="cpu", memory_limit=4 * GB, available=64 * GB).workers == 2


def test_memory_bounds_the_workers_by_the_measured_peak_or_the_limit():
    hw = Hardware(16, "cpu")
    assert size(hw, profile="cpu", memory_limit=4 * GB, available=20 * GB).workers == 4  # 16 GB usable / 4 GB
    # a calibrated reference peaking at 700 MB: 1.05 GB per runner with room, 15 of them fit
    assert size(hw, profile="cpu", memory_limit=4 * GB, peak_mb=700, available=20 * GB).workers == 15
    assert size(hw, profile="cpu", memory_limit=4 * GB, available=1 * GB).workers == 1  # never zero


def test_one_gpu_per_runner_under_the_gpu_profile():
    hw = Hardware(32, "cpu", gpus=("H200", "H200"))
    s = size(hw, profile="gpu", memory_limit=4 * GB, available=256 * GB)
    assert (s.workers, s.threads) == (2, 16)
    assert size(hw, profile="gpu", memory_limit=4 * GB, available=256 * GB, requested=6).workers == 2
    assert size(hw, profile="cpu", memory_limit=4 * GB, available=256 * GB).workers == 33  # GPUs unused


def test_requested_workers_win_and_threads_divide_the_cores():
    s = size(Hardware(2, "cpu"), profile="cpu", memory_limit=4 * GB, available=24 * GB, requested=1)
    assert (s.workers, s.threads) == (1, 2)
    assert "--workers 1" in s.why.fr and "--workers 1" in s.why.en
    env = thread_environment(s.threads)
    assert env["OMP_NUM_THREADS"] == env["TF_NUM_INTRAOP_THREADS"] == "2"


def test_calibrated_cell_and_call_limits_follow_the_reference_with_a_floor():
    entry = {"seconds": 12.0, "cell_seconds": 0.05, "call_seconds": 2.0}
    _, limits = derived(entry, {})
    assert limits["cell_timeout"] == 10.0  # 20 x 0.05 s is 1 s: the floor
    assert limits["call_timeout"] == 40.0  # 20 x 2 s
    assert "20 fois" in limits["origins"]["call_timeout"]["fr"] and "20 times" in limits["origins"]["call_timeout"]["en"]
    assert "minimum" in limits["origins"]["cell_timeout"]["en"]
    _, fixed = derived(entry, {"calibrated_limits": False})
    assert "cell_timeout" not in fixed and "call_timeout" not in fixed and fixed["wall_timeout"] > 12
