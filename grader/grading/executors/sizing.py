"""How many submissions one machine grades at once, and how many threads each runner may use.

Workers are bounded by the cores plus one (a runner training a model keeps a core busy, but it
also waits while the grader's own process judges it: on 2 cores an MNIST-dense class graded 15%
faster with 3 runners than with 2), by memory (each runner may grow to its peak: the calibrated
reference's, with room, or else its memory limit) and, under the GPU profile, by the GPUs (one per
runner, never shared by two students at once). Each runner then gets cores // workers threads (at
least one) for TensorFlow's pools, OpenMP and BLAS, so that the runners do not oversubscribe the
machine with thread pools of a core each.
"""

from __future__ import annotations

from dataclasses import dataclass

from grader.budget import Hardware
from grader.model import Message

PEAK_ROOM = 1.5  # a student's runner may hold more than the reference did


@dataclass(frozen=True)
class Sizing:
    workers: int
    threads: int  # per runner
    why: Message


def available_memory() -> int:
    """MemAvailable (bytes), or 0 when /proc/meminfo cannot be read."""
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return 0


def size(hw: Hardware, *, profile: str, memory_limit: int, peak_mb: float = 0.0, requested: int | None = None,
         available: int | None = None) -> Sizing:
    """`requested` workers (the instructor's `--workers`) or as many as the machine holds."""
    cores = max(1, hw.cpu_cores)
    per_runner = int(peak_mb * 2**20 * PEAK_ROOM) if peak_mb else memory_limit
    free = available_memory() if available is None else available
    by_memory = max(1, int(free * 0.8) // per_runner) if per_runner > 0 and free > 0 else cores
    gpus = len(hw.gpus) if profile == "gpu" else 0
    if requested:
        workers = max(1, requested)
    else:
        workers = max(1, min([cores + 1, by_memory] + ([gpus] if gpus else [])))
    if gpus:
        workers = min(workers, gpus)  # one GPU per runner, even when more workers were asked for
    threads = max(1, cores // workers)
    per_mb = per_runner // 2**20
    fr = (f"{workers} copie(s) à la fois ({cores} cœur(s), {free // 2**30} Go libres pour {per_mb} Mo par "
          f"correction" + (f", {gpus} GPU" if gpus else "") + f") ; {threads} fil(s) de calcul chacune")
    en = (f"{workers} submission(s) at once ({cores} core(s), {free // 2**30} GB free for {per_mb} MB per "
          f"submission" + (f", {gpus} GPU(s)" if gpus else "") + f"); {threads} compute thread(s) each")
    if requested:
        fr, en = f"{fr} (--workers {requested})", f"{en} (--workers {requested})"
    return Sizing(workers, threads, Message(fr, en))
