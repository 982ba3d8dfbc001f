"""A process's children, read from /proc: the one reader of the process tree, on both sides.

The grader measures a runner's tree and reaps orphans with it; a runner's supervisor and the warm
fork server kill what is left under them with it. Plain `os`: the runner side imports it.
"""

from __future__ import annotations

import os

_HAS_CHILDREN_FILES = os.path.exists(f"/proc/self/task/{os.getpid()}/children")  # CONFIG_PROC_CHILDREN


def children_of(pid: int) -> list[int]:
    """The kernel's list of `pid`'s children (each thread's `children` file), else a scan of /proc.

    Read ten times a second per runner (its memory): a scan of /proc per process of the tree cost the
    grader a fifth of a core on a class, the `children` files a few reads."""
    if _HAS_CHILDREN_FILES:
        out: list[int] = []
        try:
            tasks = os.listdir(f"/proc/{pid}/task")
        except OSError:
            return out
        for tid in tasks:
            try:
                with open(f"/proc/{pid}/task/{tid}/children") as f:
                    out.extend(int(x) for x in f.read().split())
            except (OSError, ValueError):
                continue
        return out
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    if int(f.read().rsplit(")", 1)[1].split()[1]) == pid:
                        found.append(int(entry))
            except (OSError, IndexError, ValueError):
                continue
    return found
