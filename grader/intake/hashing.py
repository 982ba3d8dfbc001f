"""Which files of a submission folder count, and their hash: independent of mtimes and of how
the folder was packed, so an unchanged submission is not regraded.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

#: Never a student nor part of one: OS and editor droppings.
IGNORED_NAMES = frozenset(
    {"__MACOSX", ".ipynb_checkpoints", "__pycache__", "Thumbs.db", "desktop.ini"})


#: Folders not searched nor hashed inside a submission (installed packages, not the student's work).
PRUNED_DIRS = IGNORED_NAMES | {"node_modules", "site-packages", "venv"}


def ignored(name: str) -> bool:
    return name.startswith(".") or name in IGNORED_NAMES


def files_under(root: Path) -> list[tuple[str, Path]]:
    """(relative posix path, path) of every file under root, sorted; symlinked dirs not entered."""
    found: list[tuple[str, Path]] = []
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames[:] = [d for d in dirnames if not ignored(d) and d not in PRUNED_DIRS
                       and not os.path.islink(os.path.join(dirpath, d))]
        for name in filenames:
            if not ignored(name):
                p = Path(dirpath, name)
                found.append((p.relative_to(root).as_posix(), p))
    return sorted(found)


def _hash_file(h: hashlib._Hash, path: Path) -> None:
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)


def file_sha256(path: Path) -> str:
    """Hash of a file's bytes ("" when it cannot be read)."""
    h = hashlib.sha256()
    try:
        _hash_file(h, path)
    except OSError:
        return ""
    return h.hexdigest()


def tree_sha256(root: Path) -> str:
    """Deterministic hash over sorted relative paths and file bytes: independent of mtimes and
    of how the folder was packed, so an unchanged submission is not regraded."""
    h = hashlib.sha256()
    for rel, p in files_under(root):
        h.update(rel.encode("utf-8", "surrogateescape") + b"\0")
        try:
            if p.is_symlink():
                h.update(b"L" + os.readlink(p).encode("utf-8", "surrogateescape") + b"\0")
            elif p.is_file():
                h.update(b"F%d\0" % p.stat().st_size)
                _hash_file(h, p)
        except OSError:
            h.update(b"E\0")
    return h.hexdigest()
