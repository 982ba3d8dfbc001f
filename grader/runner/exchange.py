"""The exchange folder as either side touches it: every file found there is hostile data.

A runner's uid owns its run folder. It can rename `exchange` and leave a symlink in its place, make a
FIFO named like a figure (an `open()` for reading then blocks forever), plant a link named like the
next judge input (a root grader writing through it would overwrite a host file), or grow a file while
it is read. So the folder is opened once, before the runner starts: a directory fd follows the real
folder whatever is renamed later. Every read, write, listing and unlink is relative to that fd; no
link is followed; no open blocks (`O_NONBLOCK`: a FIFO or a device is refused after opening, by
`fstat`); a read takes at most the bytes it was given.
"""

from __future__ import annotations

import contextlib
import fnmatch
import os
import stat
from pathlib import Path

#: entries looked at when listing (a runner that made a million files does not cost the grader a scan)
MAX_LISTED = 10_000


class UnsafeFile(Exception):
    """What the runner left under a name is not a bounded regular file (said in the message)."""


class TooLarge(UnsafeFile):
    """A regular file larger than the bytes the reader allows."""


class Exchange:
    """A run's exchange folder, held by a directory fd opened before the runner could touch it."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.fd = os.open(self.path, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC)

    def names(self, pattern: str) -> list[str]:
        """Names matching `pattern` (shell-style), sorted; at most `MAX_LISTED` entries are looked at."""
        found = []
        with contextlib.suppress(OSError), os.scandir(self.fd) as entries:
            for i, entry in enumerate(entries):
                if i >= MAX_LISTED:
                    break
                if fnmatch.fnmatchcase(entry.name, pattern):
                    found.append(entry.name)
        return sorted(found)

    def read(self, name: str, max_bytes: int) -> bytearray:
        """The bytes of the regular file `name`: no link followed, never blocks, at most `max_bytes`."""
        _plain_name(name)
        try:
            fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC,
                         dir_fd=self.fd)
        except OSError as e:
            raise UnsafeFile(f"{name}: {e.strerror or e}") from e
        try:
            st = os.fstat(fd)
            if not stat.S_ISREG(st.st_mode):
                raise UnsafeFile(f"{name}: not a regular file")
            if st.st_size > max_bytes:
                raise TooLarge(f"{name}: {st.st_size} bytes (at most {max_bytes})")
            data = bytearray(min(st.st_size, max_bytes) + 1)
            view, got = memoryview(data), 0
            while got < len(data):  # one byte more than promised: a file that grew is refused
                n = os.readv(fd, [view[got:]])
                if n == 0:
                    break
                got += n
            if got > max_bytes:
                raise TooLarge(f"{name}: more than {max_bytes} bytes")
            del view
            del data[got:]
            return data
        finally:
            os.close(fd)

    def write(self, name: str, write_to) -> None:
        """Create `name` afresh (whatever stood there is unlinked first, never written through) and
        call `write_to(binary_file)`."""
        _plain_name(name)
        self.unlink(name)
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
        fd = os.open(name, flags, 0o644, dir_fd=self.fd)
        with os.fdopen(fd, "wb") as f:
            write_to(f)

    def unlink(self, name: str) -> None:
        _plain_name(name)
        with contextlib.suppress(FileNotFoundError, IsADirectoryError, PermissionError):
            os.unlink(name, dir_fd=self.fd)

    def close(self) -> None:
        if self.fd >= 0:
            with contextlib.suppress(OSError):
                os.close(self.fd)
            self.fd = -1

    def __enter__(self) -> Exchange:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _plain_name(name: str) -> None:
    """Only a plain name inside the folder (no separator, no `..`): the fd is the only way in."""
    if not name or "/" in name or "\0" in name or name in (".", ".."):
        raise UnsafeFile(f"bad name {name!r}")
