"""The output folder a run writes (`--out`): one writer at a time, and what a full disk under it says.

Two runs writing one gradebook would interleave their `begin`/`finish` and each rewrite
`results.json` from what it saw: the file could hold a mix of both runs, or lose one's students.
So every command that writes OUT's gradebook holds an exclusive `flock` on `OUT/.grader.lock`
while it works. The kernel releases that lock when the process ends, however it ends (kill -9,
a crash, a power cut): a lock is never stale, and there is nothing to clean up by hand. The file
keeps the holder's pid so that a refused command can say who holds it.

A full disk (or quota) is not a bug of ours nor a student's fault: the command stops, says so
in one line, and the same command resumes once there is room (`DiskFull`).
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

from grader.grading.interrupt import RunStopped
from grader.model import Message

LOCK_NAME = ".grader.lock"
_SQLITE_FULL = 13  # sqlite3's primary result code for "database or disk is full"


class OutBusy(Exception):
    """Another process holds OUT's lock: this command must not write there now."""

    def __init__(self, out: Path, pid: int | None):
        self.out, self.pid = out, pid
        self.message = busy_message(out, pid)
        super().__init__(self.message.fr)


def busy_message(out: Path, pid: int | None) -> Message:
    who_fr = f" (pid {pid})" if pid else ""
    return Message(f"« {out} » est déjà utilisé par une autre correction{who_fr} ; attendez qu'elle finisse",
                   f"{out} is in use by another grading run{who_fr}; wait for it to finish")


@contextlib.contextmanager
def hold(out: Path) -> Iterator[Path]:
    """Hold OUT's writer lock for the block (OUT is created if needed); `OutBusy` at once if it is held.

    Refusing beats waiting: an instructor who started a second run by mistake learns it now, and
    a run that waited would then grade with whatever the first one left behind."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    path = out / LOCK_NAME
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise OutBusy(out, _holder(fd)) from None
        with contextlib.suppress(OSError):  # a full disk may refuse even these few bytes: the lock holds anyway
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        try:
            yield path
        finally:
            with contextlib.suppress(OSError):
                os.ftruncate(fd, 0)  # no pid left behind to mislead anyone; the file itself stays (see above)
    finally:
        os.close(fd)  # releases the lock


def _holder(fd: int) -> int | None:
    """The pid the holder wrote; it writes right after locking, so an empty file is read again briefly."""
    for _ in range(20):
        with contextlib.suppress(OSError, ValueError):
            text = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
            if text:
                return int(text)
        time.sleep(0.01)
    return None


def full_disk_detail(exc: BaseException | None) -> str | None:
    """What the system said when `exc` (or an error that led to it) is a full disk or quota; else None.

    OSError carries ENOSPC/EDQUOT; sqlite3 says "database or disk is full" (SQLITE_FULL). The chain
    is followed because a cleanup step (a ROLLBACK) may raise on top of the real cause."""
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, DiskFull):
            return exc.detail
        if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
            return exc.strerror or str(exc)
        if isinstance(exc, sqlite3.Error) and ((getattr(exc, "sqlite_errorcode", 0) or 0) & 0xFF == _SQLITE_FULL
                                               or "database or disk is full" in str(exc)):
            return str(exc)
        exc = exc.__cause__ or exc.__context__
    return None


class DiskFull(RunStopped):
    """The disk under OUT is full: the run stops, keeps what it stored, and says how to go on.

    A `RunStopped`: raised where a check's result is being stored, it crosses the per-submission
    pipeline's `except Exception` (which would record it as the student's error) unchanged."""

    def __init__(self, out: Path, detail: str):
        self.out, self.detail = Path(out), detail
        super().__init__(detail)

    def text(self, lang: str = "fr") -> str:
        return Message(f"disque plein sous « {self.out} » : {self.detail} ; libérez de la place puis relancez "
                       "la même commande",
                       f"disk full under {self.out}: {self.detail}; free some space, then run the same "
                       "command again").get(lang)
