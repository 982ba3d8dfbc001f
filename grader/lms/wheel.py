"""This running grader rebuilt as a wheel, for an autograder image to `pip install`.

The wheel is the product: what an LMS runs must be what was tested here, so the wheel is made from
the imported `grader` package itself, never from a source tree found above it (there may be none).
An editable install's `grader/resources/` holds symlinks to the course folders: they are followed,
so the wheel carries real copies of the built-in course, as the setuptools wheel does.

The student wheel (`student=True`, version `<version>+student`) is the same code without the
built-in course (`grader/resources/assignments/` and `reference/`: the references, every hidden
check and threshold); it keeps the report templates. `grader release` puts it in the bundle, so
what a student installs to self-check holds no solution.
"""

from __future__ import annotations

import base64
import hashlib
import importlib.metadata
import os
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path

import grader

DIST = "tp-grader"
#: Not part of the package: caches, editors' and the OS's droppings.
SKIPPED_DIRS = frozenset({"__pycache__", ".ipynb_checkpoints", ".pytest_cache", ".ruff_cache", ".mypy_cache"})
SKIPPED_SUFFIXES = (".pyc", ".pyo", ".swp", ".tmp")
_EPOCH = (1980, 1, 1, 0, 0, 0)  # fixed timestamps: the same package gives the same wheel
#: The built-in course inside the package: never in the student wheel.
COURSE_PARTS = ("grader/resources/assignments/", "grader/resources/reference/")
STUDENT_LOCAL = "student"  # the student wheel's version is `<version>+student`


class WheelError(Exception):
    """The wheel cannot be made here (the grader is not installed, so its metadata is unknown)."""


def is_course(arcname: str) -> bool:
    """Whether a path inside the wheel belongs to the built-in course (references, checks, TOMLs)."""
    return any(arcname.startswith(part) for part in COURSE_PARTS)


def package_files(package: Path | None = None, *, student: bool = False) -> Iterator[tuple[str, Path]]:
    """(path inside the wheel, file) for every file of the package, symlinks followed, sorted;
    `student`: without the built-in course."""
    package = Path(package or Path(grader.__file__).parent)
    seen: set[str] = set()
    found: list[tuple[str, Path]] = []
    for dirpath, dirnames, filenames in os.walk(package, followlinks=True):
        real = os.path.realpath(dirpath)
        if real in seen:  # a symlink loop: walked once
            dirnames[:] = []
            continue
        seen.add(real)
        dirnames[:] = sorted(d for d in dirnames if d not in SKIPPED_DIRS and not d.startswith("."))
        rel_dir = Path(dirpath).relative_to(package.parent)
        for name in filenames:
            path = Path(dirpath) / name
            if name.startswith(".") or name.endswith(SKIPPED_SUFFIXES) or not path.is_file():
                continue
            arcname = (rel_dir / name).as_posix()
            if not (student and is_course(arcname)):
                found.append((arcname, path))
    yield from sorted(found)


def metadata_text(dist: importlib.metadata.Distribution, version: str | None = None) -> str:
    """METADATA with the installed distribution's name, version and dependencies (extras kept)."""
    meta = dist.metadata
    requires = list(dist.requires or [])
    extras = sorted({m.group(1) for r in requires for m in re.finditer(r"extra\s*==\s*['\"]([^'\"]+)['\"]", r)})
    lines = ["Metadata-Version: 2.1", f"Name: {meta['Name'] or DIST}", f"Version: {version or dist.version}"]
    for key in ("Summary", "Requires-Python"):
        if meta.get(key):
            lines.append(f"{key}: {meta[key]}")
    lines += [f"Provides-Extra: {e}" for e in extras]
    lines += [f"Requires-Dist: {r}" for r in requires]
    return "\n".join(lines) + "\n"


def entry_points_text(dist: importlib.metadata.Distribution) -> str:
    groups: dict[str, list[str]] = {}
    for ep in dist.entry_points:
        groups.setdefault(ep.group, []).append(f"{ep.name} = {ep.value}")
    if not groups:  # the `grader` command must exist wherever the wheel is installed
        groups["console_scripts"] = ["grader = grader.cli:main"]
    return "".join(f"[{g}]\n" + "".join(f"{line}\n" for line in sorted(lines)) + "\n"
                   for g, lines in sorted(groups.items()))


def write_member(zf: zipfile.ZipFile, arcname: str, data: bytes, mode: int = 0o644) -> None:
    """One archive member with a fixed date and its Unix mode (`run_autograder` must stay executable)."""
    entry = zipfile.ZipInfo(arcname, _EPOCH)
    entry.external_attr = mode << 16
    entry.compress_type = zipfile.ZIP_DEFLATED
    zf.writestr(entry, data)


def _digest(data: bytes) -> str:
    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode("ascii")


def student_version(version: str) -> str:
    """`0.1.0` -> `0.1.0+student` (a local version: pip sees the same project)."""
    base = version.split("+", 1)[0]
    return f"{base}+{STUDENT_LOCAL}"


def build_wheel(dest: Path, *, package: Path | None = None, student: bool = False) -> Path:
    """Write `tp_grader-<version>-py3-none-any.whl` into `dest`; returns its path.

    `student`: `tp_grader-<version>+student-py3-none-any.whl`, the grader without its built-in course."""
    try:
        dist = importlib.metadata.distribution(DIST)
    except importlib.metadata.PackageNotFoundError as e:
        raise WheelError(f"{DIST} is not installed here (pip install -e . or the wheel): its dependencies and "
                         "version are unknown, so no wheel can be made") from e
    version = student_version(dist.version) if student else dist.version
    info = f"{DIST.replace('-', '_')}-{version}.dist-info"
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    path = dest / f"{DIST.replace('-', '_')}-{version}-py3-none-any.whl"
    generated = {
        f"{info}/METADATA": metadata_text(dist, version),
        f"{info}/WHEEL": "Wheel-Version: 1.0\nGenerator: grader.lms.wheel\nRoot-Is-Purelib: true\n"
                         "Tag: py3-none-any\n",
        f"{info}/entry_points.txt": entry_points_text(dist),
    }
    record: list[str] = []
    tmp = path.with_name(f".{path.name}.tmp")
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zf:
        def add(arcname: str, data: bytes) -> None:
            write_member(zf, arcname, data)
            record.append(f"{arcname},{_digest(data)},{len(data)}")

        for arcname, file in package_files(package, student=student):
            add(arcname, file.read_bytes())
        for arcname, text in generated.items():
            add(arcname, text.encode("utf-8"))
        record.append(f"{info}/RECORD,,")
        write_member(zf, f"{info}/RECORD", ("\n".join(record) + "\n").encode("utf-8"))
    os.replace(tmp, path)
    return path
